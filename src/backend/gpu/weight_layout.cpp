#include "backend/gpu/weight_layout.h"

#include <cstring>

namespace rocmforge::backend::gpu {

void repack_rows_split(gguf::GgmlType t, const uint8_t* src, uint8_t* dst, int64_t n_rows, int64_t k,
                       size_t row_bytes) {
    const int64_t n_blocks = k / 32;
    const size_t quant_bytes = static_cast<size_t>(split_quant_bytes(t));
    const size_t block_bytes = 2 + quant_bytes;  // GGUF block: f16 scale, then the quants
    for (int64_t r = 0; r < n_rows; ++r) {
        const uint8_t* in = src + static_cast<size_t>(r) * row_bytes;
        uint8_t* quants = dst + static_cast<size_t>(r) * row_bytes;
        uint8_t* scales = quants + static_cast<size_t>(n_blocks) * quant_bytes;
        for (int64_t b = 0; b < n_blocks; ++b) {
            const uint8_t* block = in + static_cast<size_t>(b) * block_bytes;
            std::memcpy(scales + 2 * b, block, 2);
            std::memcpy(quants + static_cast<size_t>(b) * quant_bytes, block + 2, quant_bytes);
        }
    }
}

}  // namespace rocmforge::backend::gpu
