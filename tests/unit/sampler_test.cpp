// sample layer: the sampler chain (greedy, top-k, top-p, min-p, temperature, penalties, seeding)
// and stop strings. Expected values are worked out by hand or computed here from the definitions
// (softmax in double precision), never taken from the code under test.
#include "sample/sampler.h"
#include "sample/stop_strings.h"
#include "util/error.h"

#include "common/fresh_seed.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <iterator>
#include <limits>
#include <numeric>
#include <random>
#include <set>
#include <string>
#include <vector>

namespace rocmforge::sample {
namespace {

// Every filter off: plain softmax sampling at temperature 1.
SamplerParams unfiltered(uint64_t seed = 0) {
    SamplerParams p;
    p.temperature = 1.0f;
    p.top_k = 0;
    p.top_p = 1.0f;
    p.min_p = 0.0f;
    p.seed = seed;
    return p;
}

SamplerParams greedy() {
    SamplerParams p = unfiltered();
    p.temperature = 0.0f;
    return p;
}

// Logits whose softmax is `probs` (which sum to 1).
std::vector<float> logits_of(const std::vector<double>& probs) {
    std::vector<float> logits;
    for (double p : probs) logits.push_back(static_cast<float>(std::log(p)));
    return logits;
}

// Softmax of logits / temperature, in double precision.
std::vector<double> softmax(const std::vector<float>& logits, double temperature) {
    double max_logit = -std::numeric_limits<double>::infinity();
    for (float l : logits) max_logit = std::max(max_logit, static_cast<double>(l));
    std::vector<double> p;
    double sum = 0;
    for (float l : logits) sum += p.emplace_back(std::exp((l - max_logit) / temperature));
    for (double& x : p) x /= sum;
    return p;
}

// Draw counts per token over `n` draws of one sampler.
std::vector<int> draw_counts(Sampler& sampler, const std::vector<float>& logits, int n) {
    std::vector<int> counts(logits.size(), 0);
    for (int i = 0; i < n; ++i) {
        const int32_t t = sampler.sample(logits);
        EXPECT_GE(t, 0);
        EXPECT_LT(t, static_cast<int32_t>(logits.size()));
        if (t >= 0 && t < static_cast<int32_t>(logits.size())) ++counts[static_cast<size_t>(t)];
    }
    return counts;
}

// Tokens drawn with seeds 0 .. n_seeds-1, one draw each (a fresh sampler per seed).
std::set<int32_t> tokens_over_seeds(SamplerParams params, const std::vector<float>& logits, int n_seeds) {
    std::set<int32_t> seen;
    for (int s = 0; s < n_seeds; ++s) {
        params.seed = static_cast<uint64_t>(s);
        Sampler sampler(params, static_cast<int64_t>(logits.size()));
        seen.insert(sampler.sample(logits));
    }
    return seen;
}

// The empirical distribution of `counts` against `expected` probabilities: every frequency within
// 0.01 (with n = 50000 draws the standard error is at most 0.0023, so 0.01 is over 4 sigma), and
// Pearson's chi-square below the 0.999 quantile for its degrees of freedom (tokens with expected
// probability 0 must not appear at all).
void expect_distribution(const std::vector<int>& counts, const std::vector<double>& expected) {
    static const double kChi2Quantile999[] = {0, 10.83, 13.82, 16.27, 18.47, 20.52, 22.46};
    ASSERT_EQ(counts.size(), expected.size());
    int n = 0;
    for (int c : counts) n += c;
    double chi2 = 0;
    int categories = 0;
    for (size_t i = 0; i < counts.size(); ++i) {
        const double freq = static_cast<double>(counts[i]) / n;
        if (expected[i] == 0) {
            EXPECT_EQ(counts[i], 0) << "token " << i << " has probability 0";
            continue;
        }
        EXPECT_NEAR(freq, expected[i], 0.01) << "token " << i;
        const double e = expected[i] * n;
        chi2 += (counts[i] - e) * (counts[i] - e) / e;
        ++categories;
    }
    ASSERT_GE(categories, 2);
    ASSERT_LT(categories - 1, static_cast<int>(std::size(kChi2Quantile999)));
    EXPECT_LT(chi2, kChi2Quantile999[categories - 1]) << "chi-square with " << categories - 1 << " degrees of freedom";
}

TEST(Sampler, ArgmaxIsLargestLogitLowestIndexOnTies) {
    EXPECT_EQ(argmax(std::vector<float>{1.0f, 3.0f, 2.0f}), 1);
    EXPECT_EQ(argmax(std::vector<float>{0.0f, 5.0f, 5.0f, 1.0f}), 1);
    EXPECT_EQ(argmax(std::vector<float>{-3.0f, -1.0f, -2.0f, -1.0f}), 1);
    EXPECT_EQ(argmax(std::vector<float>{7.0f}), 0);
    EXPECT_EQ(argmax(std::vector<float>{2.0f, 2.0f, 2.0f}), 0);
}

TEST(Sampler, TemperatureZeroIsArgmaxWhateverTheSeed) {
    const std::vector<float> logits{0.5f, 2.0f, -1.0f, 2.0f, 1.9f};  // max 2.0 at 1 and 3
    for (uint64_t seed = 0; seed < 50; ++seed) {
        SamplerParams p = greedy();
        p.seed = seed;
        Sampler sampler(p, 5);
        EXPECT_EQ(sampler.sample(logits), 1) << "seed " << seed;
    }
}

TEST(Sampler, TopKOneIsArgmaxWhateverTheSeed) {
    const std::vector<float> logits{0.5f, 1.99f, -1.0f, 2.0f, 1.9f};
    SamplerParams p = unfiltered();
    p.top_k = 1;
    p.temperature = 5.0f;  // flat enough that anything else would show up
    EXPECT_EQ(tokens_over_seeds(p, logits, 500), (std::set<int32_t>{3}));
}

TEST(Sampler, TopKLargerThanVocabularyIsDisabled) {
    const std::vector<float> logits{0.3f, -0.2f, 0.1f, 0.0f};
    SamplerParams big = unfiltered();
    big.top_k = 1000;
    SamplerParams off = unfiltered();
    EXPECT_EQ(tokens_over_seeds(big, logits, 300), (std::set<int32_t>{0, 1, 2, 3}));
    for (uint64_t seed = 0; seed < 100; ++seed) {
        big.seed = off.seed = seed;
        Sampler a(big, 4), b(off, 4);
        for (int i = 0; i < 10; ++i) ASSERT_EQ(a.sample(logits), b.sample(logits)) << "seed " << seed << " draw " << i;
    }
}

TEST(Sampler, TopKKeepsTheKLargestWithRenormalizedProbabilities) {
    const std::vector<float> logits{0.0f, 1.0f, -0.5f, 2.0f, 0.3f};
    SamplerParams p = unfiltered(7);
    p.top_k = 2;  // tokens 3 (logit 2) and 1 (logit 1): probabilities e^2 : e^1
    Sampler sampler(p, 5);
    const double p3 = std::exp(2.0) / (std::exp(2.0) + std::exp(1.0));
    expect_distribution(draw_counts(sampler, logits, 50000), {0, 1 - p3, 0, p3, 0});
}

// Probabilities 0.4, 0.3, 0.2, 0.1 (sorted by id): the smallest prefix with mass >= top_p is
// {0, 1} for top_p 0.65 (0.7), {0, 1, 2} for 0.75 (0.9), {0} for 0.35 (0.4).
TEST(Sampler, TopPKeepsSmallestSetReachingP) {
    const auto logits = logits_of({0.4, 0.3, 0.2, 0.1});
    SamplerParams p = unfiltered();
    p.top_p = 0.65f;
    EXPECT_EQ(tokens_over_seeds(p, logits, 1000), (std::set<int32_t>{0, 1}));
    p.top_p = 0.75f;
    EXPECT_EQ(tokens_over_seeds(p, logits, 1000), (std::set<int32_t>{0, 1, 2}));
    p.top_p = 0.35f;
    EXPECT_EQ(tokens_over_seeds(p, logits, 1000), (std::set<int32_t>{0}));
}

TEST(Sampler, TopPOrdersByProbabilityNotById) {
    const auto logits = logits_of({0.1, 0.2, 0.4, 0.3});  // sorted: 2 (0.4), 3 (0.3), 1, 0
    SamplerParams p = unfiltered(3);
    p.top_p = 0.65f;
    Sampler sampler(p, 4);
    expect_distribution(draw_counts(sampler, logits, 50000), {0, 0, 0.4 / 0.7, 0.3 / 0.7});
}

// Probabilities 0.5, 0.2, 0.15, 0.1, 0.05: min_p 0.25 cuts below 0.125 (keeps 0, 1, 2);
// min_p 0.35 cuts below 0.175 (keeps 0, 1).
TEST(Sampler, MinPExcludesTokensBelowFractionOfMax) {
    const auto logits = logits_of({0.5, 0.2, 0.15, 0.1, 0.05});
    SamplerParams p = unfiltered();
    p.min_p = 0.25f;
    EXPECT_EQ(tokens_over_seeds(p, logits, 1000), (std::set<int32_t>{0, 1, 2}));
    p.min_p = 0.35f;
    EXPECT_EQ(tokens_over_seeds(p, logits, 1000), (std::set<int32_t>{0, 1}));
    p.min_p = 1.0f;
    EXPECT_EQ(tokens_over_seeds(p, logits, 200), (std::set<int32_t>{0}));
    p.min_p = 0.0f;
    EXPECT_EQ(tokens_over_seeds(p, logits, 1000), (std::set<int32_t>{0, 1, 2, 3, 4}));
}

TEST(Sampler, SmallTemperatureApproachesGreedy) {
    const std::vector<float> logits{1.0f, 1.5f, 1.4f, -2.0f};  // gap 0.1 / 1e-3: e^-100 relative mass
    SamplerParams p = unfiltered();
    p.temperature = 1e-3f;
    EXPECT_EQ(tokens_over_seeds(p, logits, 500), (std::set<int32_t>{1}));
    Sampler g(greedy(), 4);
    EXPECT_EQ(g.sample(logits), 1);
}

TEST(Sampler, FrequenciesMatchSoftmax) {
    const std::vector<float> logits{0.0f, 1.0f, -0.5f, 2.0f, 0.3f};
    for (float temperature : {1.0f, 0.5f, 2.0f}) {
        SCOPED_TRACE(testing::Message() << "temperature " << temperature);
        SamplerParams p = unfiltered(12345);
        p.temperature = temperature;
        Sampler sampler(p, 5);
        expect_distribution(draw_counts(sampler, logits, 50000), softmax(logits, temperature));
    }
}

// Penalties, worked out by hand and observed through greedy choice.
TEST(Sampler, RepeatPenaltyDividesPositiveAndMultipliesNegativeLogits) {
    SamplerParams p = greedy();
    p.repeat_penalty = 1.5f;
    {
        Sampler s(p, 3);
        const std::vector<float> logits{2.0f, 1.8f, 0.0f};
        EXPECT_EQ(s.sample(logits), 0);
        s.accept(0);  // 2.0 / 1.5 = 1.33 < 1.8
        EXPECT_EQ(s.sample(logits), 1);
    }
    {
        Sampler s(p, 2);
        const std::vector<float> logits{-0.5f, -0.6f};
        EXPECT_EQ(s.sample(logits), 0);
        s.accept(0);  // -0.5 * 1.5 = -0.75 < -0.6 (dividing would have raised it to -0.33)
        EXPECT_EQ(s.sample(logits), 1);
    }
}

TEST(Sampler, PresencePenaltyCountsOnceFrequencyPenaltyPerOccurrence) {
    const std::vector<float> logits{1.0f, 0.8f, 0.0f};
    SamplerParams presence = greedy();
    presence.presence_penalty = 0.15f;
    Sampler s(presence, 3);
    for (int i = 0; i < 3; ++i) s.accept(0);  // 1.0 - 0.15 = 0.85 > 0.8 however often 0 appeared
    EXPECT_EQ(s.sample(logits), 0);
    presence.presence_penalty = 0.3f;
    Sampler s2(presence, 3);
    s2.accept(0);  // 1.0 - 0.3 = 0.7 < 0.8
    EXPECT_EQ(s2.sample(logits), 1);

    SamplerParams frequency = greedy();
    frequency.frequency_penalty = 0.15f;
    Sampler f(frequency, 3);
    f.accept(0);  // 1.0 - 0.15 = 0.85 > 0.8
    EXPECT_EQ(f.sample(logits), 0);
    f.accept(0);  // 1.0 - 2 * 0.15 = 0.7 < 0.8
    EXPECT_EQ(f.sample(logits), 1);
}

TEST(Sampler, PenaltiesApplyOnlyToTheLastNTokens) {
    const std::vector<float> logits{1.0f, 0.8f, 0.0f};
    SamplerParams p = greedy();
    p.presence_penalty = 0.5f;
    p.penalty_last_n = 2;
    Sampler s(p, 3);
    s.accept(0);
    EXPECT_EQ(s.sample(logits), 1);  // 0.5 < 0.8
    s.accept(2);
    EXPECT_EQ(s.sample(logits), 1);  // window {0, 2}
    s.accept(2);
    EXPECT_EQ(s.sample(logits), 0);  // window {2, 2}: 0 left it
    s.accept(0);
    s.reset();
    EXPECT_EQ(s.sample(logits), 0);  // reset empties the window

    p.penalty_last_n = 0;
    Sampler off(p, 3);
    off.accept(0);
    EXPECT_EQ(off.sample(logits), 0);
}

TEST(Sampler, PenaltiesShiftTheSampledDistribution) {
    // Frequency penalty ln 2 on token 0, seen twice: its logit drops by 2 ln 2, its weight by 4.
    const std::vector<float> logits{1.0f, 0.0f, 0.5f};
    SamplerParams p = unfiltered(99);
    p.frequency_penalty = static_cast<float>(std::log(2.0));
    Sampler s(p, 3);
    s.accept(0);
    s.accept(0);
    const double w0 = std::exp(1.0) / 4, w1 = 1.0, w2 = std::exp(0.5);
    const double sum = w0 + w1 + w2;
    expect_distribution(draw_counts(s, logits, 50000), {w0 / sum, w1 / sum, w2 / sum});
}

TEST(Sampler, SameSeedSameSequenceDifferentSeedDiffers) {
    const std::vector<float> logits(16, 0.0f);  // uniform over 16 tokens
    auto sequence = [&](Sampler& s) {
        std::vector<int32_t> out;
        for (int i = 0; i < 100; ++i) out.push_back(s.sample(logits));
        return out;
    };
    Sampler a(unfiltered(42), 16), b(unfiltered(42), 16), c(unfiltered(43), 16);
    const auto seq_a = sequence(a);
    EXPECT_EQ(seq_a, sequence(b));
    EXPECT_NE(seq_a, sequence(c));
    a.reset();
    EXPECT_EQ(seq_a, sequence(a));  // reset re-seeds
    EXPECT_GT(std::set<int32_t>(seq_a.begin(), seq_a.end()).size(), 8u);
}

// Runs validate() and the constructor on params with one field changed; expects an Error whose
// message contains `flag`.
template <typename Edit>
void expect_rejected(Edit edit, const std::string& flag) {
    SamplerParams p;
    edit(p);
    try {
        validate(p);
        ADD_FAILURE() << "validate accepted a bad " << flag;
    } catch (const Error& e) {
        EXPECT_NE(std::string(e.what()).find(flag), std::string::npos) << e.what();
    }
    EXPECT_THROW(Sampler(p, 4), Error) << flag;
}

// sample_candidates on a row's best candidates (a full stable sort by logit, largest first: ties
// in index order) draws the same tokens as sample() on the whole row, for the same seed: random
// rows with ties, top-k from 1 to 256 with top-p, min-p and temperatures; and candidates_needed says
// when that holds (no penalty in effect, top-k within the bound, temperature above 0).
TEST(Sampler, CandidatesGiveTheSameTokensAsTheWholeRow) {
    std::mt19937_64 rng(12345);
    const int64_t n_vocab = 3000;
    std::uniform_int_distribution<int> grid(-300, 300);
    for (int trial = 0; trial < 40; ++trial) {
        std::vector<float> logits(static_cast<size_t>(n_vocab));
        for (auto& v : logits) v = static_cast<float>(grid(rng)) * 0.02f;  // many ties
        SamplerParams p;
        p.top_k = std::vector<int32_t>{1, 2, 40, 100, 256}[static_cast<size_t>(trial % 5)];
        p.top_p = trial % 3 == 0 ? 1.0f : 0.9f;
        p.min_p = trial % 4 == 0 ? 0.0f : 0.05f;
        p.temperature = trial % 2 == 0 ? 0.8f : 1.7f;
        p.seed = static_cast<uint64_t>(trial);
        Sampler whole(p, n_vocab), from_candidates(p, n_vocab);
        ASSERT_EQ(from_candidates.candidates_needed(256), p.top_k);
        std::vector<int32_t> order(static_cast<size_t>(n_vocab));
        std::iota(order.begin(), order.end(), 0);
        std::stable_sort(order.begin(), order.end(), [&](int32_t a, int32_t b) { return logits[a] > logits[b]; });
        order.resize(256);
        std::vector<float> values;
        for (int32_t id : order) values.push_back(logits[static_cast<size_t>(id)]);
        for (int draw = 0; draw < 20; ++draw)
            ASSERT_EQ(from_candidates.sample_candidates(order, values), whole.sample(logits))
                << "trial " << trial << " draw " << draw;
    }
    SamplerParams p;
    p.top_k = 300;
    EXPECT_EQ(Sampler(p, n_vocab).candidates_needed(256), 0) << "top-k above the bound";
    p.top_k = 0;
    EXPECT_EQ(Sampler(p, n_vocab).candidates_needed(256), 0) << "top-k off";
    p.top_k = 40;
    p.temperature = 0.0f;
    EXPECT_EQ(Sampler(p, n_vocab).candidates_needed(256), 0) << "greedy";
    p.temperature = 0.8f;
    p.repeat_penalty = 0.9f;  // raises the logits of seen tokens
    Sampler raising(p, n_vocab);
    EXPECT_EQ(raising.candidates_needed(256), 40) << "no token in the penalty window yet";
    raising.accept(5);
    EXPECT_EQ(raising.candidates_needed(256), 0) << "a penalty that raises logits";
    EXPECT_THROW(raising.sample_candidates(std::vector<int32_t>(40, 0), std::vector<float>(40, 0.0f)), Error);
}

// With penalties that only lower logits, the best top_k (or 1 when greedy) after the penalties are
// among the best top_k + (distinct penalized tokens) before them: sample_candidates on those draws
// what sample() draws on the whole row, while the history (and so the penalized set) grows.
TEST(Sampler, CandidatesWithLoweringPenaltiesGiveTheSameTokensAsTheWholeRow) {
    const uint64_t seed = test::fresh_seed();
    std::mt19937_64 rng(seed);
    const int64_t n_vocab = 3000;
    std::uniform_int_distribution<int> grid(-300, 300);
    for (int trial = 0; trial < 24; ++trial) {
        std::vector<float> logits(static_cast<size_t>(n_vocab));
        for (auto& v : logits) v = static_cast<float>(grid(rng)) * 0.02f;  // many ties
        std::vector<int32_t> order(static_cast<size_t>(n_vocab));
        std::iota(order.begin(), order.end(), 0);
        std::stable_sort(order.begin(), order.end(), [&](int32_t a, int32_t b) { return logits[a] > logits[b]; });
        SamplerParams p;
        p.temperature = trial % 3 == 0 ? 0.0f : 0.9f;
        p.top_k = std::vector<int32_t>{1, 40, 100}[static_cast<size_t>(trial % 3)];
        p.top_p = trial % 2 == 0 ? 1.0f : 0.9f;
        p.repeat_penalty = trial % 4 < 2 ? 1.3f : 1.0f;
        p.presence_penalty = trial % 4 == 1 || trial % 4 == 2 ? 0.7f : 0.0f;
        p.frequency_penalty = trial % 4 == 3 ? 0.4f : 0.1f;
        p.penalty_last_n = 64;
        p.seed = seed + static_cast<uint64_t>(trial);
        Sampler whole(p, n_vocab), from_candidates(p, n_vocab);
        // A history among the best tokens, so penalized tokens sit among the candidates.
        std::uniform_int_distribution<size_t> near_top(0, 60);
        for (int i = 0; i < 20; ++i) {
            const int32_t t = order[near_top(rng)];
            whole.accept(t);
            from_candidates.accept(t);
        }
        for (int draw = 0; draw < 30; ++draw) {
            const int64_t needed = from_candidates.candidates_needed(256);
            ASSERT_GT(needed, 0) << "trial " << trial;
            const std::vector<int32_t> ids(order.begin(), order.begin() + needed);
            std::vector<float> values;
            for (int32_t id : ids) values.push_back(logits[static_cast<size_t>(id)]);
            const int32_t token = from_candidates.sample_candidates(ids, values);
            ASSERT_EQ(token, whole.sample(logits)) << "trial " << trial << " draw " << draw << " seed " << seed;
            whole.accept(token);
            from_candidates.accept(token);
        }
    }
    SamplerParams p;
    p.top_k = 250;
    p.temperature = 0.8f;
    p.presence_penalty = 0.5f;
    Sampler crowded(p, n_vocab);
    for (int32_t t = 0; t < 10; ++t) crowded.accept(t);
    EXPECT_EQ(crowded.candidates_needed(256), 0) << "250 + 10 candidates exceed the bound";
    EXPECT_EQ(crowded.candidates_needed(260), 260);
    p.top_k = 0;
    EXPECT_EQ(Sampler(p, n_vocab).candidates_needed(256), 0) << "top-k off";
}

TEST(Sampler, ValidateRejectsOutOfRangeParamsNamingTheFlag) {
    const float nan = std::numeric_limits<float>::quiet_NaN();
    const float inf = std::numeric_limits<float>::infinity();
    for (float v : {-0.5f, nan, inf}) expect_rejected([v](SamplerParams& p) { p.temperature = v; }, "--temp");
    for (float v : {0.0f, 1.5f, -0.1f, nan}) expect_rejected([v](SamplerParams& p) { p.top_p = v; }, "--top-p");
    for (float v : {-0.1f, 1.1f, nan}) expect_rejected([v](SamplerParams& p) { p.min_p = v; }, "--min-p");
    for (float v : {0.0f, -1.0f, nan, inf})
        expect_rejected([v](SamplerParams& p) { p.repeat_penalty = v; }, "--repeat-penalty");
    for (float v : {nan, inf, -inf})
        expect_rejected([v](SamplerParams& p) { p.presence_penalty = v; }, "--presence-penalty");
    for (float v : {nan, inf}) expect_rejected([v](SamplerParams& p) { p.frequency_penalty = v; }, "--frequency-penalty");
    expect_rejected([](SamplerParams& p) { p.penalty_last_n = -1; }, "--repeat-last-n");
}

TEST(Sampler, ValidateAcceptsRangeEdges) {
    SamplerParams p;
    p.temperature = 0.0f;
    p.top_p = 1.0f;
    p.min_p = 0.0f;
    p.top_k = -3;
    p.penalty_last_n = 0;
    p.presence_penalty = -1.0f;
    EXPECT_NO_THROW(validate(p));
    p.min_p = 1.0f;
    p.top_p = 1e-6f;
    EXPECT_NO_THROW(validate(p));
}

// Feeds `pieces` to a matcher; returns everything it released (including flush()).
struct StopRun {
    std::string emitted;
    bool stopped = false;
    int stopped_after = -1;  // index of the piece that triggered the stop
};
StopRun run_stops(std::vector<std::string> stops, const std::vector<std::string>& pieces) {
    StopStringMatcher m(std::move(stops));
    StopRun r;
    for (size_t i = 0; i < pieces.size(); ++i) {
        r.emitted += m.push(pieces[i]);
        if (m.stopped() && r.stopped_after < 0) r.stopped_after = static_cast<int>(i);
    }
    r.stopped = m.stopped();
    r.emitted += m.flush();
    return r;
}

TEST(StopStrings, SplitAcrossTwoPiecesStopsAndIsNeverEmitted) {
    StopStringMatcher m({"STOP"});
    EXPECT_EQ(m.push("Hello ST"), "Hello ");
    EXPECT_FALSE(m.stopped());
    EXPECT_EQ(m.push("OP and more"), "");
    EXPECT_TRUE(m.stopped());
    EXPECT_EQ(m.push("later"), "");
    EXPECT_EQ(m.flush(), "");
}

TEST(StopStrings, SplitAcrossThreePieces) {
    const auto r = run_stops({"STOP"}, {"a S", "TO", "P!", "after"});
    EXPECT_EQ(r.emitted, "a ");
    EXPECT_TRUE(r.stopped);
    EXPECT_EQ(r.stopped_after, 2);
    const auto one_char = run_stops({"<|end|>"}, {"x", "<", "|", "e", "n", "d", "|", ">", "y"});
    EXPECT_EQ(one_char.emitted, "x");
    EXPECT_EQ(one_char.stopped_after, 7);
}

TEST(StopStrings, TextBeforeTheStopIsReleased) {
    StopStringMatcher m({"STOP"});
    EXPECT_EQ(m.push("abc STOP def"), "abc ");
    EXPECT_TRUE(m.stopped());
    StopStringMatcher clean({"STOP"});
    EXPECT_EQ(clean.push("no match here"), "no match here");  // nothing held back
    EXPECT_FALSE(clean.stopped());
}

TEST(StopStrings, FailedPartialMatchIsReleasedInOrder) {
    StopStringMatcher m({"STOP"});
    EXPECT_EQ(m.push("xST"), "x");
    EXPECT_EQ(m.push("Ox"), "STOx");
    EXPECT_FALSE(m.stopped());
    // "SS": the first S cannot start STOP any more, the second still can.
    const auto r = run_stops({"STOP"}, {"S", "S", "TOP"});
    EXPECT_EQ(r.emitted, "S");
    EXPECT_TRUE(r.stopped);
    const auto none = run_stops({"STOP"}, {"S", "T", "O", "O", "P"});
    EXPECT_EQ(none.emitted, "STOOP");
    EXPECT_FALSE(none.stopped);
}

TEST(StopStrings, FlushReturnsHeldBackText) {
    StopStringMatcher m({"STOP"});
    EXPECT_EQ(m.push("the end ST"), "the end ");
    EXPECT_EQ(m.flush(), "ST");
    EXPECT_FALSE(m.stopped());
}

TEST(StopStrings, EarliestOfSeveralStopsWins) {
    for (const auto& stops : {std::vector<std::string>{"world", "lo w"}, std::vector<std::string>{"lo w", "world"}}) {
        const auto r = run_stops(stops, {"hello world"});
        EXPECT_EQ(r.emitted, "hel");
        EXPECT_TRUE(r.stopped);
    }
    // The held-back "#" is released once it cannot start "##"; "<e" stays held until "<end>" completes.
    const auto r = run_stops({"<end>", "##"}, {"a#", "<e", "nd> tail"});
    EXPECT_EQ(r.emitted, "a#");
    EXPECT_EQ(r.stopped_after, 2);
    const auto r2 = run_stops({"<end>", "#"}, {"a<e", "n#d>"});
    EXPECT_EQ(r2.emitted, "a<en");
}

TEST(StopStrings, EmptyStopListPassesEverything) {
    for (const auto& stops : {std::vector<std::string>{}, std::vector<std::string>{""}}) {
        StopStringMatcher m(stops);
        for (const std::string piece : {"a", "<", "STOP", "", "z"}) EXPECT_EQ(m.push(piece), piece);
        EXPECT_FALSE(m.stopped());
        EXPECT_EQ(m.flush(), "");
    }
}

}  // namespace
}  // namespace rocmforge::sample
