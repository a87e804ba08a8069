// Self-consistency of the scalar reference kernels (their dequantization is pinned bit-exactly by
// the golden tests): each vec_dot equals the f64 dot product of the two dequantized rows, float
// conversions are exact, and the ternary packers invert the golden-verified unpackers.
#include "quant/block_types.h"
#include "quant/float_bits.h"
#include "quant/quant_traits.h"
#include "quant/reference_kernels.h"
#include "quant/runtime_formats.h"
#include "util/error.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <random>
#include <vector>

namespace rocmforge::quant {
namespace {

using gguf::GgmlType;

std::vector<float> random_row(int64_t n, std::mt19937& rng) {
    std::normal_distribution<float> normal(0.0f, 1.0f);
    std::vector<float> x(n);
    for (auto& v : x) v = normal(rng);
    return x;
}

// Row kernels of one format, whether GGUF type or runtime format.
struct Kernels {
    std::string name;
    uint32_t block_size, type_size;
    ToFloatFn to_float;
    FromFloatFn from_float;
    GgmlType vec_dot_type;
    VecDotFn vec_dot;
};

std::vector<Kernels> all_reference_kernels() {
    std::vector<Kernels> out;
    for (GgmlType t : {GgmlType::F32, GgmlType::F16, GgmlType::BF16, GgmlType::Q4_0, GgmlType::Q4_1, GgmlType::Q5_0,
                       GgmlType::Q5_1, GgmlType::Q8_0, GgmlType::Q2_K, GgmlType::Q3_K, GgmlType::Q4_K, GgmlType::Q5_K,
                       GgmlType::Q6_K, GgmlType::Q8_K, GgmlType::IQ4_NL, GgmlType::IQ4_XS, GgmlType::TQ1_0, GgmlType::TQ2_0,
                       GgmlType::MXFP4}) {
        const auto& r = reference_quant_traits(t);
        FromFloatFn ff = r.from_float;
        if (t == GgmlType::TQ1_0) ff = ref::quantize_row_tq1_0;
        if (t == GgmlType::TQ2_0) ff = ref::quantize_row_tq2_0;
        out.push_back({r.name, r.block_size, r.type_size, r.to_float, ff, r.vec_dot_type, r.vec_dot});
    }
    for (auto f : {RuntimeFormat::MXFP6_E2M3, RuntimeFormat::MXFP6_E3M2, RuntimeFormat::FP8_E4M3, RuntimeFormat::FP8_E5M2}) {
        const auto& r = reference_runtime_format_traits(f);
        out.push_back({r.name, r.block_size, r.type_size, r.to_float, r.from_float, r.vec_dot_type, r.vec_dot});
    }
    return out;
}

TEST(QuantReference, VecDotEqualsDotOfDequantizedRows) {
    std::mt19937 rng(std::random_device{}());
    const int64_t n = 1024;
    for (const auto& k : all_reference_kernels()) {
        const auto& act = reference_quant_traits(k.vec_dot_type);
        const auto x = random_row(n, rng), y = random_row(n, rng);
        std::vector<uint8_t> xq(n / k.block_size * k.type_size), yq(row_size(act, n));
        k.from_float(x.data(), xq.data(), n);
        act.from_float(y.data(), yq.data(), n);
        std::vector<float> xd(n), yd(n);
        k.to_float(xq.data(), xd.data(), n);
        act.to_float(yq.data(), yd.data(), n);
        double expected = 0, magnitude = 0;
        for (int64_t i = 0; i < n; ++i) {
            expected += double(xd[i]) * yd[i];
            magnitude += std::fabs(double(xd[i]) * yd[i]);
        }
        float got = NAN;
        k.vec_dot(n, &got, xq.data(), yq.data());
        // Only float rounding of the per-block scale products differs: relative 1e-5 of sum |x*y|.
        EXPECT_NEAR(got, expected, 1e-5 * magnitude) << k.name;
    }
}

TEST(QuantReference, QuantizedRowIsCloseToInput) {
    // Sanity bound per format (relative L2 error on N(0,1) data); the tight bounds are the golden tests.
    std::mt19937 rng(std::random_device{}());
    const int64_t n = 4096;
    for (const auto& k : all_reference_kernels()) {
        if (k.name == "tq1_0" || k.name == "tq2_0") continue;  // ternary: not an approximation of N(0,1)
        const auto x = random_row(n, rng);
        std::vector<uint8_t> q(n / k.block_size * k.type_size);
        std::vector<float> back(n);
        k.from_float(x.data(), q.data(), n);
        k.to_float(q.data(), back.data(), n);
        double err = 0, norm = 0;
        for (int64_t i = 0; i < n; ++i) { err += (back[i] - x[i]) * (back[i] - x[i]); norm += x[i] * x[i]; }
        EXPECT_LT(std::sqrt(err / norm), 0.45) << k.name;
    }
}

TEST(QuantReference, TernaryPackersInvertUnpackers) {
    std::mt19937 rng(std::random_device{}());
    std::uniform_int_distribution<int> trit(-1, 1);
    for (int trial = 0; trial < 50; ++trial) {
        std::vector<float> x(512);
        for (auto& v : x) v = static_cast<float>(trit(rng)) * 0.5f;
        x[7] = 0.5f;  // make max|x| = 0.5 exactly
        for (auto pair : {std::pair{&ref::quantize_row_tq1_0, &ref::dequantize_row_tq1_0},
                          std::pair{&ref::quantize_row_tq2_0, &ref::dequantize_row_tq2_0}}) {
            std::vector<uint8_t> q(2 * 66);
            std::vector<float> back(512);
            pair.first(x.data(), q.data(), 512);
            pair.second(q.data(), back.data(), 512);
            ASSERT_EQ(back, x);
        }
    }
}

TEST(FloatBits, EveryHalfRoundTripsThroughFloat) {
    for (uint32_t h = 0; h < 65536; ++h) {
        const float f = half_to_float(static_cast<uint16_t>(h));
        if (std::isnan(f)) continue;
        ASSERT_EQ(float_to_half(f), h) << h;
    }
    EXPECT_EQ(half_to_float(0x3C00), 1.0f);
    EXPECT_EQ(half_to_float(0x7BFF), 65504.0f);
    EXPECT_EQ(half_to_float(0x0001), std::ldexp(1.0f, -24));
    EXPECT_EQ(half_to_float(0x7C00), INFINITY);
}

TEST(FloatBits, HalfRoundsToNearestEven) {
    EXPECT_EQ(float_to_half(1.0f + std::ldexp(1.0f, -11)), 0x3C00);      // tie -> even (1.0)
    EXPECT_EQ(float_to_half(1.0f + 3 * std::ldexp(1.0f, -11)), 0x3C02);  // tie -> even (up)
    EXPECT_EQ(float_to_half(65519.0f), 0x7BFF);
    EXPECT_EQ(float_to_half(65520.0f), 0x7C00);                          // overflow -> inf
    EXPECT_EQ(float_to_half(std::ldexp(1.0f, -25)), 0x0000);             // tie between 0 and min subnormal
    EXPECT_EQ(float_to_half(std::ldexp(3.0f, -25)), 0x0002);
    EXPECT_TRUE(std::isnan(half_to_float(float_to_half(NAN))));
}

TEST(FloatBits, Bf16RoundsToNearestEven) {
    EXPECT_EQ(float_to_bf16(1.0f), 0x3F80);
    EXPECT_EQ(float_to_bf16(std::bit_cast<float>(0x3F808000u)), 0x3F80);  // tie -> even
    EXPECT_EQ(float_to_bf16(std::bit_cast<float>(0x3F818000u)), 0x3F82);  // tie -> even (up)
    EXPECT_EQ(float_to_bf16(std::bit_cast<float>(0x3F808001u)), 0x3F81);
    EXPECT_TRUE(std::isnan(bf16_to_float(float_to_bf16(NAN))));
}

TEST(QuantTraitsTable, GeometryMatchesGgufTypeTable) {
    for (GgmlType t : {GgmlType::F32, GgmlType::F16, GgmlType::BF16, GgmlType::Q4_0, GgmlType::Q4_1, GgmlType::Q5_0,
                       GgmlType::Q5_1, GgmlType::Q8_0, GgmlType::Q2_K, GgmlType::Q3_K, GgmlType::Q4_K, GgmlType::Q5_K,
                       GgmlType::Q6_K, GgmlType::Q8_K, GgmlType::IQ4_NL, GgmlType::IQ4_XS, GgmlType::TQ1_0, GgmlType::TQ2_0,
                       GgmlType::MXFP4}) {
        ASSERT_TRUE(is_supported(t));
        const auto& q = quant_traits(t);
        const auto& g = gguf::ggml_type_info(t);
        EXPECT_EQ(q.block_size, g.block_size) << q.name;
        EXPECT_EQ(q.type_size, g.type_size) << q.name;
        EXPECT_NE(q.to_float, nullptr);
        EXPECT_NE(q.vec_dot, nullptr);
        EXPECT_EQ(q.from_float == nullptr, t == GgmlType::TQ1_0 || t == GgmlType::TQ2_0) << q.name;
    }
    EXPECT_FALSE(is_supported(GgmlType::IQ2_XXS));
    EXPECT_THROW(quant_traits(GgmlType::IQ2_XXS), rocmforge::Error);
}

}  // namespace
}  // namespace rocmforge::quant
