// Interleaved Q4_0/Q8_0/Q4_K/Q6_K decode layout (backend/cpu/interleaved_weights.h) and its multi-row
// kernels (interleaved_gemv.h), on fresh random inputs:
//  - the scalar reference kernel against an independent double-precision dot of the dequantized
//    plain rows (tolerance 1e-5 of sum |w * a|: only the f32 accumulation differs);
//  - every SIMD target this CPU supports against the reference, bit for bit, for 1..11 tokens;
//  - the repacked copy dequantizes to exactly the plain rows (odd row counts, tail rows), and its
//    size is the plain rows' (Q4_K: 4 more bytes per row and super-block);
//  - matmul on an interleaved weight gives each token's row the same bits whether it runs alone or
//    among other decode tokens, and agrees with matmul_reference; CpuBackend::upload_weight
//    repacks exactly the types of interleave_at_load.
// The kernels are compiled for AVX3_DL too (vpdpbusd; interleaved_gemv_simd.cpp): let this file's
// target list include it, so the every-target test forces it where the CPU has it.
#define HWY_WANT_AVX3_DL 1

#include "backend/cpu/cpu_backend.h"
#include "backend/cpu/dequantize_row.h"
#include "backend/cpu/interleaved_gemv.h"
#include "backend/cpu/interleaved_weights.h"
#include "backend/cpu/matmul.h"
#include "quant/quant_traits.h"

#include <gtest/gtest.h>
#include <hwy/targets.h>

// Fails the build when an earlier file of a unity batch included Highway without the define.
static_assert((HWY_TARGETS & HWY_AVX3_DL) != 0, "HWY_WANT_AVX3_DL came after Highway's headers");

#include <cmath>
#include <cstring>
#include <random>
#include <vector>

namespace rocmforge::backend::cpu {
namespace {

using gguf::GgmlType;

struct TargetGuard {
    ~TargetGuard() { hwy::SetSupportedTargetsForTest(0); }
};

std::vector<float> random_values(int64_t n, std::mt19937& rng, float scale) {
    std::normal_distribution<float> normal(0.0f, scale);
    std::vector<float> x(static_cast<size_t>(n));
    for (auto& v : x) v = normal(rng);
    return x;
}

// A quantized weight [k, n_rows] in plain rows, owning its bytes.
struct PlainWeight {
    std::vector<uint8_t> bytes;
    tensor::Tensor t;
};
PlainWeight make_weight(GgmlType type, int64_t k, int64_t n_rows, std::mt19937& rng) {
    PlainWeight w;
    const auto& traits = quant::quant_traits(type);
    w.bytes.resize(quant::row_size(traits, k) * static_cast<size_t>(n_rows));
    const auto values = random_values(k * n_rows, rng, 1.0f);
    for (int64_t r = 0; r < n_rows; ++r)
        traits.from_float(values.data() + r * k, w.bytes.data() + r * quant::row_size(traits, k), k);
    w.t = tensor::make_tensor(type, {k, n_rows, 1, 1}, w.bytes.data());
    return w;
}

std::vector<uint8_t> interleave(const tensor::Tensor& plain) {
    std::vector<uint8_t> out(interleaved_bytes(plain));
    interleave_groups(plain, out.data(), 0, interleaved_group_count(plain));
    copy_tail_rows(plain, out.data());
    return out;
}

// Activation rows in the weight type's vec_dot_type (Q8_0 / Q8_K: codes in [-127, 127]).
std::vector<std::vector<uint8_t>> make_activations(GgmlType weight_type, int64_t k, int n, std::mt19937& rng) {
    const auto& q8 = quant::quant_traits(quant::quant_traits(weight_type).vec_dot_type);
    std::vector<std::vector<uint8_t>> rows(static_cast<size_t>(n), std::vector<uint8_t>(quant::row_size(q8, k)));
    for (auto& row : rows) q8.from_float(random_values(k, rng, 3.0f).data(), row.data(), k);
    return rows;
}

class InterleavedWeights : public ::testing::TestWithParam<GgmlType> {
protected:
    // Row length of `blocks` blocks of the type under test.
    static int64_t blocks(int64_t n) { return n * quant::quant_traits(GetParam()).block_size; }
};

TEST_P(InterleavedWeights, DequantizedRowsEqualThePlainRows) {
    std::mt19937 rng(std::random_device{}());
    for (int64_t n_rows : {8, 9, 15, 16, 23, 40}) {
        const int64_t k = blocks(5);
        const auto plain = make_weight(GetParam(), k, n_rows, rng);
        auto bytes = interleave(plain.t);
        const auto w = interleaved_view(plain.t, bytes.data());
        std::vector<float> expected(k), got(k);
        for (int64_t r = 0; r < n_rows; ++r) {
            dequantize_row(plain.t, r, expected.data());
            std::fill(got.begin(), got.end(), NAN);
            dequantize_row(w, r, got.data());
            ASSERT_EQ(std::memcmp(expected.data(), got.data(), k * sizeof(float)), 0) << "row " << r << " of " << n_rows;
        }
    }
}

// Memory accounting: the same bytes as the plain rows, except Q4_K whose groups store the 16
// 6-bit scales/mins of a row's super-block as 16 bytes instead of 12 (148 instead of 144 bytes).
TEST_P(InterleavedWeights, InterleavedBytesAreThePlainBytesExceptQ4_K) {
    std::mt19937 rng(1);
    for (int64_t n_rows : {8, 13, 40}) {
        const int64_t k = blocks(3);
        const auto plain = make_weight(GetParam(), k, n_rows, rng);
        const size_t plain_bytes = plain.bytes.size();
        const size_t expected =
            GetParam() == GgmlType::Q4_K ? plain_bytes + static_cast<size_t>(n_rows / 8 * 8) * 3 * 4 : plain_bytes;
        EXPECT_EQ(interleaved_bytes(plain.t), expected) << "rows " << n_rows;
    }
}

TEST_P(InterleavedWeights, ReferenceKernelMatchesDoublePrecisionDot) {
    std::mt19937 rng(std::random_device{}());
    const auto& q8 = quant::quant_traits(quant::quant_traits(GetParam()).vec_dot_type);
    for (int64_t k : {blocks(1), blocks(3), int64_t{4096}}) {
        const int64_t n_rows = 16;
        const auto plain = make_weight(GetParam(), k, n_rows, rng);
        auto bytes = interleave(plain.t);
        const auto acts = make_activations(GetParam(), k, 3, rng);
        std::vector<std::vector<float>> y(3, std::vector<float>(n_rows, NAN));
        const void* a[3] = {acts[0].data(), acts[1].data(), acts[2].data()};
        float* out[3] = {y[0].data(), y[1].data(), y[2].data()};
        interleaved_gemv_reference(GetParam(), k, bytes.data(), n_rows / 8, a, 3, out);
        std::vector<float> wd(k), ad(k);
        for (int t = 0; t < 3; ++t) {
            q8.to_float(acts[t].data(), ad.data(), k);
            for (int64_t r = 0; r < n_rows; ++r) {
                dequantize_row(plain.t, r, wd.data());
                double dot = 0, magnitude = 0;
                for (int64_t i = 0; i < k; ++i) {
                    dot += double(wd[i]) * ad[i];
                    magnitude += std::fabs(double(wd[i]) * ad[i]);
                }
                ASSERT_NEAR(y[t][r], dot, 1e-5 * magnitude) << "k=" << k << " row " << r << " token " << t;
            }
        }
    }
}

TEST_P(InterleavedWeights, SimdKernelsEqualTheReferenceBitForBitOnEveryTarget) {
    std::mt19937 rng(std::random_device{}());
    TargetGuard guard;
    int tested_targets = 0;
    for (int64_t target : hwy::SupportedAndGeneratedTargets()) {
        hwy::SetSupportedTargetsForTest(target);
        const InterleavedGemvFn gemv = interleaved_gemv(GetParam());
        ++tested_targets;
        for (int64_t k : {blocks(1), blocks(2), blocks(5), 4096 + blocks(1)}) {
            for (int64_t n_groups : {1, 3, 9}) {  // 9 groups of the longest k: several cache blocks
                const auto plain = make_weight(GetParam(), k, n_groups * 8, rng);
                auto bytes = interleave(plain.t);
                for (int n_tokens : {1, 2, 3, 4, 5, 8, 11}) {
                    const auto acts = make_activations(GetParam(), k, n_tokens, rng);
                    const int64_t n_out = n_groups * 8;
                    std::vector<float> expected(n_out * n_tokens, NAN), got(n_out * n_tokens, NAN);
                    std::vector<const void*> a(n_tokens);
                    std::vector<float*> ye(n_tokens), yg(n_tokens);
                    for (int t = 0; t < n_tokens; ++t) {
                        a[t] = acts[t].data();
                        ye[t] = expected.data() + t * n_out;
                        yg[t] = got.data() + t * n_out;
                    }
                    interleaved_gemv_reference(GetParam(), k, bytes.data(), n_groups, a.data(), n_tokens, ye.data());
                    gemv(k, bytes.data(), n_groups, a.data(), n_tokens, yg.data());
                    ASSERT_EQ(std::memcmp(expected.data(), got.data(), expected.size() * sizeof(float)), 0)
                        << "k=" << k << " groups=" << n_groups << " tokens=" << n_tokens << " target "
                        << hwy::TargetName(target) << ": first " << expected[0] << " vs " << got[0];
                }
            }
        }
    }
    EXPECT_GT(tested_targets, 0);
}

// Inside an InterleavedActivationScope the kernels reuse what they derived from the rows (packed
// tiles, scales, sums): on every target, calls on other groups with the same version give the
// reference's bits, and rows rewritten in place under a fresh version are derived again.
TEST_P(InterleavedWeights, KernelsReuseDerivedActivationDataOnlyWithinOneVersion) {
    std::mt19937 rng(std::random_device{}());
    TargetGuard guard;
    const int64_t k = blocks(3), n_groups = 5, n_out = n_groups * 8;
    const int n_tokens = 9;
    const auto plain = make_weight(GetParam(), k, n_out, rng);
    auto bytes = interleave(plain.t);
    const size_t group_bytes = bytes.size() / n_groups;
    for (int64_t target : hwy::SupportedAndGeneratedTargets()) {
        hwy::SetSupportedTargetsForTest(target);
        const InterleavedGemvFn gemv = interleaved_gemv(GetParam());
        auto acts = make_activations(GetParam(), k, n_tokens, rng);
        std::vector<const void*> a(n_tokens);
        for (int t = 0; t < n_tokens; ++t) a[t] = acts[t].data();
        for (int round = 0; round < 2; ++round) {
            // round 1: the same buffers hold new rows, under a new version.
            if (round == 1) {
                const auto fresh = make_activations(GetParam(), k, n_tokens, rng);
                for (int t = 0; t < n_tokens; ++t) std::memcpy(acts[t].data(), fresh[t].data(), fresh[t].size());
            }
            std::vector<float> expected(n_out * n_tokens, NAN), got(n_out * n_tokens, NAN);
            std::vector<float*> ye(n_tokens), yg(n_tokens);
            for (int t = 0; t < n_tokens; ++t) ye[t] = expected.data() + t * n_out;
            interleaved_gemv_reference(GetParam(), k, bytes.data(), n_groups, a.data(), n_tokens, ye.data());
            const InterleavedActivationScope scope(next_interleaved_activation_version());
            // Groups 0-1, then 2-4, as two chunks of one product.
            for (const auto& [g0, n_g] : {std::pair<int64_t, int64_t>{0, 2}, {2, 3}}) {
                for (int t = 0; t < n_tokens; ++t) yg[t] = got.data() + t * n_out + g0 * 8;
                gemv(k, bytes.data() + g0 * group_bytes, n_g, a.data(), n_tokens, yg.data());
            }
            ASSERT_EQ(std::memcmp(expected.data(), got.data(), expected.size() * sizeof(float)), 0)
                << "round " << round << " target " << hwy::TargetName(target);
        }
    }
}

// matmul_rows on an interleaved weight: decode rows are batch invariant, prefill rows give the
// same bits as decode rows, and both agree with the reference matmul; odd row counts exercise
// the tail rows and thread splits.
TEST_P(InterleavedWeights, MatmulIsBatchInvariantAndMatchesReference) {
    std::mt19937 rng(std::random_device{}());
    for (int threads : {1, 2, 3}) {
        CpuBackend backend(threads);
        for (int64_t n_rows : {8, 13, 67}) {
            const int64_t k = blocks(7);
            const auto plain = make_weight(GetParam(), k, n_rows, rng);
            auto bytes = interleave(plain.t);
            const auto w = interleaved_view(plain.t, bytes.data());
            const int64_t n_tokens = 9;
            const auto x = random_values(k * n_tokens, rng, 1.0f);
            std::vector<float> batched(n_rows * n_tokens, NAN), reference(n_rows * n_tokens, NAN);
            matmul_rows(w, x.data(), n_tokens, batched.data(), RowClass::Decode, backend.pool());
            matmul_reference(plain.t, x.data(), n_tokens, reference.data());
            // Prefill rows of interleaved weights run the same integer kernels: the same bits.
            std::vector<float> prefill(n_rows * n_tokens, NAN);
            matmul_rows(w, x.data(), n_tokens, prefill.data(), RowClass::Prefill, backend.pool());
            ASSERT_EQ(std::memcmp(prefill.data(), batched.data(), batched.size() * sizeof(float)), 0)
                << "rows " << n_rows << " threads " << threads;
            for (int64_t t = 0; t < n_tokens; ++t) {
                std::vector<float> alone(n_rows, NAN);
                matmul_rows(w, x.data() + t * k, 1, alone.data(), RowClass::Decode, backend.pool());
                ASSERT_EQ(std::memcmp(alone.data(), batched.data() + t * n_rows, n_rows * sizeof(float)), 0)
                    << "token " << t << " rows " << n_rows << " threads " << threads;
                for (int64_t r = 0; r < n_rows; ++r) {
                    // Activations are rounded to Q8_0 on this path: 1% of the row's magnitude.
                    double magnitude = 0;
                    std::vector<float> wd(k);
                    dequantize_row(plain.t, r, wd.data());
                    for (int64_t i = 0; i < k; ++i) magnitude += std::fabs(double(wd[i]) * x[t * k + i]);
                    ASSERT_NEAR(batched[t * n_rows + r], reference[t * n_rows + r], 1e-2 * magnitude)
                        << "token " << t << " row " << r;
                }
            }
        }
    }
}

TEST_P(InterleavedWeights, UploadWeightRepacksTheTypesOfInterleaveAtLoad) {
    std::mt19937 rng(std::random_device{}());
    CpuBackend backend(2);
    const auto plain = make_weight(GetParam(), blocks(3), 11, rng);
    const auto w = backend.upload_weight(plain.t);
    EXPECT_EQ(w.layout == tensor::Layout::Interleaved8, interleave_at_load(GetParam()));
    std::vector<float> expected(blocks(3)), got(blocks(3));
    for (int64_t r = 0; r < 11; ++r) {
        dequantize_row(plain.t, r, expected.data());
        dequantize_row(w, r, got.data());
        ASSERT_EQ(std::memcmp(expected.data(), got.data(), got.size() * sizeof(float)), 0) << "row " << r;
    }
}

// CpuBackend's fused norm + products and SwiGLU + product (the norm / activation inside the
// products' dispatch) against the Backend defaults (the separate ops), bit for bit: outputs, the
// residual x and the normed rows, for one decode run, one prefill run, and a batch of both.
TEST_P(InterleavedWeights, FusedNormAndSwigluProductsEqualTheSeparateOps) {
    const unsigned seed = std::random_device{}();
    std::mt19937 rng(seed);
    const int64_t k = blocks(2), n_a = 24, n_b = 13, n_tokens = 9;
    const auto plain_a = make_weight(GetParam(), k, n_a, rng), plain_b = make_weight(GetParam(), k, n_b, rng);
    const auto plain_down = make_weight(GetParam(), k, n_a, rng);
    const auto norm_weight = random_values(k, rng, 1.0f), x0 = random_values(k * n_tokens, rng, 1.0f);
    const auto delta0 = random_values(k * n_tokens, rng, 1.0f), up = random_values(k * n_tokens, rng, 1.0f);
    const RowRun decode[] = {{0, n_tokens, RowClass::Decode}}, prefill[] = {{0, n_tokens, RowClass::Prefill}};
    const RowRun both[] = {{0, 5, RowClass::Prefill}, {5, n_tokens - 5, RowClass::Decode}};
    for (int threads : {1, 2, 3}) {
        CpuBackend backend(threads);
        const auto w_a = backend.upload_weight(plain_a.t), w_b = backend.upload_weight(plain_b.t);
        const auto w_down = backend.upload_weight(plain_down.t);
        const auto f32 = [](std::vector<float>& v, int64_t row) {
            return tensor::make_tensor(GgmlType::F32, {row, static_cast<int64_t>(v.size()) / row, 1, 1}, v.data());
        };
        for (const auto runs : {std::span<const RowRun>(decode), std::span<const RowRun>(prefill), std::span<const RowRun>(both)}) {
            for (bool with_delta : {true, false}) {
                // [0]: Backend defaults, [1]: the CPU backend's fused ops.
                std::vector<float> x[2] = {x0, x0}, normed[2] = {delta0, delta0}, ya[2], yb[2], gate[2], down[2];
                for (int fused = 0; fused < 2; ++fused) {
                    ya[fused].assign(n_a * n_tokens, NAN);
                    yb[fused].assign(n_b * n_tokens, NAN);
                    auto xt = f32(x[fused], k), nt = f32(normed[fused], k), yat = f32(ya[fused], n_a), ybt = f32(yb[fused], n_b);
                    const auto wt = tensor::make_tensor(GgmlType::F32, {k, 1, 1, 1}, const_cast<float*>(norm_weight.data()));
                    const MatmulTask tasks[] = {{&w_a, &yat}, {&w_b, &ybt}};
                    const tensor::Tensor* delta = with_delta ? &nt : nullptr;  // x_norm aliases delta, as in the forward
                    if (fused)
                        backend.norm_matmul_shared_input(xt, delta, wt, nt, 1e-5f, tasks, runs);
                    else
                        backend.Backend::norm_matmul_shared_input(xt, delta, wt, nt, 1e-5f, tasks, runs);
                    // SwiGLU of the normed rows (as gate) with `up`, then the down product.
                    gate[fused] = normed[fused];
                    auto up_copy = up;
                    down[fused].assign(n_a * n_tokens, NAN);
                    auto gt = f32(gate[fused], k), ut = f32(up_copy, k), dt = f32(down[fused], n_a);
                    if (fused)
                        backend.swiglu_matmul(gt, ut, w_down, dt, runs);
                    else
                        backend.Backend::swiglu_matmul(gt, ut, w_down, dt, runs);
                }
                const auto where = testing::Message() << "seed " << seed << " threads " << threads << " runs "
                                                       << runs.size() << " class " << int(runs[0].row_class)
                                                       << " delta " << with_delta;
                const auto same = [](const std::vector<float>& a, const std::vector<float>& b) {
                    return a.size() == b.size() && std::memcmp(a.data(), b.data(), a.size() * sizeof(float)) == 0;
                };
                EXPECT_TRUE(same(x[0], x[1])) << where;
                EXPECT_TRUE(same(normed[0], normed[1])) << where;
                EXPECT_TRUE(same(ya[0], ya[1])) << where;
                EXPECT_TRUE(same(yb[0], yb[1])) << where;
                EXPECT_TRUE(same(gate[0], gate[1])) << where;
                EXPECT_TRUE(same(down[0], down[1])) << where;
            }
        }
    }
}

INSTANTIATE_TEST_SUITE_P(Types, InterleavedWeights, ::testing::Values(GgmlType::Q4_0, GgmlType::Q8_0, GgmlType::Q4_K, GgmlType::Q6_K),
                         [](const auto& info) { return std::string(gguf::ggml_type_name(info.param)); });

}  // namespace
}  // namespace rocmforge::backend::cpu
