// The GPU mixture-of-experts FFN against the CPU op (backend/cpu/moe.h) on fresh random inputs:
// Mixtral (softmax then top-k), Qwen3-MoE (top-k renormalized) and Qwen2-MoE (plus a shared
// expert with a sigmoid gate), with Decode and Prefill rows in one call, output poisoned with NaN,
// tolerance on ‖gpu − cpu‖ / ‖cpu‖; and every row bit-identical to the same row run alone (batch
// invariance: the rows an expert gets depend on the other tokens of the batch).
#include "backend/cpu/cpu_backend.h"
#include "common/fresh_seed.h"
#include "gpu/gpu_test_support.h"
#include "quant/quant_traits.h"

#include <stdlib.h>

#include <cstring>

namespace rocmforge::test {
namespace {

using backend::RowClass;
using gguf::GgmlType;

// A [k, rows] weight of `type` (host bytes, kept alive here) from random values.
struct HostWeight {
    std::vector<uint8_t> bytes;
    tensor::Tensor tensor;
};

HostWeight random_weight(std::mt19937_64& rng, GgmlType type, int64_t k, int64_t rows) {
    const auto values = random_vector(rng, static_cast<size_t>(k * rows), 1.0f / std::sqrt(static_cast<float>(k)));
    HostWeight w;
    const size_t row_bytes = tensor::tensor_bytes(type, {k, 1, 1, 1});
    w.bytes.resize(row_bytes * static_cast<size_t>(rows));
    for (int64_t r = 0; r < rows; ++r) {
        if (type == GgmlType::F32)
            std::memcpy(w.bytes.data() + r * row_bytes, values.data() + r * k, row_bytes);
        else
            quant::quant_traits(type).from_float(values.data() + r * k, w.bytes.data() + r * row_bytes, k);
    }
    w.tensor = tensor::make_tensor(type, {k, rows, 1, 1}, w.bytes.data());
    return w;
}

struct MoeCase {
    const char* name;
    int64_t n_expert, n_used;
    bool norm_weights, shared;
    GgmlType type;
    double tolerance;
};

// Host weights of one MoE block and the MoeFfn views of their CPU and GPU copies.
struct MoeWeights {
    std::vector<HostWeight> host;
    std::vector<tensor::Tensor> cpu_gate, cpu_up, cpu_down, gpu_gate, gpu_up, gpu_down;
    std::vector<tensor::Tensor> cpu_shared, gpu_shared;  // gate, up, down, gate_inp
    backend::MoeFfn cpu, gpu;
};

void make_weights(std::mt19937_64& rng, backend::Backend& gpu, const MoeCase& c, int64_t n_embd, int64_t n_ff,
                  int64_t n_ff_shared, MoeWeights& w) {
    const auto add = [&](GgmlType type, int64_t k, int64_t rows, std::vector<tensor::Tensor>& cpu_list,
                         std::vector<tensor::Tensor>& gpu_list) {
        w.host.push_back(random_weight(rng, type, k, rows));
        cpu_list.push_back(w.host.back().tensor);
        gpu_list.push_back(gpu.upload_weight(w.host.back().tensor));
    };
    w.host.reserve(static_cast<size_t>(3 * c.n_expert + 4));
    for (int64_t e = 0; e < c.n_expert; ++e) {
        add(c.type, n_embd, n_ff, w.cpu_gate, w.gpu_gate);
        add(c.type, n_embd, n_ff, w.cpu_up, w.gpu_up);
        add(c.type, n_ff, n_embd, w.cpu_down, w.gpu_down);
    }
    for (auto* m : {&w.cpu, &w.gpu}) {
        m->n_used = c.n_used;
        m->norm_weights = c.norm_weights;
    }
    w.cpu.gate = w.cpu_gate, w.cpu.up = w.cpu_up, w.cpu.down = w.cpu_down;
    w.gpu.gate = w.gpu_gate, w.gpu.up = w.gpu_up, w.gpu.down = w.gpu_down;
    if (!c.shared) return;
    add(c.type, n_embd, n_ff_shared, w.cpu_shared, w.gpu_shared);
    add(c.type, n_embd, n_ff_shared, w.cpu_shared, w.gpu_shared);
    add(c.type, n_ff_shared, n_embd, w.cpu_shared, w.gpu_shared);
    add(GgmlType::F32, n_embd, 1, w.cpu_shared, w.gpu_shared);
    for (auto [m, list] : {std::pair{&w.cpu, &w.cpu_shared}, {&w.gpu, &w.gpu_shared}}) {
        m->shared_gate = &(*list)[0];
        m->shared_up = &(*list)[1];
        m->shared_down = &(*list)[2];
        m->shared_gate_inp = &(*list)[3];
    }
}

void check_moe(const MoeCase& c) {
    // Near-f32 prefill activations (hi + lo f16 halves): the tolerance checks the MoE op, not the
    // default f16 rounding of prompt rows' activations (~3e-4 here).
    ::setenv("ROCMFORGE_GPU_PREFILL", "f16x2", 1);
    ROCMFORGE_REQUIRE_GPU(gpu);
    ::unsetenv("ROCMFORGE_GPU_PREFILL");
    ASSERT_TRUE(gpu->supports(backend::Op::MoeFfn, c.type));
    const uint64_t seed = fresh_seed();
    SCOPED_TRACE(std::string(c.name) + " " + std::string(gguf::ggml_type_name(c.type)) + " seed " + std::to_string(seed));
    std::mt19937_64 rng(seed);
    backend::cpu::CpuBackend cpu(2);
    const int64_t n_embd = 256, n_ff = 160, n_ff_shared = 96, n_tokens = 21;
    MoeWeights w;
    make_weights(rng, *gpu, c, n_embd, n_ff, n_ff_shared, w);
    auto x = random_vector(rng, static_cast<size_t>(n_embd * n_tokens));
    auto logits = random_vector(rng, static_cast<size_t>(c.n_expert * n_tokens), 2.0f);
    // Rows 0..8 decode, 9..20 prefill (a prompt chunk after decode tokens, as in a serving step).
    const backend::RowRun runs[] = {{0, 9, RowClass::Decode}, {9, 12, RowClass::Prefill}};

    std::vector<float> expected(static_cast<size_t>(n_embd * n_tokens));
    auto expected_t = tensor::make_tensor(GgmlType::F32, {n_embd, n_tokens, 1, 1}, expected.data());
    cpu.moe_ffn(tensor::make_tensor(GgmlType::F32, {n_embd, n_tokens, 1, 1}, x.data()),
                tensor::make_tensor(GgmlType::F32, {c.n_expert, n_tokens, 1, 1}, logits.data()), w.cpu, expected_t,
                runs);

    const auto xd = to_device(*gpu, x, {n_embd, n_tokens, 1, 1});
    const auto ld = to_device(*gpu, logits, {c.n_expert, n_tokens, 1, 1});
    auto out = poisoned(*gpu, {n_embd, n_tokens, 1, 1});
    gpu->moe_ffn(xd, ld, w.gpu, out, runs);
    const auto got = to_host(*gpu, out);
    EXPECT_LE(rel_error(got, expected), c.tolerance);

    // Each row alone: the same bits as inside the batch.
    for (int64_t t = 0; t < n_tokens; ++t) {
        const std::vector<float> xt(x.begin() + t * n_embd, x.begin() + (t + 1) * n_embd);
        const std::vector<float> lt(logits.begin() + t * c.n_expert, logits.begin() + (t + 1) * c.n_expert);
        const backend::RowRun run{0, 1, t < 9 ? RowClass::Decode : RowClass::Prefill};
        auto out_t = poisoned(*gpu, {n_embd, 1, 1, 1});
        gpu->moe_ffn(to_device(*gpu, xt, {n_embd, 1, 1, 1}), to_device(*gpu, lt, {c.n_expert, 1, 1, 1}), w.gpu, out_t,
                     std::span<const backend::RowRun>(&run, 1));
        const std::vector<float> in_batch(got.begin() + t * n_embd, got.begin() + (t + 1) * n_embd);
        EXPECT_EQ(to_host(*gpu, out_t), in_batch) << "row " << t << " alone differs from the row in the batch";
    }
}

// F16 weights: both sides use the weights exactly (the GEMM's f16 halves of the activations keep
// ~f32 precision). Q8_0: the decode GEMV rounds activations to int8 and the prefill GEMM rounds
// the weights to f16, twice per expert (~1e-2, as the matmul test allows).
TEST(GpuMoe, MixtralSoftmaxTopK) { check_moe({"mixtral", 8, 2, false, false, GgmlType::F16, 1e-4}); }
TEST(GpuMoe, Qwen3MoeRenormalizedTopK) { check_moe({"qwen3moe", 6, 3, true, false, GgmlType::F16, 1e-4}); }
TEST(GpuMoe, Qwen2MoeSharedExpert) { check_moe({"qwen2moe", 4, 2, false, true, GgmlType::F16, 1e-4}); }
TEST(GpuMoe, QuantizedExperts) { check_moe({"qwen2moe q8_0", 4, 2, false, true, GgmlType::Q8_0, 3e-2}); }

}  // namespace
}  // namespace rocmforge::test
