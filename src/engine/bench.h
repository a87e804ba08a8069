#pragma once
// Throughput measurement like llama-bench: prompt processing (pp: n_prompt tokens as one batch
// from an empty cache) and text generation (tg: n_gen single-token steps from an empty cache),
// each repeated and reported as mean ± sample standard deviation of tokens/s.
#include "model/model.h"

#include <cstdint>

namespace rocmforge::engine {

struct BenchOptions {
    int64_t n_prompt = 512;   // 0 skips pp
    int64_t n_gen = 128;      // 0 skips tg
    int64_t repetitions = 5;
    // > 0: instead of pp/tg, `batch` sequences each prefilled with n_prompt tokens (at least 1),
    // then n_gen decode steps of `batch` tokens (one per sequence): aggregate decode tokens/s.
    int64_t batch = 0;
};

struct BenchResult {
    double pp_tok_s = 0, pp_tok_s_sd = 0;
    double tg_tok_s = 0, tg_tok_s_sd = 0;
    // Weight bytes streamed per generated token (every matrix once) × tg tok/s.
    double tg_gb_s = 0;
    double batch_tg_tok_s = 0, batch_tg_tok_s_sd = 0;  // aggregate over the batch (batch > 0)
};

// Runs on the model's backend through ModelRunner, one sequence (a fresh one per repetition), KV
// sized to max(n_prompt, n_gen) + 1, no prefix cache. Throws rocmforge::Error for invalid options.
BenchResult run_bench(const model::Model& model, const BenchOptions& options);

}  // namespace rocmforge::engine
