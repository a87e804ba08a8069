// CPU backend ops vs simple references on fresh random inputs (seeded from the clock, printed
// on failure) with explicit tolerances.
#include "backend/cpu/attention.h"
#include "backend/cpu/dot.h"
#include "backend/cpu/elementwise.h"
#include "backend/cpu/fp16.h"
#include "backend/cpu/get_rows.h"
#include "backend/cpu/matmul.h"
#include "backend/cpu/rms_norm.h"
#include "backend/cpu/rope.h"
#include "util/error.h"

#include <gtest/gtest.h>

#include <chrono>
#include <cmath>
#include <complex>
#include <cstring>
#include <random>
#include <vector>

namespace rocmforge::backend::cpu {
namespace {

uint64_t fresh_seed() { return static_cast<uint64_t>(std::chrono::steady_clock::now().time_since_epoch().count()); }

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
    for (auto [k, n_out, n_tokens] : {std::tuple{64, 37, 1}, {256, 64, 5}, {96, 130, 8}, {40, 9, 3}}) {
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
            if (matmul_quantizes_activations(type, n_tokens)) {
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
}  // namespace rocmforge::backend::cpu
