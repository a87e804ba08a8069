// Quantizers of the K-quants and IQ4 types. Two levels, as the formats have two levels of scales:
//  1. each sub-block gets its own least-squares scale (and min) from scale_search.h;
//  2. the sub-block scales are quantized against one super-block scale (6-bit, 4-bit or int8),
//     codes are re-assigned with the quantized scales, and the super-block scale(s) are refit by
//     least squares over the whole block; the better of the two encodings is kept.
#include "quant/block_types.h"
#include "quant/float_bits.h"
#include "quant/k_quant_layout.h"
#include "quant/reference_kernels.h"
#include "quant/scale_search.h"

#include <cmath>
#include <cstring>

namespace rocmforge::quant::ref {
namespace {

constexpr int QK = kQK_K;
namespace L = layout;

int clampi(int v, int lo, int hi) { return v < lo ? lo : (v > hi ? hi : v); }

// ------------------------------------------------------------ asymmetric (Q2_K, Q4_K, Q5_K)
// Block model: x[e] ≈ d*sc[s]*q[e] - dmin*mn[s] for sub-block s = e / kSub.
template <int kSub, int kNmax, int kScaleMax>
struct AsymmetricBlock {
    static constexpr int kSubs = QK / kSub;
    uint16_t d = 0, dmin = 0;
    int sc[kSubs] = {}, mn[kSubs] = {};
    int q[QK] = {};

    // Assigns codes for the current scales; returns the squared error.
    double assign_codes(const float* x) {
        const float df = half_to_float(d), mf = half_to_float(dmin);
        double err = 0;
        for (int e = 0; e < QK; ++e) {
            const int s = e / kSub;
            const float step = df * sc[s], offset = mf * mn[s];
            q[e] = step > 0 ? clampi(nearest_int((x[e] + offset) / step), 0, kNmax) : 0;
            const double r = double(step) * q[e] - offset - x[e];
            err += r * r;
        }
        return err;
    }

    void quantize(const float* x) {
        float scale[kSubs], min[kSubs], max_scale = 0, max_min = 0;
        for (int s = 0; s < kSubs; ++s) {
            search::fit_scale_min(x + s * kSub, kSub, kNmax, &scale[s], &min[s]);
            max_scale = std::fmax(max_scale, scale[s]);
            max_min = std::fmax(max_min, min[s]);
        }
        const float dv = max_scale / kScaleMax, mv = max_min / kScaleMax;
        d = float_to_half(dv);
        dmin = float_to_half(mv);
        for (int s = 0; s < kSubs; ++s) {
            sc[s] = dv > 0 ? clampi(nearest_int(scale[s] / dv), 0, kScaleMax) : 0;
            mn[s] = mv > 0 ? clampi(nearest_int(min[s] / mv), 0, kScaleMax) : 0;
        }
        double err = assign_codes(x);
        // Refit (d, dmin) by least squares on x ≈ d*A - dmin*B with A = sc*q, B = mn.
        for (int round = 0; round < 2; ++round) {
            double saa = 0, sab = 0, sbb = 0, sxa = 0, sxb = 0;
            for (int e = 0; e < QK; ++e) {
                const double a = sc[e / kSub] * q[e], b = mn[e / kSub];
                saa += a * a; sab += a * b; sbb += b * b; sxa += x[e] * a; sxb += x[e] * b;
            }
            const double det = saa * sbb - sab * sab;
            double nd, nm;
            if (sbb == 0) { nd = saa > 0 ? sxa / saa : 0; nm = 0; }
            else if (det > 0) { nd = (sxa * sbb - sxb * sab) / det; nm = (sxa * sab - sxb * saa) / det; }
            else break;
            if (nd < 0 || nm < 0) break;
            const uint16_t old_d = d, old_dmin = dmin;
            int old_q[QK];
            std::memcpy(old_q, q, sizeof q);
            d = float_to_half(static_cast<float>(nd));
            dmin = float_to_half(static_cast<float>(nm));
            const double new_err = assign_codes(x);
            if (!(new_err < err)) {
                d = old_d; dmin = old_dmin;
                std::memcpy(q, old_q, sizeof q);
                break;
            }
            err = new_err;
        }
    }
};

// ------------------------------------------------------------ symmetric (Q3_K, Q6_K, IQ4_XS)
// Block model: x[e] ≈ d*sc[s]*value(q[e]) with signed sub-scales sc in [-kScaleNeg, kScaleNeg-1].
// value(q) = q for integer codes in [-kNneg, kNpos], or the IQ4 codebook entry.
template <int kSub, int kScaleNeg, bool kCodebook, int kNneg = 0, int kNpos = 0>
struct SymmetricBlock {
    static constexpr int kSubs = QK / kSub;
    uint16_t d = 0;
    int sc[kSubs] = {};
    int q[QK] = {};  // integer code, or codebook index

    static int value(int code) { return kCodebook ? kIq4nlValues[code] : code; }

    double assign_codes(const float* x) {
        const float df = half_to_float(d);
        double err = 0;
        for (int e = 0; e < QK; ++e) {
            const float step = df * sc[e / kSub];
            if (step == 0) {
                q[e] = kCodebook ? search::nearest_codebook_index(kIq4nlValues, 0.0f) : 0;
            } else if (kCodebook) {
                q[e] = search::nearest_codebook_index(kIq4nlValues, x[e] / step);
            } else {
                q[e] = clampi(nearest_int(x[e] / step), -kNneg, kNpos);
            }
            const double r = double(step) * value(q[e]) - x[e];
            err += r * r;
        }
        return err;
    }

    void quantize(const float* x) {
        float scale[kSubs], extreme = 0;
        for (int s = 0; s < kSubs; ++s) {
            if (kCodebook) search::fit_scale_codebook(x + s * kSub, kSub, kIq4nlValues, &scale[s]);
            else search::fit_scale_symmetric(x + s * kSub, kSub, kNneg, kNpos, &scale[s]);
            if (std::fabs(scale[s]) > std::fabs(extreme)) extreme = scale[s];
        }
        // The extreme sub-scale lands exactly on the most negative scale code.
        const float dv = extreme / -static_cast<float>(kScaleNeg);
        d = float_to_half(dv);
        for (int s = 0; s < kSubs; ++s) sc[s] = dv != 0 ? clampi(nearest_int(scale[s] / dv), -kScaleNeg, kScaleNeg - 1) : 0;
        double err = assign_codes(x);
        for (int round = 0; round < 2; ++round) {  // refit d on x ≈ d*(sc*value)
            double saa = 0, sxa = 0;
            for (int e = 0; e < QK; ++e) {
                const double a = double(sc[e / kSub]) * value(q[e]);
                saa += a * a; sxa += x[e] * a;
            }
            if (saa <= 0) break;
            const uint16_t old_d = d;
            int old_q[QK];
            std::memcpy(old_q, q, sizeof q);
            d = float_to_half(static_cast<float>(sxa / saa));
            const double new_err = assign_codes(x);
            if (!(new_err < err)) {
                d = old_d;
                std::memcpy(q, old_q, sizeof q);
                break;
            }
            err = new_err;
        }
    }
};

}  // namespace

void quantize_row_q2_k(const float* src, void* dst, int64_t n) {
    auto* b = static_cast<BlockQ2_K*>(dst);
    for (int64_t i = 0; i < n / QK; ++i) {
        AsymmetricBlock<16, 3, 15> blk;
        blk.quantize(src + i * QK);
        b[i].d = blk.d;
        b[i].dmin = blk.dmin;
        for (int s = 0; s < 16; ++s) b[i].scales[s] = static_cast<uint8_t>(blk.sc[s] | (blk.mn[s] << 4));
        std::memset(b[i].qs, 0, sizeof b[i].qs);
        for (int e = 0; e < QK; ++e) b[i].qs[L::q2_byte(e)] |= static_cast<uint8_t>(blk.q[e] << L::q2_shift(e));
    }
}

void quantize_row_q4_k(const float* src, void* dst, int64_t n) {
    auto* b = static_cast<BlockQ4_K*>(dst);
    for (int64_t i = 0; i < n / QK; ++i) {
        AsymmetricBlock<32, 15, 63> blk;
        blk.quantize(src + i * QK);
        b[i].d = blk.d;
        b[i].dmin = blk.dmin;
        L::k4_pack_scale_min(blk.sc, blk.mn, b[i].scales);
        std::memset(b[i].qs, 0, sizeof b[i].qs);
        for (int e = 0; e < QK; ++e) b[i].qs[L::q4k_byte(e)] |= static_cast<uint8_t>(blk.q[e] << L::q4k_shift(e));
    }
}

void quantize_row_q5_k(const float* src, void* dst, int64_t n) {
    auto* b = static_cast<BlockQ5_K*>(dst);
    for (int64_t i = 0; i < n / QK; ++i) {
        AsymmetricBlock<32, 31, 63> blk;
        blk.quantize(src + i * QK);
        b[i].d = blk.d;
        b[i].dmin = blk.dmin;
        L::k4_pack_scale_min(blk.sc, blk.mn, b[i].scales);
        std::memset(b[i].qs, 0, sizeof b[i].qs);
        std::memset(b[i].qh, 0, sizeof b[i].qh);
        for (int e = 0; e < QK; ++e) {
            b[i].qs[L::q4k_byte(e)] |= static_cast<uint8_t>((blk.q[e] & 0xF) << L::q4k_shift(e));
            b[i].qh[e % 32] |= static_cast<uint8_t>((blk.q[e] >> 4) << (e / 32));
        }
    }
}

void quantize_row_q3_k(const float* src, void* dst, int64_t n) {
    auto* b = static_cast<BlockQ3_K*>(dst);
    for (int64_t i = 0; i < n / QK; ++i) {
        SymmetricBlock<16, 32, false, 4, 3> blk;
        blk.quantize(src + i * QK);
        b[i].d = blk.d;
        L::q3k_pack_scales(blk.sc, b[i].scales);
        std::memset(b[i].qs, 0, sizeof b[i].qs);
        std::memset(b[i].hmask, 0, sizeof b[i].hmask);
        for (int e = 0; e < QK; ++e) {
            const int u = blk.q[e] + 4;  // [0,7]: low 2 bits in qs, bit 2 in hmask
            b[i].qs[L::q2_byte(e)] |= static_cast<uint8_t>((u & 3) << L::q2_shift(e));
            b[i].hmask[L::q3_hbit_byte(e)] |= static_cast<uint8_t>((u >> 2) << L::q3_hbit_shift(e));
        }
    }
}

void quantize_row_q6_k(const float* src, void* dst, int64_t n) {
    auto* b = static_cast<BlockQ6_K*>(dst);
    for (int64_t i = 0; i < n / QK; ++i) {
        SymmetricBlock<16, 128, false, 32, 31> blk;
        blk.quantize(src + i * QK);
        b[i].d = blk.d;
        for (int s = 0; s < 16; ++s) b[i].scales[s] = static_cast<int8_t>(blk.sc[s]);
        std::memset(b[i].ql, 0, sizeof b[i].ql);
        std::memset(b[i].qh, 0, sizeof b[i].qh);
        for (int e = 0; e < QK; ++e) {
            const int u = blk.q[e] + 32;  // [0,63]
            b[i].ql[L::q6k_ql_byte(e)] |= static_cast<uint8_t>((u & 0xF) << L::q6k_ql_shift(e));
            b[i].qh[L::q6k_qh_byte(e)] |= static_cast<uint8_t>((u >> 4) << L::q6k_qh_shift(e));
        }
    }
}

void quantize_row_iq4_xs(const float* src, void* dst, int64_t n) {
    auto* b = static_cast<BlockIQ4_XS*>(dst);
    for (int64_t i = 0; i < n / QK; ++i) {
        SymmetricBlock<32, 32, true> blk;
        blk.quantize(src + i * QK);
        b[i].d = blk.d;
        b[i].scales_h = 0;
        std::memset(b[i].scales_l, 0, sizeof b[i].scales_l);
        for (int s = 0; s < 8; ++s) {
            const int u = blk.sc[s] + 32;  // [0,63]
            b[i].scales_l[s / 2] |= static_cast<uint8_t>((u & 0xF) << (4 * (s % 2)));
            b[i].scales_h |= static_cast<uint16_t>((u >> 4) << (2 * s));
        }
        std::memset(b[i].qs, 0, sizeof b[i].qs);
        for (int e = 0; e < QK; ++e) b[i].qs[L::iq4xs_byte(e)] |= static_cast<uint8_t>(blk.q[e] << L::iq4xs_shift(e));
    }
}

void quantize_row_iq4_nl(const float* src, void* dst, int64_t n) {
    auto* b = static_cast<BlockIQ4_NL*>(dst);
    for (int64_t i = 0; i < n / kQK4_0; ++i) {
        const float* x = src + i * kQK4_0;
        float scale;
        search::fit_scale_codebook(x, kQK4_0, kIq4nlValues, &scale);
        b[i].d = float_to_half(scale);
        const float df = half_to_float(b[i].d);
        for (int j = 0; j < 16; ++j) {
            const int lo = df != 0 ? search::nearest_codebook_index(kIq4nlValues, x[j] / df) : 8;
            const int hi = df != 0 ? search::nearest_codebook_index(kIq4nlValues, x[j + 16] / df) : 8;
            b[i].qs[j] = static_cast<uint8_t>(lo | (hi << 4));
        }
    }
}

// Ternary types: d = max|x|, codes round(x/d) in {-1,0,1}. Only for tests (not in the traits table).
void quantize_row_tq2_0(const float* src, void* dst, int64_t n) {
    auto* b = static_cast<BlockTQ2_0*>(dst);
    for (int64_t i = 0; i < n / QK; ++i) {
        const float* x = src + i * QK;
        float amax = 0;
        for (int e = 0; e < QK; ++e) amax = std::fmax(amax, std::fabs(x[e]));
        b[i].d = float_to_half(amax);
        std::memset(b[i].qs, 0, sizeof b[i].qs);
        for (int e = 0; e < QK; ++e) {
            const int q = amax > 0 ? clampi(nearest_int(x[e] / amax), -1, 1) + 1 : 1;
            b[i].qs[L::tq2_byte(e)] |= static_cast<uint8_t>(q << L::tq2_shift(e));
        }
    }
}

void quantize_row_tq1_0(const float* src, void* dst, int64_t n) {
    auto* b = static_cast<BlockTQ1_0*>(dst);
    for (int64_t i = 0; i < n / QK; ++i) {
        const float* x = src + i * QK;
        float amax = 0;
        for (int e = 0; e < QK; ++e) amax = std::fmax(amax, std::fabs(x[e]));
        b[i].d = float_to_half(amax);
        int digit[QK];
        for (int e = 0; e < QK; ++e) digit[e] = amax > 0 ? clampi(nearest_int(x[e] / amax), -1, 1) + 1 : 1;
        // A byte holds digits d0..d4 as the base-3 fraction 0.d0d1d2d3d4: byte = ceil(v * 256 / 243)
        // with v = sum d_k * 3^(4-k); layout::tq1_digit reads them back.
        auto pack = [&](int first, int stride, int n_digits) {
            int v = 0;
            for (int k = 0; k < n_digits; ++k) v = v * 3 + digit[first + k * stride];
            for (int k = n_digits; k < 5; ++k) v *= 3;
            return static_cast<uint8_t>((v * 256 + 242) / 243);
        };
        for (int m = 0; m < 32; ++m) b[i].qs[m] = pack(m, 32, 5);
        for (int m = 0; m < 16; ++m) b[i].qs[32 + m] = pack(160 + m, 16, 5);
        for (int j = 0; j < 4; ++j) b[i].qh[j] = pack(240 + j, 4, 4);
    }
}

}  // namespace rocmforge::quant::ref
