#include "backend/cpu/matmul_batched.h"

#include "backend/cpu/weight_panel.h"

#include <algorithm>
#include <array>
#include <atomic>
#include <utility>
#include <vector>

#if defined(__x86_64__)
#include <immintrin.h>
#define ROCMFORGE_AVX512 __attribute__((target("avx512f")))

namespace rocmforge::backend::cpu {
namespace {

constexpr int64_t kPanelCols = 32;  // weight rows per panel: two 16-float vectors per i
constexpr int kTileTokens = 12;     // tokens per tile: 24 accumulators of the 32 registers

// y[t * y_stride + j] = Σ_i xt[i * NT + t] · panel[i * 32 + j] for t < NT, j < n_cols, each one
// fma chain over i from 0 (gemm_tile's order). panel: [k][32]; xt: [k][NT].
template <int NT>
ROCMFORGE_AVX512 void tile(const float* panel, const float* xt, int64_t k, int64_t n_cols, float* y,
                           int64_t y_stride) {
    __m512 acc0[NT], acc1[NT];
#pragma GCC unroll 12
    for (int t = 0; t < NT; ++t) acc0[t] = acc1[t] = _mm512_setzero_ps();
    for (int64_t i = 0; i < k; ++i) {
        const __m512 w0 = _mm512_loadu_ps(panel + i * kPanelCols);
        const __m512 w1 = _mm512_loadu_ps(panel + i * kPanelCols + 16);
#pragma GCC unroll 12
        for (int t = 0; t < NT; ++t) {
            const __m512 x = _mm512_set1_ps(xt[i * NT + t]);
            acc0[t] = _mm512_fmadd_ps(x, w0, acc0[t]);
            acc1[t] = _mm512_fmadd_ps(x, w1, acc1[t]);
        }
    }
    const auto mask0 = static_cast<__mmask16>(n_cols >= 16 ? 0xFFFFu : (1u << n_cols) - 1u);
    const auto mask1 = static_cast<__mmask16>(n_cols >= 32 ? 0xFFFFu : n_cols > 16 ? (1u << (n_cols - 16)) - 1u : 0u);
#pragma GCC unroll 12
    for (int t = 0; t < NT; ++t) {
        _mm512_mask_storeu_ps(y + t * y_stride, mask0, acc0[t]);
        _mm512_mask_storeu_ps(y + t * y_stride + 16, mask1, acc1[t]);
    }
}

using TileFn = void (*)(const float*, const float*, int64_t, int64_t, float*, int64_t);
template <int... N>
constexpr std::array<TileFn, sizeof...(N)> make_tiles(std::integer_sequence<int, N...>) {
    return {&tile<N + 1>...};
}

}  // namespace

void matmul_batched_wide(const tensor::Tensor& w, const float* x, int64_t n_tokens, float* y, ThreadPool& pool) {
    static constexpr auto tiles = make_tiles(std::make_integer_sequence<int, kTileTokens>{});
    const int64_t k = w.ne[0], n_out = w.ne[1];
    const int64_t n_panels = (n_out + kPanelCols - 1) / kPanelCols;
    const int64_t n_tiles = (n_tokens + kTileTokens - 1) / kTileTokens;
    // Tile j (tokens [12 j, + nt)) transposed at xt + 12 j k: [k][nt]. A named reference: inside
    // the pool task the name of a thread_local would mean each worker's own instance.
    thread_local std::vector<float> caller_xt;
    std::vector<float>& xt = caller_xt;
    xt.resize(static_cast<size_t>(n_tokens * k));
    std::atomic<int64_t> next_panel{0};
    SpinBarrier transposed(pool.size());
    pool.run([&](int thread_index, int n_threads) {
        const auto [first_tile, end_tile] = thread_share(n_tiles, thread_index, n_threads);
        for (int64_t j = first_tile; j < end_tile; ++j) {
            const int64_t t0 = j * kTileTokens, nt = std::min<int64_t>(kTileTokens, n_tokens - t0);
            float* dst = xt.data() + t0 * k;
            for (int64_t i = 0; i < k; ++i)
                for (int64_t t = 0; t < nt; ++t) dst[i * nt + t] = x[(t0 + t) * k + i];
        }
        transposed.arrive_and_wait();
        thread_local std::vector<float> row, panel;
        panel.resize(static_cast<size_t>(k * kPanelCols));
        for (int64_t p = next_panel.fetch_add(1, std::memory_order_relaxed); p < n_panels;
             p = next_panel.fetch_add(1, std::memory_order_relaxed)) {
            const int64_t r0 = p * kPanelCols, n_rows = std::min(kPanelCols, n_out - r0);
            pack_weight_panel(w, r0, std::min<int64_t>(16, n_rows), panel.data(), kPanelCols, 0, row);
            pack_weight_panel(w, r0 + 16, std::max<int64_t>(0, n_rows - 16), panel.data(), kPanelCols, 16, row);
            for (int64_t t0 = 0; t0 < n_tokens; t0 += kTileTokens) {
                const int64_t nt = std::min<int64_t>(kTileTokens, n_tokens - t0);
                tiles[static_cast<size_t>(nt - 1)](panel.data(), xt.data() + t0 * k, k, n_rows, y + t0 * n_out + r0,
                                                   n_out);
            }
        }
    });
}

}  // namespace rocmforge::backend::cpu

#endif
