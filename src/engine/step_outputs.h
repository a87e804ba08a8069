#pragma once
// What a step brings back from the backend for its logit rows, by what the rows' samplers read:
// each row's argmax when every row is greedy; each row's k best candidates when every row is
// greedy or top-k sampled (k <= backend::kMaxTopK, no penalty in effect); else the whole rows.
// With a GPU, only token ids or a few candidates leave the device unless a row needs its logits.
// Every mode gives each row the token sampling its whole row gives (Sampler::sample_candidates).
#include "engine/generator.h"
#include "engine/model_runner.h"

#include <cstdint>
#include <optional>
#include <span>
#include <vector>

namespace rocmforge::engine {

class StepOutputs {
public:
    // Runs the step. row_gens: the generation of each logit row, in row order; full_rows: some row
    // needs its whole logits (logprobs).
    void run(ModelRunner& runner, std::span<const StepChunk> chunks, std::span<SequenceGeneration* const> row_gens,
             bool full_rows);
    // The next token of logit row `row` (whose generation is gen, as given to run).
    std::optional<int32_t> next(size_t row, SequenceGeneration& gen, int64_t length, int64_t n_ctx, int32_t seq);
    // Whether the step brought back whole rows (the host samplers read every logit).
    bool whole_rows() const { return mode_ == Mode::Rows; }
    // Logit row `row`; empty unless the step brought back whole rows.
    std::span<const float> row_logits(size_t row) const;

private:
    enum class Mode { Rows, Argmax, Candidates };
    Mode mode_ = Mode::Rows;
    int64_t k_ = 0;  // candidates per row (Mode::Candidates)
    size_t n_vocab_ = 0;
    std::vector<float> logits_;
    std::vector<int32_t> ids_;
    std::vector<float> values_;
};

}  // namespace rocmforge::engine
