// Integer building blocks of the x86 (AVX2 / AVX-512) dot-product kernels, included once per
// Highway target from vec_dot_simd.cpp inside namespace HWY_NAMESPACE, only for x86 targets with
// 256-bit vectors. Highway 1.0.3 has no u8 x i8 pairwise multiply-add, so the two instructions
// that do it (vpmaddubsw, and vpdpbusd on AVX3_DL/VNNI) are raw intrinsics here.
// Vectors are 256 bits: 32 int8 lanes = one 32-element block or sub-block.

#include "util/x86_dpbusd-inl.h"

using DI8 = hn::Full256<int8_t>;
using DU8 = hn::Full256<uint8_t>;
using DI16 = hn::Full256<int16_t>;
using DI32 = hn::Full256<int32_t>;
using DF32 = hn::Full256<float>;
using VI8 = hn::Vec256<int8_t>;
using VU8 = hn::Vec256<uint8_t>;
using VI16 = hn::Vec256<int16_t>;
using VI32 = hn::Vec256<int32_t>;
using VF32 = hn::Vec256<float>;

// Pairwise products a[2k]*b[2k] + a[2k+1]*b[2k+1] as int16 (vpmaddubsw). Precondition: the pair
// sums fit int16 without saturation, i.e. a <= 127 when b may be ±127 (true for every caller:
// |int8| after the sign trick, 4-, 5- and 6-bit codes).
HWY_INLINE VI16 MulPairsU8I8(VU8 a, VI8 b) { return VI16{_mm256_maddubs_epi16(a.raw, b.raw)}; }

// int32 lanes whose sum is sum_i a[i]*b[i] over the 32 lanes (a unsigned <= 127).
HWY_INLINE VI32 DotU8I8(VU8 a, VI8 b) {
#if HWY_TARGET == HWY_AVX3_DL
    return VI32{DpbusdEvex(_mm256_setzero_si256(), a.raw, b.raw)};
#else
    return VI32{_mm256_madd_epi16(MulPairsU8I8(a, b).raw, _mm256_set1_epi16(1))};
#endif
}
// Same for signed a (|a| <= 127): sum a*b = sum |a| * (b with the sign of a).
HWY_INLINE VI32 DotI8I8(VI8 a, VI8 b) {
    const VU8 abs_a = hn::BitCast(DU8(), hn::Abs(a));
    const VI8 signed_b = VI8{_mm256_sign_epi8(b.raw, a.raw)};
    return DotU8I8(abs_a, signed_b);
}
// int32 lanes: lanes 0..3 hold scale_lo * (dot of elements 0..15), lanes 4..7 scale_hi * (16..31).
HWY_INLINE VI32 ScaledDot16U8I8(VU8 a, VI8 b, int16_t scale_lo, int16_t scale_hi) {
    const __m256i scales = _mm256_set_m128i(_mm_set1_epi16(scale_hi), _mm_set1_epi16(scale_lo));
    return VI32{_mm256_madd_epi16(MulPairsU8I8(a, b).raw, scales)};
}
// int32 lanes: scale * dot of all 32 elements.
HWY_INLINE VI32 ScaledDotU8I8(VU8 a, VI8 b, int16_t scale) {
    return VI32{_mm256_madd_epi16(MulPairsU8I8(a, b).raw, _mm256_set1_epi16(scale))};
}

// 32 nibble codes of a 16-byte array: element j < 16 is the low nibble of qs[j], j >= 16 the high
// nibble of qs[j-16] (the layout of Q4_0/Q4_1/Q5_*/IQ4_NL/MXFP4).
HWY_INLINE VU8 NibblesOf16Bytes(const uint8_t* qs) {
    const auto bytes = hn::LoadU(hn::Full128<uint8_t>(), qs);
    const auto mask = hn::Set(hn::Full128<uint8_t>(), 0x0F);
    return hn::Combine(DU8(), hn::And(hn::ShiftRight<4>(bytes), mask), hn::And(bytes, mask));
}

// 0x10 in byte j where bit j of the little-endian 32-bit word `bits` is set, else 0.
HWY_INLINE VU8 FifthBitsOf32(const uint8_t* qh) {
    uint32_t word;
    std::memcpy(&word, qh, 4);
    const __m256i broadcast = _mm256_set1_epi32(static_cast<int32_t>(word));
    // Byte j takes source byte j/8 of the word, then tests bit j%8.
    const __m256i spread = _mm256_shuffle_epi8(broadcast, _mm256_set_epi64x(0x0303030303030303, 0x0202020202020202,
                                                                             0x0101010101010101, 0x0000000000000000));
    const __m256i bit = _mm256_set1_epi64x(static_cast<int64_t>(0x8040201008040201ull));
    const __m256i is_set = _mm256_cmpeq_epi8(_mm256_and_si256(spread, bit), bit);
    return VU8{_mm256_and_si256(is_set, _mm256_set1_epi8(0x10))};
}

// Q4_K/Q5_K block header: the 8 sub-block scales into sc[8]; returns sum_s min_s * (sum of the
// 32 activations of sub-block s), from the Q8_K block's 16-element sums.
HWY_INLINE int DecodeK4ScalesMinsDot(const uint8_t* packed_scales, const int16_t* bsums, int sc[8]) {
    int mins_dot = 0;
    for (int s = 0; s < 8; ++s) {
        int mn;
        layout::k4_scale_min(packed_scales, s, &sc[s], &mn);
        mins_dot += mn * (bsums[2 * s] + bsums[2 * s + 1]);
    }
    return mins_dot;
}

HWY_INLINE float HalfToFloat(uint16_t h) { return _cvtsh_ss(h); }

HWY_INLINE float ReduceF32(VF32 v) { return hn::GetLane(hn::SumOfLanes(DF32(), v)); }
