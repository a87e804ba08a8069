#include "backend/cpu/interleaved_weights.h"

#include "quant/k_quant_layout.h"
#include "quant/quant_traits.h"

#include <cassert>
#include <cstring>
#include <vector>

namespace rocmforge::backend::cpu {

using gguf::GgmlType;

bool has_interleaved_layout(GgmlType type) {
    return type == GgmlType::Q4_0 || type == GgmlType::Q8_0 || type == GgmlType::Q4_K || type == GgmlType::Q6_K;
}

bool interleave_at_load(GgmlType type) { return has_interleaved_layout(type); }

size_t interleaved_group_bytes(GgmlType type, int64_t k) {
    assert(has_interleaved_layout(type));
    if (type == GgmlType::Q4_K) return static_cast<size_t>(k / quant::kQK_K) * sizeof(BlockQ4_Kx8);
    return kInterleavedRows * quant::row_size(quant::quant_traits(type), k);
}

int64_t interleaved_group_count(const tensor::Tensor& w) { return w.ne[1] / kInterleavedRows; }

size_t interleaved_bytes(const tensor::Tensor& src) {
    const int64_t groups = interleaved_group_count(src);
    return static_cast<size_t>(groups) * interleaved_group_bytes(src.dtype, src.ne[0]) +
           static_cast<size_t>(src.ne[1] - groups * kInterleavedRows) * src.row_bytes();
}

namespace {

// Plain block <-> row r of a group block.
void put_row(const quant::BlockQ4_0& plain, int r, BlockQ4_0x8& group) {
    group.d[r] = plain.d;
    for (int c = 0; c < quant::kQK4_0 / 8; ++c) std::memcpy(group.qs[c][r], plain.qs + 4 * c, 4);
}
void put_row(const quant::BlockQ8_0& plain, int r, BlockQ8_0x8& group) {
    group.d[r] = plain.d;
    for (int c = 0; c < quant::kQK4_0 / 4; ++c) std::memcpy(group.qs[c][r], plain.qs + 4 * c, 4);
}
void put_row(const quant::BlockQ4_K& plain, int r, BlockQ4_Kx8& group) {
    group.d[r] = plain.d;
    group.dmin[r] = plain.dmin;
    for (int s = 0; s < 8; ++s) {
        int sc = 0, m = 0;
        quant::layout::k4_scale_min(plain.scales, s, &sc, &m);
        group.scales[s][r] = static_cast<uint8_t>(sc);
        group.mins[s / 2][r][s % 2] = static_cast<uint8_t>(m);
    }
    for (int p = 0; p < 4; ++p)
        for (int c = 0; c < 8; ++c) std::memcpy(group.qs[p][c][r], plain.qs + 32 * p + 4 * c, 4);
}
void put_row(const quant::BlockQ6_K& plain, int r, BlockQ6_Kx8& group) {
    group.d[r] = plain.d;
    std::memcpy(group.scales[r], plain.scales, sizeof(plain.scales));
    std::memcpy(group.ql[r], plain.ql, sizeof(plain.ql));
    std::memcpy(group.qh[r], plain.qh, sizeof(plain.qh));
}
void get_row(const BlockQ4_0x8& group, int r, quant::BlockQ4_0& plain) {
    plain.d = group.d[r];
    for (int c = 0; c < quant::kQK4_0 / 8; ++c) std::memcpy(plain.qs + 4 * c, group.qs[c][r], 4);
}
void get_row(const BlockQ8_0x8& group, int r, quant::BlockQ8_0& plain) {
    plain.d = group.d[r];
    for (int c = 0; c < quant::kQK4_0 / 4; ++c) std::memcpy(plain.qs + 4 * c, group.qs[c][r], 4);
}
void get_row(const BlockQ4_Kx8& group, int r, quant::BlockQ4_K& plain) {
    plain.d = group.d[r];
    plain.dmin = group.dmin[r];
    int sc[8], m[8];
    for (int s = 0; s < 8; ++s) {
        sc[s] = group.scales[s][r];
        m[s] = group.mins[s / 2][r][s % 2];
    }
    quant::layout::k4_pack_scale_min(sc, m, plain.scales);
    for (int p = 0; p < 4; ++p)
        for (int c = 0; c < 8; ++c) std::memcpy(plain.qs + 32 * p + 4 * c, group.qs[p][c][r], 4);
}

void get_row(const BlockQ6_Kx8& group, int r, quant::BlockQ6_K& plain) {
    plain.d = group.d[r];
    std::memcpy(plain.scales, group.scales[r], sizeof(plain.scales));
    std::memcpy(plain.ql, group.ql[r], sizeof(plain.ql));
    std::memcpy(plain.qh, group.qh[r], sizeof(plain.qh));
}

template <class Plain, class Group>
void interleave_group(const tensor::Tensor& src, int64_t group, Group* dst) {
    const int64_t nb = static_cast<int64_t>(src.row_bytes() / sizeof(Plain));
    for (int r = 0; r < kInterleavedRows; ++r) {
        const auto* row = reinterpret_cast<const Plain*>(src.row_ptr(group * kInterleavedRows + r));
        for (int64_t i = 0; i < nb; ++i) put_row(row[i], r, dst[i]);
    }
}

// Gathers the row's blocks into a plain row, then one to_float call for the whole row.
template <class Plain, class Group>
void dequantize_group_row(const tensor::Tensor& w, const uint8_t* group, int r, float* dst) {
    const int64_t nb = static_cast<int64_t>(w.row_bytes() / sizeof(Plain));
    thread_local std::vector<Plain> plain;
    plain.resize(static_cast<size_t>(nb));
    for (int64_t i = 0; i < nb; ++i) get_row(reinterpret_cast<const Group*>(group)[i], r, plain[i]);
    quant::quant_traits(w.dtype).to_float(plain.data(), dst, w.ne[0]);
}

}  // namespace

void interleave_groups(const tensor::Tensor& src, void* dst, int64_t group_begin, int64_t group_end) {
    assert(src.layout == tensor::Layout::Rows && has_interleaved_layout(src.dtype));
    const size_t group_bytes = interleaved_group_bytes(src.dtype, src.ne[0]);
    for (int64_t g = group_begin; g < group_end; ++g) {
        void* out = static_cast<uint8_t*>(dst) + static_cast<size_t>(g) * group_bytes;
        switch (src.dtype) {
            case GgmlType::Q4_0: interleave_group<quant::BlockQ4_0>(src, g, static_cast<BlockQ4_0x8*>(out)); break;
            case GgmlType::Q8_0: interleave_group<quant::BlockQ8_0>(src, g, static_cast<BlockQ8_0x8*>(out)); break;
            case GgmlType::Q4_K: interleave_group<quant::BlockQ4_K>(src, g, static_cast<BlockQ4_Kx8*>(out)); break;
            default: interleave_group<quant::BlockQ6_K>(src, g, static_cast<BlockQ6_Kx8*>(out)); break;
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
    const uint8_t* g = interleaved_group_ptr(w, group);
    switch (w.dtype) {
        case GgmlType::Q4_0: return dequantize_group_row<quant::BlockQ4_0, BlockQ4_0x8>(w, g, r, dst);
        case GgmlType::Q8_0: return dequantize_group_row<quant::BlockQ8_0, BlockQ8_0x8>(w, g, r, dst);
        case GgmlType::Q4_K: return dequantize_group_row<quant::BlockQ4_K, BlockQ4_Kx8>(w, g, r, dst);
        default: return dequantize_group_row<quant::BlockQ6_K, BlockQ6_Kx8>(w, g, r, dst);
    }
}

}  // namespace rocmforge::backend::cpu
