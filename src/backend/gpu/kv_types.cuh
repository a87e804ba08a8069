#pragma once
// Device load/store of one KV element in each storage type (F32, F16, BF16). Device code only.
#include "backend/gpu/common.cuh"
#include "gguf/ggml_type.h"

namespace rocmforge::backend::gpu {

// out[0..8) = to_float of the 8 16-bit values at p; PRECOND: p 16-byte aligned.
template <float (*to_float)(uint16_t)>
__device__ __forceinline__ void load8_16bit(const uint16_t* p, float* out) {
    const uint4 u = *reinterpret_cast<const uint4*>(p);
    const uint32_t words[4] = {u.x, u.y, u.z, u.w};
#pragma unroll
    for (int j = 0; j < 4; ++j) {
        out[2 * j] = to_float(static_cast<uint16_t>(words[j] & 0xFFFFu));
        out[2 * j + 1] = to_float(static_cast<uint16_t>(words[j] >> 16));
    }
}

template <gguf::GgmlType T>
struct KvElement;
template <>
struct KvElement<gguf::GgmlType::F32> {
    using Storage = float;
    static __device__ __forceinline__ float load(Storage v) { return v; }
    static __device__ __forceinline__ Storage store(float v) { return v; }
    // out[0..8) = p[0..8); PRECOND: p 16-byte aligned.
    static __device__ __forceinline__ void load8(const Storage* p, float* out) {
        const float4 a = reinterpret_cast<const float4*>(p)[0], b = reinterpret_cast<const float4*>(p)[1];
        out[0] = a.x, out[1] = a.y, out[2] = a.z, out[3] = a.w, out[4] = b.x, out[5] = b.y, out[6] = b.z, out[7] = b.w;
    }
};
template <>
struct KvElement<gguf::GgmlType::F16> {
    using Storage = uint16_t;
    static __device__ __forceinline__ float load(Storage v) { return half_bits_to_float(v); }
    static __device__ __forceinline__ void load8(const Storage* p, float* out) { load8_16bit<half_bits_to_float>(p, out); }
    static __device__ __forceinline__ Storage store(float v) { return float_to_half_bits(v); }
};
template <>
struct KvElement<gguf::GgmlType::BF16> {
    using Storage = uint16_t;
    static __device__ __forceinline__ float load(Storage v) { return bf16_bits_to_float(v); }
    static __device__ __forceinline__ void load8(const Storage* p, float* out) { load8_16bit<bf16_bits_to_float>(p, out); }
    static __device__ __forceinline__ Storage store(float v) { return float_to_bf16_bits(v); }
};

// Calls f.template operator()<T>() for a KV type; false for others.
template <typename F>
bool dispatch_kv_type(gguf::GgmlType type, F&& f) {
    using gguf::GgmlType;
    switch (type) {
        case GgmlType::F32: f.template operator()<GgmlType::F32>(); return true;
        case GgmlType::F16: f.template operator()<GgmlType::F16>(); return true;
        case GgmlType::BF16: f.template operator()<GgmlType::BF16>(); return true;
        default: return false;
    }
}

// The keys a query at `position` attends: [first, position], first > 0 with a sliding window.
__device__ __forceinline__ int64_t first_visible_key(int64_t position, int64_t window) {
    return window > 0 && position + 1 > window ? position + 1 - window : 0;
}

// Slot of position p of sequence s (device_batch.h).
__device__ __forceinline__ int64_t kv_slot(const int32_t* seq_info, const int32_t* block_tables, int s, int64_t p,
                                           int64_t block_size) {
    const int32_t offset = seq_info[4 * s + 3];
    return static_cast<int64_t>(block_tables[offset + p / block_size]) * block_size + p % block_size;
}

}  // namespace rocmforge::backend::gpu
