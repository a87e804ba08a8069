// Reference kernels of the 32-element block types (Q4_0, Q4_1, Q5_0, Q5_1, Q8_0, IQ4_NL, MXFP4).
// Dot products take Q8_0 activations: dot = sum over blocks of (scale_x * scale_y) * integer dot.
#include "quant/block_types.h"
#include "quant/float_bits.h"
#include "quant/minifloat.h"
#include "quant/reference_kernels.h"

#include <cmath>
#include <cstring>

namespace rocmforge::quant::ref {
namespace {

constexpr int QK = kQK4_0;

// Signed value of largest magnitude in x[0..n) (first one wins on ties).
float signed_absmax(const float* x, int n) {
    float amax = 0.0f, max = 0.0f;
    for (int j = 0; j < n; ++j) {
        if (std::fabs(x[j]) > amax) { amax = std::fabs(x[j]); max = x[j]; }
    }
    return max;
}

void min_max(const float* x, int n, float* mn, float* mx) {
    *mn = x[0];
    *mx = x[0];
    for (int j = 1; j < n; ++j) {
        if (x[j] < *mn) *mn = x[j];
        if (x[j] > *mx) *mx = x[j];
    }
}

// Element j of a 32-block stored as nibbles: j < 16 low nibble of qs[j], else high nibble of qs[j-16].
inline int nibble(const uint8_t* qs, int j) { return j < 16 ? (qs[j] & 0xF) : (qs[j - 16] >> 4); }
inline int fifth_bit(const uint8_t* qh, int j) { return (qh[j / 8] >> (j % 8)) & 1; }

void pack_nibbles(const int* q, uint8_t* qs) {
    for (int j = 0; j < 16; ++j) qs[j] = static_cast<uint8_t>(q[j] | (q[j + 16] << 4));
}
void pack_fifth_bits(const int* q, uint8_t* qh) {
    std::memset(qh, 0, 4);
    for (int j = 0; j < QK; ++j) qh[j / 8] |= static_cast<uint8_t>(((q[j] >> 4) & 1) << (j % 8));
}

int clampi(int v, int lo, int hi) { return v < lo ? lo : (v > hi ? hi : v); }

// Integer dot of unsigned codes q (offset subtracted by caller) with q8 values.
}  // namespace

// ---------------------------------------------------------------- Q8_0 (also the activation format)
void dequantize_row_q8_0(const void* src, float* dst, int64_t n) {
    const auto* b = static_cast<const BlockQ8_0*>(src);
    for (int64_t i = 0; i < n / QK; ++i) {
        const float d = half_to_float(b[i].d);
        for (int j = 0; j < QK; ++j) dst[i * QK + j] = b[i].qs[j] * d;
    }
}
void quantize_row_q8_0(const float* src, void* dst, int64_t n) {
    auto* b = static_cast<BlockQ8_0*>(dst);
    for (int64_t i = 0; i < n / QK; ++i) {
        const float* x = src + i * QK;
        float amax = 0.0f;
        for (int j = 0; j < QK; ++j) amax = std::fmax(amax, std::fabs(x[j]));
        const float d = amax / 127.0f;
        const float id = d != 0.0f ? 1.0f / d : 0.0f;
        b[i].d = float_to_half(d);
        for (int j = 0; j < QK; ++j) b[i].qs[j] = static_cast<int8_t>(nearest_int(x[j] * id));
    }
}
void vec_dot_q8_0(int64_t n, float* result, const void* x, const void* y) {
    const auto* bx = static_cast<const BlockQ8_0*>(x);
    const auto* by = static_cast<const BlockQ8_0*>(y);
    float sum = 0.0f;
    for (int64_t i = 0; i < n / QK; ++i) {
        int sumi = 0;
        for (int j = 0; j < QK; ++j) sumi += bx[i].qs[j] * by[i].qs[j];
        sum += static_cast<float>(sumi) * (half_to_float(bx[i].d) * half_to_float(by[i].d));
    }
    *result = sum;
}

// ---------------------------------------------------------------- Q4_0
void dequantize_row_q4_0(const void* src, float* dst, int64_t n) {
    const auto* b = static_cast<const BlockQ4_0*>(src);
    for (int64_t i = 0; i < n / QK; ++i) {
        const float d = half_to_float(b[i].d);
        for (int j = 0; j < QK; ++j) dst[i * QK + j] = (nibble(b[i].qs, j) - 8) * d;
    }
}
void quantize_row_q4_0(const float* src, void* dst, int64_t n) {
    auto* b = static_cast<BlockQ4_0*>(dst);
    for (int64_t i = 0; i < n / QK; ++i) {
        const float* x = src + i * QK;
        // The extreme value maps to code 0 (-8), so the full negative range is used on that side.
        const float d = signed_absmax(x, QK) / -8.0f;
        const float id = d != 0.0f ? 1.0f / d : 0.0f;
        b[i].d = float_to_half(d);
        int q[QK];
        for (int j = 0; j < QK; ++j) q[j] = clampi(nearest_int(x[j] * id) + 8, 0, 15);
        pack_nibbles(q, b[i].qs);
    }
}
void vec_dot_q4_0(int64_t n, float* result, const void* x, const void* y) {
    const auto* bx = static_cast<const BlockQ4_0*>(x);
    const auto* by = static_cast<const BlockQ8_0*>(y);
    float sum = 0.0f;
    for (int64_t i = 0; i < n / QK; ++i) {
        int sumi = 0;
        for (int j = 0; j < QK; ++j) sumi += (nibble(bx[i].qs, j) - 8) * by[i].qs[j];
        sum += static_cast<float>(sumi) * (half_to_float(bx[i].d) * half_to_float(by[i].d));
    }
    *result = sum;
}

// ---------------------------------------------------------------- Q4_1
void dequantize_row_q4_1(const void* src, float* dst, int64_t n) {
    const auto* b = static_cast<const BlockQ4_1*>(src);
    for (int64_t i = 0; i < n / QK; ++i) {
        const float d = half_to_float(b[i].d), m = half_to_float(b[i].m);
        for (int j = 0; j < QK; ++j) dst[i * QK + j] = nibble(b[i].qs, j) * d + m;
    }
}
void quantize_row_q4_1(const float* src, void* dst, int64_t n) {
    auto* b = static_cast<BlockQ4_1*>(dst);
    for (int64_t i = 0; i < n / QK; ++i) {
        const float* x = src + i * QK;
        float mn, mx;
        min_max(x, QK, &mn, &mx);
        const float d = (mx - mn) / 15.0f;
        const float id = d != 0.0f ? 1.0f / d : 0.0f;
        b[i].d = float_to_half(d);
        b[i].m = float_to_half(mn);
        int q[QK];
        for (int j = 0; j < QK; ++j) q[j] = clampi(nearest_int((x[j] - mn) * id), 0, 15);
        pack_nibbles(q, b[i].qs);
    }
}
void vec_dot_q4_1(int64_t n, float* result, const void* x, const void* y) {
    const auto* bx = static_cast<const BlockQ4_1*>(x);
    const auto* by = static_cast<const BlockQ8_0*>(y);
    float sum = 0.0f;
    for (int64_t i = 0; i < n / QK; ++i) {
        int sumi = 0, sumy = 0;
        for (int j = 0; j < QK; ++j) {
            sumi += nibble(bx[i].qs, j) * by[i].qs[j];
            sumy += by[i].qs[j];
        }
        const float dy = half_to_float(by[i].d);
        sum += static_cast<float>(sumi) * (half_to_float(bx[i].d) * dy) + static_cast<float>(sumy) * (half_to_float(bx[i].m) * dy);
    }
    *result = sum;
}

// ---------------------------------------------------------------- Q5_0
void dequantize_row_q5_0(const void* src, float* dst, int64_t n) {
    const auto* b = static_cast<const BlockQ5_0*>(src);
    for (int64_t i = 0; i < n / QK; ++i) {
        const float d = half_to_float(b[i].d);
        for (int j = 0; j < QK; ++j) dst[i * QK + j] = ((nibble(b[i].qs, j) | (fifth_bit(b[i].qh, j) << 4)) - 16) * d;
    }
}
void quantize_row_q5_0(const float* src, void* dst, int64_t n) {
    auto* b = static_cast<BlockQ5_0*>(dst);
    for (int64_t i = 0; i < n / QK; ++i) {
        const float* x = src + i * QK;
        const float d = signed_absmax(x, QK) / -16.0f;
        const float id = d != 0.0f ? 1.0f / d : 0.0f;
        b[i].d = float_to_half(d);
        int q[QK];
        for (int j = 0; j < QK; ++j) q[j] = clampi(nearest_int(x[j] * id) + 16, 0, 31);
        int low[QK];
        for (int j = 0; j < QK; ++j) low[j] = q[j] & 0xF;
        pack_nibbles(low, b[i].qs);
        pack_fifth_bits(q, b[i].qh);
    }
}
void vec_dot_q5_0(int64_t n, float* result, const void* x, const void* y) {
    const auto* bx = static_cast<const BlockQ5_0*>(x);
    const auto* by = static_cast<const BlockQ8_0*>(y);
    float sum = 0.0f;
    for (int64_t i = 0; i < n / QK; ++i) {
        int sumi = 0;
        for (int j = 0; j < QK; ++j) sumi += ((nibble(bx[i].qs, j) | (fifth_bit(bx[i].qh, j) << 4)) - 16) * by[i].qs[j];
        sum += static_cast<float>(sumi) * (half_to_float(bx[i].d) * half_to_float(by[i].d));
    }
    *result = sum;
}

// ---------------------------------------------------------------- Q5_1
void dequantize_row_q5_1(const void* src, float* dst, int64_t n) {
    const auto* b = static_cast<const BlockQ5_1*>(src);
    for (int64_t i = 0; i < n / QK; ++i) {
        const float d = half_to_float(b[i].d), m = half_to_float(b[i].m);
        for (int j = 0; j < QK; ++j) dst[i * QK + j] = (nibble(b[i].qs, j) | (fifth_bit(b[i].qh, j) << 4)) * d + m;
    }
}
void quantize_row_q5_1(const float* src, void* dst, int64_t n) {
    auto* b = static_cast<BlockQ5_1*>(dst);
    for (int64_t i = 0; i < n / QK; ++i) {
        const float* x = src + i * QK;
        float mn, mx;
        min_max(x, QK, &mn, &mx);
        const float d = (mx - mn) / 31.0f;
        const float id = d != 0.0f ? 1.0f / d : 0.0f;
        b[i].d = float_to_half(d);
        b[i].m = float_to_half(mn);
        int q[QK], low[QK];
        for (int j = 0; j < QK; ++j) {
            q[j] = clampi(nearest_int((x[j] - mn) * id), 0, 31);
            low[j] = q[j] & 0xF;
        }
        pack_nibbles(low, b[i].qs);
        pack_fifth_bits(q, b[i].qh);
    }
}
void vec_dot_q5_1(int64_t n, float* result, const void* x, const void* y) {
    const auto* bx = static_cast<const BlockQ5_1*>(x);
    const auto* by = static_cast<const BlockQ8_0*>(y);
    float sum = 0.0f;
    for (int64_t i = 0; i < n / QK; ++i) {
        int sumi = 0, sumy = 0;
        for (int j = 0; j < QK; ++j) {
            sumi += (nibble(bx[i].qs, j) | (fifth_bit(bx[i].qh, j) << 4)) * by[i].qs[j];
            sumy += by[i].qs[j];
        }
        const float dy = half_to_float(by[i].d);
        sum += static_cast<float>(sumi) * (half_to_float(bx[i].d) * dy) + static_cast<float>(sumy) * (half_to_float(bx[i].m) * dy);
    }
    *result = sum;
}

// ---------------------------------------------------------------- IQ4_NL
void dequantize_row_iq4_nl(const void* src, float* dst, int64_t n) {
    const auto* b = static_cast<const BlockIQ4_NL*>(src);
    for (int64_t i = 0; i < n / QK; ++i) {
        const float d = half_to_float(b[i].d);
        for (int j = 0; j < QK; ++j) dst[i * QK + j] = d * kIq4nlValues[nibble(b[i].qs, j)];
    }
}
void vec_dot_iq4_nl(int64_t n, float* result, const void* x, const void* y) {
    const auto* bx = static_cast<const BlockIQ4_NL*>(x);
    const auto* by = static_cast<const BlockQ8_0*>(y);
    float sum = 0.0f;
    for (int64_t i = 0; i < n / QK; ++i) {
        int sumi = 0;
        for (int j = 0; j < QK; ++j) sumi += kIq4nlValues[nibble(bx[i].qs, j)] * by[i].qs[j];
        sum += static_cast<float>(sumi) * (half_to_float(bx[i].d) * half_to_float(by[i].d));
    }
    *result = sum;
}
// quantize_row_iq4_nl lives in codebook_quantize.cpp (scale search shared with IQ4_XS).

// ---------------------------------------------------------------- MXFP4
// Element values are E2M1 codes times the E8M0 scale 2^(e-127).
void dequantize_row_mxfp4(const void* src, float* dst, int64_t n) {
    const auto* b = static_cast<const BlockMXFP4*>(src);
    for (int64_t i = 0; i < n / QK; ++i) {
        const float scale = e8m0_to_float(b[i].e);
        for (int j = 0; j < QK; ++j) dst[i * QK + j] = minifloat_decode(kE2M1, static_cast<uint8_t>(nibble(b[i].qs, j))) * scale;
    }
}
void quantize_row_mxfp4(const float* src, void* dst, int64_t n) {
    auto* b = static_cast<BlockMXFP4*>(dst);
    for (int64_t i = 0; i < n / QK; ++i) {
        const float* x = src + i * QK;
        float amax = 0.0f;
        for (int j = 0; j < QK; ++j) amax = std::fmax(amax, std::fabs(x[j]));
        b[i].e = mx_shared_exponent(amax, kE2M1);
        const float inv_scale = 1.0f / e8m0_to_float(b[i].e);  // exact: power of two
        int q[QK];
        for (int j = 0; j < QK; ++j) q[j] = minifloat_encode(kE2M1, x[j] * inv_scale);
        pack_nibbles(q, b[i].qs);
    }
}
void vec_dot_mxfp4(int64_t n, float* result, const void* x, const void* y) {
    // E2M1 values times 2 are the integers {0,1,2,3,4,6,8,12}; the factor 2 is folded into the scale.
    static constexpr int8_t kDoubled[16] = {0, 1, 2, 3, 4, 6, 8, 12, 0, -1, -2, -3, -4, -6, -8, -12};
    const auto* bx = static_cast<const BlockMXFP4*>(x);
    const auto* by = static_cast<const BlockQ8_0*>(y);
    float sum = 0.0f;
    for (int64_t i = 0; i < n / QK; ++i) {
        int sumi = 0;
        for (int j = 0; j < QK; ++j) sumi += kDoubled[nibble(bx[i].qs, j)] * by[i].qs[j];
        sum += static_cast<float>(sumi) * (0.5f * e8m0_to_float(bx[i].e) * half_to_float(by[i].d));
    }
    *result = sum;
}

}  // namespace rocmforge::quant::ref
