// SIMD kernels against the scalar reference, on fresh random inputs, for every Highway target this
// CPU supports (hwy::SetSupportedTargetsForTest), for row lengths 32..16384 including lengths that
// are not multiples of the vector width or of the kernels' 2-block unrolling.
// Tolerance: |simd - ref| <= 1e-5 * sum_i |x_i * y_i| (dequantized values): both sum the same exact
// integer block dots, only the float accumulation order differs.

// The kernels are compiled for AVX3_DL too (vpdpbusd; vec_dot_simd.cpp): let this file's target
// list include it, so the every-target tests force it where the CPU has it.
#define HWY_WANT_AVX3_DL 1

#include "quant/quant_traits.h"
#include "quant/reference_kernels.h"
#include "quant/runtime_formats.h"
#include "quant/simd/simd_kernels.h"

#include <gtest/gtest.h>
#include <hwy/targets.h>

// Fails the build when an earlier file of a unity batch included Highway without the define.
static_assert((HWY_TARGETS & HWY_AVX3_DL) != 0, "HWY_WANT_AVX3_DL came after Highway's headers");

#include <cmath>
#include <cstring>
#include <random>
#include <vector>

namespace rocmforge::quant {
namespace {

using gguf::GgmlType;

struct TargetGuard {
    ~TargetGuard() { hwy::SetSupportedTargetsForTest(0); }
};

std::vector<int64_t> row_lengths(uint32_t block) {
    std::vector<int64_t> out;
    if (block == 1) {
        for (int64_t n : {1, 3, 7, 8, 15, 16, 17, 31, 32, 33, 63, 64, 65, 100, 1000, 4095, 4096, 4097, 16383, 16384}) out.push_back(n);
    } else {
        for (int64_t blocks : {1, 2, 3, 5, 8, 13, 31, 32, 33, 100}) out.push_back(blocks * block);
        out.push_back(16384);
        if (block == 32) out.push_back(16384 - 32);
    }
    return out;
}

std::vector<float> random_row(int64_t n, std::mt19937& rng, float scale) {
    std::normal_distribution<float> normal(0.0f, scale);
    std::vector<float> x(n);
    for (auto& v : x) v = normal(rng);
    return x;
}

// Weights for the test: the type's quantizer, or the ternary test quantizers for TQ1_0/TQ2_0.
void quantize_weights(const QuantTraits& t, const float* x, void* q, int64_t n) {
    if (t.type == GgmlType::TQ1_0) ref::quantize_row_tq1_0(x, q, n);
    else if (t.type == GgmlType::TQ2_0) ref::quantize_row_tq2_0(x, q, n);
    else t.from_float(x, q, n);
}

class QuantSimd : public ::testing::TestWithParam<GgmlType> {};

TEST_P(QuantSimd, VecDotMatchesReferenceOnEveryTarget) {
    const GgmlType type = GetParam();
    const QuantTraits& ref = reference_quant_traits(type);
    const QuantTraits& act = reference_quant_traits(ref.vec_dot_type);
    std::mt19937 rng(std::random_device{}());
    TargetGuard guard;
    int tested_targets = 0;
    for (int64_t target : hwy::SupportedAndGeneratedTargets()) {
        hwy::SetSupportedTargetsForTest(target);
        const auto kernels = simd::resolve_simd_kernels(type);
        ASSERT_NE(kernels.vec_dot, nullptr) << ref.name << " has no SIMD kernel";
        ++tested_targets;
        for (int64_t n : row_lengths(std::max(ref.block_size, act.block_size))) {
            const auto x = random_row(n, rng, 1.0f), y = random_row(n, rng, 3.0f);
            std::vector<uint8_t> xq(row_size(ref, n)), yq(row_size(act, n));
            quantize_weights(ref, x.data(), xq.data(), n);
            act.from_float(y.data(), yq.data(), n);
            std::vector<float> xd(n), yd(n);
            ref.to_float(xq.data(), xd.data(), n);
            act.to_float(yq.data(), yd.data(), n);
            double magnitude = 0;
            for (int64_t i = 0; i < n; ++i) magnitude += std::fabs(double(xd[i]) * yd[i]);
            float expected = NAN, got = NAN;
            ref.vec_dot(n, &expected, xq.data(), yq.data());
            kernels.vec_dot(n, &got, xq.data(), yq.data());
            ASSERT_NEAR(got, expected, 1e-5 * magnitude) << ref.name << " n=" << n << " target " << hwy::TargetName(target);
        }
    }
    EXPECT_GT(tested_targets, 0);
}

// The 2x4 tile kernels are bit-identical to the vec_dot of the same target (batch invariance
// rests on it: a row's result must not depend on how many tokens share its step).
TEST(QuantSimdTile, Q8_0TileEqualsVecDotBitForBitOnEveryTarget) {
    const QuantTraits& ref = reference_quant_traits(GgmlType::Q8_0);
    std::mt19937 rng(std::random_device{}());
    TargetGuard guard;
    for (int64_t target : hwy::SupportedAndGeneratedTargets()) {
        hwy::SetSupportedTargetsForTest(target);
        const auto kernels = simd::resolve_simd_kernels(GgmlType::Q8_0);
        ASSERT_NE(kernels.vec_dot_tile, nullptr);
        for (int64_t n : row_lengths(32)) {
            std::vector<std::vector<uint8_t>> rows(6, std::vector<uint8_t>(row_size(ref, n)));
            for (auto& r : rows) ref.from_float(random_row(n, rng, 2.0f).data(), r.data(), n);
            const void* x[2] = {rows[0].data(), rows[1].data()};
            const void* y[4] = {rows[2].data(), rows[3].data(), rows[4].data(), rows[5].data()};
            float tile[8];
            std::fill_n(tile, 8, NAN);
            kernels.vec_dot_tile(n, tile, x, y);
            for (int t = 0; t < 4; ++t)
                for (int r = 0; r < 2; ++r) {
                    float one = NAN;
                    kernels.vec_dot(n, &one, x[r], y[t]);
                    ASSERT_EQ(std::memcmp(&one, &tile[t * 2 + r], sizeof(float)), 0)
                        << "n=" << n << " r=" << r << " t=" << t << " target " << hwy::TargetName(target);
                }
        }
    }
}

TEST(QuantSimdTargets, ListsTestedTargets) {
    std::string names;
    for (int64_t target : hwy::SupportedAndGeneratedTargets()) names += std::string(" ") + hwy::TargetName(target);
    std::printf("[ targets ]%s (dispatch picks %s)\n", names.c_str(), simd::current_target_name());
    EXPECT_FALSE(names.empty());
}

INSTANTIATE_TEST_SUITE_P(Types, QuantSimd,
                         ::testing::Values(GgmlType::F32, GgmlType::F16, GgmlType::BF16, GgmlType::Q8_0, GgmlType::Q4_0,
                                           GgmlType::Q4_1, GgmlType::Q5_0, GgmlType::Q5_1, GgmlType::IQ4_NL, GgmlType::MXFP4,
                                           GgmlType::Q8_K, GgmlType::Q2_K, GgmlType::Q3_K, GgmlType::Q4_K, GgmlType::Q5_K,
                                           GgmlType::Q6_K, GgmlType::IQ4_XS, GgmlType::TQ1_0, GgmlType::TQ2_0),
                         [](const auto& info) { return std::string(gguf::ggml_type_name(info.param)); });

class QuantSimdRuntime : public ::testing::TestWithParam<RuntimeFormat> {};

TEST_P(QuantSimdRuntime, VecDotMatchesReferenceOnEveryTarget) {
    const auto& ref = reference_runtime_format_traits(GetParam());
    const QuantTraits& act = reference_quant_traits(ref.vec_dot_type);
    std::mt19937 rng(std::random_device{}());
    TargetGuard guard;
    for (int64_t target : hwy::SupportedAndGeneratedTargets()) {
        hwy::SetSupportedTargetsForTest(target);
        const VecDotFn fast = simd::resolve_runtime_vec_dot(GetParam());
        ASSERT_NE(fast, nullptr);
        for (int64_t n : row_lengths(std::max(ref.block_size, act.block_size))) {
            const auto x = random_row(n, rng, 5.0f), y = random_row(n, rng, 3.0f);
            std::vector<uint8_t> xq(n / ref.block_size * ref.type_size), yq(row_size(act, n));
            ref.from_float(x.data(), xq.data(), n);
            act.from_float(y.data(), yq.data(), n);
            std::vector<float> xd(n), yd(n);
            ref.to_float(xq.data(), xd.data(), n);
            act.to_float(yq.data(), yd.data(), n);
            double magnitude = 0;
            for (int64_t i = 0; i < n; ++i) magnitude += std::fabs(double(xd[i]) * yd[i]);
            float expected = NAN, got = NAN;
            ref.vec_dot(n, &expected, xq.data(), yq.data());
            fast(n, &got, xq.data(), yq.data());
            ASSERT_NEAR(got, expected, 1e-5 * magnitude) << ref.name << " n=" << n << " target " << hwy::TargetName(target);
        }
    }
}

INSTANTIATE_TEST_SUITE_P(Formats, QuantSimdRuntime,
                         ::testing::Values(RuntimeFormat::MXFP6_E2M3, RuntimeFormat::MXFP6_E3M2, RuntimeFormat::FP8_E4M3,
                                           RuntimeFormat::FP8_E5M2),
                         [](const auto& info) { return std::string(reference_runtime_format_traits(info.param).name); });

// The fast activation quantizers must produce exactly the reference bytes.
TEST(QuantSimdActivations, Q8RowsAreBitIdenticalToReference) {
    std::mt19937 rng(std::random_device{}());
    TargetGuard guard;
    for (int64_t target : hwy::SupportedAndGeneratedTargets()) {
        hwy::SetSupportedTargetsForTest(target);
        for (GgmlType type : {GgmlType::Q8_0, GgmlType::Q8_K}) {
            const auto& ref = reference_quant_traits(type);
            const auto kernels = simd::resolve_simd_kernels(type);
            ASSERT_NE(kernels.from_float, nullptr);
            for (int64_t n : {256, 4096, 16384}) {
                auto x = random_row(n, rng, 2.0f);
                x[5] = 0.0f;
                std::fill(x.begin() + 32, x.begin() + 64, 0.0f);  // an all-zero 32-block
                std::vector<uint8_t> a(row_size(ref, n)), b(row_size(ref, n));
                ref.from_float(x.data(), a.data(), n);
                kernels.from_float(x.data(), b.data(), n);
                ASSERT_EQ(a, b) << ref.name << " n=" << n << " target " << hwy::TargetName(target);
            }
        }
    }
}

}  // namespace
}  // namespace rocmforge::quant
