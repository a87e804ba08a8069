#include "engine/step_outputs.h"

#include "backend/backend.h"

#include <algorithm>

namespace rocmforge::engine {

void StepOutputs::run(ModelRunner& runner, std::span<const StepChunk> chunks,
                      std::span<SequenceGeneration* const> row_gens, bool full_rows) {
    // The candidates each row needs: 1 for greedy rows, top_k for top-k rows, 0 for whole rows.
    bool all_greedy = true;
    int64_t k = 1;
    for (const SequenceGeneration* gen : row_gens) {
        if (gen->takes_argmax()) continue;
        all_greedy = false;
        const int64_t needed = gen->candidates_needed(backend::kMaxTopK);
        if (needed == 0) full_rows = true;
        k = std::max(k, needed);
    }
    if (full_rows) {
        mode_ = Mode::Rows;
        runner.step(chunks, logits_);
        n_vocab_ = row_gens.empty() ? 0 : logits_.size() / row_gens.size();
    } else if (all_greedy) {
        mode_ = Mode::Argmax;
        runner.step_argmax(chunks, ids_);
    } else {
        mode_ = Mode::Candidates;
        k_ = k;
        runner.step_top_k(chunks, k, ids_, values_);
    }
}

std::optional<int32_t> StepOutputs::next(size_t row, SequenceGeneration& gen, int64_t length, int64_t n_ctx,
                                         int32_t seq) {
    switch (mode_) {
    case Mode::Rows: return gen.next(row_logits(row), length, n_ctx, seq);
    case Mode::Argmax: return gen.next_argmax(ids_[row], length, n_ctx, seq);
    case Mode::Candidates: {
        const size_t first = row * static_cast<size_t>(k_);
        if (gen.takes_argmax()) return gen.next_argmax(ids_[first], length, n_ctx, seq);  // the best candidate
        return gen.next_candidates(std::span<const int32_t>(ids_).subspan(first, static_cast<size_t>(k_)),
                                   std::span<const float>(values_).subspan(first, static_cast<size_t>(k_)), length,
                                   n_ctx, seq);
    }
    }
    return std::nullopt;
}

std::span<const float> StepOutputs::row_logits(size_t row) const {
    if (mode_ != Mode::Rows) return {};
    return std::span<const float>(logits_).subspan(row * n_vocab_, n_vocab_);
}

}  // namespace rocmforge::engine
