#pragma once
// The decode layout of Q4_0, Q8_0, Q4_K and Q6_K weights on the CPU (tensor::Layout::Interleaved8): the
// blocks of 8 consecutive rows are interleaved, so a multi-row kernel streams one contiguous range
// and gets 8 rows' scales with one load. A weight W [k, n_rows] (k a multiple of the block size)
// is stored as
//   groups g < n_rows / 8:  k/block group blocks, block column i of rows 8g..8g+7 (Block*x8)
//   then rows n_rows - n_rows % 8 .. n_rows - 1 as plain rows (GGUF layout).
// The interleaved copy has exactly the bytes of the plain one (the same blocks, reordered), except
// Q4_K whose groups carry their scales decoded to bytes (interleaved_bytes: +2.8 %).
#include "gguf/ggml_type.h"
#include "quant/block_types.h"
#include "tensor/tensor.h"

#include <cstdint>

namespace rocmforge::backend::cpu {

constexpr int64_t kInterleavedRows = 8;

// Block column i of 8 Q4_0 rows. d[r]: f16 scale of row r of the group. qs[c][r][b] is byte 4c + b
// of row r's 16 nibble bytes (as in BlockQ4_0: low nibble element 4c + b, high nibble element
// 16 + 4c + b), so one 32-byte load holds 4 consecutive elements of each of the 8 rows (low
// nibbles) and the 4 elements 16 further on (high nibbles), row r in 32-bit lane r.
struct BlockQ4_0x8 {
    uint16_t d[8];
    uint8_t qs[quant::kQK4_0 / 8][8][4];
};
static_assert(sizeof(BlockQ4_0x8) == 8 * sizeof(quant::BlockQ4_0));

// Block column i of 8 Q8_0 rows: d[r] f16 scale of row r; qs[c][r][b] is code 4c + b of row r, so
// one 32-byte load holds 4 consecutive codes of each of the 8 rows, row r in 32-bit lane r.
struct BlockQ8_0x8 {
    uint16_t d[8];
    int8_t qs[quant::kQK4_0 / 4][8][4];
};
static_assert(sizeof(BlockQ8_0x8) == 8 * sizeof(quant::BlockQ8_0));

// Block column i of 8 Q4_K rows, the 6-bit scales and mins decoded to bytes (148 bytes per row
// and super-block instead of BlockQ4_K's 144: the only interleaved layout larger than its plain
// rows, +2.8 %). d[r], dmin[r]: f16 super-block scales of row r; scales[s][r]: scale of sub-block s
// (elements 32s..32s+31) of row r; mins[p][r][h]: min of sub-block 2p + h of row r;
// qs[p][c][r][b]: byte 32p + 4c + b of row r's BlockQ4_K::qs (low nibble element 64p + 4c + b of
// sub-block 2p, high nibble element 64p + 32 + 4c + b of sub-block 2p + 1), so one 32-byte load
// holds 4 consecutive codes of each of the 8 rows in both sub-blocks of pair p, row r in 32-bit lane r.
struct BlockQ4_Kx8 {
    uint16_t d[8];
    uint16_t dmin[8];
    uint8_t scales[8][8];
    uint8_t mins[4][8][2];
    uint8_t qs[4][8][8][4];
};
static_assert(sizeof(BlockQ4_Kx8) == 8 * (sizeof(quant::BlockQ4_K) + 4));

// Block column i of 8 Q6_K rows: the fields of BlockQ6_K, row r at index r of each array.
struct BlockQ6_Kx8 {
    uint16_t d[8];
    int8_t scales[8][quant::kQK_K / 16];
    uint8_t ql[8][quant::kQK_K / 2];
    uint8_t qh[8][quant::kQK_K / 4];
};
static_assert(sizeof(BlockQ6_Kx8) == 8 * sizeof(quant::BlockQ6_K));

// True for the types that have an interleaved layout and kernels (Q4_0, Q8_0, Q4_K, Q6_K).
bool has_interleaved_layout(gguf::GgmlType type);
// True for the types the CPU backend repacks at load: those whose 8-row kernel measured faster
// than the per-row vec_dot (bench/interleaved_gemv_bench): all four.
bool interleave_at_load(gguf::GgmlType type);

// Bytes of one group (8 rows of k values) of `type`.
size_t interleaved_group_bytes(gguf::GgmlType type, int64_t k);
int64_t interleaved_group_count(const tensor::Tensor& w);
// Bytes of the whole interleaved copy of `src` (2-D, an interleaved type): groups and tail rows.
size_t interleaved_bytes(const tensor::Tensor& src);

// Writes groups [group_begin, group_end) of the interleaved copy of `src` (a contiguous 2-D
// Layout::Rows weight of an interleaved type) into `dst` (the whole copy, interleaved_bytes(src)).
void interleave_groups(const tensor::Tensor& src, void* dst, int64_t group_begin, int64_t group_end);
// Copies the n_rows % 8 last rows of `src` behind the groups in `dst`.
void copy_tail_rows(const tensor::Tensor& src, void* dst);
// The view of an interleaved copy of `src` stored at `dst`.
tensor::Tensor interleaved_view(const tensor::Tensor& src, void* dst);

// Start of group g (rows 8g..8g+7) of an interleaved weight.
const uint8_t* interleaved_group_ptr(const tensor::Tensor& w, int64_t group);
// Start of a tail row (row >= 8 * interleaved_group_count(w)), stored as a plain row.
const uint8_t* interleaved_tail_row_ptr(const tensor::Tensor& w, int64_t row);

// dst[0..k) = row `row` of an interleaved weight, dequantized (the values the plain row gives).
void dequantize_interleaved_row(const tensor::Tensor& w, int64_t row, float* dst);

}  // namespace rocmforge::backend::cpu
