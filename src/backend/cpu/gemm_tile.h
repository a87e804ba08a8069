#pragma once
// The register-tiled f32 GEMM micro-kernel shared by batched matmul and batched attention:
//   y[t * y_stride + j] = sum_{i < k} x[t * k + i] * packed[i * 16 + j]
// for t < n_rows_x (<= kTileRowsMax) and j < n_cols (<= 16). `packed` holds 16 columns per i
// (zero-padded). With AVX2 or AVX-512 every output is one chain of fused multiply-adds over i in
// order, starting from 0 (acc = fma(x, w, acc)): the same bits whatever the tile's row count or
// vector width (batch invariance).
#include <cstdint>

namespace rocmforge::backend::cpu {

constexpr int64_t kTileCols = 16;
constexpr int64_t kTileRows = 6;
constexpr int64_t kTileRowsMax = 12;
// The rows of x one tile takes at once on this CPU: 12 with AVX-512 (one 16-float register per
// row), 6 otherwise.
int64_t gemm_tile_rows();

void gemm_tile(const float* packed, const float* x, int64_t k, int64_t n_rows_x, int64_t n_cols, float* y,
               int64_t y_stride);
// Scalar reference of the same contract.
void gemm_tile_reference(const float* packed, const float* x, int64_t k, int64_t n_rows_x, int64_t n_cols, float* y,
                         int64_t y_stride);

}  // namespace rocmforge::backend::cpu
