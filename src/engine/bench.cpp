#include "engine/bench.h"

#include "engine/model_runner.h"
#include "util/error.h"

#include <chrono>
#include <cmath>
#include <random>
#include <vector>

namespace rocmforge::engine {
namespace {

void mean_and_sd(const std::vector<double>& values, double& mean, double& sd) {
    mean = 0;
    for (double v : values) mean += v;
    mean /= static_cast<double>(values.size());
    double ss = 0;
    for (double v : values) ss += (v - mean) * (v - mean);
    sd = values.size() > 1 ? std::sqrt(ss / static_cast<double>(values.size() - 1)) : 0.0;
}

}  // namespace

BenchResult run_bench(const model::Model& model, const BenchOptions& o) {
    if (o.n_prompt < 0 || o.n_gen < 0 || o.repetitions < 1)
        throw_error("bench", "invalid options: -p {} -n {} -r {}", o.n_prompt, o.n_gen, o.repetitions);
    const int64_t n_vocab = model.hparams().n_vocab;
    RunnerOptions ro;
    ro.n_ctx = std::max<int64_t>({o.n_prompt, o.n_gen, 1}) + 1;
    ro.batch_tokens = std::max<int64_t>(o.n_prompt, 1);
    ro.prefix_cache = false;
    // The KV type `--kv-type auto` gives: f32 on the CPU, f16 on the GPU.
    ro.kv_type = model.backend().device() == tensor::Device::Gpu ? gguf::GgmlType::F16 : gguf::GgmlType::F32;
    ModelRunner runner(model, ro);
    auto& kv = runner.kv();
    int32_t seq = kv.create_sequence();
    const auto restart = [&] {
        kv.free_sequence(seq);
        seq = kv.create_sequence();
    };
    std::mt19937 rng(42);
    std::uniform_int_distribution<int32_t> token(0, static_cast<int32_t>(n_vocab - 1));
    std::vector<float> logits;
    using clock = std::chrono::steady_clock;
    BenchResult r;

    // One untimed warm-up step (page in the mapping, grow buffers).
    {
        const int32_t t = token(rng);
        runner.eval(seq, std::span<const int32_t>(&t, 1), backend::RowClass::Decode, 1, logits);
    }
    if (o.n_prompt > 0) {
        std::vector<double> rates;
        std::vector<int32_t> prompt(static_cast<size_t>(o.n_prompt));
        for (int64_t rep = 0; rep < o.repetitions; ++rep) {
            for (auto& t : prompt) t = token(rng);
            restart();
            const auto start = clock::now();
            runner.eval(seq, prompt, backend::RowClass::Prefill, 1, logits);
            rates.push_back(o.n_prompt / std::chrono::duration<double>(clock::now() - start).count());
        }
        mean_and_sd(rates, r.pp_tok_s, r.pp_tok_s_sd);
    }
    if (o.n_gen > 0) {
        std::vector<double> rates;
        for (int64_t rep = 0; rep < o.repetitions; ++rep) {
            restart();
            int32_t t = token(rng);
            const auto start = clock::now();
            for (int64_t i = 0; i < o.n_gen; ++i) {
                runner.eval(seq, std::span<const int32_t>(&t, 1), backend::RowClass::Decode, 1, logits);
                t = static_cast<int32_t>(i * 7919 % n_vocab);  // cheap, deterministic next token
            }
            rates.push_back(o.n_gen / std::chrono::duration<double>(clock::now() - start).count());
        }
        mean_and_sd(rates, r.tg_tok_s, r.tg_tok_s_sd);
        r.tg_gb_s = r.tg_tok_s * static_cast<double>(model.weights().matrix_bytes) / 1e9;
    }
    return r;
}

}  // namespace rocmforge::engine
