// Mixture-of-experts routing and FFN on the CPU against simple references on fresh random inputs:
// route_token vs a sort of the softmax probabilities; moe_ffn vs a naive per-token double
// computation (tolerance 1e-5 relative), and each row bit-identical to the same row run alone.
#include "backend/cpu/moe.h"
#include "common/fresh_seed.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <numeric>
#include <random>
#include <vector>

namespace rocmforge::backend::cpu {
namespace {

using test::fresh_seed;

std::vector<float> random_vector(std::mt19937_64& rng, size_t n, float scale) {
    std::normal_distribution<float> dist(0.0f, scale);
    std::vector<float> v(n);
    for (auto& x : v) x = dist(rng);
    return v;
}

TEST(Moe, RouteTokenKnownValues) {
    // softmax of {0, ln 2, ln 4, ln 1} = {1, 2, 4, 1} / 8.
    const std::vector<float> logits{0.0f, std::log(2.0f), std::log(4.0f), 0.0f};
    ExpertChoice c[2];
    route_token(logits.data(), 4, 2, false, c);
    EXPECT_EQ(c[0].expert, 2);
    EXPECT_NEAR(c[0].weight, 0.5f, 1e-6);
    EXPECT_EQ(c[1].expert, 1);
    EXPECT_NEAR(c[1].weight, 0.25f, 1e-6);
    route_token(logits.data(), 4, 2, true, c);  // renormalized: 4/6 and 2/6
    EXPECT_NEAR(c[0].weight, 4.0f / 6.0f, 1e-6);
    EXPECT_NEAR(c[1].weight, 2.0f / 6.0f, 1e-6);
    ExpertChoice tie[3];
    route_token(logits.data(), 4, 3, false, tie);  // tie between experts 0 and 3: lower index first
    EXPECT_EQ(tie[2].expert, 0);
}

TEST(Moe, RouteTokenMatchesSortedSoftmax) {
    const uint64_t seed = fresh_seed();
    std::mt19937_64 rng(seed);
    for (int trial = 0; trial < 50; ++trial) {
        const int64_t n_expert = 2 + static_cast<int64_t>(rng() % 30), k = 1 + static_cast<int64_t>(rng() % n_expert);
        const auto logits = random_vector(rng, static_cast<size_t>(n_expert), 3.0f);
        std::vector<double> p(logits.begin(), logits.end());
        const double mx = *std::max_element(p.begin(), p.end());
        double sum = 0;
        for (auto& x : p) sum += (x = std::exp(x - mx));
        for (auto& x : p) x /= sum;
        std::vector<int> order(static_cast<size_t>(n_expert));
        std::iota(order.begin(), order.end(), 0);
        std::stable_sort(order.begin(), order.end(), [&](int a, int b) { return p[a] > p[b]; });
        std::vector<ExpertChoice> c(static_cast<size_t>(k));
        route_token(logits.data(), n_expert, k, false, c.data());
        for (int64_t i = 0; i < k; ++i) {
            EXPECT_EQ(c[i].expert, order[i]) << "seed " << seed;
            EXPECT_NEAR(c[i].weight, p[order[i]], 1e-6) << "seed " << seed;
        }
    }
}

struct ExpertSet {
    std::vector<std::vector<float>> gate, up, down;  // per expert, f32 row-major [n_out][n_in]
    std::vector<tensor::Tensor> gate_t, up_t, down_t;
};

TEST(Moe, FfnMatchesNaiveAndEachRowAlone) {
    const uint64_t seed = fresh_seed();
    std::mt19937_64 rng(seed);
    ThreadPool pool(2);
    const int64_t n_embd = 32, n_ff = 48, n_expert = 5, k = 2, n_shared_ff = 40, n_tokens = 11;
    ExpertSet ex;
    for (int64_t e = 0; e < n_expert; ++e) {
        ex.gate.push_back(random_vector(rng, n_ff * n_embd, 0.2f));
        ex.up.push_back(random_vector(rng, n_ff * n_embd, 0.2f));
        ex.down.push_back(random_vector(rng, n_embd * n_ff, 0.2f));
    }
    for (int64_t e = 0; e < n_expert; ++e) {
        ex.gate_t.push_back(tensor::make_tensor(gguf::GgmlType::F32, {n_embd, n_ff, 1, 1}, ex.gate[e].data()));
        ex.up_t.push_back(tensor::make_tensor(gguf::GgmlType::F32, {n_embd, n_ff, 1, 1}, ex.up[e].data()));
        ex.down_t.push_back(tensor::make_tensor(gguf::GgmlType::F32, {n_ff, n_embd, 1, 1}, ex.down[e].data()));
    }
    auto sg = random_vector(rng, n_shared_ff * n_embd, 0.2f), su = random_vector(rng, n_shared_ff * n_embd, 0.2f);
    auto sd = random_vector(rng, n_embd * n_shared_ff, 0.2f), sgi = random_vector(rng, n_embd, 0.3f);
    const auto sg_t = tensor::make_tensor(gguf::GgmlType::F32, {n_embd, n_shared_ff, 1, 1}, sg.data());
    const auto su_t = tensor::make_tensor(gguf::GgmlType::F32, {n_embd, n_shared_ff, 1, 1}, su.data());
    const auto sd_t = tensor::make_tensor(gguf::GgmlType::F32, {n_shared_ff, n_embd, 1, 1}, sd.data());
    const auto sgi_t = tensor::make_tensor(gguf::GgmlType::F32, {n_embd, 1, 1, 1}, sgi.data());

    const auto x = random_vector(rng, n_tokens * n_embd, 1.0f), logits = random_vector(rng, n_tokens * n_expert, 2.0f);
    // Rows 0..6 prefill, 7..10 decode.
    std::vector<RowClass> cls(static_cast<size_t>(n_tokens), RowClass::Prefill);
    std::fill(cls.begin() + 7, cls.end(), RowClass::Decode);

    const auto swiglu_ffn = [](const std::vector<float>& g, const std::vector<float>& u, const std::vector<float>& d,
                               const float* xr, int64_t n, int64_t ff) {
        std::vector<double> h(static_cast<size_t>(ff)), y(static_cast<size_t>(n), 0.0);
        for (int64_t i = 0; i < ff; ++i) {
            double a = 0, b = 0;
            for (int64_t j = 0; j < n; ++j) a += double(g[i * n + j]) * xr[j], b += double(u[i * n + j]) * xr[j];
            h[i] = a / (1 + std::exp(-a)) * b;
        }
        for (int64_t j = 0; j < n; ++j)
            for (int64_t i = 0; i < ff; ++i) y[j] += double(d[j * ff + i]) * h[i];
        return y;
    };

    for (const bool shared : {false, true})
        for (const bool norm : {false, true}) {
            MoeFfn moe;
            moe.gate = ex.gate_t;
            moe.up = ex.up_t;
            moe.down = ex.down_t;
            moe.n_used = k;
            moe.norm_weights = norm;
            if (shared) {
                moe.shared_gate = &sg_t;
                moe.shared_up = &su_t;
                moe.shared_down = &sd_t;
                moe.shared_gate_inp = &sgi_t;
            }
            MoeScratch scratch;
            std::vector<float> out(x.size(), NAN);
            moe_ffn(x.data(), logits.data(), n_embd, n_expert, n_tokens, moe, cls, out.data(), scratch, pool);
            double diff = 0, ref_norm = 0;
            for (int64_t t = 0; t < n_tokens; ++t) {
                std::vector<double> expected(static_cast<size_t>(n_embd), 0.0);
                ExpertChoice c[k];
                route_token(logits.data() + t * n_expert, n_expert, k, norm, c);
                for (const auto& choice : c) {
                    const auto y = swiglu_ffn(ex.gate[choice.expert], ex.up[choice.expert], ex.down[choice.expert],
                                              x.data() + t * n_embd, n_embd, n_ff);
                    for (int64_t j = 0; j < n_embd; ++j) expected[j] += choice.weight * y[j];
                }
                if (shared) {
                    const auto y = swiglu_ffn(sg, su, sd, x.data() + t * n_embd, n_embd, n_shared_ff);
                    double s = 0;
                    for (int64_t j = 0; j < n_embd; ++j) s += double(sgi[j]) * x[t * n_embd + j];
                    for (int64_t j = 0; j < n_embd; ++j) expected[j] += y[j] / (1 + std::exp(-s));
                }
                for (int64_t j = 0; j < n_embd; ++j) {
                    diff += (out[t * n_embd + j] - expected[j]) * (out[t * n_embd + j] - expected[j]);
                    ref_norm += expected[j] * expected[j];
                }
                // The same row alone gives the same bits (batch invariance).
                std::vector<float> alone(static_cast<size_t>(n_embd), NAN);
                const RowClass c1[] = {cls[static_cast<size_t>(t)]};
                moe_ffn(x.data() + t * n_embd, logits.data() + t * n_expert, n_embd, n_expert, 1, moe, c1,
                        alone.data(), scratch, pool);
                for (int64_t j = 0; j < n_embd; ++j)
                    ASSERT_EQ(alone[j], out[t * n_embd + j]) << "row " << t << " seed " << seed;
            }
            EXPECT_LE(std::sqrt(diff / ref_norm), 1e-5) << "shared " << shared << " norm " << norm << " seed " << seed;
        }
}

}  // namespace
}  // namespace rocmforge::backend::cpu
