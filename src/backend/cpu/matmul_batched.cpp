#include "backend/cpu/matmul_batched.h"

#include "backend/cpu/dot.h"
#include "backend/cpu/gemm_tile.h"
#include "backend/cpu/weight_panel.h"

#include <algorithm>
#include <array>
#include <atomic>
#include <utility>
#include <vector>

#if defined(__x86_64__)
#include <immintrin.h>
#define ROCMFORGE_AVX2 __attribute__((target("avx2,fma,f16c")))
#define ROCMFORGE_AVX512 __attribute__((target("avx512f")))
#endif

namespace rocmforge::backend::cpu {
namespace {

constexpr int64_t kRowBlock = kTileCols;  // weight rows per packed block (two 8-float or one 16-float vector)

}  // namespace

void gemm_tile_reference(const float* packed, const float* x, int64_t k, int64_t n_tok, int64_t n_rows, float* y,
                 int64_t y_stride) {
    for (int64_t t = 0; t < n_tok; ++t)
        for (int64_t j = 0; j < n_rows; ++j) {
            float sum = 0.0f;
            for (int64_t i = 0; i < k; ++i) sum += x[t * k + i] * packed[i * kRowBlock + j];
            y[t * y_stride + j] = sum;
        }
}

namespace {

#if defined(__x86_64__)
// Accumulators are named variables (not an array) so they stay in the 16 ymm registers:
// 12 accumulators + 2 packed-weight vectors + 1 broadcast.
template <int NTok>
ROCMFORGE_AVX2 void tile_avx2(const float* packed, const float* x, int64_t k, int64_t n_rows, float* y,
                              int64_t y_stride) {
    __m256 c00 = _mm256_setzero_ps(), c01 = c00, c10 = c00, c11 = c00, c20 = c00, c21 = c00;
    __m256 c30 = c00, c31 = c00, c40 = c00, c41 = c00, c50 = c00, c51 = c00;
    const float* x0 = x;
    const float* x1 = x + k;
    const float* x2 = x + 2 * k;
    const float* x3 = x + 3 * k;
    const float* x4 = x + 4 * k;
    const float* x5 = x + 5 * k;
    for (int64_t i = 0; i < k; ++i) {
        const __m256 b0 = _mm256_loadu_ps(packed + i * kRowBlock);
        const __m256 b1 = _mm256_loadu_ps(packed + i * kRowBlock + 8);
        __m256 a = _mm256_broadcast_ss(x0 + i);
        c00 = _mm256_fmadd_ps(a, b0, c00);
        c01 = _mm256_fmadd_ps(a, b1, c01);
        if constexpr (NTok > 1) {
            a = _mm256_broadcast_ss(x1 + i);
            c10 = _mm256_fmadd_ps(a, b0, c10);
            c11 = _mm256_fmadd_ps(a, b1, c11);
        }
        if constexpr (NTok > 2) {
            a = _mm256_broadcast_ss(x2 + i);
            c20 = _mm256_fmadd_ps(a, b0, c20);
            c21 = _mm256_fmadd_ps(a, b1, c21);
        }
        if constexpr (NTok > 3) {
            a = _mm256_broadcast_ss(x3 + i);
            c30 = _mm256_fmadd_ps(a, b0, c30);
            c31 = _mm256_fmadd_ps(a, b1, c31);
        }
        if constexpr (NTok > 4) {
            a = _mm256_broadcast_ss(x4 + i);
            c40 = _mm256_fmadd_ps(a, b0, c40);
            c41 = _mm256_fmadd_ps(a, b1, c41);
        }
        if constexpr (NTok > 5) {
            a = _mm256_broadcast_ss(x5 + i);
            c50 = _mm256_fmadd_ps(a, b0, c50);
            c51 = _mm256_fmadd_ps(a, b1, c51);
        }
    }
    const __m256 acc[6][2] = {{c00, c01}, {c10, c11}, {c20, c21}, {c30, c31}, {c40, c41}, {c50, c51}};
    if (n_rows == kRowBlock) {
        for (int t = 0; t < NTok; ++t) {
            _mm256_storeu_ps(y + t * y_stride, acc[t][0]);
            _mm256_storeu_ps(y + t * y_stride + 8, acc[t][1]);
        }
    } else {
        alignas(32) float tmp[kRowBlock];
        for (int t = 0; t < NTok; ++t) {
            _mm256_store_ps(tmp, acc[t][0]);
            _mm256_store_ps(tmp + 8, acc[t][1]);
            std::copy_n(tmp, n_rows, y + t * y_stride);
        }
    }
}

// One zmm of 16 columns per row of x: NTok accumulators (of 32 registers), the weights loaded
// once per i, each x[t * k + i] broadcast into its FMA. Per output the chain of tile_avx2.
template <int NTok>
ROCMFORGE_AVX512 void tile_avx512(const float* packed, const float* x, int64_t k, int64_t n_rows, float* y,
                                  int64_t y_stride) {
    __m512 acc[NTok];
#pragma GCC unroll 16
    for (int t = 0; t < NTok; ++t) acc[t] = _mm512_setzero_ps();
    for (int64_t i = 0; i < k; ++i) {
        const __m512 w = _mm512_loadu_ps(packed + i * kRowBlock);
#pragma GCC unroll 16
        for (int t = 0; t < NTok; ++t) acc[t] = _mm512_fmadd_ps(_mm512_set1_ps(x[t * k + i]), w, acc[t]);
    }
    const auto mask = static_cast<__mmask16>((1u << n_rows) - 1u);
#pragma GCC unroll 16
    for (int t = 0; t < NTok; ++t) _mm512_mask_storeu_ps(y + t * y_stride, mask, acc[t]);
}

// Tile kernels by row count: tiles[n - 1] takes n rows of x.
using TileKernel = void (*)(const float*, const float*, int64_t, int64_t, float*, int64_t);
template <int... N>
constexpr std::array<TileKernel, sizeof...(N)> avx2_tiles(std::integer_sequence<int, N...>) {
    return {&tile_avx2<N + 1>...};
}
template <int... N>
constexpr std::array<TileKernel, sizeof...(N)> avx512_tiles(std::integer_sequence<int, N...>) {
    return {&tile_avx512<N + 1>...};
}

#endif

}  // namespace

int64_t gemm_tile_rows() {
#if defined(__x86_64__)
    if (cpu_has_avx512f()) return kTileRowsMax;
#endif
    return kTileRows;
}

void gemm_tile(const float* packed, const float* x, int64_t k, int64_t n_tok, int64_t n_rows, float* y,
               int64_t y_stride) {
#if defined(__x86_64__)
    if (n_tok <= 0) return;
    if (cpu_has_avx512f()) {
        static constexpr auto tiles = avx512_tiles(std::make_integer_sequence<int, kTileRowsMax>{});
        return tiles[static_cast<size_t>(n_tok - 1)](packed, x, k, n_rows, y, y_stride);
    }
    if (cpu_has_avx2_fma_f16c()) {
        static constexpr auto tiles = avx2_tiles(std::make_integer_sequence<int, kTileRows>{});
        for (int64_t t = 0; t < n_tok; t += kTileRows) {
            const int64_t rows = std::min(kTileRows, n_tok - t);
            tiles[static_cast<size_t>(rows - 1)](packed, x + t * k, k, n_rows, y + t * y_stride, y_stride);
        }
        return;
    }
#endif
    gemm_tile_reference(packed, x, k, n_tok, n_rows, y, y_stride);
}

void matmul_batched(const tensor::Tensor& w, const float* x, int64_t n_tokens, float* y, ThreadPool& pool) {
#if defined(__x86_64__)
    if (cpu_has_avx512f()) return matmul_batched_wide(w, x, n_tokens, y, pool);
#endif
    matmul_batched_panels16(w, x, n_tokens, y, pool);
}

void matmul_batched_panels16(const tensor::Tensor& w, const float* x, int64_t n_tokens, float* y, ThreadPool& pool) {
    const int64_t k = w.ne[0];
    const int64_t n_out = w.ne[1];
    const int64_t n_blocks = (n_out + kRowBlock - 1) / kRowBlock;
    // Row blocks from a shared counter: a thread the OS delays leaves its blocks to the others
    // (each block's outputs are computed the same way on any thread).
    std::atomic<int64_t> next_block{0};
    const int64_t token_block = gemm_tile_rows();
    pool.run([&](int, int) {
        thread_local std::vector<float> rows, packed;
        packed.resize(static_cast<size_t>(k * kRowBlock));
        for (int64_t b = next_block.fetch_add(1, std::memory_order_relaxed); b < n_blocks;
             b = next_block.fetch_add(1, std::memory_order_relaxed)) {
            const int64_t r0 = b * kRowBlock;
            const int64_t n_rows = std::min(kRowBlock, n_out - r0);
            pack_weight_panel(w, r0, n_rows, packed.data(), kRowBlock, 0, rows);
            for (int64_t t = 0; t < n_tokens; t += token_block) {
                const int64_t n_tok = std::min(token_block, n_tokens - t);
                gemm_tile(packed.data(), x + t * k, k, n_tok, n_rows, y + t * n_out + r0, n_out);
            }
        }
    });
}

}  // namespace rocmforge::backend::cpu
