// sample::position_logprobs against a naive long-double softmax on fresh random logits.
#include "sample/logprobs.h"
#include "util/error.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <numeric>
#include <random>
#include <vector>

namespace rocmforge::sample {
namespace {

std::vector<float> random_logits(std::mt19937& rng, size_t n, float scale) {
    std::normal_distribution<float> dist(0.0f, scale);
    std::vector<float> v(n);
    for (auto& x : v) x = dist(rng);
    return v;
}

// log(exp(x_i) / sum_j exp(x_j)) without any rearrangement; fine for |x| < ~50.
std::vector<long double> naive_logprobs(const std::vector<float>& x) {
    long double z = 0;
    for (float v : x) z += std::exp(static_cast<long double>(v));
    std::vector<long double> out;
    for (float v : x) out.push_back(std::log(std::exp(static_cast<long double>(v)) / z));
    return out;
}

TEST(Logprobs, MatchNaiveSoftmaxOnRandomLogits) {
    std::mt19937 rng(std::random_device{}());
    for (int trial = 0; trial < 20; ++trial) {
        const size_t n = 1 + rng() % 5000;
        const auto logits = random_logits(rng, n, 4.0f);
        const auto ref = naive_logprobs(logits);
        const auto token = static_cast<int32_t>(rng() % n);
        const auto n_top = static_cast<int32_t>(std::min<size_t>(n, rng() % 21));
        const auto got = position_logprobs(logits, token, n_top);
        EXPECT_EQ(got.chosen.token, token);
        EXPECT_NEAR(got.chosen.logprob, static_cast<double>(ref[static_cast<size_t>(token)]), 1e-5);
        std::vector<int32_t> order(n);
        std::iota(order.begin(), order.end(), 0);
        std::stable_sort(order.begin(), order.end(), [&](int32_t a, int32_t b) { return ref[a] > ref[b]; });
        ASSERT_EQ(got.top.size(), static_cast<size_t>(n_top));
        for (int32_t i = 0; i < n_top; ++i) {
            EXPECT_EQ(got.top[i].token, order[i]) << "rank " << i;
            EXPECT_NEAR(got.top[i].logprob, static_cast<double>(ref[order[i]]), 1e-5);
        }
    }
}

TEST(Logprobs, ProbabilitiesSumToOneAndLargeLogitsDoNotOverflow) {
    std::mt19937 rng(std::random_device{}());
    auto logits = random_logits(rng, 1000, 3.0f);
    const auto base = position_logprobs(logits, 7, 1000);
    double sum = 0;
    for (const auto& t : base.top) sum += std::exp(static_cast<double>(t.logprob));
    EXPECT_NEAR(sum, 1.0, 1e-5);
    for (auto& x : logits) x += 5000.0f;  // exp overflows without the max shift; logprobs do not move
    const auto shifted = position_logprobs(logits, 7, 3);
    EXPECT_NEAR(shifted.chosen.logprob, base.chosen.logprob, 2e-3);  // float spacing at 5000 is ~5e-4
    for (int i = 0; i < 3; ++i) EXPECT_EQ(shifted.top[i].token, base.top[i].token);
}

TEST(Logprobs, TiesGoToTheLowerIdAndBadArgumentsAreErrors) {
    const std::vector<float> logits = {1.0f, 3.0f, 3.0f, 0.0f};
    const auto got = position_logprobs(logits, 3, 2);
    EXPECT_EQ(got.top[0].token, 1);
    EXPECT_EQ(got.top[1].token, 2);
    EXPECT_FLOAT_EQ(got.top[0].logprob, got.top[1].logprob);
    EXPECT_THROW(position_logprobs(logits, 4, 0), Error);
    EXPECT_THROW(position_logprobs(logits, -1, 0), Error);
    EXPECT_THROW(position_logprobs(logits, 0, 5), Error);
    EXPECT_THROW(position_logprobs({}, 0, 0), Error);
}

}  // namespace
}  // namespace rocmforge::sample
