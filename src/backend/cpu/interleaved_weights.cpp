#include "backend/cpu/interleaved_weights.h"

#include "quant/quant_traits.h"

#include <cassert>
#include <cstring>
#include <type_traits>

namespace rocmforge::backend::cpu {

using gguf::GgmlType;

bool has_interleaved_layout(GgmlType type) { return type == GgmlType::Q4_0 || type == GgmlType::Q8_0; }

size_t interleaved_group_bytes(GgmlType type, int64_t k) {
    assert(has_interleaved_layout(type));
    const size_t block = type == GgmlType::Q4_0 ? sizeof(BlockQ4_0x8) : sizeof(BlockQ8_0x8);
    return static_cast<size_t>(k / quant::kQK4_0) * block;
}

int64_t interleaved_group_count(const tensor::Tensor& w) { return w.ne[1] / kInterleavedRows; }

namespace {

template <class Plain, class Group>
void interleave_group(const tensor::Tensor& src, int64_t group, Group* dst) {
    const int64_t nb = src.ne[0] / quant::kQK4_0;
    for (int r = 0; r < kInterleavedRows; ++r) {
        const auto* row = reinterpret_cast<const Plain*>(src.row_ptr(group * kInterleavedRows + r));
        for (int64_t i = 0; i < nb; ++i) {
            dst[i].d[r] = row[i].d;
            if constexpr (std::is_same_v<Group, BlockQ4_0x8>) {
                std::memcpy(dst[i].qs[q4_0x8_slot(r)], row[i].qs, sizeof(row[i].qs));
            } else {
                std::memcpy(dst[i].qs[r], row[i].qs, sizeof(row[i].qs));
            }
        }
    }
}

}  // namespace

void interleave_groups(const tensor::Tensor& src, void* dst, int64_t group_begin, int64_t group_end) {
    assert(src.layout == tensor::Layout::Rows && has_interleaved_layout(src.dtype));
    const size_t group_bytes = interleaved_group_bytes(src.dtype, src.ne[0]);
    for (int64_t g = group_begin; g < group_end; ++g) {
        void* out = static_cast<uint8_t*>(dst) + static_cast<size_t>(g) * group_bytes;
        if (src.dtype == GgmlType::Q4_0) {
            interleave_group<quant::BlockQ4_0>(src, g, static_cast<BlockQ4_0x8*>(out));
        } else {
            interleave_group<quant::BlockQ8_0>(src, g, static_cast<BlockQ8_0x8*>(out));
        }
    }
}

void copy_tail_rows(const tensor::Tensor& src, void* dst) {
    const int64_t first_tail = interleaved_group_count(src) * kInterleavedRows;
    const size_t offset = static_cast<size_t>(interleaved_group_count(src)) * interleaved_group_bytes(src.dtype, src.ne[0]);
    for (int64_t r = first_tail; r < src.ne[1]; ++r)
        std::memcpy(static_cast<uint8_t*>(dst) + offset + static_cast<size_t>(r - first_tail) * src.row_bytes(),
                    src.row_ptr(r), src.row_bytes());
}

tensor::Tensor interleaved_view(const tensor::Tensor& src, void* dst) {
    tensor::Tensor t = src;
    t.data = dst;
    t.layout = tensor::Layout::Interleaved8;
    return t;
}

const uint8_t* interleaved_group_ptr(const tensor::Tensor& w, int64_t group) {
    assert(w.layout == tensor::Layout::Interleaved8 && group < interleaved_group_count(w));
    return static_cast<const uint8_t*>(w.data) + static_cast<size_t>(group) * interleaved_group_bytes(w.dtype, w.ne[0]);
}

const uint8_t* interleaved_tail_row_ptr(const tensor::Tensor& w, int64_t row) {
    const int64_t groups = interleaved_group_count(w);
    assert(w.layout == tensor::Layout::Interleaved8 && row >= groups * kInterleavedRows && row < w.ne[1]);
    return static_cast<const uint8_t*>(w.data) + static_cast<size_t>(groups) * interleaved_group_bytes(w.dtype, w.ne[0]) +
           static_cast<size_t>(row - groups * kInterleavedRows) * w.row_bytes();
}

void dequantize_interleaved_row(const tensor::Tensor& w, int64_t row, float* dst) {
    const auto& traits = quant::quant_traits(w.dtype);
    const int64_t k = w.ne[0];
    const int64_t group = row / kInterleavedRows;
    if (group >= interleaved_group_count(w)) {
        traits.to_float(interleaved_tail_row_ptr(w, row), dst, k);
        return;
    }
    const int r = static_cast<int>(row % kInterleavedRows);
    const int64_t nb = k / quant::kQK4_0;
    const uint8_t* g = interleaved_group_ptr(w, group);
    for (int64_t i = 0; i < nb; ++i) {
        if (w.dtype == GgmlType::Q4_0) {
            const auto& b = reinterpret_cast<const BlockQ4_0x8*>(g)[i];
            quant::BlockQ4_0 plain;
            plain.d = b.d[r];
            std::memcpy(plain.qs, b.qs[q4_0x8_slot(r)], sizeof(plain.qs));
            traits.to_float(&plain, dst + i * quant::kQK4_0, quant::kQK4_0);
        } else {
            const auto& b = reinterpret_cast<const BlockQ8_0x8*>(g)[i];
            quant::BlockQ8_0 plain;
            plain.d = b.d[r];
            std::memcpy(plain.qs, b.qs[r], sizeof(plain.qs));
            traits.to_float(&plain, dst + i * quant::kQK4_0, quant::kQK4_0);
        }
    }
}

}  // namespace rocmforge::backend::cpu
