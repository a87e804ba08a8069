// Reference dequantization and dot products of the 256-element block types (Q2_K..Q6_K, IQ4_XS,
// TQ1_0, TQ2_0) and the Q8_K activation format. Each type is written as "decode the integer codes
// and sub-block scales of one block" (unpack_*), then the float formula of the format, so that
// the arithmetic order matches the format definition (dequantization is bit-exact vs ggml).
#include "quant/block_types.h"
#include "quant/float_bits.h"
#include "quant/k_quant_layout.h"
#include "quant/reference_kernels.h"

#include <cmath>

namespace rocmforge::quant::ref {
namespace {

constexpr int QK = kQK_K;
namespace L = layout;

// Integer dot of one 256-block's codes q with Q8_K values over sub-blocks of `sub` elements.
template <int kSub>
void sub_block_dots(const int* q, const BlockQ8_K& y, int* dots, int* ysums) {
    for (int s = 0; s < QK / kSub; ++s) {
        int dot = 0, ysum = 0;
        for (int l = 0; l < kSub; ++l) {
            dot += q[s * kSub + l] * y.qs[s * kSub + l];
            ysum += y.qs[s * kSub + l];
        }
        dots[s] = dot;
        ysums[s] = ysum;
    }
}

// By sub-block of 32 (element e = 32 s + l: byte L::q2_byte(e) = 32 (s / 4) + l, shift
// L::q2_shift(e) = 2 (s % 4); Q3_K's high bit is bit s of hmask[l]), so the inner loops vectorize.
void unpack_q2_k(const BlockQ2_K& b, int* q) {
    for (int s = 0; s < QK / 32; ++s) {
        const uint8_t* bytes = b.qs + 32 * (s / 4);
        const int shift = 2 * (s % 4);
        for (int l = 0; l < 32; ++l) q[32 * s + l] = (bytes[l] >> shift) & 3;
    }
}
void unpack_q3_k(const BlockQ3_K& b, int* q) {  // q in [-4,3]
    for (int s = 0; s < QK / 32; ++s) {
        const uint8_t* bytes = b.qs + 32 * (s / 4);
        const int shift = 2 * (s % 4);
        for (int l = 0; l < 32; ++l) {
            const int low = (bytes[l] >> shift) & 3;
            const int high = (b.hmask[l] >> s) & 1;
            q[32 * s + l] = low - (high ? 0 : 4);
        }
    }
}
// Both by sub-block of 32 (element e = 32 s + l: byte L::q4k_byte(e) = 32 (s / 2) + l, shift
// L::q4k_shift(e) = 4 (s % 2), fifth bit bit s of qh[l]), so the inner loops vectorize.
void unpack_q4_k(const BlockQ4_K& b, int* q) {
    for (int s = 0; s < QK / 32; ++s) {
        const uint8_t* bytes = b.qs + 32 * (s / 2);
        const int shift = 4 * (s % 2);
        for (int l = 0; l < 32; ++l) q[32 * s + l] = (bytes[l] >> shift) & 0xF;
    }
}
void unpack_q5_k(const BlockQ5_K& b, int* q) {
    for (int s = 0; s < QK / 32; ++s) {
        const uint8_t* bytes = b.qs + 32 * (s / 2);
        const int shift = 4 * (s % 2);
        for (int l = 0; l < 32; ++l) q[32 * s + l] = ((bytes[l] >> shift) & 0xF) | (((b.qh[l] >> s) & 1) << 4);
    }
}
void unpack_q6_k(const BlockQ6_K& b, int* q) {  // q in [-32,31]
    for (int e = 0; e < QK; ++e) {
        const int low = (b.ql[L::q6k_ql_byte(e)] >> L::q6k_ql_shift(e)) & 0xF;
        const int high = (b.qh[L::q6k_qh_byte(e)] >> L::q6k_qh_shift(e)) & 3;
        q[e] = (low | (high << 4)) - 32;
    }
}
void unpack_iq4_xs(const BlockIQ4_XS& b, int* v) {  // codebook values
    for (int e = 0; e < QK; ++e) v[e] = kIq4nlValues[(b.qs[L::iq4xs_byte(e)] >> L::iq4xs_shift(e)) & 0xF];
}
void unpack_tq1_0(const BlockTQ1_0& b, int* q) {  // q in [-1,1]
    for (int e = 0; e < QK; ++e) q[e] = L::tq1_digit(b, e) - 1;
}
void unpack_tq2_0(const BlockTQ2_0& b, int* q) {  // q in [-1,2] (2 is never written by quantizers)
    for (int e = 0; e < QK; ++e) q[e] = ((b.qs[L::tq2_byte(e)] >> L::tq2_shift(e)) & 3) - 1;
}

template <typename Block>
const Block* blocks(const void* p) { return static_cast<const Block*>(p); }

}  // namespace

// ---------------------------------------------------------------- Q8_K
void dequantize_row_q8_k(const void* src, float* dst, int64_t n) {
    const auto* b = blocks<BlockQ8_K>(src);
    for (int64_t i = 0; i < n / QK; ++i)
        for (int e = 0; e < QK; ++e) dst[i * QK + e] = b[i].d * b[i].qs[e];
}
void quantize_row_q8_k(const float* src, void* dst, int64_t n) {
    auto* b = static_cast<BlockQ8_K*>(dst);
    for (int64_t i = 0; i < n / QK; ++i) {
        const float* x = src + i * QK;
        float amax = 0.0f;
        for (int e = 0; e < QK; ++e) amax = std::fmax(amax, std::fabs(x[e]));
        const float d = amax / 127.0f;
        const float id = d != 0.0f ? 1.0f / d : 0.0f;
        b[i].d = d;
        for (int e = 0; e < QK; ++e) {
            int v = nearest_int(x[e] * id);
            b[i].qs[e] = static_cast<int8_t>(v > 127 ? 127 : (v < -127 ? -127 : v));
        }
        for (int s = 0; s < QK / 16; ++s) {
            int sum = 0;
            for (int l = 0; l < 16; ++l) sum += b[i].qs[s * 16 + l];
            b[i].bsums[s] = static_cast<int16_t>(sum);
        }
    }
}
void vec_dot_q8_k(int64_t n, float* result, const void* x, const void* y) {
    const auto* bx = blocks<BlockQ8_K>(x);
    const auto* by = blocks<BlockQ8_K>(y);
    float sum = 0.0f;
    for (int64_t i = 0; i < n / QK; ++i) {
        int sumi = 0;
        for (int e = 0; e < QK; ++e) sumi += bx[i].qs[e] * by[i].qs[e];
        sum += static_cast<float>(sumi) * (bx[i].d * by[i].d);
    }
    *result = sum;
}

// ---------------------------------------------------------------- Q2_K
void dequantize_row_q2_k(const void* src, float* dst, int64_t n) {
    const auto* b = blocks<BlockQ2_K>(src);
    int q[QK];
    for (int64_t i = 0; i < n / QK; ++i) {
        unpack_q2_k(b[i], q);
        const float d = half_to_float(b[i].d), dmin = half_to_float(b[i].dmin);
        for (int s = 0; s < QK / 16; ++s) {  // the sub-block's scale and min once, then its 16 values
            const int sc = b[i].scales[s];
            const float dl = d * (sc & 0xF), ml = dmin * (sc >> 4);
            for (int e = 16 * s; e < 16 * s + 16; ++e) dst[i * QK + e] = dl * q[e] - ml;
        }
    }
}
void vec_dot_q2_k(int64_t n, float* result, const void* x, const void* y) {
    const auto* bx = blocks<BlockQ2_K>(x);
    const auto* by = blocks<BlockQ8_K>(y);
    int q[QK], dots[16], ysums[16];
    float sum = 0.0f;
    for (int64_t i = 0; i < n / QK; ++i) {
        unpack_q2_k(bx[i], q);
        sub_block_dots<16>(q, by[i], dots, ysums);
        int scaled = 0, mins = 0;
        for (int s = 0; s < 16; ++s) {
            scaled += (bx[i].scales[s] & 0xF) * dots[s];
            mins += (bx[i].scales[s] >> 4) * ysums[s];
        }
        sum += by[i].d * (half_to_float(bx[i].d) * scaled - half_to_float(bx[i].dmin) * mins);
    }
    *result = sum;
}

// ---------------------------------------------------------------- Q3_K
void dequantize_row_q3_k(const void* src, float* dst, int64_t n) {
    const auto* b = blocks<BlockQ3_K>(src);
    int q[QK];
    for (int64_t i = 0; i < n / QK; ++i) {
        unpack_q3_k(b[i], q);
        const float d = half_to_float(b[i].d);
        for (int s = 0; s < QK / 16; ++s) {
            const float dl = d * L::q3k_scale(b[i].scales, s);
            for (int e = 16 * s; e < 16 * s + 16; ++e) dst[i * QK + e] = dl * q[e];
        }
    }
}
void vec_dot_q3_k(int64_t n, float* result, const void* x, const void* y) {
    const auto* bx = blocks<BlockQ3_K>(x);
    const auto* by = blocks<BlockQ8_K>(y);
    int q[QK], dots[16], ysums[16];
    float sum = 0.0f;
    for (int64_t i = 0; i < n / QK; ++i) {
        unpack_q3_k(bx[i], q);
        sub_block_dots<16>(q, by[i], dots, ysums);
        int scaled = 0;
        for (int s = 0; s < 16; ++s) scaled += L::q3k_scale(bx[i].scales, s) * dots[s];
        sum += by[i].d * half_to_float(bx[i].d) * scaled;
    }
    *result = sum;
}

// ---------------------------------------------------------------- Q4_K / Q5_K
namespace {
template <typename Block>
void dequantize_k4_family(const Block& b, const int* q, float* dst) {
    const float d = half_to_float(b.d), dmin = half_to_float(b.dmin);
    for (int s = 0; s < QK / 32; ++s) {  // the sub-block's scale and min once, then its 32 values
        int sc, m;
        L::k4_scale_min(b.scales, s, &sc, &m);
        const float d1 = d * sc, m1 = dmin * m;
        for (int e = 32 * s; e < 32 * s + 32; ++e) dst[e] = d1 * q[e] - m1;
    }
}
template <typename Block>
float dot_k4_family(const Block& b, const int* q, const BlockQ8_K& y) {
    int dots[8], ysums[8];
    sub_block_dots<32>(q, y, dots, ysums);
    int scaled = 0, mins = 0;
    for (int s = 0; s < 8; ++s) {
        int sc, m;
        L::k4_scale_min(b.scales, s, &sc, &m);
        scaled += sc * dots[s];
        mins += m * ysums[s];
    }
    return y.d * (half_to_float(b.d) * scaled - half_to_float(b.dmin) * mins);
}
}  // namespace

void dequantize_row_q4_k(const void* src, float* dst, int64_t n) {
    const auto* b = blocks<BlockQ4_K>(src);
    int q[QK];
    for (int64_t i = 0; i < n / QK; ++i) {
        unpack_q4_k(b[i], q);
        dequantize_k4_family(b[i], q, dst + i * QK);
    }
}
void vec_dot_q4_k(int64_t n, float* result, const void* x, const void* y) {
    const auto* bx = blocks<BlockQ4_K>(x);
    const auto* by = blocks<BlockQ8_K>(y);
    int q[QK];
    float sum = 0.0f;
    for (int64_t i = 0; i < n / QK; ++i) {
        unpack_q4_k(bx[i], q);
        sum += dot_k4_family(bx[i], q, by[i]);
    }
    *result = sum;
}
void dequantize_row_q5_k(const void* src, float* dst, int64_t n) {
    const auto* b = blocks<BlockQ5_K>(src);
    int q[QK];
    for (int64_t i = 0; i < n / QK; ++i) {
        unpack_q5_k(b[i], q);
        dequantize_k4_family(b[i], q, dst + i * QK);
    }
}
void vec_dot_q5_k(int64_t n, float* result, const void* x, const void* y) {
    const auto* bx = blocks<BlockQ5_K>(x);
    const auto* by = blocks<BlockQ8_K>(y);
    int q[QK];
    float sum = 0.0f;
    for (int64_t i = 0; i < n / QK; ++i) {
        unpack_q5_k(bx[i], q);
        sum += dot_k4_family(bx[i], q, by[i]);
    }
    *result = sum;
}

// ---------------------------------------------------------------- Q6_K
void dequantize_row_q6_k(const void* src, float* dst, int64_t n) {
    const auto* b = blocks<BlockQ6_K>(src);
    int q[QK];
    for (int64_t i = 0; i < n / QK; ++i) {
        unpack_q6_k(b[i], q);
        const float d = half_to_float(b[i].d);
        for (int s = 0; s < QK / 16; ++s) {
            const float ds = d * b[i].scales[s];  // (d * scale) * q, as before, once per sub-block
            for (int e = 16 * s; e < 16 * s + 16; ++e) dst[i * QK + e] = ds * q[e];
        }
    }
}
void vec_dot_q6_k(int64_t n, float* result, const void* x, const void* y) {
    const auto* bx = blocks<BlockQ6_K>(x);
    const auto* by = blocks<BlockQ8_K>(y);
    int q[QK], dots[16], ysums[16];
    float sum = 0.0f;
    for (int64_t i = 0; i < n / QK; ++i) {
        unpack_q6_k(bx[i], q);
        sub_block_dots<16>(q, by[i], dots, ysums);
        int scaled = 0;
        for (int s = 0; s < 16; ++s) scaled += bx[i].scales[s] * dots[s];
        sum += by[i].d * half_to_float(bx[i].d) * scaled;
    }
    *result = sum;
}

// ---------------------------------------------------------------- IQ4_XS
void dequantize_row_iq4_xs(const void* src, float* dst, int64_t n) {
    const auto* b = blocks<BlockIQ4_XS>(src);
    int v[QK];
    for (int64_t i = 0; i < n / QK; ++i) {
        unpack_iq4_xs(b[i], v);
        const float d = half_to_float(b[i].d);
        for (int e = 0; e < QK; ++e) {
            const float dl = d * L::iq4xs_scale(b[i], e / 32);
            dst[i * QK + e] = dl * v[e];
        }
    }
}
void vec_dot_iq4_xs(int64_t n, float* result, const void* x, const void* y) {
    const auto* bx = blocks<BlockIQ4_XS>(x);
    const auto* by = blocks<BlockQ8_K>(y);
    int v[QK], dots[8], ysums[8];
    float sum = 0.0f;
    for (int64_t i = 0; i < n / QK; ++i) {
        unpack_iq4_xs(bx[i], v);
        sub_block_dots<32>(v, by[i], dots, ysums);
        int scaled = 0;
        for (int s = 0; s < 8; ++s) scaled += L::iq4xs_scale(bx[i], s) * dots[s];
        sum += by[i].d * half_to_float(bx[i].d) * scaled;
    }
    *result = sum;
}

// ---------------------------------------------------------------- TQ1_0 / TQ2_0
void dequantize_row_tq1_0(const void* src, float* dst, int64_t n) {
    const auto* b = blocks<BlockTQ1_0>(src);
    int q[QK];
    for (int64_t i = 0; i < n / QK; ++i) {
        unpack_tq1_0(b[i], q);
        const float d = half_to_float(b[i].d);
        for (int e = 0; e < QK; ++e) dst[i * QK + e] = static_cast<float>(q[e]) * d;
    }
}
void vec_dot_tq1_0(int64_t n, float* result, const void* x, const void* y) {
    const auto* bx = blocks<BlockTQ1_0>(x);
    const auto* by = blocks<BlockQ8_K>(y);
    int q[QK];
    float sum = 0.0f;
    for (int64_t i = 0; i < n / QK; ++i) {
        unpack_tq1_0(bx[i], q);
        int sumi = 0;
        for (int e = 0; e < QK; ++e) sumi += q[e] * by[i].qs[e];
        sum += static_cast<float>(sumi) * (half_to_float(bx[i].d) * by[i].d);
    }
    *result = sum;
}
void dequantize_row_tq2_0(const void* src, float* dst, int64_t n) {
    const auto* b = blocks<BlockTQ2_0>(src);
    int q[QK];
    for (int64_t i = 0; i < n / QK; ++i) {
        unpack_tq2_0(b[i], q);
        const float d = half_to_float(b[i].d);
        for (int e = 0; e < QK; ++e) dst[i * QK + e] = static_cast<float>(q[e]) * d;
    }
}
void vec_dot_tq2_0(int64_t n, float* result, const void* x, const void* y) {
    const auto* bx = blocks<BlockTQ2_0>(x);
    const auto* by = blocks<BlockQ8_K>(y);
    int q[QK];
    float sum = 0.0f;
    for (int64_t i = 0; i < n / QK; ++i) {
        unpack_tq2_0(bx[i], q);
        int sumi = 0;
        for (int e = 0; e < QK; ++e) sumi += q[e] * by[i].qs[e];
        sum += static_cast<float>(sumi) * (half_to_float(bx[i].d) * by[i].d);
    }
    *result = sum;
}

}  // namespace rocmforge::quant::ref
