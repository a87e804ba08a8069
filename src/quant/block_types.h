#pragma once
// Memory layout of every GGML block type (one struct per type, byte-exact with the GGUF files).
// Scales stored as IEEE binary16 are kept as raw uint16_t bits; use half_to_float() to read them.
#include <cstdint>

namespace rocmforge::quant {

constexpr int kQK4_0 = 32;      // elements per block of the 32-element "legacy" types
constexpr int kQK_K = 256;      // elements per K-quant super-block
constexpr int kKScaleBytes = 12;  // packed 6-bit scales+mins of Q4_K/Q5_K (8 of each)

// y = d * (q - 8), q in [0,15]; qs[j] holds element j (low nibble) and j+16 (high nibble).
struct BlockQ4_0 { uint16_t d; uint8_t qs[kQK4_0 / 2]; };
// y = d * q + m, q in [0,15]; same nibble order as Q4_0.
struct BlockQ4_1 { uint16_t d; uint16_t m; uint8_t qs[kQK4_0 / 2]; };
// y = d * (q - 16), q in [0,31]: low 4 bits as Q4_0, bit 4 of element j is bit j of qh (little endian).
struct BlockQ5_0 { uint16_t d; uint8_t qh[4]; uint8_t qs[kQK4_0 / 2]; };
// y = d * q + m, q in [0,31]; bit layout as Q5_0.
struct BlockQ5_1 { uint16_t d; uint16_t m; uint8_t qh[4]; uint8_t qs[kQK4_0 / 2]; };
// y = d * q, q in [-127,127] (our quantizer never emits -128).
struct BlockQ8_0 { uint16_t d; int8_t qs[kQK4_0]; };

// 16 sub-blocks of 16: y = d*(scales[i]&15)*q - dmin*(scales[i]>>4), q in [0,3].
struct BlockQ2_K { uint8_t scales[kQK_K / 16]; uint8_t qs[kQK_K / 4]; uint16_t d; uint16_t dmin; };
// 16 sub-blocks of 16: y = d*(s_i-32)*(q - 4*!hbit), q in [0,3]; s_i 6-bit packed in scales[12].
struct BlockQ3_K { uint8_t hmask[kQK_K / 8]; uint8_t qs[kQK_K / 4]; uint8_t scales[12]; uint16_t d; };
// 8 sub-blocks of 32: y = d*sc_i*q - dmin*m_i, q in [0,15]; sc_i, m_i 6-bit packed in scales[12].
struct BlockQ4_K { uint16_t d; uint16_t dmin; uint8_t scales[kKScaleBytes]; uint8_t qs[kQK_K / 2]; };
// As Q4_K with a fifth bit per element in qh, q in [0,31].
struct BlockQ5_K { uint16_t d; uint16_t dmin; uint8_t scales[kKScaleBytes]; uint8_t qh[kQK_K / 8]; uint8_t qs[kQK_K / 2]; };
// 16 sub-blocks of 16: y = d*scales[i]*(q-32), q in [0,63] (4 low bits in ql, 2 high bits in qh).
struct BlockQ6_K { uint8_t ql[kQK_K / 2]; uint8_t qh[kQK_K / 4]; int8_t scales[kQK_K / 16]; uint16_t d; };
// Activation format of the K-quant dot products: y = d*q; bsums[i] = sum of qs[16i..16i+15].
struct BlockQ8_K { float d; int8_t qs[kQK_K]; int16_t bsums[kQK_K / 16]; };

// y = d * kIq4nlValues[q] (non-linear 4-bit codebook); nibble order as Q4_0.
struct BlockIQ4_NL { uint16_t d; uint8_t qs[kQK4_0 / 2]; };
// 8 sub-blocks of 32 with 6-bit scales (low 4 bits in scales_l, high 2 in scales_h): y = d*(s-32)*kIq4nlValues[q].
struct BlockIQ4_XS { uint16_t d; uint16_t scales_h; uint8_t scales_l[kQK_K / 64]; uint8_t qs[kQK_K / 2]; };
// Ternary {-1,0,1}*d: five base-3 digits per byte of qs (240 values), four per byte of qh (16 values).
struct BlockTQ1_0 { uint8_t qs[(kQK_K - 4 * kQK_K / 64) / 5]; uint8_t qh[kQK_K / 64]; uint16_t d; };
// Ternary (q-1)*d with q in [0,2] stored as 2-bit fields.
struct BlockTQ2_0 { uint8_t qs[kQK_K / 4]; uint16_t d; };
// OCP MX block: shared E8M0 scale e, 32 E2M1 codes (element j low nibble, j+16 high nibble of qs[j]).
struct BlockMXFP4 { uint8_t e; uint8_t qs[kQK4_0 / 2]; };

static_assert(sizeof(BlockQ4_0) == 18);
static_assert(sizeof(BlockQ4_1) == 20);
static_assert(sizeof(BlockQ5_0) == 22);
static_assert(sizeof(BlockQ5_1) == 24);
static_assert(sizeof(BlockQ8_0) == 34);
static_assert(sizeof(BlockQ2_K) == 84);
static_assert(sizeof(BlockQ3_K) == 110);
static_assert(sizeof(BlockQ4_K) == 144);
static_assert(sizeof(BlockQ5_K) == 176);
static_assert(sizeof(BlockQ6_K) == 210);
static_assert(sizeof(BlockQ8_K) == 292);
static_assert(sizeof(BlockIQ4_NL) == 18);
static_assert(sizeof(BlockIQ4_XS) == 136);
static_assert(sizeof(BlockTQ1_0) == 54);
static_assert(sizeof(BlockTQ2_0) == 66);
static_assert(sizeof(BlockMXFP4) == 17);

// Codebook of IQ4_NL / IQ4_XS (index = 4-bit code).
inline constexpr int8_t kIq4nlValues[16] = {-127, -104, -83, -65, -49, -35, -22, -10, 1, 13, 25, 38, 53, 69, 89, 113};

}  // namespace rocmforge::quant
