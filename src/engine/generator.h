#pragma once
// Generation: prefill of the prompt (in steps of the runner's batch size), then one token per
// step through the sampler chain until max_tokens, an end-of-generation token, a stop string or
// a full context. SequenceGeneration holds the per-sequence part (sampler, stop strings, text)
// shared by generate() (one sequence) and run_batch() (many, batch_generator.h).
#include "engine/model_runner.h"
#include "sample/sampler.h"
#include "sample/stop_strings.h"

#include <cstdint>
#include <functional>
#include <optional>
#include <span>
#include <string>
#include <vector>

namespace rocmforge::engine {

// What generation needs to know about the vocabulary (implemented over the tokenizer by callers).
class TokenText {
public:
    virtual ~TokenText() = default;
    // Bytes this token adds to the output text.
    virtual std::string piece(int32_t token) const = 0;
    virtual bool is_end_of_generation(int32_t token) const = 0;
};

struct GenerationOptions {
    int64_t max_tokens = 128;
    sample::SamplerParams sampler;
    std::vector<std::string> stop_strings;
};

struct GenerationTimings {
    int64_t n_prompt = 0;
    int64_t n_generated = 0;
    double prompt_ms = 0.0;      // prefill of the whole prompt
    double generation_ms = 0.0;  // all decode steps
    double prompt_tok_s() const { return prompt_ms > 0 ? n_prompt * 1000.0 / prompt_ms : 0.0; }
    double generation_tok_s() const { return generation_ms > 0 ? n_generated * 1000.0 / generation_ms : 0.0; }
};

struct GenerationResult {
    std::vector<int32_t> tokens;  // generated ids (an end-of-generation token is not included)
    std::string text;             // their text, cut before a stop string
    std::string finish_reason;    // "length", "eog", "stop", "context"; "error" in batch runs
    std::string error;            // why, when finish_reason is "error"
    GenerationTimings timings;
};

// One sequence's sampling state: feed it the logits of its newest position, run the token it
// returns, repeat until it returns nothing.
class SequenceGeneration {
public:
    // on_text receives text as soon as it is final (may be null).
    SequenceGeneration(const GenerationOptions& options, int64_t n_vocab, std::span<const int32_t> prompt,
                       const TokenText& text, std::function<void(const std::string&)> on_text);

    // logits: [n_vocab] after a sequence of `length` positions (n_ctx at most). Returns the next
    // token to run, or nothing when generation finished (finish_reason set). Throws
    // rocmforge::Error naming `seq` and the step when the logits are not finite.
    std::optional<int32_t> next(std::span<const float> logits, int64_t length, int64_t n_ctx, int32_t seq);
    // Whether the next token is the argmax of the logits (greedy, no penalty in effect), so the
    // caller may pass next_argmax the argmax computed where the logits are.
    bool takes_argmax() const { return sampler_.plain_argmax(); }
    // next() for takes_argmax(): argmax is the logits' argmax, -1 when they are not finite (the
    // same error as next()).
    std::optional<int32_t> next_argmax(int32_t argmax, int64_t length, int64_t n_ctx, int32_t seq);
    // The row's best candidates next_candidates needs (Sampler::candidates_needed), 0 when the
    // sampler reads the whole row.
    int64_t candidates_needed(int64_t max_k) const { return sampler_.candidates_needed(max_k); }
    // next() from the row's k >= candidates_needed() best candidates in Backend::top_k_rows order
    // (ids[0] = -1: the logits were not finite, the same error as next()).
    std::optional<int32_t> next_candidates(std::span<const int32_t> ids, std::span<const float> logits, int64_t length,
                                           int64_t n_ctx, int32_t seq);
    bool finished() const { return finished_; }
    GenerationResult& result() { return result_; }

private:
    // The checks before a token is chosen: false when generation is over (or ends now).
    bool may_continue();
    // Records the chosen token (-1: the logits were not finite, an error naming `seq`); the next
    // token to run, or nothing when generation finished.
    std::optional<int32_t> take(int32_t token, int64_t length, int64_t n_ctx, int32_t seq);
    void emit(const std::string& s);
    void finish(const char* reason);

    const GenerationOptions& options_;
    const TokenText& text_;
    std::function<void(const std::string&)> on_text_;
    sample::Sampler sampler_;
    sample::StopStringMatcher stops_;
    GenerationResult result_;
    bool finished_ = false;
};

// Runs generation on sequence `seq` of the runner (empty or partly filled: the prompt follows
// its positions). Throws rocmforge::Error when the prompt does not fit in the context, or when
// the model's logits are not finite (naming the sequence and the step).
GenerationResult generate(ModelRunner& runner, int32_t seq, std::span<const int32_t> prompt,
                          const GenerationOptions& options, const TokenText& text,
                          const std::function<void(const std::string&)>& on_text);

}  // namespace rocmforge::engine
