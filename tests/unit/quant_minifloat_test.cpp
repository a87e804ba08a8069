// MXFP4 / MXFP6 / FP8 element formats against the OCP specs. Expected values are written from the
// spec tables (OCP MX v1.0 §5.3 element formats; OCP 8-bit Floating Point Specification), or
// derived in this file from the spec's definition of the encoding, never from the code under test.
#include "quant/block_types.h"
#include "quant/minifloat.h"
#include "quant/quant_traits.h"
#include "quant/runtime_formats.h"

#include <gtest/gtest.h>

#include <cmath>
#include <random>
#include <vector>

namespace rocmforge::quant {
namespace {

// Positive codes 0..7 of FP4 E2M1 (MX v1.0: bias 1, no inf/NaN, max 6.0).
constexpr float kE2M1Positive[8] = {0.0f, 0.5f, 1.0f, 1.5f, 2.0f, 3.0f, 4.0f, 6.0f};
// Positive codes 0..31 of FP6 E2M3 (bias 1, max normal 7.5, min normal 1.0, min subnormal 0.125).
constexpr float kE2M3Positive[32] = {
    0.0f,  0.125f, 0.25f,  0.375f, 0.5f,  0.625f, 0.75f, 0.875f,  // subnormals
    1.0f,  1.125f, 1.25f,  1.375f, 1.5f,  1.625f, 1.75f, 1.875f,
    2.0f,  2.25f,  2.5f,   2.75f,  3.0f,  3.25f,  3.5f,  3.75f,
    4.0f,  4.5f,   5.0f,   5.5f,   6.0f,  6.5f,   7.0f,  7.5f};
// Positive codes 0..31 of FP6 E3M2 (bias 3, max normal 28, min normal 0.25, min subnormal 0.0625).
constexpr float kE3M2Positive[32] = {
    0.0f,  0.0625f, 0.125f, 0.1875f,  // subnormals
    0.25f, 0.3125f, 0.375f, 0.4375f, 0.5f, 0.625f, 0.75f, 0.875f, 1.0f, 1.25f, 1.5f, 1.75f,
    2.0f,  2.5f,    3.0f,   3.5f,    4.0f, 5.0f,   6.0f,  7.0f,   8.0f, 10.0f, 12.0f, 14.0f,
    16.0f, 20.0f,   24.0f,  28.0f};

// OFP8 definition: (-1)^S * 2^(E-bias) * (1 + M/2^m) for E > 0, (-1)^S * 2^(1-bias) * M/2^m for E = 0.
// E4M3 (bias 7): S.1111.111 is NaN, no infinities. E5M2 (bias 15): E = 31 is inf (M = 0) or NaN.
double ofp8_spec_value(int code, int e_bits, int m_bits, int bias) {
    const int s = (code >> (e_bits + m_bits)) & 1;
    const int e = (code >> m_bits) & ((1 << e_bits) - 1);
    const int m = code & ((1 << m_bits) - 1);
    const double mag = e == 0 ? std::pow(2.0, 1 - bias) * m / (1 << m_bits) : std::pow(2.0, e - bias) * (1.0 + double(m) / (1 << m_bits));
    return s ? -mag : mag;
}

void expect_table(const MiniFloatFormat& fmt, const float* positive, int n_positive) {
    for (int c = 0; c < 2 * n_positive; ++c) {
        const float expected = c < n_positive ? positive[c] : -positive[c - n_positive];
        const float got = minifloat_decode(fmt, static_cast<uint8_t>(c));
        EXPECT_EQ(got, expected) << fmt.name << " code " << c;
        EXPECT_EQ(std::signbit(got), c >= n_positive) << fmt.name << " code " << c;  // incl. -0
    }
}

TEST(MiniFloatDecode, E2M1EveryCode) { expect_table(kE2M1, kE2M1Positive, 8); }
TEST(MiniFloatDecode, E2M3EveryCode) { expect_table(kE2M3, kE2M3Positive, 32); }
TEST(MiniFloatDecode, E3M2EveryCode) { expect_table(kE3M2, kE3M2Positive, 32); }

TEST(MiniFloatDecode, E4M3EveryCode) {
    for (int c = 0; c < 256; ++c) {
        const float got = minifloat_decode(kE4M3, static_cast<uint8_t>(c));
        if ((c & 0x7F) == 0x7F) {
            EXPECT_TRUE(std::isnan(got)) << c;
            continue;
        }
        EXPECT_EQ(got, static_cast<float>(ofp8_spec_value(c, 4, 3, 7))) << c;
    }
    // Spec table anchors.
    EXPECT_EQ(minifloat_decode(kE4M3, 0x7E), 448.0f);          // S.1111.110 max normal
    EXPECT_EQ(minifloat_decode(kE4M3, 0x08), 0.015625f);       // 2^-6 min normal
    EXPECT_EQ(minifloat_decode(kE4M3, 0x07), 0.013671875f);    // 0.875 * 2^-6 max subnormal
    EXPECT_EQ(minifloat_decode(kE4M3, 0x01), 0.001953125f);    // 2^-9 min subnormal
    EXPECT_EQ(minifloat_decode(kE4M3, 0x38), 1.0f);
    EXPECT_EQ(minifloat_decode(kE4M3, 0xFE), -448.0f);
}

TEST(MiniFloatDecode, E5M2EveryCode) {
    for (int c = 0; c < 256; ++c) {
        const float got = minifloat_decode(kE5M2, static_cast<uint8_t>(c));
        const int e = (c >> 2) & 31, m = c & 3;
        if (e == 31) {
            if (m == 0) EXPECT_EQ(got, (c & 0x80) ? -INFINITY : INFINITY) << c;
            else EXPECT_TRUE(std::isnan(got)) << c;
            continue;
        }
        EXPECT_EQ(got, static_cast<float>(ofp8_spec_value(c, 5, 2, 15))) << c;
    }
    EXPECT_EQ(minifloat_decode(kE5M2, 0x7B), 57344.0f);         // max normal 1.75 * 2^15
    EXPECT_EQ(minifloat_decode(kE5M2, 0x04), 0.00006103515625f);  // 2^-14 min normal
    EXPECT_EQ(minifloat_decode(kE5M2, 0x01), 0.0000152587890625f);  // 2^-16 min subnormal
    EXPECT_EQ(minifloat_decode(kE5M2, 0x3C), 1.0f);
}

TEST(MiniFloatDecode, E8M0Scale) {
    EXPECT_EQ(e8m0_to_float(127), 1.0f);
    EXPECT_EQ(e8m0_to_float(0), std::ldexp(1.0f, -127));
    EXPECT_EQ(e8m0_to_float(254), std::ldexp(1.0f, 127));
    EXPECT_TRUE(std::isnan(e8m0_to_float(255)));
}

// Independent oracle: the finite value of `fmt` nearest to v (ties to the even code), saturating.
struct Candidate { double value; int code; };
std::vector<Candidate> finite_values(const MiniFloatFormat& fmt) {
    std::vector<Candidate> out;
    const int n_codes = 1 << fmt.total_bits();
    for (int c = 0; c < n_codes / 2; ++c) {  // non-negative codes
        const double v = ofp8_spec_value(c, fmt.exponent_bits, fmt.mantissa_bits, fmt.bias);
        if (v <= fmt.max_finite) out.push_back({v, c});
    }
    return out;
}
int oracle_encode_magnitude(const std::vector<Candidate>& values, double a) {
    int best = 0;
    double best_dist = INFINITY;
    for (const auto& cand : values) {
        const double dist = std::fabs(cand.value - a);
        if (dist < best_dist || (dist == best_dist && (cand.code & 1) == 0)) { best_dist = dist; best = cand.code; }
    }
    return best;
}

class MiniFloatEncode : public ::testing::TestWithParam<const MiniFloatFormat*> {};

TEST_P(MiniFloatEncode, EveryCodeRoundTrips) {
    const MiniFloatFormat& fmt = *GetParam();
    for (int c = 0; c < (1 << fmt.total_bits()); ++c) {
        const float v = minifloat_decode(fmt, static_cast<uint8_t>(c));
        if (std::isnan(v)) continue;
        EXPECT_EQ(minifloat_encode(fmt, v), c) << fmt.name << " value " << v;
    }
}

TEST_P(MiniFloatEncode, MidpointsRoundToEvenAndNeighboursToNearest) {
    const MiniFloatFormat& fmt = *GetParam();
    const auto values = finite_values(fmt);
    for (size_t i = 0; i + 1 < values.size(); ++i) {
        const double lo = values[i].value, hi = values[i + 1].value;
        const float mid = static_cast<float>((lo + hi) / 2);
        const int even = (values[i].code & 1) == 0 ? values[i].code : values[i + 1].code;
        EXPECT_EQ(minifloat_encode(fmt, mid), even) << fmt.name << " midpoint " << mid;
        EXPECT_EQ(minifloat_encode(fmt, std::nextafter(mid, 0.0f)), values[i].code) << fmt.name << " below " << mid;
        EXPECT_EQ(minifloat_encode(fmt, std::nextafter(mid, INFINITY)), values[i + 1].code) << fmt.name << " above " << mid;
    }
}

TEST_P(MiniFloatEncode, SaturatesAndHandlesSpecials) {
    const MiniFloatFormat& fmt = *GetParam();
    const uint8_t sign_bit = static_cast<uint8_t>(1u << (fmt.total_bits() - 1));
    const uint8_t max_code = minifloat_encode(fmt, fmt.max_finite);
    EXPECT_EQ(minifloat_decode(fmt, max_code), fmt.max_finite);
    EXPECT_EQ(minifloat_encode(fmt, fmt.max_finite * 1.5f), max_code);
    EXPECT_EQ(minifloat_encode(fmt, 1e30f), max_code);
    EXPECT_EQ(minifloat_encode(fmt, -1e30f), max_code | sign_bit);
    if (fmt.has_inf) {
        EXPECT_EQ(minifloat_encode(fmt, INFINITY), 0x7C);
        EXPECT_EQ(minifloat_encode(fmt, -INFINITY), 0xFC);
    } else {
        EXPECT_EQ(minifloat_encode(fmt, INFINITY), max_code);
    }
    if (fmt.has_nan) {
        EXPECT_TRUE(std::isnan(minifloat_decode(fmt, minifloat_encode(fmt, NAN))));
    }
    EXPECT_EQ(minifloat_encode(fmt, 1e-30f), 0);  // underflow rounds to zero
}

TEST_P(MiniFloatEncode, RandomValuesMatchNearestRepresentable) {
    const MiniFloatFormat& fmt = *GetParam();
    const auto values = finite_values(fmt);
    std::mt19937 rng(std::random_device{}());
    std::uniform_real_distribution<float> log_mag(std::log2(values[1].value) - 2, std::log2(fmt.max_finite) + 1);
    for (int i = 0; i < 20000; ++i) {
        const float a = std::exp2(log_mag(rng));
        const bool negative = rng() & 1;
        const int expected = oracle_encode_magnitude(values, a) | (negative ? 1 << (fmt.total_bits() - 1) : 0);
        ASSERT_EQ(minifloat_encode(fmt, negative ? -a : a), expected) << fmt.name << " value " << a;
    }
}

INSTANTIATE_TEST_SUITE_P(AllFormats, MiniFloatEncode, ::testing::Values(&kE2M1, &kE2M3, &kE3M2, &kE4M3, &kE5M2),
                         [](const auto& info) { return std::string(info.param->name); });

// MX blocks: shared scale X = 2^(floor(log2(amax)) - emax_elem) (MX v1.0 §6.3), elements RNE + saturate.
void check_mx_block_round_trip(const MiniFloatFormat& elem, ToFloatFn to_float, FromFloatFn from_float, size_t block_bytes) {
    std::mt19937 rng(std::random_device{}());
    std::normal_distribution<float> normal(0.0f, 1.0f);
    std::uniform_int_distribution<int> exponent(-20, 20);
    const auto values = finite_values(elem);
    for (int trial = 0; trial < 200; ++trial) {
        std::vector<float> x(32), back(32);
        const float scale_in = std::ldexp(1.0f, exponent(rng));
        for (auto& v : x) v = normal(rng) * scale_in;
        std::vector<uint8_t> block(block_bytes);
        from_float(x.data(), block.data(), 32);
        to_float(block.data(), back.data(), 32);
        float amax = 0;
        for (float v : x) amax = std::fmax(amax, std::fabs(v));
        const int shared = std::ilogb(amax) - elem.emax;
        for (int j = 0; j < 32; ++j) {
            const double a = std::fabs(x[j]) / std::ldexp(1.0, shared);
            const int code = oracle_encode_magnitude(values, a);
            const double expected = std::copysign(ofp8_spec_value(code, elem.exponent_bits, elem.mantissa_bits, elem.bias), x[j]) *
                                    std::ldexp(1.0, shared);
            ASSERT_EQ(back[j], static_cast<float>(expected)) << elem.name << " element " << j << " of " << x[j];
        }
    }
}

TEST(MxBlocks, Mxfp4RandomRoundTrip) {
    const auto& t = quant_traits(gguf::GgmlType::MXFP4);
    check_mx_block_round_trip(kE2M1, t.to_float, t.from_float, sizeof(BlockMXFP4));
}
TEST(MxBlocks, Mxfp6E2M3RandomRoundTrip) {
    const auto& t = runtime_format_traits(RuntimeFormat::MXFP6_E2M3);
    check_mx_block_round_trip(kE2M3, t.to_float, t.from_float, t.type_size);
}
TEST(MxBlocks, Mxfp6E3M2RandomRoundTrip) {
    const auto& t = runtime_format_traits(RuntimeFormat::MXFP6_E3M2);
    check_mx_block_round_trip(kE3M2, t.to_float, t.from_float, t.type_size);
}

TEST(MxBlocks, Mxfp4DecodesSpecExample) {
    // Scale byte 128 = 2^1; codes 0..15 in elements 0..15 and 15..0 in 16..31.
    BlockMXFP4 b{};
    b.e = 128;
    for (int j = 0; j < 16; ++j) b.qs[j] = static_cast<uint8_t>(j | ((15 - j) << 4));
    float y[32];
    quant_traits(gguf::GgmlType::MXFP4).to_float(&b, y, 32);
    for (int j = 0; j < 16; ++j) {
        const float v = j < 8 ? kE2M1Positive[j] : -kE2M1Positive[j - 8];
        EXPECT_EQ(y[j], 2.0f * v) << j;
    }
    EXPECT_EQ(y[16], -12.0f);  // code 15 = -6 times 2
}

TEST(Fp8Rows, RandomRoundTripIsNearest) {
    for (auto f : {RuntimeFormat::FP8_E4M3, RuntimeFormat::FP8_E5M2}) {
        const auto& t = runtime_format_traits(f);
        const MiniFloatFormat& fmt = f == RuntimeFormat::FP8_E4M3 ? kE4M3 : kE5M2;
        const auto values = finite_values(fmt);
        std::mt19937 rng(std::random_device{}());
        std::normal_distribution<float> normal(0.0f, 100.0f);
        std::vector<float> x(4096), back(4096);
        for (auto& v : x) v = normal(rng);
        std::vector<uint8_t> codes(4096);
        t.from_float(x.data(), codes.data(), 4096);
        t.to_float(codes.data(), back.data(), 4096);
        for (int i = 0; i < 4096; ++i) {
            const int code = oracle_encode_magnitude(values, std::fabs(x[i]));
            ASSERT_EQ(back[i], static_cast<float>(std::copysign(ofp8_spec_value(code, fmt.exponent_bits, fmt.mantissa_bits, fmt.bias), x[i])))
                << t.name << " " << x[i];
        }
    }
}

}  // namespace
}  // namespace rocmforge::quant
