#pragma once
// Where each element's code and sub-block scale live inside the 256-element blocks.
// Element e (0..255) of a block, in row order. Used by the reference kernels and quantizers and
// (the ROCMFORGE_HOST_DEVICE ones) by the GPU element readers; the SIMD kernels follow the same
// layout with vector shuffles.
#include "quant/block_types.h"
#include "quant/host_device.h"

namespace rocmforge::quant::layout {

// Q4_K / Q5_K 6-bit scale and min of sub-block s (0..7) from the 12 packed bytes.
ROCMFORGE_HOST_DEVICE inline void k4_scale_min(const uint8_t* packed, int s, int* scale, int* min) {
    if (s < 4) {
        *scale = packed[s] & 63;
        *min = packed[s + 4] & 63;
    } else {
        *scale = (packed[s + 4] & 0xF) | ((packed[s - 4] >> 6) << 4);
        *min = (packed[s + 4] >> 4) | ((packed[s] >> 6) << 4);
    }
}
inline void k4_pack_scale_min(const int* scale, const int* min, uint8_t* packed) {
    for (int s = 0; s < 4; ++s) {
        packed[s] = static_cast<uint8_t>((scale[s] & 63) | ((scale[s + 4] >> 4) << 6));
        packed[s + 4] = static_cast<uint8_t>((min[s] & 63) | ((min[s + 4] >> 4) << 6));
        packed[s + 8] = static_cast<uint8_t>((scale[s + 4] & 0xF) | ((min[s + 4] & 0xF) << 4));
    }
}

// Q3_K signed scale of sub-block s (0..15), in [-32,31].
ROCMFORGE_HOST_DEVICE inline int q3k_scale(const uint8_t* packed, int s) {
    const int low = s < 8 ? (packed[s] & 0xF) : (packed[s - 8] >> 4);
    const int high = (packed[8 + s % 4] >> (2 * (s / 4))) & 3;
    return (low | (high << 4)) - 32;
}
inline void q3k_pack_scales(const int* scale, uint8_t* packed) {  // scale[s] in [-32,31]
    for (int i = 0; i < 12; ++i) packed[i] = 0;
    for (int s = 0; s < 16; ++s) {
        const int u = scale[s] + 32;
        packed[s % 8] |= static_cast<uint8_t>((u & 0xF) << (s < 8 ? 0 : 4));
        packed[8 + s % 4] |= static_cast<uint8_t>((u >> 4) << (2 * (s / 4)));
    }
}

// Q2_K / Q3_K: 2-bit field of element e (half h = e/128, field j = (e%128)/32, l = e%32).
ROCMFORGE_HOST_DEVICE inline int q2_byte(int e) { return (e / 128) * 32 + e % 32; }
ROCMFORGE_HOST_DEVICE inline int q2_shift(int e) { return 2 * ((e % 128) / 32); }
// Q3_K high bit: bit (e/32) of hmask[e%32].
ROCMFORGE_HOST_DEVICE inline int q3_hbit_byte(int e) { return e % 32; }
ROCMFORGE_HOST_DEVICE inline int q3_hbit_shift(int e) { return e / 32; }

// Q4_K / Q5_K: low 4 bits in qs[(e/64)*32 + e%32], low nibble when (e%64) < 32.
ROCMFORGE_HOST_DEVICE inline int q4k_byte(int e) { return (e / 64) * 32 + e % 32; }
ROCMFORGE_HOST_DEVICE inline int q4k_shift(int e) { return (e % 64) < 32 ? 0 : 4; }
// Q5_K fifth bit: bit (e/32) of qh[e%32].

// Q6_K: 4 low bits in ql, 2 high bits in qh. Quarter c = (e%128)/32, l = e%32.
ROCMFORGE_HOST_DEVICE inline int q6k_ql_byte(int e) { return (e / 128) * 64 + e % 32 + (((e % 128) / 32) & 1) * 32; }
ROCMFORGE_HOST_DEVICE inline int q6k_ql_shift(int e) { return ((e % 128) / 32) < 2 ? 0 : 4; }
ROCMFORGE_HOST_DEVICE inline int q6k_qh_byte(int e) { return (e / 128) * 32 + e % 32; }
ROCMFORGE_HOST_DEVICE inline int q6k_qh_shift(int e) { return 2 * ((e % 128) / 32); }

// IQ4_XS: sub-block b = e/32, r = e%32: qs[b*16 + r%16], low nibble when r < 16.
ROCMFORGE_HOST_DEVICE inline int iq4xs_byte(int e) { return (e / 32) * 16 + e % 16; }
ROCMFORGE_HOST_DEVICE inline int iq4xs_shift(int e) { return (e % 32) < 16 ? 0 : 4; }
ROCMFORGE_HOST_DEVICE inline int iq4xs_scale(const BlockIQ4_XS& b, int s) {  // in [-32,31]
    return (((b.scales_l[s / 2] >> (4 * (s % 2))) & 0xF) | (((b.scales_h >> (2 * s)) & 3) << 4)) - 32;
}

// TQ2_0: chunk = e/128, field l = (e%128)/32, m = e%32: 2 bits at shift 2l of qs[chunk*32 + m].
inline int tq2_byte(int e) { return (e / 128) * 32 + e % 32; }
inline int tq2_shift(int e) { return 2 * ((e % 128) / 32); }

// TQ1_0 ternary digit (0..2) of element e: bytes hold base-3 fractions; digit n of byte b is
// ((uint8)(b * 3^n) * 3) >> 8. Elements 0..159: byte qs[e%32], digit e/32; 160..239: byte
// qs[32 + (e-160)%16], digit (e-160)/16; 240..255: byte qh[(e-240)%4], digit (e-240)/4.
inline int tq1_digit(const BlockTQ1_0& b, int e) {
    static constexpr uint8_t kPow3[5] = {1, 3, 9, 27, 81};
    uint8_t byte;
    int digit;
    if (e < 160) { byte = b.qs[e % 32]; digit = e / 32; }
    else if (e < 240) { byte = b.qs[32 + (e - 160) % 16]; digit = (e - 160) / 16; }
    else { byte = b.qh[(e - 240) % 4]; digit = (e - 240) / 4; }
    const uint8_t shifted = static_cast<uint8_t>(byte * kPow3[digit]);
    return (shifted * 3) >> 8;
}

}  // namespace rocmforge::quant::layout
