#include "engine/bench.h"

#include "engine/model_runner.h"
#include "util/error.h"

#include <chrono>
#include <cmath>
#include <algorithm>
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

gguf::GgmlType bench_kv_type(const model::Model& model) {
    // The KV type `--kv-type auto` gives: f32 on the CPU, f16 on the GPU.
    return model.backend().device() == tensor::Device::Gpu ? gguf::GgmlType::F16 : gguf::GgmlType::F32;
}

// o.batch sequences decoding together (see BenchOptions::batch).
BenchResult run_batch_bench(const model::Model& model, const BenchOptions& o) {
    const int64_t n_prompt = std::max<int64_t>(o.n_prompt, 1), n_vocab = model.hparams().n_vocab;
    RunnerOptions ro;
    ro.n_ctx = n_prompt + o.n_gen + 1;
    ro.max_sequences = o.batch;
    ro.kv_size = o.batch * ((ro.n_ctx + ro.block_size - 1) / ro.block_size * ro.block_size);  // whole blocks each
    ro.max_logit_rows = o.batch;
    ro.batch_tokens = std::max(n_prompt, o.batch);
    ro.prefix_cache = false;
    ro.kv_type = bench_kv_type(model);
    ModelRunner runner(model, ro);
    std::mt19937 rng(42);
    std::uniform_int_distribution<int32_t> token(0, static_cast<int32_t>(n_vocab - 1));
    std::vector<float> logits;
    std::vector<double> rates;
    for (int64_t rep = 0; rep < o.repetitions; ++rep) {
        std::vector<int32_t> seqs;
        std::vector<int32_t> prompt(static_cast<size_t>(n_prompt));
        for (int64_t b = 0; b < o.batch; ++b) {
            seqs.push_back(runner.kv().create_sequence());
            for (auto& t : prompt) t = token(rng);
            runner.eval(seqs.back(), prompt, backend::RowClass::Prefill, 1, logits);
        }
        std::vector<int32_t> next(static_cast<size_t>(o.batch));
        for (auto& t : next) t = token(rng);
        std::vector<StepChunk> chunks(static_cast<size_t>(o.batch));
        std::vector<int32_t> argmax;
        const auto start = std::chrono::steady_clock::now();
        for (int64_t i = 0; i < o.n_gen; ++i) {  // greedy decoding: each step's argmax is the next token
            for (size_t b = 0; b < chunks.size(); ++b)
                chunks[b] = StepChunk{seqs[b], std::span<const int32_t>(&next[b], 1), backend::RowClass::Decode, 1};
            runner.step_argmax(chunks, argmax);
            for (size_t b = 0; b < next.size(); ++b) {
                if (argmax[b] < 0) throw_error("bench", "sequence {}, step {}: non-finite logits", b, i);
                next[b] = argmax[b];
            }
        }
        rates.push_back(static_cast<double>(o.batch * o.n_gen) /
                        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
        for (const int32_t s : seqs) runner.kv().free_sequence(s);
    }
    BenchResult r;
    mean_and_sd(rates, r.batch_tg_tok_s, r.batch_tg_tok_s_sd);
    return r;
}

}  // namespace

BenchResult run_bench(const model::Model& model, const BenchOptions& o) {
    if (o.n_prompt < 0 || o.n_gen < 0 || o.repetitions < 1 || o.batch < 0)
        throw_error("bench", "invalid options: -p {} -n {} -r {} --batch {}", o.n_prompt, o.n_gen, o.repetitions,
                    o.batch);
    if (o.batch > 0) {
        if (o.n_gen < 1) throw_error("bench", "--batch needs -n >= 1 (decode steps to time)");
        return run_batch_bench(model, o);
    }
    const int64_t n_vocab = model.hparams().n_vocab;
    RunnerOptions ro;
    ro.n_ctx = std::max<int64_t>({o.n_prompt, o.n_gen, 1}) + 1;
    ro.batch_tokens = std::max<int64_t>(o.n_prompt, 1);
    ro.prefix_cache = false;
    ro.kv_type = bench_kv_type(model);
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

    // Untimed warm-up (page in the mapping, grow buffers, let the GPU's GEMM library pick and load
    // its kernels for this prompt size): one decode step, and one prompt when pp is measured.
    {
        const int32_t t = token(rng);
        runner.eval(seq, std::span<const int32_t>(&t, 1), backend::RowClass::Decode, 1, logits);
        if (o.n_prompt > 0) {
            restart();
            std::vector<int32_t> warm(static_cast<size_t>(o.n_prompt));
            for (auto& w : warm) w = token(rng);
            runner.eval(seq, warm, backend::RowClass::Prefill, 1, logits);
        }
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
