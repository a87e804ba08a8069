// Decode attention over GQA groups (attention_decode.h) vs a scalar model of its documented
// summation order, bit for bit, on fresh random inputs (seed printed on failure): group sizes
// 1..8 (the kernel's 4/2/1-head sets), head sizes with and without a 16-float tail, paged rows,
// sliding window and soft-capping. Bit equality with the one-head-at-a-time order is what keeps
// a sequence's decode output independent of its batch and of the group layout.
#include "backend/cpu/attention_decode.h"
#include "backend/cpu/dot.h"
#include "util/fast_exp.h"
#include "common/fresh_seed.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <numeric>
#include <random>
#include <vector>

namespace rocmforge::backend::cpu {
namespace {

using test::fresh_seed;

// q·k in the kernel's order with L = `lanes` (8 or 16): L lanes, acc0 over even L-float chunks of
// each 2L (and a tail chunk), acc1 over odd ones, lanes added; with 16 lanes, lanes l and l + 8
// added; then ((x0+x4)+(x2+x6)) + ((x1+x5)+(x3+x7)).
float ordered_dot(const float* q, const float* k, int64_t n, int lanes) {
    float acc0[16] = {}, acc1[16] = {};
    int64_t i = 0;
    for (; i + 2 * lanes <= n; i += 2 * lanes)
        for (int l = 0; l < lanes; ++l) {
            acc0[l] = std::fma(q[i + l], k[i + l], acc0[l]);
            acc1[l] = std::fma(q[i + lanes + l], k[i + lanes + l], acc1[l]);
        }
    for (; i < n; i += lanes)
        for (int l = 0; l < lanes; ++l) acc0[l] = std::fma(q[i + l], k[i + l], acc0[l]);
    float x[8];
    for (int l = 0; l < 8; ++l) x[l] = acc0[l] + acc1[l];
    if (lanes == 16)
        for (int l = 0; l < 8; ++l) x[l] += acc0[l + 8] + acc1[l + 8];
    return ((x[0] + x[4]) + (x[2] + x[6])) + ((x[1] + x[5]) + (x[3] + x[7]));
}

// One query head of one token in the documented order; k_rows/v_rows: [n_keys][n_kv_heads * hd].
std::vector<float> ordered_attend(const float* q_head, const std::vector<float>& k_rows,
                                  const std::vector<float>& v_rows, int64_t kv_head, const AttentionShape& s,
                                  int64_t n_keys, int lanes) {
    const int64_t hd = s.head_dim, row = s.n_kv_heads * hd;
    const int64_t first = s.window > 0 ? std::max<int64_t>(0, n_keys - s.window) : 0;
    std::vector<float> w;
    float max_score = -INFINITY;
    for (int64_t p = first; p < n_keys; ++p) {
        float score = ordered_dot(q_head, &k_rows[p * row + kv_head * hd], hd, lanes) * s.scale;
        if (s.softcap > 0.0f) score = s.softcap * std::tanh(score / s.softcap);
        w.push_back(score);
        max_score = std::max(max_score, score);
    }
    float sum = 0.0f;
    exp_shifted(w.data(), max_score, w.data(), static_cast<int64_t>(w.size()));
    for (float x : w) sum += x;
    const float inv_sum = 1.0f / sum;
    std::vector<float> out(static_cast<size_t>(hd), 0.0f);
    for (int64_t p = first; p < n_keys; ++p) {
        const float weight = w[static_cast<size_t>(p - first)] * inv_sum;
        for (int64_t d = 0; d < hd; ++d) out[d] = std::fma(weight, v_rows[p * row + kv_head * hd + d], out[d]);
    }
    return out;
}

TEST(AttentionDecode, GroupsEqualOrderedOneHeadModelBitForBit) {
    if (!cpu_has_avx2_fma_f16c()) GTEST_SKIP() << "the documented order is the SIMD kernels'";
    const uint64_t seed = fresh_seed();
    std::mt19937_64 rng(seed);
    std::normal_distribution<float> dist(0.0f, 1.0f);
    struct Case {
        AttentionShape shape;
        int64_t n_keys;
        int64_t block_size;  // 0: contiguous rows
    };
    const Case cases[] = {
        {{64, 4, 2, 0.125f}, 1, 16},     {{64, 4, 2, 0.125f}, 300, 16},   {{64, 8, 1, 0.125f}, 77, 0},
        {{128, 8, 8, 0.088f}, 45, 32},   {{128, 12, 4, 0.088f}, 9, 1},    {{24, 6, 2, 0.2f}, 33, 16},
        {{80, 7, 1, 0.11f}, 130, 16},    {{8, 10, 2, 0.35f}, 64, 0},      {{64, 6, 2, 0.125f, 30.0f, 0}, 50, 16},
        {{64, 4, 2, 0.125f, 0.0f, 20}, 90, 16}, {{64, 4, 1, 0.125f, 0.0f, 4}, 3, 0},
    };
    // Each kernel this CPU has: AVX2 (8 lanes), then AVX-512F (16 lanes, head_dim % 16 == 0 only).
    int cases_in_16_lanes = 0;
    for (const int forced : {8, 16}) {
        for (const auto& c : cases) {
            force_decode_attention_lanes_for_test(forced);
            const auto& s = c.shape;
            const int lanes = decode_attention_lanes(s);
            ASSERT_TRUE(lanes == 8 || lanes == 16);
            cases_in_16_lanes += lanes == 16;
            const int64_t hd = s.head_dim, row = s.n_kv_heads * hd, group = s.n_heads / s.n_kv_heads;
            std::vector<float> q(static_cast<size_t>(s.n_heads * hd)), k(static_cast<size_t>(c.n_keys * row)), v(k.size());
            for (auto* vec : {&q, &k, &v})
                for (auto& x : *vec) x = dist(rng);
            // Paged copy: blocks in reverse order, an unused block of NaN in front.
            KvRows kv{k.data(), v.data(), row};
            std::vector<float> pk, pv;
            std::vector<int32_t> table;
            if (c.block_size > 0) {
                const int64_t n_blocks = (c.n_keys + c.block_size - 1) / c.block_size;
                pk.assign(static_cast<size_t>((n_blocks + 1) * c.block_size * row), NAN);
                pv = pk;
                for (int64_t b = 0; b < n_blocks; ++b) table.push_back(static_cast<int32_t>(n_blocks - b));
                for (int64_t p = 0; p < c.n_keys; ++p) {
                    const int64_t slot = table[static_cast<size_t>(p / c.block_size)] * c.block_size + p % c.block_size;
                    std::copy_n(&k[p * row], row, &pk[slot * row]);
                    std::copy_n(&v[p * row], row, &pv[slot * row]);
                }
                kv = {pk.data(), pv.data(), row, table.data(), c.block_size};
            }
            // One call per KV head, and one call for all of them (whole rows).
            std::vector<float> per_kv_head(q.size(), NAN), all_heads(q.size(), NAN);
            DecodeScratch scratch;
            for (int64_t kvh = 0; kvh < s.n_kv_heads; ++kvh)
                attend_decode(&q[kvh * group * hd], kv, &per_kv_head[kvh * group * hd], kvh, 1, group, s, c.n_keys,
                              scratch);
            attend_decode(q.data(), kv, all_heads.data(), 0, s.n_kv_heads, group, s, c.n_keys, scratch);
            for (int64_t h = 0; h < s.n_heads; ++h) {
                const auto expected = ordered_attend(&q[h * hd], k, v, h / group, s, c.n_keys, lanes);
                const auto where = testing::Message() << "seed " << seed << " lanes " << lanes << " head_dim " << hd
                                                       << " heads " << s.n_heads
                                                       << "/" << s.n_kv_heads << " keys " << c.n_keys << " block "
                                                       << c.block_size << " head " << h;
                EXPECT_EQ(std::memcmp(expected.data(), &per_kv_head[h * hd], expected.size() * sizeof(float)), 0) << where;
                EXPECT_EQ(std::memcmp(expected.data(), &all_heads[h * hd], expected.size() * sizeof(float)), 0) << where;
            }
        }
    }
    force_decode_attention_lanes_for_test(0);
    if (cpu_has_avx512f()) {
        EXPECT_GT(cases_in_16_lanes, 0) << "the AVX-512F kernel was not exercised";
    }
}

}  // namespace
}  // namespace rocmforge::backend::cpu
