#pragma once
// Single-sequence generation: batched prefill of the prompt, then one token per step through
// the sampler chain until max_tokens, an end-of-generation token, a stop string or a full context.
#include "kv/kv_cache.h"
#include "model/model.h"
#include "sample/sampler.h"
#include "util/thread_pool.h"

#include <cstdint>
#include <functional>
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
    std::string finish_reason;    // "length", "eog", "stop", "context"
    GenerationTimings timings;
};

// Runs generation on an empty or partly filled cache. on_text receives text as soon as it is
// final (may be null). Throws rocmforge::Error when the prompt does not fit in the context.
GenerationResult generate(const model::Model& model, kv::KvCache& cache, ThreadPool& pool,
                          std::span<const int32_t> prompt, const GenerationOptions& options, const TokenText& text,
                          const std::function<void(const std::string&)>& on_text);

}  // namespace rocmforge::engine
