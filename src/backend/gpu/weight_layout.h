#pragma once
// Row layouts of weight matrices in GPU memory. Most types keep their GGUF bytes. Q4_0 and Q8_0
// are stored "split": per row, first the quants of all its blocks (16 bytes per Q4_0 block, 32 per
// Q8_0 block, in GGUF's byte order), then the f16 scales of all its blocks. A row keeps its GGUF
// size, so the matrix keeps its shape and strides; a warp then reads quants with 16-byte loads
// that are contiguous across lanes (GGUF's 18- and 34-byte blocks are only 2-byte aligned).
// Plain C++ (host): the repack runs while staging the upload.
#include "gguf/ggml_type.h"

#include <cstddef>
#include <cstdint>

namespace rocmforge::backend::gpu {

inline bool has_split_layout(gguf::GgmlType t) { return t == gguf::GgmlType::Q4_0 || t == gguf::GgmlType::Q8_0; }

// Quant bytes of one 32-element block in the split layout (PRECOND: has_split_layout(T)); a
// constexpr variable, so kernels read it too.
template <gguf::GgmlType T>
inline constexpr int kSplitQuantBytes = T == gguf::GgmlType::Q4_0 ? 16 : 32;
inline constexpr int split_quant_bytes(gguf::GgmlType t) {
    return t == gguf::GgmlType::Q4_0 ? kSplitQuantBytes<gguf::GgmlType::Q4_0> : kSplitQuantBytes<gguf::GgmlType::Q8_0>;
}

// dst[r] = split layout of GGUF row src[r], for n_rows rows of k elements (k % 32 == 0), row_bytes
// apart in both. PRECOND: has_split_layout(t); src and dst do not overlap.
void repack_rows_split(gguf::GgmlType t, const uint8_t* src, uint8_t* dst, int64_t n_rows, int64_t k,
                       size_t row_bytes);

}  // namespace rocmforge::backend::gpu
