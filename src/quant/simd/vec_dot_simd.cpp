// SIMD row kernels, compiled once per Highway target (foreach_target) and chosen at runtime
// (HWY_DYNAMIC_DISPATCH). Float and runtime-format kernels are portable Highway code for every
// target; integer (quantized) kernels exist for x86 targets with 256-bit vectors (AVX2, AVX-512);
// other targets get portable Q8_0/Q4_0/Q4_K/Q6_K kernels and the scalar reference for the rest. Each kernel has the semantics of its ref:: counterpart in
// reference_kernels.h and is tested against it (tests/unit/quant_simd_test.cpp).
#undef HWY_TARGET_INCLUDE
#define HWY_TARGET_INCLUDE "quant/simd/vec_dot_simd.cpp"
#define HWY_WANT_AVX3_DL 1  // also build the VNNI (AVX-512 DL) variant; chosen only on CPUs that have it
#include <hwy/foreach_target.h>  // IWYU pragma: keep
#include <hwy/cache_control.h>
#include <hwy/highway.h>

#include "quant/block_types.h"
#include "quant/float_bits.h"
#include "quant/k_quant_layout.h"
#include "quant/minifloat.h"
#include "quant/reference_kernels.h"
#include "quant/runtime_formats.h"
#include "quant/simd/simd_kernels.h"
#include "util/stream_prefetch.h"

#include <cmath>
#include <cstring>
#include <limits>

HWY_BEFORE_NAMESPACE();
namespace rocmforge::quant::simd {
namespace HWY_NAMESPACE {
namespace hn = hwy::HWY_NAMESPACE;

// ---------------------------------------------------------------- float rows (all targets)
// x: n weights (f32 / f16 / bf16 bits, x_bytes bytes each), y: n f32 activations; any n. The
// weights are prefetched kStreamPrefetchBytes ahead (into the next row past this one's end), as
// the decode kernels stream theirs: decode reads these rows from memory once per token.
template <class LoadX, class ScalarX>
HWY_INLINE float DotFloatRow(int64_t n, const float* y, const void* x, int64_t x_bytes, LoadX load_x,
                             ScalarX scalar_x) {
    constexpr int64_t kLine = 64;
    const hn::ScalableTag<float> df;
    const int64_t lanes = static_cast<int64_t>(hn::Lanes(df));
    const int64_t step_bytes = 4 * lanes * x_bytes;
    const char* ahead = static_cast<const char*>(x) + kStreamPrefetchBytes;
    auto acc0 = hn::Zero(df), acc1 = hn::Zero(df), acc2 = hn::Zero(df), acc3 = hn::Zero(df);
    int64_t i = 0;
    for (; i + 4 * lanes <= n; i += 4 * lanes) {
        for (int64_t b = 0; b < step_bytes; b += kLine) hwy::Prefetch(ahead + i * x_bytes + b);  // a hint: never faults
        acc0 = hn::MulAdd(load_x(df, i), hn::LoadU(df, y + i), acc0);
        acc1 = hn::MulAdd(load_x(df, i + lanes), hn::LoadU(df, y + i + lanes), acc1);
        acc2 = hn::MulAdd(load_x(df, i + 2 * lanes), hn::LoadU(df, y + i + 2 * lanes), acc2);
        acc3 = hn::MulAdd(load_x(df, i + 3 * lanes), hn::LoadU(df, y + i + 3 * lanes), acc3);
    }
    for (; i + lanes <= n; i += lanes) acc0 = hn::MulAdd(load_x(df, i), hn::LoadU(df, y + i), acc0);
    const auto acc = hn::Add(hn::Add(acc0, acc1), hn::Add(acc2, acc3));
    float sum = hn::GetLane(hn::SumOfLanes(df, acc));
    for (; i < n; ++i) sum += scalar_x(i) * y[i];
    return sum;
}

void VecDotF32(int64_t n, float* result, const void* x, const void* y) {
    const float* xf = static_cast<const float*>(x);
    *result = DotFloatRow(
        n, static_cast<const float*>(y), x, sizeof(float), [xf](auto df, int64_t i) { return hn::LoadU(df, xf + i); },
        [xf](int64_t i) { return xf[i]; });
}

void VecDotF16(int64_t n, float* result, const void* x, const void* y) {
    const auto* xh = static_cast<const hwy::float16_t*>(x);
    const auto* bits = static_cast<const uint16_t*>(x);
    *result = DotFloatRow(
        n, static_cast<const float*>(y), x, sizeof(uint16_t),
        [xh](auto df, int64_t i) { return hn::PromoteTo(df, hn::LoadU(hn::Rebind<hwy::float16_t, decltype(df)>(), xh + i)); },
        [bits](int64_t i) { return half_to_float(bits[i]); });
}

void VecDotBF16(int64_t n, float* result, const void* x, const void* y) {
    const auto* xb = static_cast<const uint16_t*>(x);
    *result = DotFloatRow(
        n, static_cast<const float*>(y), x, sizeof(uint16_t),
        [xb](auto df, int64_t i) {
            const hn::Rebind<uint32_t, decltype(df)> du32;
            const auto wide = hn::PromoteTo(du32, hn::LoadU(hn::Rebind<uint16_t, decltype(df)>(), xb + i));
            return hn::BitCast(df, hn::ShiftLeft<16>(wide));
        },
        [xb](int64_t i) { return bf16_to_float(xb[i]); });
}

// ---------------------------------------------------------------- runtime formats (all targets)
// FP8 row x f32 activations: codes decoded through the 256-entry value table (gather); any n.
HWY_INLINE float DotFp8Row(int64_t n, const uint8_t* codes, const float* y, const float* values) {
    const hn::ScalableTag<float> df;
    const hn::RebindToSigned<decltype(df)> di;
    const hn::Rebind<uint8_t, decltype(df)> du8;
    const int64_t lanes = static_cast<int64_t>(hn::Lanes(df));
    auto acc0 = hn::Zero(df), acc1 = hn::Zero(df);
    int64_t i = 0;
    for (; i + 2 * lanes <= n; i += 2 * lanes) {
        const auto x0 = hn::GatherIndex(df, values, hn::PromoteTo(di, hn::LoadU(du8, codes + i)));
        const auto x1 = hn::GatherIndex(df, values, hn::PromoteTo(di, hn::LoadU(du8, codes + i + lanes)));
        acc0 = hn::MulAdd(x0, hn::LoadU(df, y + i), acc0);
        acc1 = hn::MulAdd(x1, hn::LoadU(df, y + i + lanes), acc1);
    }
    float sum = hn::GetLane(hn::SumOfLanes(df, hn::Add(acc0, acc1)));
    for (; i < n; ++i) sum += values[codes[i]] * y[i];
    return sum;
}
void VecDotFP8E4M3(int64_t n, float* result, const void* x, const void* y) {
    *result = DotFp8Row(n, static_cast<const uint8_t*>(x), static_cast<const float*>(y), runtime_format_code_values(RuntimeFormat::FP8_E4M3));
}
// E5M2 is the upper byte of an IEEE binary16 (same bias, inf and NaN): widen via f16.
void VecDotFP8E5M2(int64_t n, float* result, const void* x, const void* y) {
    const auto* codes = static_cast<const uint8_t*>(x);
    const float* yf = static_cast<const float*>(y);
    const float* values = runtime_format_code_values(RuntimeFormat::FP8_E5M2);
    *result = DotFloatRow(
        n, yf, x, sizeof(uint8_t),
        [codes](auto df, int64_t i) {
            const hn::Rebind<uint16_t, decltype(df)> du16;
            const hn::Rebind<hwy::float16_t, decltype(df)> df16;
            const auto half_bits = hn::ShiftLeft<8>(hn::PromoteTo(du16, hn::LoadU(hn::Rebind<uint8_t, decltype(df)>(), codes + i)));
            return hn::PromoteTo(df, hn::BitCast(df16, half_bits));
        },
        [codes, values](int64_t i) { return values[codes[i]]; });
}

// Value of 6-bit MX element codes (S, E exponent bits, M mantissa bits, exponent bias kBias)
// built arithmetically as f32 bits: normal 2^(exp-bias) * (1 + mant/2^M), subnormal
// mant * 2^(1-bias-M). Codes are int32 lanes in [0, 63].
template <int kE, int kM, int kBias, class DF, class VI>
HWY_INLINE hn::Vec<DF> DecodeMx6(DF df, VI code) {
    const hn::RebindToSigned<DF> di;
    const auto mant = hn::And(code, hn::Set(di, (1 << kM) - 1));
    const auto exponent = hn::And(hn::ShiftRight<kM>(code), hn::Set(di, (1 << kE) - 1));
    const auto sign = hn::ShiftLeft<26>(hn::And(code, hn::Set(di, 32)));  // bit 5 -> bit 31
    const auto normal = hn::BitCast(df, hn::Or(hn::ShiftLeft<23>(hn::Add(exponent, hn::Set(di, 127 - kBias))),
                                               hn::ShiftLeft<23 - kM>(mant)));
    const auto subnormal = hn::Mul(hn::ConvertTo(df, mant), hn::Set(df, std::ldexp(1.0f, 1 - kBias - kM)));
    const auto magnitude = hn::IfThenElse(hn::RebindMask(df, hn::Eq(exponent, hn::Zero(di))), subnormal, normal);
    return hn::Or(magnitude, hn::BitCast(df, sign));
}

// MXFP6 x Q8_0: per block, 6-bit codes are unpacked, decoded to f32 and multiplied with the int8
// activations (block sums are exact in f32: products are multiples of 2^-4 below 2^17).
template <int kE, int kM, int kBias>
HWY_INLINE float DotMxfp6Row(int64_t n, const BlockMXFP6* bx, const BlockQ8_0* by) {
    const hn::CappedTag<float, 32> df;
    const hn::RebindToSigned<decltype(df)> di;
    const hn::Rebind<uint8_t, decltype(df)> du8;
    const hn::Rebind<int8_t, decltype(df)> di8;
    const size_t lanes = hn::Lanes(df);
    auto acc = hn::Zero(df);
    uint8_t codes[32];
    for (int64_t i = 0; i < n / 32; ++i) {
        for (int g = 0; g < 8; ++g) {  // 3 bytes -> 4 codes, element j in bits 6j..6j+5
            const uint8_t* b = bx[i].qs + 3 * g;
            codes[4 * g] = b[0] & 63;
            codes[4 * g + 1] = static_cast<uint8_t>((b[0] >> 6) | ((b[1] & 15) << 2));
            codes[4 * g + 2] = static_cast<uint8_t>((b[1] >> 4) | ((b[2] & 3) << 4));
            codes[4 * g + 3] = b[2] >> 2;
        }
        auto block = hn::Zero(df);
        for (size_t j = 0; j < 32; j += lanes) {
            const auto x = DecodeMx6<kE, kM, kBias>(df, hn::PromoteTo(di, hn::LoadU(du8, codes + j)));
            const auto q = hn::ConvertTo(df, hn::PromoteTo(di, hn::LoadU(di8, by[i].qs + j)));
            block = hn::MulAdd(x, q, block);
        }
        acc = hn::MulAdd(block, hn::Set(df, e8m0_to_float(bx[i].e) * half_to_float(by[i].d)), acc);
    }
    return hn::GetLane(hn::SumOfLanes(df, acc));
}
void VecDotMXFP6E2M3(int64_t n, float* result, const void* x, const void* y) {
    *result = DotMxfp6Row<2, 3, 1>(n, static_cast<const BlockMXFP6*>(x), static_cast<const BlockQ8_0*>(y));
}
void VecDotMXFP6E3M2(int64_t n, float* result, const void* x, const void* y) {
    *result = DotMxfp6Row<3, 2, 3>(n, static_cast<const BlockMXFP6*>(x), static_cast<const BlockQ8_0*>(y));
}

#if HWY_TARGET == HWY_AVX2 || HWY_TARGET == HWY_AVX3 || HWY_TARGET == HWY_AVX3_DL
#define ROCMFORGE_X86_INT_KERNELS 1
#include "quant/simd/x86_int_dot-inl.h"
#include "quant/simd/x86_more_kernels-inl.h"

// ---------------------------------------------------------------- 32-element blocks · Q8_0
void VecDotQ8_0(int64_t n, float* result, const void* x, const void* y) {
    const auto* bx = static_cast<const BlockQ8_0*>(x);
    const auto* by = static_cast<const BlockQ8_0*>(y);
    VF32 acc0 = hn::Zero(DF32()), acc1 = hn::Zero(DF32());
    const int64_t nb = n / kQK4_0;
    int64_t i = 0;
    for (; i + 1 < nb; i += 2) {
        const VI32 s0 = DotI8I8(hn::LoadU(DI8(), bx[i].qs), hn::LoadU(DI8(), by[i].qs));
        const VI32 s1 = DotI8I8(hn::LoadU(DI8(), bx[i + 1].qs), hn::LoadU(DI8(), by[i + 1].qs));
        acc0 = hn::MulAdd(hn::ConvertTo(DF32(), s0), hn::Set(DF32(), HalfToFloat(bx[i].d) * HalfToFloat(by[i].d)), acc0);
        acc1 = hn::MulAdd(hn::ConvertTo(DF32(), s1), hn::Set(DF32(), HalfToFloat(bx[i + 1].d) * HalfToFloat(by[i + 1].d)), acc1);
    }
    for (; i < nb; ++i) {
        const VI32 s0 = DotI8I8(hn::LoadU(DI8(), bx[i].qs), hn::LoadU(DI8(), by[i].qs));
        acc0 = hn::MulAdd(hn::ConvertTo(DF32(), s0), hn::Set(DF32(), HalfToFloat(bx[i].d) * HalfToFloat(by[i].d)), acc0);
    }
    *result = ReduceF32(hn::Add(acc0, acc1));
}

// VecDotQ8_0 for 2 weight rows x 4 activation rows: per output the same operations in the same
// order (even blocks into one accumulator, odd blocks into another, then ReduceF32 of their sum),
// one parity at a time so the 8 accumulators of a pass stay in registers.
void VecDotQ8_0Tile(int64_t n, float* out, const void* const* x, const void* const* y) {
    const BlockQ8_0* bx[2] = {static_cast<const BlockQ8_0*>(x[0]), static_cast<const BlockQ8_0*>(x[1])};
    const BlockQ8_0* by[4] = {static_cast<const BlockQ8_0*>(y[0]), static_cast<const BlockQ8_0*>(y[1]),
                              static_cast<const BlockQ8_0*>(y[2]), static_cast<const BlockQ8_0*>(y[3])};
    const int64_t nb = n / kQK4_0;
    HWY_ALIGN float even[2][4][8];
    for (int parity = 0; parity < 2; ++parity) {
        VF32 acc[2][4];
        for (auto& row : acc)
            for (auto& a : row) a = hn::Zero(DF32());
        for (int64_t i = parity; i < nb; i += 2) {
            for (int r = 0; r < 2; ++r) {
                const VI8 w = hn::LoadU(DI8(), bx[r][i].qs);
                const VU8 abs_w = hn::BitCast(DU8(), hn::Abs(w));
                const float dw = HalfToFloat(bx[r][i].d);
                for (int t = 0; t < 4; ++t) {
                    const VI8 signed_y = VI8{_mm256_sign_epi8(hn::LoadU(DI8(), by[t][i].qs).raw, w.raw)};
                    const VI32 s = DotU8I8(abs_w, signed_y);
                    acc[r][t] = hn::MulAdd(hn::ConvertTo(DF32(), s), hn::Set(DF32(), dw * HalfToFloat(by[t][i].d)),
                                           acc[r][t]);
                }
            }
        }
        for (int r = 0; r < 2; ++r)
            for (int t = 0; t < 4; ++t) {
                if (parity == 0) {
                    hn::Store(acc[r][t], DF32(), even[r][t]);
                } else {
                    out[t * 2 + r] = ReduceF32(hn::Add(hn::Load(DF32(), even[r][t]), acc[r][t]));
                }
            }
    }
}

void VecDotQ4_0(int64_t n, float* result, const void* x, const void* y) {
    const auto* bx = static_cast<const BlockQ4_0*>(x);
    const auto* by = static_cast<const BlockQ8_0*>(y);
    const VI8 eight = hn::Set(DI8(), 8);
    VF32 acc0 = hn::Zero(DF32()), acc1 = hn::Zero(DF32());
    const int64_t nb = n / kQK4_0;
    int64_t i = 0;
    for (; i + 1 < nb; i += 2) {
        const VI8 q0 = hn::Sub(hn::BitCast(DI8(), NibblesOf16Bytes(bx[i].qs)), eight);
        const VI8 q1 = hn::Sub(hn::BitCast(DI8(), NibblesOf16Bytes(bx[i + 1].qs)), eight);
        const VI32 s0 = DotI8I8(q0, hn::LoadU(DI8(), by[i].qs));
        const VI32 s1 = DotI8I8(q1, hn::LoadU(DI8(), by[i + 1].qs));
        acc0 = hn::MulAdd(hn::ConvertTo(DF32(), s0), hn::Set(DF32(), HalfToFloat(bx[i].d) * HalfToFloat(by[i].d)), acc0);
        acc1 = hn::MulAdd(hn::ConvertTo(DF32(), s1), hn::Set(DF32(), HalfToFloat(bx[i + 1].d) * HalfToFloat(by[i + 1].d)), acc1);
    }
    for (; i < nb; ++i) {
        const VI8 q0 = hn::Sub(hn::BitCast(DI8(), NibblesOf16Bytes(bx[i].qs)), eight);
        const VI32 s0 = DotI8I8(q0, hn::LoadU(DI8(), by[i].qs));
        acc0 = hn::MulAdd(hn::ConvertTo(DF32(), s0), hn::Set(DF32(), HalfToFloat(bx[i].d) * HalfToFloat(by[i].d)), acc0);
    }
    *result = ReduceF32(hn::Add(acc0, acc1));
}

// ---------------------------------------------------------------- 256-element blocks · Q8_K
void VecDotQ4_K(int64_t n, float* result, const void* x, const void* y) {
    const auto* bx = static_cast<const BlockQ4_K*>(x);
    const auto* by = static_cast<const BlockQ8_K*>(y);
    const VU8 low_mask = hn::Set(DU8(), 0x0F);
    VF32 acc = hn::Zero(DF32());
    float mins_sum = 0.0f;
    for (int64_t i = 0; i < n / kQK_K; ++i) {
        int sc[8];
        const int mins_dot = DecodeK4ScalesMinsDot(bx[i].scales, by[i].bsums, sc);
        VI32 sumi = hn::Zero(DI32());
        for (int k = 0; k < 4; ++k) {  // 64 elements: low nibbles = sub-block 2k, high = 2k+1
            const VU8 q = hn::LoadU(DU8(), bx[i].qs + 32 * k);
            const VU8 lo = hn::And(q, low_mask);
            const VU8 hi = hn::And(hn::ShiftRight<4>(q), low_mask);
            sumi = hn::Add(sumi, ScaledDotU8I8(lo, hn::LoadU(DI8(), by[i].qs + 64 * k), static_cast<int16_t>(sc[2 * k])));
            sumi = hn::Add(sumi, ScaledDotU8I8(hi, hn::LoadU(DI8(), by[i].qs + 64 * k + 32), static_cast<int16_t>(sc[2 * k + 1])));
        }
        acc = hn::MulAdd(hn::ConvertTo(DF32(), sumi), hn::Set(DF32(), HalfToFloat(bx[i].d) * by[i].d), acc);
        mins_sum += HalfToFloat(bx[i].dmin) * by[i].d * static_cast<float>(mins_dot);
    }
    *result = ReduceF32(acc) - mins_sum;
}

void VecDotQ6_K(int64_t n, float* result, const void* x, const void* y) {
    const auto* bx = static_cast<const BlockQ6_K*>(x);
    const auto* by = static_cast<const BlockQ8_K*>(y);
    const VU8 low_mask = hn::Set(DU8(), 0x0F);
    const VU8 two_bits = hn::Set(DU8(), 0x03);
    VF32 acc = hn::Zero(DF32());
    float offset_sum = 0.0f;
    for (int64_t i = 0; i < n / kQK_K; ++i) {
        const int8_t* sc = bx[i].scales;
        int offset_dot = 0;  // sum_s sc[s] * 32 * bsum[s]: the -32 offset of the codes
        for (int s = 0; s < 16; ++s) offset_dot += sc[s] * by[i].bsums[s];
        VI32 sumi = hn::Zero(DI32());
        for (int h = 0; h < 2; ++h) {  // halves of 128 elements
            const uint8_t* ql = bx[i].ql + 64 * h;
            const uint8_t* qh = bx[i].qh + 32 * h;
            const int8_t* q8 = by[i].qs + 128 * h;
            const VU8 l0 = hn::LoadU(DU8(), ql), l1 = hn::LoadU(DU8(), ql + 32), hb = hn::LoadU(DU8(), qh);
            const VU8 codes[4] = {
                hn::Or(hn::And(l0, low_mask), hn::ShiftLeft<4>(hn::And(hb, two_bits))),
                hn::Or(hn::And(l1, low_mask), hn::ShiftLeft<4>(hn::And(hn::ShiftRight<2>(hb), two_bits))),
                hn::Or(hn::ShiftRight<4>(l0), hn::ShiftLeft<4>(hn::And(hn::ShiftRight<4>(hb), two_bits))),
                hn::Or(hn::ShiftRight<4>(l1), hn::ShiftLeft<4>(hn::ShiftRight<6>(hb))),
            };
            for (int c = 0; c < 4; ++c) {  // quarter c: sub-blocks 8h + 2c and 8h + 2c + 1
                sumi = hn::Add(sumi, ScaledDot16U8I8(codes[c], hn::LoadU(DI8(), q8 + 32 * c), sc[8 * h + 2 * c], sc[8 * h + 2 * c + 1]));
            }
        }
        const float d = HalfToFloat(bx[i].d) * by[i].d;
        acc = hn::MulAdd(hn::ConvertTo(DF32(), sumi), hn::Set(DF32(), d), acc);
        offset_sum += d * static_cast<float>(32 * offset_dot);
    }
    *result = ReduceF32(acc) - offset_sum;
}

// ---------------------------------------------------------------- activation quantizers
// Bit-identical to ref::quantize_row_q8_0 / q8_k (same scale, same round-to-nearest-even).
HWY_INLINE float AbsMax(const float* x, int n) {
    VF32 m = hn::Zero(DF32());
    for (int j = 0; j < n; j += 8) m = hn::Max(m, hn::Abs(hn::LoadU(DF32(), x + j)));
    return hn::GetLane(hn::MaxOfLanes(DF32(), m));
}
// 32 values x*id rounded to nearest even into int8 (|x*id| <= 127 by construction).
HWY_INLINE void RoundToInt8x32(const float* x, float id, int8_t* out) {
    const VF32 vid = hn::Set(DF32(), id);
    __m256i q[4];
    for (int k = 0; k < 4; ++k) q[k] = hn::NearestInt(hn::Mul(hn::LoadU(DF32(), x + 8 * k), vid)).raw;
    // Pack 32 x i32 -> 32 x i8 (saturating, but values fit); packs interleave 128-bit lanes, fix order.
    const __m256i p01 = _mm256_packs_epi32(q[0], q[1]);
    const __m256i p23 = _mm256_packs_epi32(q[2], q[3]);
    const __m256i p = _mm256_packs_epi16(p01, p23);
    const __m256i ordered = _mm256_permutevar8x32_epi32(p, _mm256_setr_epi32(0, 4, 1, 5, 2, 6, 3, 7));
    _mm256_storeu_si256(reinterpret_cast<__m256i*>(out), ordered);
}

void QuantizeRowQ8_0(const float* src, void* dst, int64_t n) {
    auto* b = static_cast<BlockQ8_0*>(dst);
    for (int64_t i = 0; i < n / kQK4_0; ++i) {
        const float* x = src + i * kQK4_0;
        const float d = AbsMax(x, kQK4_0) / 127.0f;
        const float id = d != 0.0f ? 1.0f / d : 0.0f;
        b[i].d = float_to_half(d);
        RoundToInt8x32(x, id, b[i].qs);
    }
}

void QuantizeRowQ8_K(const float* src, void* dst, int64_t n) {
    auto* b = static_cast<BlockQ8_K*>(dst);
    for (int64_t i = 0; i < n / kQK_K; ++i) {
        const float* x = src + i * kQK_K;
        const float d = AbsMax(x, kQK_K) / 127.0f;
        const float id = d != 0.0f ? 1.0f / d : 0.0f;
        b[i].d = d;
        for (int k = 0; k < 8; ++k) RoundToInt8x32(x + 32 * k, id, b[i].qs + 32 * k);
        for (int k = 0; k < 8; ++k) {  // bsums: sums of 16 consecutive values
            const VI8 q = hn::LoadU(DI8(), b[i].qs + 32 * k);
            const __m256i pairs = _mm256_maddubs_epi16(_mm256_set1_epi8(1), q.raw);         // 16 x i16 pair sums
            const __m256i quads = _mm256_madd_epi16(pairs, _mm256_set1_epi16(1));           // 8 x i32 sums of 4
            const __m256i h = _mm256_hadd_epi32(quads, quads);                              // sums of 8 per lane
            const __m256i h2 = _mm256_hadd_epi32(h, h);                                     // sums of 16 per lane
            b[i].bsums[2 * k] = static_cast<int16_t>(_mm256_extract_epi32(h2, 0));
            b[i].bsums[2 * k + 1] = static_cast<int16_t>(_mm256_extract_epi32(h2, 4));
        }
    }
}

#else  // targets without the x86 kernels: portable Highway code for Q8_0/Q4_0, the reference for the rest

// Integer dot of a 32-element block, portable: int8 -> int16 widening and int16 pairwise
// multiply-accumulate into int32 lanes (NEON, SVE, SSE4, scalar). `load_x(d8, offset)` gives
// lanes [offset, offset + Lanes) of the weight block as int8.
template <class LoadX>
HWY_INLINE float DotBlock32(LoadX load_x, const int8_t* y, float scale) {
    const hn::CappedTag<int16_t, 16> d16;
    const hn::Rebind<int8_t, decltype(d16)> d8;
    const hn::Repartition<int32_t, decltype(d16)> d32;
    auto sum0 = hn::Zero(d32), sum1 = hn::Zero(d32);
    for (size_t off = 0; off < 32; off += hn::Lanes(d16)) {
        const auto a = hn::PromoteTo(d16, load_x(d8, off));
        const auto b = hn::PromoteTo(d16, hn::LoadU(d8, y + off));
        sum0 = hn::ReorderWidenMulAccumulate(d32, a, b, sum0, sum1);
    }
    const auto total = hn::Add(sum0, sum1);
    return static_cast<float>(hn::GetLane(hn::SumOfLanes(d32, total))) * scale;
}

// Integer dot of `count` (16 or 32) weight codes with int8 activations, portable (see DotBlock32).
template <class LoadX>
HWY_INLINE int32_t DotCodes(LoadX load_x, const int8_t* y, size_t count) {
    const hn::CappedTag<int16_t, 16> d16;
    const hn::Rebind<int8_t, decltype(d16)> d8;
    const hn::Repartition<int32_t, decltype(d16)> d32;
    auto sum0 = hn::Zero(d32), sum1 = hn::Zero(d32);
    for (size_t off = 0; off < count; off += hn::Lanes(d16)) {
        const auto a = hn::PromoteTo(d16, load_x(d8, off));
        const auto b = hn::PromoteTo(d16, hn::LoadU(d8, y + off));
        sum0 = hn::ReorderWidenMulAccumulate(d32, a, b, sum0, sum1);
    }
    return hn::GetLane(hn::SumOfLanes(d32, hn::Add(sum0, sum1)));
}

void VecDotQ4_K(int64_t n, float* result, const void* x, const void* y) {
    const auto* bx = static_cast<const BlockQ4_K*>(x);
    const auto* by = static_cast<const BlockQ8_K*>(y);
    float sum = 0.0f;
    for (int64_t i = 0; i < n / kQK_K; ++i) {
        int scaled = 0, mins = 0;
        for (int s = 0; s < 8; ++s) {  // sub-block s: nibble (s % 2) of qs[32 * (s / 2) + l]
            int sc, mn;
            layout::k4_scale_min(bx[i].scales, s, &sc, &mn);
            const uint8_t* qs = bx[i].qs + 32 * (s / 2);
            const bool high = s % 2;
            const int dot = DotCodes(
                [qs, high](auto d8, size_t off) {
                    const hn::RebindToUnsigned<decltype(d8)> du8;
                    const auto bytes = hn::LoadU(du8, qs + off);
                    return hn::BitCast(d8, high ? hn::ShiftRight<4>(bytes) : hn::And(bytes, hn::Set(du8, 0x0F)));
                },
                by[i].qs + 32 * s, 32);
            scaled += sc * dot;
            mins += mn * (by[i].bsums[2 * s] + by[i].bsums[2 * s + 1]);
        }
        sum += by[i].d * (half_to_float(bx[i].d) * scaled - half_to_float(bx[i].dmin) * mins);
    }
    *result = sum;
}

void VecDotQ6_K(int64_t n, float* result, const void* x, const void* y) {
    const auto* bx = static_cast<const BlockQ6_K*>(x);
    const auto* by = static_cast<const BlockQ8_K*>(y);
    float sum = 0.0f;
    for (int64_t i = 0; i < n / kQK_K; ++i) {
        int scaled = 0;
        for (int s = 0; s < 16; ++s) {  // sub-block s = 8h + 2c + (l >= 16): see layout::q6k_*
            const int h = s / 8, c = (s % 8) / 2, l0 = 16 * (s % 2);
            const uint8_t* ql = bx[i].ql + 64 * h + 32 * (c & 1) + l0;
            const uint8_t* qh = bx[i].qh + 32 * h + l0;
            const int low_shift = 4 * (c >> 1), high_shift = 2 * c;
            const int dot = DotCodes(
                [ql, qh, low_shift, high_shift](auto d8, size_t off) {
                    const hn::RebindToUnsigned<decltype(d8)> du8;
                    const auto low = hn::And(hn::ShiftRightSame(hn::LoadU(du8, ql + off), low_shift), hn::Set(du8, 0x0F));
                    const auto high = hn::And(hn::ShiftRightSame(hn::LoadU(du8, qh + off), high_shift), hn::Set(du8, 0x03));
                    return hn::Sub(hn::BitCast(d8, hn::Or(low, hn::ShiftLeft<4>(high))), hn::Set(d8, 32));
                },
                by[i].qs + 16 * s, 16);
            scaled += bx[i].scales[s] * dot;
        }
        sum += by[i].d * half_to_float(bx[i].d) * scaled;
    }
    *result = sum;
}

void VecDotQ8_0(int64_t n, float* result, const void* x, const void* y) {
    const auto* bx = static_cast<const BlockQ8_0*>(x);
    const auto* by = static_cast<const BlockQ8_0*>(y);
    float sum = 0.0f;
    for (int64_t i = 0; i < n / kQK4_0; ++i) {
        const int8_t* qx = bx[i].qs;
        sum += DotBlock32([qx](auto d8, size_t off) { return hn::LoadU(d8, qx + off); }, by[i].qs,
                          half_to_float(bx[i].d) * half_to_float(by[i].d));
    }
    *result = sum;
}

void VecDotQ8_0Tile(int64_t n, float* out, const void* const* x, const void* const* y) {
    for (int t = 0; t < 4; ++t)
        for (int r = 0; r < 2; ++r) VecDotQ8_0(n, out + t * 2 + r, x[r], y[t]);
}

void VecDotQ4_0(int64_t n, float* result, const void* x, const void* y) {
    const auto* bx = static_cast<const BlockQ4_0*>(x);
    const auto* by = static_cast<const BlockQ8_0*>(y);
    float sum = 0.0f;
    for (int64_t i = 0; i < n / kQK4_0; ++i) {
        const uint8_t* qs = bx[i].qs;
        // Element j < 16: low nibble of qs[j]; j >= 16: high nibble of qs[j - 16]. Lanes <= 16
        // divide 16, so a chunk never straddles the two halves.
        auto load_codes = [qs](auto d8, size_t off) {
            const hn::RebindToUnsigned<decltype(d8)> du8;
            const auto bytes = hn::LoadU(du8, qs + (off % 16));
            const auto nibbles = off < 16 ? hn::And(bytes, hn::Set(du8, 0x0F)) : hn::ShiftRight<4>(bytes);
            return hn::Sub(hn::BitCast(d8, nibbles), hn::Set(d8, 8));
        };
        sum += DotBlock32(load_codes, by[i].qs, half_to_float(bx[i].d) * half_to_float(by[i].d));
    }
    *result = sum;
}
void VecDotQ4_1(int64_t n, float* r, const void* x, const void* y) { ref::vec_dot_q4_1(n, r, x, y); }
void VecDotQ5_0(int64_t n, float* r, const void* x, const void* y) { ref::vec_dot_q5_0(n, r, x, y); }
void VecDotQ5_1(int64_t n, float* r, const void* x, const void* y) { ref::vec_dot_q5_1(n, r, x, y); }
void VecDotIQ4_NL(int64_t n, float* r, const void* x, const void* y) { ref::vec_dot_iq4_nl(n, r, x, y); }
void VecDotMXFP4(int64_t n, float* r, const void* x, const void* y) { ref::vec_dot_mxfp4(n, r, x, y); }
void VecDotQ8_K(int64_t n, float* r, const void* x, const void* y) { ref::vec_dot_q8_k(n, r, x, y); }
void VecDotQ2_K(int64_t n, float* r, const void* x, const void* y) { ref::vec_dot_q2_k(n, r, x, y); }
void VecDotQ3_K(int64_t n, float* r, const void* x, const void* y) { ref::vec_dot_q3_k(n, r, x, y); }
void VecDotQ5_K(int64_t n, float* r, const void* x, const void* y) { ref::vec_dot_q5_k(n, r, x, y); }
void VecDotIQ4_XS(int64_t n, float* r, const void* x, const void* y) { ref::vec_dot_iq4_xs(n, r, x, y); }
void VecDotTQ1_0(int64_t n, float* r, const void* x, const void* y) { ref::vec_dot_tq1_0(n, r, x, y); }
void VecDotTQ2_0(int64_t n, float* r, const void* x, const void* y) { ref::vec_dot_tq2_0(n, r, x, y); }
void QuantizeRowQ8_0(const float* s, void* d, int64_t n) { ref::quantize_row_q8_0(s, d, n); }
void QuantizeRowQ8_K(const float* s, void* d, int64_t n) { ref::quantize_row_q8_k(s, d, n); }
#endif

}  // namespace HWY_NAMESPACE
}  // namespace rocmforge::quant::simd
HWY_AFTER_NAMESPACE();

#if HWY_ONCE
namespace rocmforge::quant::simd {

HWY_EXPORT(VecDotF32);
HWY_EXPORT(VecDotF16);
HWY_EXPORT(VecDotBF16);
HWY_EXPORT(VecDotQ8_0);
HWY_EXPORT(VecDotQ8_0Tile);
HWY_EXPORT(VecDotQ4_0);
HWY_EXPORT(VecDotQ4_K);
HWY_EXPORT(VecDotQ6_K);
HWY_EXPORT(VecDotQ4_1);
HWY_EXPORT(VecDotQ5_0);
HWY_EXPORT(VecDotQ5_1);
HWY_EXPORT(VecDotIQ4_NL);
HWY_EXPORT(VecDotMXFP4);
HWY_EXPORT(VecDotQ8_K);
HWY_EXPORT(VecDotQ2_K);
HWY_EXPORT(VecDotQ3_K);
HWY_EXPORT(VecDotQ5_K);
HWY_EXPORT(VecDotIQ4_XS);
HWY_EXPORT(VecDotTQ1_0);
HWY_EXPORT(VecDotTQ2_0);
HWY_EXPORT(VecDotFP8E4M3);
HWY_EXPORT(VecDotFP8E5M2);
HWY_EXPORT(VecDotMXFP6E2M3);
HWY_EXPORT(VecDotMXFP6E3M2);
HWY_EXPORT(QuantizeRowQ8_0);
HWY_EXPORT(QuantizeRowQ8_K);

SimdKernels resolve_simd_kernels(gguf::GgmlType type) {
    hwy::GetChosenTarget().Update(hwy::SupportedTargets());
    using T = gguf::GgmlType;
    SimdKernels k;
    switch (type) {
        case T::F32: k.vec_dot = &HWY_DYNAMIC_DISPATCH(VecDotF32); break;
        case T::F16: k.vec_dot = &HWY_DYNAMIC_DISPATCH(VecDotF16); break;
        case T::BF16: k.vec_dot = &HWY_DYNAMIC_DISPATCH(VecDotBF16); break;
        case T::Q8_0:
            k.vec_dot = &HWY_DYNAMIC_DISPATCH(VecDotQ8_0);
            k.vec_dot_tile = &HWY_DYNAMIC_DISPATCH(VecDotQ8_0Tile);
            k.from_float = &HWY_DYNAMIC_DISPATCH(QuantizeRowQ8_0);
            break;
        case T::Q4_0: k.vec_dot = &HWY_DYNAMIC_DISPATCH(VecDotQ4_0); break;
        case T::Q4_K: k.vec_dot = &HWY_DYNAMIC_DISPATCH(VecDotQ4_K); break;
        case T::Q6_K: k.vec_dot = &HWY_DYNAMIC_DISPATCH(VecDotQ6_K); break;
        case T::Q4_1: k.vec_dot = &HWY_DYNAMIC_DISPATCH(VecDotQ4_1); break;
        case T::Q5_0: k.vec_dot = &HWY_DYNAMIC_DISPATCH(VecDotQ5_0); break;
        case T::Q5_1: k.vec_dot = &HWY_DYNAMIC_DISPATCH(VecDotQ5_1); break;
        case T::IQ4_NL: k.vec_dot = &HWY_DYNAMIC_DISPATCH(VecDotIQ4_NL); break;
        case T::MXFP4: k.vec_dot = &HWY_DYNAMIC_DISPATCH(VecDotMXFP4); break;
        case T::Q2_K: k.vec_dot = &HWY_DYNAMIC_DISPATCH(VecDotQ2_K); break;
        case T::Q3_K: k.vec_dot = &HWY_DYNAMIC_DISPATCH(VecDotQ3_K); break;
        case T::Q5_K: k.vec_dot = &HWY_DYNAMIC_DISPATCH(VecDotQ5_K); break;
        case T::IQ4_XS: k.vec_dot = &HWY_DYNAMIC_DISPATCH(VecDotIQ4_XS); break;
        case T::TQ1_0: k.vec_dot = &HWY_DYNAMIC_DISPATCH(VecDotTQ1_0); break;
        case T::TQ2_0: k.vec_dot = &HWY_DYNAMIC_DISPATCH(VecDotTQ2_0); break;
        case T::Q8_K:
            k.vec_dot = &HWY_DYNAMIC_DISPATCH(VecDotQ8_K);
            k.from_float = &HWY_DYNAMIC_DISPATCH(QuantizeRowQ8_K);
            break;
        default: break;
    }
    return k;
}

VecDotFn resolve_runtime_vec_dot(RuntimeFormat format) {
    hwy::GetChosenTarget().Update(hwy::SupportedTargets());
    switch (format) {
        case RuntimeFormat::FP8_E4M3: return &HWY_DYNAMIC_DISPATCH(VecDotFP8E4M3);
        case RuntimeFormat::FP8_E5M2: return &HWY_DYNAMIC_DISPATCH(VecDotFP8E5M2);
        case RuntimeFormat::MXFP6_E2M3: return &HWY_DYNAMIC_DISPATCH(VecDotMXFP6E2M3);
        case RuntimeFormat::MXFP6_E3M2: return &HWY_DYNAMIC_DISPATCH(VecDotMXFP6E3M2);
    }
    return nullptr;
}

const char* current_target_name() {
    hwy::GetChosenTarget().Update(hwy::SupportedTargets());
    const int64_t targets = hwy::SupportedTargets() & HWY_TARGETS;
    return hwy::TargetName(targets & -targets);  // lowest bit = best target
}

}  // namespace rocmforge::quant::simd
#endif
