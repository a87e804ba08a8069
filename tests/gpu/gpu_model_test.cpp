// Whole models on the GPU: prompt logits vs the golden references (other engines) and vs the
// CPU backend, greedy tokens vs the goldens, batch invariance. Skipped without a GPU.
#include "common/model_golden.h"
#include "common/test_model.h"
#include "common/test_paths.h"
#include "gpu/gpu_test_support.h"

#include "model/synthetic_model.h"
#include "util/error.h"

#include <stdlib.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>

namespace rocmforge::test {
namespace {

using backend::RowClass;

engine::LoadedModel load_gpu(const std::string& file) {
    return engine::load_model(shared_file("models/" + file).string(), engine::DeviceChoice::Gpu, 1);
}

int32_t argmax(const std::vector<float>& v) {
    return static_cast<int32_t>(std::max_element(v.begin(), v.end()) - v.begin());
}

// Greedy continuation of `prompt` for n tokens: the prompt as one prefill chunk, then decode steps.
std::vector<int32_t> greedy(const model::Model& model, const std::vector<int32_t>& prompt, size_t n,
                            gguf::GgmlType kv_type) {
    engine::RunnerOptions o;
    o.n_ctx = static_cast<int64_t>(prompt.size() + n + 1);
    o.kv_type = kv_type;
    engine::ModelRunner runner(model, o);
    const int32_t seq = runner.kv().create_sequence();
    std::vector<float> logits;
    runner.eval(seq, prompt, RowClass::Prefill, 1, logits);
    std::vector<int32_t> out;
    while (out.size() < n) {
        out.push_back(argmax(logits));
        runner.eval(seq, std::span<const int32_t>(&out.back(), 1), RowClass::Decode, 1, logits);
    }
    return out;
}

// A synthetic model of `shape` with matrices of `type`, written to a temporary file; its path.
std::string temp_synthetic_model(const std::string& shape, gguf::GgmlType type, ThreadPool& pool) {
    const auto path = (std::filesystem::temp_directory_path() /
                       ("rocmforge_gpu_" + std::to_string(::getpid()) + "_" + shape + ".gguf")).string();
    model::SyntheticModelOptions options;
    options.shape = shape;
    options.type = type;
    model::write_synthetic_model(options, path, pool);
    return path;
}

// The model on the GPU, its backend created with the environment variable `name` set to `value`.
engine::LoadedModel load_gpu_with_env(const std::string& path, const char* name, const char* value) {
    ::setenv(name, value, 1);
    auto loaded = engine::load_model(path, engine::DeviceChoice::Gpu, 1);
    ::unsetenv(name);
    return loaded;
}

struct GpuGoldenCase {
    std::string model, golden;
    double tolerance;  // ‖gpu − golden‖ / ‖golden‖ over all prompt rows (the CPU's tolerance)
};

class GpuModelGolden : public testing::TestWithParam<GpuGoldenCase> {};

TEST_P(GpuModelGolden, PromptLogitsMatchGoldenAndCpu) {
    const auto& c = GetParam();
    std::string why;
    if (engine::make_gpu_backend(&why) == nullptr) GTEST_SKIP() << "skipped: no GPU (" << why << ")";
    auto gpu = load_gpu(c.model);
    auto cpu = load_cpu_model(shared_file("models/" + c.model).string());
    for (int p = 0; p < 3; ++p) {
        const auto stem = shared_dir() / "golden/model" / (c.golden + ".p" + std::to_string(p));
        const auto golden = load_model_golden(stem);
        const auto logits = prompt_logits(*gpu.model, golden.prompt_tokens);
        const auto cpu_logits = prompt_logits(*cpu, golden.prompt_tokens);
        const size_t n = golden.prompt_tokens.size() * static_cast<size_t>(golden.n_vocab);
        ASSERT_EQ(logits.size(), n);
        const double err_golden = relative_error(logits.data(), golden.logits.data(), n);
        const double err_cpu = relative_error(logits.data(), cpu_logits.data(), n);
        std::printf("%s on gpu: rel err %.3g vs golden, %.3g vs cpu\n", stem.filename().c_str(), err_golden, err_cpu);
        EXPECT_LE(err_golden, c.tolerance) << stem;
        EXPECT_LE(err_cpu, 1e-3) << stem;
        for (size_t r = 0; r < golden.prompt_tokens.size(); ++r)
            EXPECT_EQ(argmax_row(logits.data(), golden.n_vocab, r), argmax_row(golden.logits.data(), golden.n_vocab, r))
                << stem << " row " << r;
        // F16 KV (the GPU's default; its prefill attention runs on tensor cores) against the CPU with
        // F16 KV: the same bound.
        const auto f16 = prompt_logits(*gpu.model, golden.prompt_tokens, 2048, gguf::GgmlType::F16);
        const auto cpu_f16 = prompt_logits(*cpu, golden.prompt_tokens, 2048, gguf::GgmlType::F16);
        const double err_f16 = relative_error(f16.data(), cpu_f16.data(), n);
        std::printf("%s on gpu, f16 KV: rel err %.3g vs cpu (f16 KV)\n", stem.filename().c_str(), err_f16);
        EXPECT_LE(err_f16, 1e-3) << stem << " f16 KV";
        for (size_t r = 0; r < golden.prompt_tokens.size(); ++r)
            EXPECT_EQ(argmax_row(f16.data(), golden.n_vocab, r), argmax_row(cpu_f16.data(), golden.n_vocab, r))
                << stem << " f16 KV row " << r;
    }
}

TEST_P(GpuModelGolden, GreedyTokensMatchGolden) {
    const auto& c = GetParam();
    std::string why;
    if (engine::make_gpu_backend(&why) == nullptr) GTEST_SKIP() << "skipped: no GPU (" << why << ")";
    auto gpu = load_gpu(c.model);
    for (int p = 0; p < 3; ++p) {
        const auto golden = load_model_golden(shared_dir() / "golden/model" / (c.golden + ".p" + std::to_string(p)));
        ASSERT_FALSE(golden.greedy_tokens.empty());
        for (const auto kv : {gguf::GgmlType::F16, gguf::GgmlType::F32})
            EXPECT_EQ(greedy(*gpu.model, golden.prompt_tokens, golden.greedy_tokens.size(), kv), golden.greedy_tokens)
                << c.golden << ".p" << p << " kv " << gguf::ggml_type_name(kv);
    }
}

INSTANTIATE_TEST_SUITE_P(Golden, GpuModelGolden,
                         testing::Values(GpuGoldenCase{"wp-25M-f16.gguf", "wp-25M-f16", 1e-3},
                                         GpuGoldenCase{"stories260K.gguf", "stories260K", 1e-3}),
                         [](const testing::TestParamInfo<GpuGoldenCase>& info) {
                             std::string name = info.param.golden;
                             for (auto& ch : name)
                                 if (!std::isalnum(static_cast<unsigned char>(ch))) ch = '_';
                             return name;
                         });

// The families with their own ops (gemma2/3: soft-caps, GeGLU, sliding window, local rope base;
// phi3: LongRoPE, window on every layer; chatglm: partial rotary in pairs) on synthetic F16
// models: prompt logits on the GPU vs the CPU, for a prompt longer than their windows (8, 12)
// and phi3's original context (16); and the mixture-of-experts families (mixtral: softmax then
// top-2; qwen2moe: shared expert; qwen3moe: renormalized top-2).
TEST(GpuModel, NewFamiliesMatchCpu) {
    std::string why;
    if (engine::make_gpu_backend(&why) == nullptr) GTEST_SKIP() << "skipped: no GPU (" << why << ")";
    ThreadPool pool(2);
    std::vector<int32_t> prompt;
    for (int32_t i = 0; i < 24; ++i) prompt.push_back(1 + (i * 37) % 250);
    for (const char* shape : {"tiny-gemma2", "tiny-gemma3", "tiny-phi3", "tiny-chatglm", "tiny-mixtral", "tiny-qwen2moe",
                              "tiny-qwen3moe"}) {
        const auto path = temp_synthetic_model(shape, gguf::GgmlType::F16, pool);
        // Near-f32 prefill activations (hi + lo f16 halves), so that 1e-4 checks the families' ops
        // rather than the default f16 rounding of the activations (~5e-4 on these models).
        auto gpu = load_gpu_with_env(path, "ROCMFORGE_GPU_PREFILL", "f16x2");
        auto cpu = load_cpu_model(path);
        const auto logits = prompt_logits(*gpu.model, prompt);
        const auto cpu_logits = prompt_logits(*cpu, prompt);
        ASSERT_EQ(logits.size(), cpu_logits.size());
        const double err = relative_error(logits.data(), cpu_logits.data(), logits.size());
        std::printf("%s on gpu: rel err %.3g vs cpu\n", shape, err);
        EXPECT_LE(err, 1e-4) << shape;
        std::filesystem::remove(path);
    }
}

// A sequence's greedy logits do not depend on what else is in its batch: three prompts run alone
// and together in one step (prefill), then decoded together, give the same logits bit for bit.
TEST(GpuModel, BatchInvariance) {
    std::string why;
    if (engine::make_gpu_backend(&why) == nullptr) GTEST_SKIP() << "skipped: no GPU (" << why << ")";
    auto gpu = load_gpu("wp-25M-f16.gguf");
    const std::vector<std::vector<int32_t>> prompts = {{1, 403, 407, 1000, 52}, {1, 77}, {1, 9, 8, 7, 6, 5, 4, 3, 2}};
    engine::RunnerOptions o;
    o.n_ctx = 64;
    o.max_sequences = 3;
    o.kv_type = gguf::GgmlType::F16;
    std::vector<std::vector<float>> alone;
    for (const auto& p : prompts) {
        engine::ModelRunner runner(*gpu.model, o);
        std::vector<float> logits;
        const int32_t seq = runner.kv().create_sequence();
        runner.eval(seq, p, RowClass::Prefill, 1, logits);
        const int32_t next = argmax(logits);
        runner.eval(seq, std::span<const int32_t>(&next, 1), RowClass::Decode, 1, logits);
        alone.push_back(logits);
    }
    engine::ModelRunner runner(*gpu.model, o);
    std::vector<int32_t> seqs;
    std::vector<engine::StepChunk> chunks;
    for (const auto& p : prompts) {
        seqs.push_back(runner.kv().create_sequence());
        chunks.push_back({seqs.back(), p, RowClass::Prefill, 1});
    }
    std::vector<float> logits;
    runner.step(chunks, logits);
    const int64_t n_vocab = gpu.model->hparams().n_vocab;
    std::vector<int32_t> next(prompts.size());
    for (size_t i = 0; i < prompts.size(); ++i) {
        std::vector<float> row(logits.begin() + static_cast<int64_t>(i) * n_vocab,
                               logits.begin() + static_cast<int64_t>(i + 1) * n_vocab);
        next[i] = argmax(row);
        chunks[i] = {seqs[i], std::span<const int32_t>(&next[i], 1), RowClass::Decode, 1};
    }
    runner.step(chunks, logits);
    for (size_t i = 0; i < prompts.size(); ++i) {
        const std::vector<float> row(logits.begin() + static_cast<int64_t>(i) * n_vocab,
                                     logits.begin() + static_cast<int64_t>(i + 1) * n_vocab);
        EXPECT_EQ(row, alone[i]) << "prompt " << i;
    }
}

// Decode steps replayed from recorded graphs (the GPU backend records a step the second time its
// shape is seen) give the same logits, bit for bit, as the same steps issued op by op
// (ROCMFORGE_GPU_GRAPHS=0): Q4_0 models (the int8 activations written by the norms and the
// gated activation), three sequences decoding together across the 256-key split of attention.
TEST(GpuModel, GraphReplayMatchesOpByOp) {
    std::string why;
    if (engine::make_gpu_backend(&why) == nullptr) GTEST_SKIP() << "skipped: no GPU (" << why << ")";
    ThreadPool pool(2);
    for (const char* shape : {"tiny", "tiny-gemma2"}) {
        const auto path = temp_synthetic_model(shape, gguf::GgmlType::Q4_0, pool);
        auto eager = load_gpu_with_env(path, "ROCMFORGE_GPU_GRAPHS", "0");
        auto graphed = engine::load_model(path, engine::DeviceChoice::Gpu, 1);
        std::vector<std::vector<float>> step_logits[2];
        for (int run = 0; run < 2; ++run) {
            const model::Model& m = run == 0 ? *eager.model : *graphed.model;
            engine::RunnerOptions o;
            o.n_ctx = 320;
            o.max_sequences = 3;
            o.kv_type = gguf::GgmlType::F16;
            engine::ModelRunner runner(m, o);
            std::vector<int32_t> seqs, next(3);
            std::vector<std::vector<int32_t>> prompts(3);
            for (size_t i = 0; i < 3; ++i) {
                for (int32_t t = 0; t < (i == 0 ? 250 : 5 + 30 * static_cast<int32_t>(i)); ++t)
                    prompts[i].push_back(1 + (t * 37 + static_cast<int32_t>(i) * 11) % 250);
                seqs.push_back(runner.kv().create_sequence());
                std::vector<float> logits;
                runner.eval(seqs[i], prompts[i], RowClass::Prefill, 1, logits);
                next[i] = argmax(logits);
            }
            const int64_t n_vocab = m.hparams().n_vocab;
            for (int step = 0; step < 12; ++step) {
                std::vector<engine::StepChunk> chunks;
                for (size_t i = 0; i < 3; ++i)
                    chunks.push_back({seqs[i], std::span<const int32_t>(&next[i], 1), RowClass::Decode, 1});
                std::vector<float> logits;
                runner.step(chunks, logits);
                for (size_t i = 0; i < 3; ++i)
                    next[i] = argmax(std::vector<float>(logits.begin() + static_cast<int64_t>(i) * n_vocab,
                                                        logits.begin() + static_cast<int64_t>(i + 1) * n_vocab));
                step_logits[run].push_back(std::move(logits));
            }
        }
        EXPECT_EQ(eager.model->backend().steps_replayed(), 0) << shape;
        // Each shape runs once op by op and once recording before it replays; the second shape
        // (two attention splits) also grows the attention scratch, which drops the recordings once.
        EXPECT_GE(graphed.model->backend().steps_replayed(), 6) << shape;
        ASSERT_EQ(step_logits[0].size(), step_logits[1].size());
        for (size_t s = 0; s < step_logits[0].size(); ++s)
            EXPECT_EQ(step_logits[1][s], step_logits[0][s]) << shape << " step " << s;
        std::filesystem::remove(path);
    }
}

}  // namespace
}  // namespace rocmforge::test
