#pragma once
// Throughput measurement like llama-bench: prompt processing (pp: n_prompt tokens as one batch
// from an empty cache) and text generation (tg: n_gen single-token steps from an empty cache),
// each repeated and reported as mean ± sample standard deviation of tokens/s.
#include "model/model.h"
#include "util/thread_pool.h"

#include <cstdint>

namespace rocmforge::engine {

struct BenchOptions {
    int64_t n_prompt = 512;   // 0 skips pp
    int64_t n_gen = 128;      // 0 skips tg
    int64_t repetitions = 5;
};

struct BenchResult {
    double pp_tok_s = 0, pp_tok_s_sd = 0;
    double tg_tok_s = 0, tg_tok_s_sd = 0;
    // Weight bytes streamed per generated token (every matrix once) × tg tok/s.
    double tg_gb_s = 0;
};

// Throws rocmforge::Error when n_prompt or n_gen exceed the model's vocabulary-independent limits
// (the cache is sized to max(n_prompt, n_gen)).
BenchResult run_bench(const model::Model& model, ThreadPool& pool, const BenchOptions& options);

}  // namespace rocmforge::engine
