#pragma once
// Device-side element access of every weight type in weight_types.h: value i of a row of k
// elements, in its GPU layout (weight_layout.h), computed
// with the same formulas as the reference dequantizers (quant/ref_*.cpp; layouts in
// quant/block_types.h and quant/k_quant_layout.h). Used by get_rows, the generic GEMV and the
// whole-matrix dequantization of the prefill GEMM. Device code only.
#include "backend/gpu/common.cuh"
#include "backend/gpu/weight_types.h"
#include "quant/block_types.h"
#include "quant/k_quant_layout.h"

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
// ---- 32-element blocks in GGUF layout (block_types.h); element j of a block: low nibble of qs[j]
// for j < 16, high nibble of qs[j - 16] otherwise; fifth bit (Q5_0/Q5_1) = bit j of the 32-bit qh.
__device__ __forceinline__ int nibble32(const uint8_t* qs, int j) { return j < 16 ? (qs[j] & 0xF) : (qs[j - 16] >> 4); }
__device__ __forceinline__ int fifth_bit32(const uint8_t* qh, int j) { return (qh[j / 8] >> (j % 8)) & 1; }

// y = d * q + m, q in [0,15].
template <>
struct ElementReader<gguf::GgmlType::Q4_1> {
    static __device__ __forceinline__ float get(const uint8_t* row, int64_t i, int64_t k) {
        const auto& b = reinterpret_cast<const quant::BlockQ4_1*>(row)[i / 32];
        const int q = nibble32(b.qs, static_cast<int>(i % 32));
        return static_cast<float>(q) * half_bits_to_float(b.d) + half_bits_to_float(b.m);
    }
};
// y = d * (q - 16), q in [0,31].
template <>
struct ElementReader<gguf::GgmlType::Q5_0> {
    static __device__ __forceinline__ float get(const uint8_t* row, int64_t i, int64_t k) {
        const auto& b = reinterpret_cast<const quant::BlockQ5_0*>(row)[i / 32];
        const int j = static_cast<int>(i % 32);
        const int q = nibble32(b.qs, j) | (fifth_bit32(b.qh, j) << 4);
        return static_cast<float>(q - 16) * half_bits_to_float(b.d);
    }
};
// y = d * q + m, q in [0,31].
template <>
struct ElementReader<gguf::GgmlType::Q5_1> {
    static __device__ __forceinline__ float get(const uint8_t* row, int64_t i, int64_t k) {
        const auto& b = reinterpret_cast<const quant::BlockQ5_1*>(row)[i / 32];
        const int j = static_cast<int>(i % 32);
        const int q = nibble32(b.qs, j) | (fifth_bit32(b.qh, j) << 4);
        return static_cast<float>(q) * half_bits_to_float(b.d) + half_bits_to_float(b.m);
    }
};

// The IQ4_NL / IQ4_XS codebook (quant::kIq4nlValues) in constant memory, one copy per kernel file.
static __constant__ int8_t kIq4nlDevice[16] = {
    quant::kIq4nlValues[0],  quant::kIq4nlValues[1],  quant::kIq4nlValues[2],  quant::kIq4nlValues[3],
    quant::kIq4nlValues[4],  quant::kIq4nlValues[5],  quant::kIq4nlValues[6],  quant::kIq4nlValues[7],
    quant::kIq4nlValues[8],  quant::kIq4nlValues[9],  quant::kIq4nlValues[10], quant::kIq4nlValues[11],
    quant::kIq4nlValues[12], quant::kIq4nlValues[13], quant::kIq4nlValues[14], quant::kIq4nlValues[15]};

// y = d * codebook[q].
template <>
struct ElementReader<gguf::GgmlType::IQ4_NL> {
    static __device__ __forceinline__ float get(const uint8_t* row, int64_t i, int64_t k) {
        const auto& b = reinterpret_cast<const quant::BlockIQ4_NL*>(row)[i / 32];
        return half_bits_to_float(b.d) * static_cast<float>(kIq4nlDevice[nibble32(b.qs, static_cast<int>(i % 32))]);
    }
};
// y = 2^(e - 127) * E2M1(q): 17-byte blocks (byte-aligned), shared E8M0 exponent e (255 = NaN,
// 0 = 2^-127), 4-bit codes s.ee.m with magnitudes 0, 0.5, 1, 1.5, 2, 3, 4, 6 (quant/minifloat.h).
template <>
struct ElementReader<gguf::GgmlType::MXFP4> {
    static __device__ __forceinline__ float get(const uint8_t* row, int64_t i, int64_t k) {
        const uint8_t* b = row + (i / 32) * sizeof(quant::BlockMXFP4);
        const uint8_t e = b[0];
        const float scale = e == 0xFF ? __uint_as_float(0x7FC00000u)
                                      : __uint_as_float(e == 0 ? 0x00400000u : static_cast<uint32_t>(e) << 23);
        const int code = nibble32(b + 1, static_cast<int>(i % 32));
        const int exponent = (code >> 1) & 3, mantissa = code & 1;
        const float magnitude = exponent == 0 ? 0.5f * static_cast<float>(mantissa)
                                              : 0.25f * static_cast<float>((2 + mantissa) << exponent);
        return ((code & 8) ? -magnitude : magnitude) * scale;
    }
};

// ---- 256-element blocks in GGUF layout; bit positions from quant/k_quant_layout.h (shared with
// the CPU reference), element e = i % 256 of block i / 256.
namespace qlayout = quant::layout;

// y = (d * (sc & 15)) * q - dmin * (sc >> 4), sc = scales[e / 16], q in [0,3].
template <>
struct ElementReader<gguf::GgmlType::Q2_K> {
    static __device__ __forceinline__ float get(const uint8_t* row, int64_t i, int64_t k) {
        const auto& b = reinterpret_cast<const quant::BlockQ2_K*>(row)[i / 256];
        const int e = static_cast<int>(i % 256), sc = b.scales[e / 16];
        const int q = (b.qs[qlayout::q2_byte(e)] >> qlayout::q2_shift(e)) & 3;
        const float dl = half_bits_to_float(b.d) * static_cast<float>(sc & 0xF);
        const float ml = half_bits_to_float(b.dmin) * static_cast<float>(sc >> 4);
        return dl * static_cast<float>(q) - ml;
    }
};
// y = (d * s) * q, s the signed 6-bit scale of sub-block e / 16, q = 2-bit code - (high bit ? 0 : 4).
template <>
struct ElementReader<gguf::GgmlType::Q3_K> {
    static __device__ __forceinline__ float get(const uint8_t* row, int64_t i, int64_t k) {
        const auto& b = reinterpret_cast<const quant::BlockQ3_K*>(row)[i / 256];
        const int e = static_cast<int>(i % 256);
        const int low = (b.qs[qlayout::q2_byte(e)] >> qlayout::q2_shift(e)) & 3;
        const int high = (b.hmask[qlayout::q3_hbit_byte(e)] >> qlayout::q3_hbit_shift(e)) & 1;
        const float dl = half_bits_to_float(b.d) * static_cast<float>(qlayout::q3k_scale(b.scales, e / 16));
        return dl * static_cast<float>(low - (high ? 0 : 4));
    }
};
// Q4_K / Q5_K: y = (d * sc) * q - dmin * m over 8 sub-blocks of 32 (6-bit sc, m packed in 12 bytes).
template <typename Block>
__device__ __forceinline__ float k4_family_value(const Block& b, int e, int q) {
    int sc, m;
    qlayout::k4_scale_min(b.scales, e / 32, &sc, &m);
    const float d1 = half_bits_to_float(b.d) * static_cast<float>(sc);
    const float m1 = half_bits_to_float(b.dmin) * static_cast<float>(m);
    return d1 * static_cast<float>(q) - m1;
}
// q in [0,15].
template <>
struct ElementReader<gguf::GgmlType::Q4_K> {
    static __device__ __forceinline__ float get(const uint8_t* row, int64_t i, int64_t k) {
        const auto& b = reinterpret_cast<const quant::BlockQ4_K*>(row)[i / 256];
        const int e = static_cast<int>(i % 256);
        return k4_family_value(b, e, (b.qs[qlayout::q4k_byte(e)] >> qlayout::q4k_shift(e)) & 0xF);
    }
};
// q in [0,31]: fifth bit = bit e / 32 of qh[e % 32].
template <>
struct ElementReader<gguf::GgmlType::Q5_K> {
    static __device__ __forceinline__ float get(const uint8_t* row, int64_t i, int64_t k) {
        const auto& b = reinterpret_cast<const quant::BlockQ5_K*>(row)[i / 256];
        const int e = static_cast<int>(i % 256);
        const int low = (b.qs[qlayout::q4k_byte(e)] >> qlayout::q4k_shift(e)) & 0xF;
        return k4_family_value(b, e, low | (((b.qh[e % 32] >> (e / 32)) & 1) << 4));
    }
};
// y = d * scales[e / 16] * (q - 32); 4 low bits in ql, 2 high bits in qh.
template <>
struct ElementReader<gguf::GgmlType::Q6_K> {
    static __device__ __forceinline__ float get(const uint8_t* row, int64_t i, int64_t k) {
        const auto& b = reinterpret_cast<const quant::BlockQ6_K*>(row)[i / 256];
        const int e = static_cast<int>(i % 256);
        const int low = (b.ql[qlayout::q6k_ql_byte(e)] >> qlayout::q6k_ql_shift(e)) & 0xF;
        const int high = (b.qh[qlayout::q6k_qh_byte(e)] >> qlayout::q6k_qh_shift(e)) & 3;
        const int q = (low | (high << 4)) - 32;
        return half_bits_to_float(b.d) * static_cast<float>(b.scales[e / 16]) * static_cast<float>(q);
    }
};
// y = (d * s) * codebook[q], s the signed 6-bit scale of sub-block e / 32.
template <>
struct ElementReader<gguf::GgmlType::IQ4_XS> {
    static __device__ __forceinline__ float get(const uint8_t* row, int64_t i, int64_t k) {
        const auto& b = reinterpret_cast<const quant::BlockIQ4_XS*>(row)[i / 256];
        const int e = static_cast<int>(i % 256);
        const float dl = half_bits_to_float(b.d) * static_cast<float>(qlayout::iq4xs_scale(b, e / 32));
        return dl * static_cast<float>(kIq4nlDevice[(b.qs[qlayout::iq4xs_byte(e)] >> qlayout::iq4xs_shift(e)) & 0xF]);
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
        case GgmlType::Q4_1: f.template operator()<GgmlType::Q4_1>(); return true;
        case GgmlType::Q5_0: f.template operator()<GgmlType::Q5_0>(); return true;
        case GgmlType::Q5_1: f.template operator()<GgmlType::Q5_1>(); return true;
        case GgmlType::IQ4_NL: f.template operator()<GgmlType::IQ4_NL>(); return true;
        case GgmlType::MXFP4: f.template operator()<GgmlType::MXFP4>(); return true;
        case GgmlType::Q2_K: f.template operator()<GgmlType::Q2_K>(); return true;
        case GgmlType::Q3_K: f.template operator()<GgmlType::Q3_K>(); return true;
        case GgmlType::Q4_K: f.template operator()<GgmlType::Q4_K>(); return true;
        case GgmlType::Q5_K: f.template operator()<GgmlType::Q5_K>(); return true;
        case GgmlType::Q6_K: f.template operator()<GgmlType::Q6_K>(); return true;
        case GgmlType::IQ4_XS: f.template operator()<GgmlType::IQ4_XS>(); return true;
        default: return false;
    }
}

}  // namespace rocmforge::backend::gpu
