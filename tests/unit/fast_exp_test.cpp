// exp_shifted, silu_mul and gelu_tanh_mul (util/fast_exp.h) against exp in double, on a sweep of the
// finite range, fresh random inputs and the edges (overflow, underflow, infinities, NaN).
#include "util/fast_exp.h"
#include "common/fresh_seed.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <random>
#include <vector>

namespace rocmforge {
namespace {

// The header's bound: <= 4e-7 relative on the AVX2 path; std::exp (the other path) is within it.
constexpr double kExpRelTolerance = 4e-7;

TEST(FastExp, MatchesDoubleExpOverTheFiniteRange) {
    const uint64_t seed = test::fresh_seed();
    std::mt19937_64 rng(seed);
    std::uniform_real_distribution<float> uniform(-87.0f, 88.5f);
    std::vector<float> x;
    for (double v = -87.3; v <= 88.72; v += 1e-3) x.push_back(static_cast<float>(v));
    for (int i = 0; i < 100000; ++i) x.push_back(uniform(rng));
    std::vector<float> y(x.size(), NAN);
    const float shift = 0.25f;
    for (auto& v : x) v += shift;  // exp(x - shift) with a non-zero shift
    exp_shifted(x.data(), shift, y.data(), static_cast<int64_t>(x.size()));
    double worst = 0.0;
    for (size_t i = 0; i < x.size(); ++i) {
        const double ref = std::exp(static_cast<double>(x[i] - shift));
        if (ref < 1.1754944e-38 || ref > 3.4028234e38) continue;  // outside float's normal range
        worst = std::max(worst, std::fabs(y[i] - ref) / ref);
    }
    EXPECT_LE(worst, kExpRelTolerance) << "seed " << seed;
}

TEST(FastExp, EdgesOverflowUnderflowInfinitiesNan) {
    const std::vector<float> x = {0.0f, -0.0f, 89.0f, 1000.0f, INFINITY, -88.0f, -1000.0f, -INFINITY, NAN};
    std::vector<float> y(x.size(), 123.0f);
    exp_shifted(x.data(), 0.0f, y.data(), static_cast<int64_t>(x.size()));
    EXPECT_EQ(y[0], 1.0f);
    EXPECT_EQ(y[1], 1.0f);
    for (int i : {2, 3, 4}) EXPECT_EQ(y[i], INFINITY) << "x " << x[i];
    for (int i : {5, 6, 7}) EXPECT_EQ(y[i], 0.0f) << "x " << x[i];
    EXPECT_TRUE(std::isnan(y[8]));
}

// An element's value must not depend on where it sits in the array (vector body or tail) or on
// the array's length: batch invariance relies on it.
TEST(FastExp, ValueIndependentOfPositionAndLength) {
    const uint64_t seed = test::fresh_seed();
    std::mt19937_64 rng(seed);
    std::normal_distribution<float> normal(0.0f, 8.0f);
    std::vector<float> x(37);
    for (auto& v : x) v = normal(rng);
    std::vector<float> whole(x.size()), up(x.size(), 1.5f), silu_whole(x.size());
    exp_shifted(x.data(), 1.0f, whole.data(), static_cast<int64_t>(x.size()));
    silu_mul(x.data(), up.data(), silu_whole.data(), static_cast<int64_t>(x.size()));
    for (size_t offset = 0; offset < x.size(); ++offset)
        for (size_t len = 1; offset + len <= x.size(); len += 3) {
            std::vector<float> part(len), silu_part(len);
            exp_shifted(x.data() + offset, 1.0f, part.data(), static_cast<int64_t>(len));
            silu_mul(x.data() + offset, up.data() + offset, silu_part.data(), static_cast<int64_t>(len));
            EXPECT_EQ(std::memcmp(part.data(), whole.data() + offset, len * sizeof(float)), 0)
                << "offset " << offset << " len " << len << " seed " << seed;
            EXPECT_EQ(std::memcmp(silu_part.data(), silu_whole.data() + offset, len * sizeof(float)), 0)
                << "offset " << offset << " len " << len << " seed " << seed;
        }
}

TEST(FastExp, SiluMulMatchesFormula) {
    const uint64_t seed = test::fresh_seed();
    std::mt19937_64 rng(seed);
    std::normal_distribution<float> normal(0.0f, 6.0f);
    std::vector<float> gate(1003), up(gate.size()), out(gate.size(), NAN);
    for (size_t i = 0; i < gate.size(); ++i) gate[i] = normal(rng), up[i] = normal(rng);
    gate[0] = -200.0f;  // exp(200) overflows: silu -> -0
    gate[1] = 200.0f;
    silu_mul(gate.data(), up.data(), out.data(), static_cast<int64_t>(gate.size()));
    for (size_t i = 0; i < gate.size(); ++i) {
        const double g = gate[i];
        const double ref = g / (1.0 + std::exp(-g)) * up[i];
        EXPECT_NEAR(out[i], ref, 1e-6 * std::fabs(ref) + 1e-30) << "gate " << g << " seed " << seed;
    }
    // In place (out aliasing gate) gives the same values.
    std::vector<float> in_place = gate;
    silu_mul(in_place.data(), up.data(), in_place.data(), static_cast<int64_t>(gate.size()));
    EXPECT_EQ(std::memcmp(in_place.data(), out.data(), out.size() * sizeof(float)), 0);
}

TEST(FastExp, GeluTanhMulMatchesFormula) {
    const uint64_t seed = test::fresh_seed();
    std::mt19937_64 rng(seed);
    std::normal_distribution<float> normal(0.0f, 4.0f);
    std::vector<float> gate(1003), up(gate.size()), out(gate.size(), NAN);
    for (size_t i = 0; i < gate.size(); ++i) gate[i] = normal(rng), up[i] = normal(rng);
    gate[0] = -200.0f;  // exp overflows: gelu -> -0
    gate[1] = 200.0f;
    gate[2] = 0.0f;
    gelu_tanh_mul(gate.data(), up.data(), out.data(), static_cast<int64_t>(gate.size()));
    for (size_t i = 0; i < gate.size(); ++i) {
        // gelu_tanh = 0.5 x (1 + tanh(z)), z = sqrt(2/pi) (x + 0.044715 x^3), written as x / (1 + exp(-2z))
        // (the same function; 1 + tanh(z) loses all digits in double once tanh(z) is near -1).
        const double g = gate[i];
        const double z = std::sqrt(2 / M_PI) * (g + 0.044715 * g * g * g);
        const double ref = g / (1 + std::exp(-2 * z)) * up[i];
        if (std::fabs(z) < 5) {  // where the definition is still exact in double, the two forms agree
            const double by_definition = 0.5 * g * (1 + std::tanh(z)) * up[i];
            ASSERT_NEAR(ref, by_definition, 1e-12 * (1 + std::fabs(ref)));
        }
        // exp turns the float rounding of its argument -2z (a few ulps) into a relative error of
        // about |2z| * 3e-7: the bound grows with |z| (the float tanh form loses every digit there).
        const double tolerance = (2e-6 + 3e-7 * std::fabs(2 * z)) * std::fabs(ref) + 1e-30;
        EXPECT_NEAR(out[i], ref, tolerance) << "gate " << g << " seed " << seed;
    }
    // Position independence, as for exp: the first 11 values alone equal the same values in the whole.
    std::vector<float> part(11);
    gelu_tanh_mul(gate.data(), up.data(), part.data(), 11);
    EXPECT_EQ(std::memcmp(part.data(), out.data(), part.size() * sizeof(float)), 0);
}

TEST(FastExp, ReferenceIsStdExp) {
    const std::vector<float> x = {-3.0f, 0.5f, 7.25f};
    std::vector<float> y(x.size());
    exp_shifted_reference(x.data(), 0.5f, y.data(), 3);
    for (size_t i = 0; i < x.size(); ++i) EXPECT_EQ(y[i], std::exp(x[i] - 0.5f));
}

}  // namespace
}  // namespace rocmforge
