#pragma once
// The register-tiled f32 GEMM micro-kernel shared by batched matmul and batched attention:
//   y[t * y_stride + j] = sum_{i < k} x[t * k + i] * packed[i * 16 + j]
// for t < n_rows_x (<= 6) and j < n_cols (<= 16). `packed` holds 16 columns per i (zero-padded).
#include <cstdint>

namespace rocmforge::backend::cpu {

constexpr int64_t kTileCols = 16;
constexpr int64_t kTileRows = 6;

void gemm_tile(const float* packed, const float* x, int64_t k, int64_t n_rows_x, int64_t n_cols, float* y,
               int64_t y_stride);
// Scalar reference of the same contract.
void gemm_tile_reference(const float* packed, const float* x, int64_t k, int64_t n_rows_x, int64_t n_cols, float* y,
                         int64_t y_stride);

}  // namespace rocmforge::backend::cpu
