// CPU backend ops vs simple references on fresh random inputs (seeded from the clock, printed
// on failure) with explicit tolerances.
#include "backend/cpu/argmax.h"
#include "backend/cpu/attention.h"
#include "backend/cpu/cpu_backend.h"
#include "backend/cpu/dot.h"
#include "backend/cpu/elementwise.h"
#include "backend/cpu/fp16.h"
#include "backend/cpu/gemm_tile.h"
#include "backend/cpu/get_rows.h"
#include "backend/cpu/matmul.h"
#include "backend/cpu/matmul_batched.h"
#include "backend/cpu/rms_norm.h"
#include "backend/cpu/rope.h"
#include "common/fresh_seed.h"
#include "util/error.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <complex>
#include <cstring>
#include <numeric>
#include <random>
#include <vector>

namespace rocmforge::backend::cpu {
namespace {

using test::fresh_seed;

std::vector<float> random_vector(std::mt19937_64& rng, size_t n, float scale = 1.0f) {
    std::normal_distribution<float> dist(0.0f, scale);
    std::vector<float> v(n);
    for (auto& x : v) x = dist(rng);
    return v;
}

// Round-to-nearest-even float → half, written independently of the code under test.
uint16_t float_to_half(float f) {
    uint32_t bits;
    std::memcpy(&bits, &f, 4);
    const uint32_t sign = (bits >> 16) & 0x8000u;
    const int32_t exponent = static_cast<int32_t>((bits >> 23) & 0xffu) - 127 + 15;
    uint32_t mantissa = bits & 0x7fffffu;
    if (exponent <= 0) return static_cast<uint16_t>(sign);  // tests use values far from subnormals
    uint32_t half = sign | (static_cast<uint32_t>(exponent) << 10) | (mantissa >> 13);
    const uint32_t rest = mantissa & 0x1fffu;
    if (rest > 0x1000u || (rest == 0x1000u && (half & 1u))) ++half;
    return static_cast<uint16_t>(half);
}

double max_relative_error(const std::vector<float>& a, const std::vector<float>& b) {
    double diff = 0, ref = 0;
    for (size_t i = 0; i < a.size(); ++i) {
        diff += (double(a[i]) - b[i]) * (double(a[i]) - b[i]);
        ref += double(b[i]) * b[i];
    }
    return std::sqrt(diff / ref);
}

TEST(CpuOps, HalfToFloatKnownValues) {
    EXPECT_EQ(half_to_float(0x3c00), 1.0f);
    EXPECT_EQ(half_to_float(0xc000), -2.0f);
    EXPECT_EQ(half_to_float(0x7bff), 65504.0f);
    EXPECT_EQ(half_to_float(0x0001), std::ldexp(1.0f, -24));  // smallest subnormal
    EXPECT_TRUE(std::isinf(half_to_float(0x7c00)));
    EXPECT_TRUE(std::isnan(half_to_float(0x7e00)));
}

TEST(CpuOps, DotMatchesReference) {
    const uint64_t seed = fresh_seed();
    std::mt19937_64 rng(seed);
    for (int64_t n : {1, 7, 8, 31, 64, 257, 1024}) {
        auto a = random_vector(rng, n), b = random_vector(rng, n);
        std::vector<uint16_t> h(n);
        for (int64_t i = 0; i < n; ++i) h[i] = float_to_half(a[i]);
        const float tol = 1e-5f * std::sqrt(float(n)) * 4;
        EXPECT_NEAR(dot_f32(a.data(), b.data(), n), dot_f32_reference(a.data(), b.data(), n), tol) << "seed " << seed;
        EXPECT_NEAR(dot_f16_f32(h.data(), b.data(), n), dot_f16_f32_reference(h.data(), b.data(), n), tol)
            << "seed " << seed;
    }
}

TEST(CpuOps, MatmulF32AndF16MatchReference) {
    const uint64_t seed = fresh_seed();
    std::mt19937_64 rng(seed);
    ThreadPool pool(2);
    for (auto [k, n_out, n_tokens] : {std::tuple{64, 37, 1}, {256, 64, 5}, {96, 130, 8}, {40, 9, 3}, {136, 48, 13}}) {
        auto wf = random_vector(rng, size_t(k) * n_out);
        std::vector<uint16_t> wh(wf.size());
        for (size_t i = 0; i < wf.size(); ++i) wh[i] = float_to_half(wf[i]);
        auto x = random_vector(rng, size_t(k) * n_tokens);
        for (auto dtype : {gguf::GgmlType::F32, gguf::GgmlType::F16}) {
            void* data = dtype == gguf::GgmlType::F32 ? static_cast<void*>(wf.data()) : static_cast<void*>(wh.data());
            const auto w = tensor::make_tensor(dtype, {k, n_out, 1, 1}, data);
            std::vector<float> y(size_t(n_out) * n_tokens, NAN), y_ref(y.size());
            matmul(w, x.data(), n_tokens, y.data(), pool);
            matmul_reference(w, x.data(), n_tokens, y_ref.data());
            EXPECT_LE(max_relative_error(y, y_ref), 1e-6) << "seed " << seed << " k " << k << " n_out " << n_out;
        }
    }
}

// The GEMM tile against a scalar model of its contract with AVX2 or AVX-512: every output one chain
// acc = fma(x, w, acc) over i in order from 0, so the bits are exact (and the same for any tile
// height or vector width); without AVX2 the plain reference, within f32 rounding. Fresh random
// inputs, every tile height up to kTileRowsMax, full and partial column blocks, odd k.
TEST(CpuOps, GemmTileIsOneFmaChainPerOutput) {
    const uint64_t seed = fresh_seed();
    std::mt19937_64 rng(seed);
    std::uniform_real_distribution<float> dist(-1.0f, 1.0f);
    const bool fma_chains = cpu_has_avx2_fma_f16c();
    for (const int64_t k : {int64_t{1}, int64_t{37}, int64_t{256}})
        for (int64_t n_tok = 1; n_tok <= kTileRowsMax; ++n_tok)
            for (const int64_t n_cols : {int64_t{16}, int64_t{5}}) {
                std::vector<float> packed(static_cast<size_t>(k * kTileCols)), x(static_cast<size_t>(n_tok * k));
                for (auto& v : packed) v = dist(rng);
                for (auto& v : x) v = dist(rng);
                const int64_t stride = kTileCols + 3;
                std::vector<float> y(static_cast<size_t>(n_tok * stride), -7.0f), expected = y;
                for (int64_t t = 0; t < n_tok; ++t)
                    for (int64_t j = 0; j < n_cols; ++j) {
                        float acc = 0.0f;
                        for (int64_t i = 0; i < k; ++i) acc = std::fma(x[t * k + i], packed[i * kTileCols + j], acc);
                        expected[static_cast<size_t>(t * stride + j)] = acc;
                    }
                gemm_tile(packed.data(), x.data(), k, n_tok, n_cols, y.data(), stride);
                for (size_t i = 0; i < y.size(); ++i) {
                    if (fma_chains)
                        ASSERT_EQ(y[i], expected[i])
                            << "k " << k << " rows " << n_tok << " cols " << n_cols << " at " << i << " seed " << seed;
                    else
                        ASSERT_NEAR(y[i], expected[i], 1e-5f * static_cast<float>(k)) << "at " << i << " seed " << seed;
                }
            }
}

// Many-token F16 / F32 products (the batched GEMM: 16-row panels, token tiles) with AVX2 or
// AVX-512: every output is the one FMA chain over k of x and the f32 weight, bit for bit, whatever
// the token count; a partial row block, token counts within one tile and across tiles.
TEST(CpuOps, MatmulBatchedIsOneFmaChainPerOutput) {
    if (!cpu_has_avx2_fma_f16c()) GTEST_SKIP() << "skipped: no AVX2/FMA (the plain reference rounds differently)";
    const uint64_t seed = fresh_seed();
    std::mt19937_64 rng(seed);
    ThreadPool pool(2);
    const int64_t k = 1000, n_out = 53;
    auto wf = random_vector(rng, size_t(k) * n_out);
    std::vector<uint16_t> wh(wf.size());
    for (size_t i = 0; i < wf.size(); ++i) {
        wh[i] = float_to_half(wf[i]);
        wf[i] = half_to_float(wh[i]);
    }
    // matmul picks the kernel; each kernel also runs on its own where the CPU has it (n_out 53: a
    // full 32-row panel, then one whose second half is partly filled; full 16-row halves of F16
    // take the 8 x 8 transposing packer, partial ones the row-by-row one).
    using Kernel = void (*)(const tensor::Tensor&, const float*, int64_t, float*, ThreadPool&);
    std::vector<std::pair<const char*, Kernel>> kernels = {{"matmul", &matmul}, {"panels16", &matmul_batched_panels16}};
    if (cpu_has_avx512f()) kernels.emplace_back("wide", &matmul_batched_wide);
    for (const auto& [name, kernel] : kernels)
        for (const int64_t n_tokens : {int64_t{7}, int64_t{29}})
            for (auto dtype : {gguf::GgmlType::F32, gguf::GgmlType::F16}) {
                const auto x = random_vector(rng, size_t(k) * n_tokens);
                void* data = dtype == gguf::GgmlType::F32 ? static_cast<void*>(wf.data()) : static_cast<void*>(wh.data());
                std::vector<float> y(size_t(n_out) * n_tokens, NAN);
                kernel(tensor::make_tensor(dtype, {k, n_out, 1, 1}, data), x.data(), n_tokens, y.data(), pool);
                for (int64_t t = 0; t < n_tokens; ++t)
                    for (int64_t r = 0; r < n_out; ++r) {
                        float acc = 0.0f;
                        for (int64_t i = 0; i < k; ++i) acc = std::fma(x[size_t(t * k + i)], wf[size_t(r * k + i)], acc);
                        ASSERT_EQ(y[size_t(t * n_out + r)], acc) << name << " token " << t << " row " << r << " tokens "
                                                                 << n_tokens << " seed " << seed;
                    }
            }
}

TEST(CpuOps, RmsNormMatchesFormula) {
    std::mt19937_64 rng(fresh_seed());
    const int64_t n = 67, rows = 3;
    auto x = random_vector(rng, n * rows), w = random_vector(rng, n);
    std::vector<float> y(x.size());
    rms_norm(x.data(), w.data(), y.data(), n, rows, 1e-5f);
    for (int64_t r = 0; r < rows; ++r) {
        double ss = 0;
        for (int64_t i = 0; i < n; ++i) ss += double(x[r * n + i]) * x[r * n + i];
        const double s = 1.0 / std::sqrt(ss / n + 1e-5);
        for (int64_t i = 0; i < n; ++i) EXPECT_NEAR(y[r * n + i], x[r * n + i] * s * w[i], 1e-5);
    }
}

// RoPE as a complex rotation: pair (a, b) times e^{i theta}; independent of the kernel's indexing.
TEST(CpuOps, RopeNormalAndNeoxRotatePairs) {
    std::mt19937_64 rng(fresh_seed());
    const int64_t head_dim = 8, n_heads = 2, n_tokens = 3;
    const std::vector<int32_t> pos{0, 5, 17};
    for (auto style : {RopeStyle::Normal, RopeStyle::Neox}) {
        auto x = random_vector(rng, head_dim * n_heads * n_tokens), original = x;
        RopeParams p;
        p.n_rot = head_dim;
        p.freq_base = 10000.0;
        p.style = style;
        rope(x.data(), head_dim, n_heads, n_tokens, pos.data(), p, nullptr);
        for (int64_t t = 0; t < n_tokens; ++t)
            for (int64_t h = 0; h < n_heads; ++h)
                for (int64_t i = 0; i < head_dim / 2; ++i) {
                    const int64_t base = (t * n_heads + h) * head_dim;
                    const int64_t ia = style == RopeStyle::Normal ? 2 * i : i;
                    const int64_t ib = style == RopeStyle::Normal ? 2 * i + 1 : i + head_dim / 2;
                    const double theta = pos[t] / std::pow(10000.0, 2.0 * i / head_dim);
                    const std::complex<double> z(original[base + ia], original[base + ib]);
                    const auto r = z * std::polar(1.0, theta);
                    EXPECT_NEAR(x[base + ia], r.real(), 1e-5);
                    EXPECT_NEAR(x[base + ib], r.imag(), 1e-5);
                }
    }
}

// LongRoPE through the backend: a token rotates by pos / (base^(2i/n_rot) * factor[i]) with the
// short factors while its sequence ends within long_context positions in this step, with the
// long ones beyond; cos and sin are scaled by attn_factor; dims past n_rot pass through.
TEST(CpuOps, RopeLongRopePicksFactorsPerSequence) {
    std::mt19937_64 rng(fresh_seed());
    CpuBackend cpu(2);
    Batch batch;
    const std::vector<int32_t> table{0, 1, 2, 3, 4, 5, 6, 7};
    // Sequence ends: 6 (short), 13 (long), 10 (exactly the original context: short).
    batch.add_sequence(std::vector<int32_t>(6, 1), 0, table, RowClass::Prefill, 1);
    batch.add_sequence(std::vector<int32_t>(1, 1), 12, table, RowClass::Decode, 1);
    batch.add_sequence(std::vector<int32_t>(3, 1), 7, table, RowClass::Prefill, 1);
    const int64_t head_dim = 12, n_heads = 2, n = batch.n_tokens(), n_rot = 8;
    RopeParams p;
    p.n_rot = n_rot;
    p.freq_base = 100.0;
    p.style = RopeStyle::Neox;
    p.attn_factor = 1.25;
    p.long_context = 10;
    std::vector<float> factors{1.0f, 1.5f, 2.0f, 3.0f, /* long: */ 2.0f, 4.0f, 8.0f, 16.0f};
    auto x = random_vector(rng, head_dim * n_heads * n), original = x;
    cpu.begin_batch(batch);
    auto xt = tensor::make_tensor(gguf::GgmlType::F32, {head_dim, n_heads, n, 1}, x.data());
    cpu.rope(xt, p, tensor::make_tensor(gguf::GgmlType::F32, {n_rot / 2, 2, 1, 1}, factors.data()));
    const std::vector<bool> long_token{false, false, false, false, false, false, true, false, false, false};
    for (int64_t t = 0; t < n; ++t)
        for (int64_t h = 0; h < n_heads; ++h) {
            const int64_t base = (t * n_heads + h) * head_dim;
            for (int64_t i = 0; i < n_rot / 2; ++i) {
                const double f = factors[(long_token[t] ? n_rot / 2 : 0) + i];
                const double theta = batch.positions[t] / (std::pow(100.0, 2.0 * i / n_rot) * f);
                const std::complex<double> z(original[base + i], original[base + i + n_rot / 2]);
                const auto r = z * std::polar(1.25, theta);
                EXPECT_NEAR(x[base + i], r.real(), 1e-5) << "t " << t << " i " << i;
                EXPECT_NEAR(x[base + i + n_rot / 2], r.imag(), 1e-5) << "t " << t << " i " << i;
            }
            for (int64_t d = n_rot; d < head_dim; ++d) EXPECT_EQ(x[base + d], original[base + d]);
        }
}

TEST(CpuOps, AttentionMatchesReferenceWithGqa) {
    const uint64_t seed = fresh_seed();
    std::mt19937_64 rng(seed);
    ThreadPool pool(2);
    for (auto [s, n_past, n_tokens] : {std::tuple{AttentionShape{16, 6, 2, 0.25f}, 0, 7},
                                       {AttentionShape{16, 6, 2, 0.25f}, 5, 1},
                                       {AttentionShape{16, 6, 2, 0.25f}, 9, 4},
                                       {AttentionShape{64, 4, 2, 0.125f}, 3, 20},
                                       {AttentionShape{8, 8, 4, 0.35f}, 0, 13},
                                       {AttentionShape{24, 3, 1, 0.2f}, 17, 2}}) {
        const int64_t n_pos = n_past + n_tokens;
        auto q = random_vector(rng, s.head_dim * s.n_heads * n_tokens);
        auto k = random_vector(rng, s.head_dim * s.n_kv_heads * n_pos);
        auto v = random_vector(rng, s.head_dim * s.n_kv_heads * n_pos);
        std::vector<float> out(q.size(), NAN), ref(q.size());
        attention(q.data(), k.data(), v.data(), out.data(), s, n_tokens, n_past, pool);
        attention_reference(q.data(), k.data(), v.data(), ref.data(), s, n_tokens, n_past);
        EXPECT_LE(max_relative_error(out, ref), 1e-5) << "seed " << seed;
    }
}

TEST(CpuOps, AttentionFirstTokenReturnsItsValue) {
    ThreadPool pool(1);
    const AttentionShape s{4, 2, 1, 0.5f};
    std::vector<float> q{1, 2, 3, 4, 5, 6, 7, 8}, k{1, 1, 1, 1}, v{9, 8, 7, 6}, out(8);
    attention(q.data(), k.data(), v.data(), out.data(), s, 1, 0, pool);
    for (int h = 0; h < 2; ++h)
        for (int d = 0; d < 4; ++d) EXPECT_FLOAT_EQ(out[h * 4 + d], v[d]);
}

TEST(CpuOps, SwigluSoftmaxAdd) {
    std::vector<float> gate{-1.0f, 0.0f, 2.0f}, up{3.0f, 4.0f, 0.5f}, out(3);
    swiglu(gate.data(), up.data(), out.data(), 3);
    EXPECT_NEAR(out[0], -1.0 / (1 + std::exp(1.0)) * 3, 1e-6);
    EXPECT_EQ(out[1], 0.0f);
    EXPECT_NEAR(out[2], 2.0 / (1 + std::exp(-2.0)) * 0.5, 1e-6);

    std::vector<float> x{1.0f, 2.0f, 3.0f, 1000.0f, 1000.0f, 1000.0f};
    softmax(x.data(), 3, 2);
    const double e = std::exp(1.0) + std::exp(2.0) + std::exp(3.0);
    EXPECT_NEAR(x[0], std::exp(1.0) / e, 1e-6);
    EXPECT_NEAR(x[2], std::exp(3.0) / e, 1e-6);
    EXPECT_NEAR(x[4], 1.0 / 3, 1e-6);

    std::vector<float> y{1, 2, 3, 4}, b{10, 20};
    add_bias(y.data(), b.data(), 2, 2);
    EXPECT_EQ(y, (std::vector<float>{11, 22, 13, 24}));
}

// Sliding window and score soft-capping (gemma2/3), against a naive double-precision attention
// written here: query t at position n_past + t sees keys p with (n_past + t) - p < window, and
// each scaled score s enters the softmax as cap * tanh(s / cap).
std::vector<float> naive_window_softcap_attention(const std::vector<float>& q, const std::vector<float>& k,
                                                  const std::vector<float>& v, const AttentionShape& s,
                                                  int64_t n_tokens, int64_t n_past) {
    std::vector<float> out(q.size());
    const int64_t kv_stride = s.n_kv_heads * s.head_dim;
    for (int64_t t = 0; t < n_tokens; ++t) {
        const int64_t pos = n_past + t;
        for (int64_t h = 0; h < s.n_heads; ++h) {
            const int64_t kvh = h / (s.n_heads / s.n_kv_heads);
            std::vector<double> w;
            std::vector<int64_t> keys;
            for (int64_t p = 0; p <= pos; ++p) {
                if (s.window > 0 && pos - p >= s.window) continue;
                double dot = 0;
                for (int64_t d = 0; d < s.head_dim; ++d)
                    dot += double(q[(t * s.n_heads + h) * s.head_dim + d]) * k[p * kv_stride + kvh * s.head_dim + d];
                double score = dot * s.scale;
                if (s.softcap > 0) score = s.softcap * std::tanh(score / s.softcap);
                w.push_back(score);
                keys.push_back(p);
            }
            double mx = -1e300, sum = 0;
            for (double x : w) mx = std::max(mx, x);
            for (double& x : w) sum += (x = std::exp(x - mx));
            for (int64_t d = 0; d < s.head_dim; ++d) {
                double acc = 0;
                for (size_t i = 0; i < keys.size(); ++i) acc += w[i] / sum * v[keys[i] * kv_stride + kvh * s.head_dim + d];
                out[(t * s.n_heads + h) * s.head_dim + d] = static_cast<float>(acc);
            }
        }
    }
    return out;
}

TEST(CpuOps, AttentionSlidingWindowAndSoftcapMatchNaive) {
    const uint64_t seed = fresh_seed();
    std::mt19937_64 rng(seed);
    ThreadPool pool(2);
    // Prefill (several tokens) and decode (one token) paths, windows shorter and longer than the
    // context, soft-caps small enough to bend the scores (inputs scaled up so they reach the cap).
    for (auto [window, softcap, n_past, n_tokens] :
         {std::tuple{int64_t{4}, 0.0f, 0, 13}, {int64_t{4}, 0.0f, 11, 1}, {int64_t{5}, 2.0f, 3, 20},
          {int64_t{0}, 1.5f, 0, 9}, {int64_t{0}, 1.5f, 9, 1}, {int64_t{1}, 0.0f, 2, 5}, {int64_t{64}, 3.0f, 6, 7},
          {int64_t{3}, 1.0f, 30, 1}}) {
        AttentionShape s{16, 4, 2, 0.25f};
        s.window = window;
        s.softcap = softcap;
        const int64_t n_pos = n_past + n_tokens;
        auto q = random_vector(rng, s.head_dim * s.n_heads * n_tokens, 2.0f);
        auto k = random_vector(rng, s.head_dim * s.n_kv_heads * n_pos, 2.0f);
        auto v = random_vector(rng, s.head_dim * s.n_kv_heads * n_pos);
        std::vector<float> out(q.size(), NAN), ref_out(q.size(), NAN);
        attention(q.data(), k.data(), v.data(), out.data(), s, n_tokens, n_past, pool);
        const auto expected = naive_window_softcap_attention(q, k, v, s, n_tokens, n_past);
        EXPECT_LE(max_relative_error(out, expected), 1e-5)
            << "seed " << seed << " window " << window << " softcap " << softcap << " n_past " << n_past;
        attention_reference(q.data(), k.data(), v.data(), ref_out.data(), s, n_tokens, n_past);
        EXPECT_LE(max_relative_error(ref_out, expected), 1e-6) << "seed " << seed;
    }
}

// Prefill queries with a sliding window skip the keys no query of their block sees; the result of
// a query must not depend on the chunk (block alignment) it is computed in: bit-identical.
TEST(CpuOps, AttentionWindowPrefillIsChunkInvariant) {
    std::mt19937_64 rng(fresh_seed());
    ThreadPool pool(2);
    AttentionShape s{16, 4, 2, 0.25f};
    s.window = 5;
    s.softcap = 3.0f;
    const int64_t n = 41;
    auto q = random_vector(rng, s.head_dim * s.n_heads * n), k = random_vector(rng, s.head_dim * s.n_kv_heads * n),
         v = random_vector(rng, s.head_dim * s.n_kv_heads * n);
    std::vector<float> whole(q.size(), NAN), chunked(q.size(), NAN);
    attention(q.data(), k.data(), v.data(), whole.data(), s, n, 0, pool);
    const int64_t q_stride = s.head_dim * s.n_heads;
    for (int64_t begin = 0, size = 7; begin < n; begin += size, size = size == 7 ? 11 : 7) {
        const int64_t count = std::min(size, n - begin);
        if (count < 2) {  // one token runs the decode kernel: a different summation order
            std::copy_n(whole.data() + begin * q_stride, count * q_stride, chunked.data() + begin * q_stride);
            continue;
        }
        attention(q.data() + begin * q_stride, k.data(), v.data(), chunked.data() + begin * q_stride, s, count, begin,
                  pool);
    }
    for (size_t i = 0; i < whole.size(); ++i) ASSERT_EQ(whole[i], chunked[i]) << "element " << i;
}

// A window of one position: each query sees only its own key, so its output is its own value row.
TEST(CpuOps, AttentionWindowOfOneReturnsOwnValue) {
    std::mt19937_64 rng(fresh_seed());
    ThreadPool pool(2);
    AttentionShape s{8, 2, 1, 0.3f};
    s.window = 1;
    for (int64_t n_tokens : {1, 6}) {
        const int64_t n_past = 3, n_pos = n_past + n_tokens;
        auto q = random_vector(rng, s.head_dim * s.n_heads * n_tokens);
        auto k = random_vector(rng, s.head_dim * n_pos), v = random_vector(rng, s.head_dim * n_pos);
        std::vector<float> out(q.size(), NAN);
        attention(q.data(), k.data(), v.data(), out.data(), s, n_tokens, n_past, pool);
        for (int64_t t = 0; t < n_tokens; ++t)
            for (int64_t h = 0; h < 2; ++h)
                for (int64_t d = 0; d < 8; ++d)
                    EXPECT_FLOAT_EQ(out[(t * 2 + h) * 8 + d], v[(n_past + t) * 8 + d]) << "t " << t << " d " << d;
    }
}

TEST(CpuOps, GegluScaleSoftcapMatchFormulas) {
    const uint64_t seed = fresh_seed();
    std::mt19937_64 rng(seed);
    const auto gate = random_vector(rng, 1000, 3.0f), up = random_vector(rng, 1000);
    std::vector<float> out(1000, NAN);
    geglu(gate.data(), up.data(), out.data(), 1000);
    for (size_t i = 0; i < gate.size(); ++i) {
        // gelu_tanh written from its definition: x * Φ(x) approximated by 0.5 (1 + tanh(√(2/π)(x + 0.044715 x³)))
        const double g = gate[i];
        const double gelu = 0.5 * g * (1 + std::tanh(std::sqrt(2 / M_PI) * (g + 0.044715 * g * g * g)));
        EXPECT_NEAR(out[i], gelu * up[i], 1e-5 * (1 + std::abs(gelu * up[i]))) << "seed " << seed << " i " << i;
    }
    // Known values of the tanh GELU: gelu(0) = 0, gelu(large) ≈ x, gelu(-large) ≈ 0.
    std::vector<float> g2{0.0f, 10.0f, -10.0f}, u2{1.0f, 1.0f, 1.0f}, o2(3);
    geglu(g2.data(), u2.data(), o2.data(), 3);
    EXPECT_EQ(o2[0], 0.0f);
    EXPECT_NEAR(o2[1], 10.0f, 1e-5);
    EXPECT_NEAR(o2[2], 0.0f, 1e-5);

    auto x = random_vector(rng, 257, 40.0f);
    auto capped = x, scaled = x;
    softcap_in_place(capped.data(), 30.0f, 257);
    scale_in_place(scaled.data(), 16.0f, 257);
    for (size_t i = 0; i < x.size(); ++i) {
        EXPECT_NEAR(capped[i], 30.0 * std::tanh(x[i] / 30.0), 1e-4) << "seed " << seed;
        EXPECT_LT(std::abs(capped[i]), 30.0f);
        EXPECT_EQ(scaled[i], x[i] * 16.0f);
    }
}

TEST(CpuOps, GetRowsCopiesAndRejectsBadIds) {
    std::vector<float> table{0, 1, 2, 10, 11, 12};
    const auto t = tensor::make_tensor(gguf::GgmlType::F32, {3, 2, 1, 1}, table.data());
    std::vector<int32_t> ids{1, 0, 1};
    std::vector<float> out(9);
    get_rows(t, ids.data(), 3, out.data());
    EXPECT_EQ(out, (std::vector<float>{10, 11, 12, 0, 1, 2, 10, 11, 12}));
    const int32_t bad = 2;
    EXPECT_THROW(get_rows(t, &bad, 1, out.data()), Error);
}

}  // namespace
}  // namespace rocmforge::backend::cpu

#include "quant/quant_traits.h"

namespace rocmforge::backend::cpu {
namespace {

// Quantized weights. When matmul rounds the activations to vec_dot_type, the reference gets the
// same rounded activations (quantize + dequantize with the quant layer's kernels), so both paths
// are held to the f32 summation-order tolerance.
TEST(CpuOps, MatmulQuantizedMatchesReference) {
    const uint64_t seed = fresh_seed();
    std::mt19937_64 rng(seed);
    ThreadPool pool(2);
    const int64_t k = 512, n_out = 33;
    for (auto type : {gguf::GgmlType::Q8_0, gguf::GgmlType::Q4_0, gguf::GgmlType::Q4_K, gguf::GgmlType::Q6_K}) {
        const auto& traits = quant::quant_traits(type);
        auto wf = random_vector(rng, size_t(k) * n_out);
        std::vector<uint8_t> wq(quant::row_size(traits, k) * n_out);
        for (int64_t r = 0; r < n_out; ++r) traits.from_float(wf.data() + r * k, wq.data() + r * quant::row_size(traits, k), k);
        const auto w = tensor::make_tensor(type, {k, n_out, 1, 1}, wq.data());
        for (int64_t n_tokens : {1, 3, 5, 13}) {
            auto x = random_vector(rng, size_t(k) * n_tokens);
            auto x_ref = x;
            if (matmul_quantizes_activations(w, n_tokens)) {
                const auto& act = quant::quant_traits(traits.vec_dot_type);
                std::vector<uint8_t> buf(quant::row_size(act, k));
                for (int64_t t = 0; t < n_tokens; ++t) {
                    act.from_float(x.data() + t * k, buf.data(), k);
                    act.to_float(buf.data(), x_ref.data() + t * k, k);
                }
            }
            std::vector<float> y(size_t(n_out) * n_tokens, NAN), y_ref(y.size());
            matmul(w, x.data(), n_tokens, y.data(), pool);
            matmul_reference(w, x_ref.data(), n_tokens, y_ref.data());
            EXPECT_LE(max_relative_error(y, y_ref), 1e-5) << traits.name << " n_tokens " << n_tokens << " seed " << seed;
        }
    }
}

}  // namespace
}  // namespace rocmforge::backend::cpu

namespace rocmforge::backend::cpu {
namespace {

// One dispatch for several weights sharing the input equals separate matmul calls exactly.
TEST(CpuOps, MatmulSharedInputEqualsSeparateCalls) {
    const uint64_t seed = fresh_seed();
    std::mt19937_64 rng(seed);
    ThreadPool pool(2);
    const int64_t k = 256;
    std::vector<std::vector<uint8_t>> storage;
    std::vector<tensor::Tensor> weights;
    const std::vector<std::pair<gguf::GgmlType, int64_t>> specs{
        {gguf::GgmlType::Q8_0, 40}, {gguf::GgmlType::Q4_K, 24}, {gguf::GgmlType::Q8_0, 7}, {gguf::GgmlType::F16, 9}};
    for (auto [type, n_out] : specs) {
        auto wf = random_vector(rng, size_t(k) * n_out);
        const size_t row_bytes = gguf::ggml_type_info(type).type_size * (k / gguf::ggml_type_info(type).block_size);
        storage.emplace_back(row_bytes * n_out);
        for (int64_t r = 0; r < n_out; ++r) {
            if (type == gguf::GgmlType::F16) {
                for (int64_t i = 0; i < k; ++i)
                    reinterpret_cast<uint16_t*>(storage.back().data() + r * row_bytes)[i] = float_to_half(wf[r * k + i]);
            } else {
                quant::quant_traits(type).from_float(wf.data() + r * k, storage.back().data() + r * row_bytes, k);
            }
        }
        weights.push_back(tensor::make_tensor(type, {k, n_out, 1, 1}, storage.back().data()));
    }
    for (int64_t n_tokens : {1, 2, 6}) {
        auto x = random_vector(rng, size_t(k) * n_tokens);
        std::vector<std::vector<float>> fused(weights.size()), separate(weights.size());
        std::vector<MatmulRowsTask> tasks;
        for (size_t i = 0; i < weights.size(); ++i) {
            fused[i].assign(size_t(weights[i].ne[1] * n_tokens), NAN);
            separate[i].assign(fused[i].size(), NAN);
            tasks.push_back({&weights[i], fused[i].data()});
            matmul(weights[i], x.data(), n_tokens, separate[i].data(), pool);
        }
        matmul_shared_input(tasks, x.data(), n_tokens, pool);
        for (size_t i = 0; i < weights.size(); ++i) EXPECT_EQ(fused[i], separate[i]) << "task " << i << " seed " << seed;
    }
}

}  // namespace
// argmax_rows against a plain scan: the first index of the largest value; a row with a NaN or an
// infinity gives -1.
TEST(CpuOps, ArgmaxRowsFirstMaximumAndNonFinite) {
    const uint64_t seed = fresh_seed();
    std::mt19937_64 rng(seed);
    const int64_t n = 1003, rows = 7;
    auto x = random_vector(rng, static_cast<size_t>(n * rows));
    x[static_cast<size_t>(1 * n + 500)] = 9.0f, x[static_cast<size_t>(1 * n + 20)] = 9.0f;  // a tie: 20 wins
    x[static_cast<size_t>(2 * n + n - 1)] = 50.0f;                                             // the last element
    x[static_cast<size_t>(4 * n + 3)] = std::nanf("");
    x[static_cast<size_t>(5 * n + 900)] = -INFINITY;
    CpuBackend cpu(2);
    std::vector<int32_t> ids(static_cast<size_t>(rows), 123);
    cpu.argmax_rows(tensor::make_tensor(gguf::GgmlType::F32, {n, rows, 1, 1}, x.data()), ids);
    for (int64_t r = 0; r < rows; ++r) {
        int32_t expected = 0;
        bool finite = true;
        for (int64_t i = 0; i < n; ++i) {
            const float v = x[static_cast<size_t>(r * n + i)];
            finite = finite && std::isfinite(v);
            if (v > x[static_cast<size_t>(r * n + expected)]) expected = static_cast<int32_t>(i);
        }
        EXPECT_EQ(ids[static_cast<size_t>(r)], finite ? expected : -1) << "row " << r << " seed " << seed;
    }
    EXPECT_EQ(ids[1], 20);
    EXPECT_EQ(ids[2], n - 1);
    EXPECT_EQ(ids[4], -1);
    EXPECT_EQ(ids[5], -1);
}

// top_k_rows against a full stable sort by value (largest first, so equal values keep index
// order): rows with many ties (values on a coarse grid), -0 beside +0, the largest k; a row with a
// NaN or an infinity gives ids of -1.
TEST(CpuOps, TopKRowsLargestFirstTiesByIndexAndNonFinite) {
    const uint64_t seed = fresh_seed();
    std::mt19937_64 rng(seed);
    const int64_t n = 700, rows = 5;
    std::uniform_int_distribution<int> grid(-40, 40);
    std::vector<float> x(static_cast<size_t>(n * rows));
    for (auto& v : x) v = static_cast<float>(grid(rng)) * 0.25f;
    x[static_cast<size_t>(0 * n + 7)] = -0.0f;
    x[static_cast<size_t>(3 * n + 11)] = INFINITY;
    CpuBackend cpu(2);
    for (const int64_t k : {int64_t{1}, int64_t{40}, kMaxTopK}) {
        std::vector<int32_t> ids(static_cast<size_t>(rows * k), 123);
        std::vector<float> values(ids.size(), 7.0f);
        cpu.top_k_rows(tensor::make_tensor(gguf::GgmlType::F32, {n, rows, 1, 1}, x.data()), k, ids, values);
        for (int64_t r = 0; r < rows; ++r) {
            const float* row = x.data() + r * n;
            if (r == 3) {
                EXPECT_EQ(ids[static_cast<size_t>(r * k)], -1) << "k " << k;
                continue;
            }
            std::vector<int32_t> order(static_cast<size_t>(n));
            std::iota(order.begin(), order.end(), 0);
            std::stable_sort(order.begin(), order.end(), [row](int32_t a, int32_t b) { return row[a] > row[b]; });
            for (int64_t i = 0; i < k; ++i) {
                const auto at = static_cast<size_t>(r * k + i);
                ASSERT_EQ(ids[at], order[static_cast<size_t>(i)]) << "row " << r << " rank " << i << " k " << k << " seed " << seed;
                EXPECT_EQ(values[at], row[order[static_cast<size_t>(i)]]);
            }
        }
    }
}

// The dispatched argmax (AVX2 where available) against the scalar reference: rows of every length
// up to 40 (vector body and tail), ties, -0/+0, and a NaN or an infinity anywhere.
TEST(CpuOps, ArgmaxFiniteMatchesReference) {
    const uint64_t seed = fresh_seed();
    std::mt19937_64 rng(seed);
    std::uniform_int_distribution<int> small(-3, 3);  // few distinct values: many ties
    for (int64_t n = 0; n <= 40; ++n) {
        for (int trial = 0; trial < 20; ++trial) {
            std::vector<float> row(static_cast<size_t>(n));
            for (auto& v : row) v = trial % 2 ? static_cast<float>(small(rng)) : std::normal_distribution<float>()(rng);
            if (n > 0 && trial % 5 == 0) row[rng() % n] = -0.0f;
            if (n > 0 && trial % 7 == 3) row[rng() % n] = std::nanf("");
            if (n > 0 && trial % 7 == 4) row[rng() % n] = trial % 2 ? INFINITY : -INFINITY;
            EXPECT_EQ(argmax_finite(row.data(), n), argmax_finite_reference(row.data(), n))
                << "n " << n << " trial " << trial << " seed " << seed;
        }
    }
    const std::vector<float> zeros{-0.0f, 0.0f, -0.0f, 0.0f, -0.0f, 0.0f, -0.0f, 0.0f, 0.0f};
    EXPECT_EQ(argmax_finite(zeros.data(), 9), 0);
}

}  // namespace rocmforge::backend::cpu
