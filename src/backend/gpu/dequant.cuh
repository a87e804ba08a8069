#pragma once
// Device-side element access of every weight type in weight_types.h: value i of a row of k
// elements, in its GPU layout (weight_layout.h), computed
// with the same formulas as the reference dequantizers (quant/ref_*.cpp; layouts in
// quant/block_types.h and quant/k_quant_layout.h). Used by get_rows, the generic GEMV and the
// whole-matrix dequantization of the prefill GEMM. Device code only.
#include "backend/gpu/common.cuh"
#include "backend/gpu/weight_types.h"
#include "quant/block_types.h"

namespace rocmforge::backend::gpu {

template <gguf::GgmlType T>
struct ElementReader;

template <>
struct ElementReader<gguf::GgmlType::F32> {
    static __device__ __forceinline__ float get(const uint8_t* row, int64_t i, int64_t k) {
        return reinterpret_cast<const float*>(row)[i];
    }
};
template <>
struct ElementReader<gguf::GgmlType::F16> {
    static __device__ __forceinline__ float get(const uint8_t* row, int64_t i, int64_t k) {
        return half_bits_to_float(reinterpret_cast<const uint16_t*>(row)[i]);
    }
};
template <>
struct ElementReader<gguf::GgmlType::BF16> {
    static __device__ __forceinline__ float get(const uint8_t* row, int64_t i, int64_t k) {
        return bf16_bits_to_float(reinterpret_cast<const uint16_t*>(row)[i]);
    }
};
// y = d * q, 32 elements per block, split layout (weight_layout.h): quants, then scales.
template <>
struct ElementReader<gguf::GgmlType::Q8_0> {
    static __device__ __forceinline__ float get(const uint8_t* row, int64_t i, int64_t k) {
        const auto* scales = reinterpret_cast<const uint16_t*>(row + k);
        return half_bits_to_float(scales[i / 32]) * static_cast<float>(reinterpret_cast<const int8_t*>(row)[i]);
    }
};
// y = d * (q - 8), split layout: 16 quant bytes per block (element j in the low nibble of byte j,
// element j + 16 in its high nibble), then the scales.
template <>
struct ElementReader<gguf::GgmlType::Q4_0> {
    static __device__ __forceinline__ float get(const uint8_t* row, int64_t i, int64_t k) {
        const auto* scales = reinterpret_cast<const uint16_t*>(row + k / 2);
        const int j = static_cast<int>(i % 32);
        const uint8_t byte = row[(i / 32) * 16 + j % 16];
        const int q = j < 16 ? (byte & 0xF) : (byte >> 4);
        return static_cast<float>(q - 8) * half_bits_to_float(scales[i / 32]);
    }
};
// y = (d * sc) * q - dmin * m over 8 sub-blocks of 32 (6-bit sc, m packed in 12 bytes).
template <>
struct ElementReader<gguf::GgmlType::Q4_K> {
    static __device__ __forceinline__ float get(const uint8_t* row, int64_t i, int64_t k) {
        const auto& b = reinterpret_cast<const quant::BlockQ4_K*>(row)[i / 256];
        const int e = static_cast<int>(i % 256), s = e / 32;
        int sc, m;
        if (s < 4) {
            sc = b.scales[s] & 63;
            m = b.scales[s + 4] & 63;
        } else {
            sc = (b.scales[s + 4] & 0xF) | ((b.scales[s - 4] >> 6) << 4);
            m = (b.scales[s + 4] >> 4) | ((b.scales[s] >> 6) << 4);
        }
        const int q = (b.qs[(e / 64) * 32 + e % 32] >> ((e % 64) < 32 ? 0 : 4)) & 0xF;
        const float d1 = half_bits_to_float(b.d) * static_cast<float>(sc);
        const float m1 = half_bits_to_float(b.dmin) * static_cast<float>(m);
        return d1 * static_cast<float>(q) - m1;
    }
};
// y = d * scales[e / 16] * (q - 32); 4 low bits in ql, 2 high bits in qh.
template <>
struct ElementReader<gguf::GgmlType::Q6_K> {
    static __device__ __forceinline__ float get(const uint8_t* row, int64_t i, int64_t k) {
        const auto& b = reinterpret_cast<const quant::BlockQ6_K*>(row)[i / 256];
        const int e = static_cast<int>(i % 256), quarter = (e % 128) / 32;
        const int low = (b.ql[(e / 128) * 64 + e % 32 + (quarter & 1) * 32] >> (quarter < 2 ? 0 : 4)) & 0xF;
        const int high = (b.qh[(e / 128) * 32 + e % 32] >> (2 * quarter)) & 3;
        const int q = (low | (high << 4)) - 32;
        return half_bits_to_float(b.d) * static_cast<float>(b.scales[e / 16]) * static_cast<float>(q);
    }
};

// Calls f.template operator()<T>() for the runtime type; false for a type without kernels.
template <typename F>
bool dispatch_weight_type(gguf::GgmlType type, F&& f) {
    using gguf::GgmlType;
    switch (type) {
        case GgmlType::F32: f.template operator()<GgmlType::F32>(); return true;
        case GgmlType::F16: f.template operator()<GgmlType::F16>(); return true;
        case GgmlType::BF16: f.template operator()<GgmlType::BF16>(); return true;
        case GgmlType::Q8_0: f.template operator()<GgmlType::Q8_0>(); return true;
        case GgmlType::Q4_0: f.template operator()<GgmlType::Q4_0>(); return true;
        case GgmlType::Q4_K: f.template operator()<GgmlType::Q4_K>(); return true;
        case GgmlType::Q6_K: f.template operator()<GgmlType::Q6_K>(); return true;
        default: return false;
    }
}

}  // namespace rocmforge::backend::gpu
