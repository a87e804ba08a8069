#pragma once
// Perplexity by the standard (llama.cpp) method: the text is tokenized once with BOS; it is cut
// into non-overlapping chunks of n_ctx tokens (a trailing partial chunk is dropped); the first
// token of each chunk is replaced by BOS; each chunk runs from an empty cache, and only the
// second half of each chunk is scored: positions j in [n_ctx/2, n_ctx-1) predict token j+1.
#include "model/model.h"

#include <cstdint>
#include <functional>
#include <span>

namespace rocmforge::engine {

struct PerplexityOptions {
    int64_t n_ctx = 256;
    int64_t n_batch = 0;     // tokens per forward call; <= 0 means n_ctx
    int64_t max_chunks = 0;  // <= 0: all chunks
    int32_t bos_id = 1;
};

struct PerplexityResult {
    double ppl = 0.0;
    double ppl_stderr = 0.0;  // ppl * sqrt(var(nll) / (n - 1)), as llama-perplexity reports
    int64_t n_chunks = 0;
    int64_t n_scored = 0;
};

// Throws rocmforge::Error when the text has fewer than n_ctx tokens or any
// option is out of range. on_chunk(i, running ppl) is called after each chunk (may be null).
PerplexityResult compute_perplexity(const model::Model& model, std::span<const int32_t> tokens,
                                    const PerplexityOptions& options,
                                    const std::function<void(int64_t, double)>& on_chunk);

}  // namespace rocmforge::engine
