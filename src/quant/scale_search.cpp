#include "quant/scale_search.h"

#include "quant/float_bits.h"

#include <cmath>
#include <limits>

namespace rocmforge::quant::search {
namespace {

constexpr int kRefineRounds = 3;


// Sums of one code assignment, enough to solve and score x ≈ s*q + b in closed form.
struct AffineSums {
    float n = 0, sq = 0, sqq = 0, sx = 0, sxq = 0, sxx = 0;
};

// Least-squares (s, b) for x ≈ s*q + b with b <= 0 and s >= 0; returns the squared error
// sum((s*q + b - x)^2) expanded in the sums (no second pass over x).
float solve_affine(const AffineSums& a, float* s_out, float* b_out) {
    float s = 0, b = 0;
    const float det = a.n * a.sqq - a.sq * a.sq;
    if (det > 0) {
        s = (a.n * a.sxq - a.sq * a.sx) / det;
        b = (a.sqq * a.sx - a.sq * a.sxq) / det;
    }
    if (b > 0 || det <= 0) {  // the format cannot add a positive offset: fit the scale alone
        b = 0;
        s = a.sqq > 0 ? a.sxq / a.sqq : 0;
    }
    if (s < 0) {
        s = 0;
        b = std::fmin(0.0f, a.sx / a.n);
    }
    const float err = a.sxx - 2 * s * a.sxq - 2 * b * a.sx + s * s * a.sqq + 2 * s * b * a.sq + a.n * b * b;
    *s_out = s;
    *b_out = b;
    return std::fmax(err, 0.0f);
}

// Round to nearest even for |v| < 2^22 (callers clamp to the code range first). Branch-free so
// that the candidate loops below vectorize (-fopenmp-simd reductions).
inline float round_even(float v) { return (v + 12582912.0f) - 12582912.0f; }
inline float clampf(float v, float lo, float hi) { return v < lo ? lo : (v > hi ? hi : v); }

// Sums for codes q = round(clamp(iscale*(x - shift), lo, hi)).
inline AffineSums code_sums(const float* x, int n, float iscale, float shift, float lo, float hi, float sx, float sxx) {
    float sq = 0, sqq = 0, sxq = 0;
#pragma omp simd reduction(+ : sq, sqq, sxq)
    for (int i = 0; i < n; ++i) {
        const float q = round_even(clampf(iscale * (x[i] - shift), lo, hi));
        sq += q;
        sqq += q * q;
        sxq += x[i] * q;
    }
    AffineSums a;
    a.n = static_cast<float>(n);
    a.sq = sq; a.sqq = sqq; a.sx = sx; a.sxq = sxq; a.sxx = sxx;
    return a;
}

}  // namespace

float fit_scale_min(const float* x, int n, int nmax, float* scale, float* min) {
    float lo = x[0], hi = x[0], sxx = 0, sx = 0;
    for (int i = 0; i < n; ++i) { lo = (x[i] < lo ? x[i] : lo); hi = (x[i] > hi ? x[i] : hi); sxx += x[i] * x[i]; sx += x[i]; }
    if (lo > 0) lo = 0;
    if (hi <= lo) {
        *scale = 0;
        *min = -lo;
        float err = 0;
        for (int i = 0; i < n; ++i) err += (x[i] - lo) * (x[i] - lo);
        return err;
    }
    // Grid of inverse scales around nmax/(hi-lo), in steps of a fraction of one level.
    const int steps = nmax <= 3 ? 12 : 8;
    const float step = nmax <= 3 ? 0.08f : 0.1f;
    const float fmax_code = static_cast<float>(nmax);
    float best_err = std::numeric_limits<float>::infinity(), best_s = 0, best_b = lo;
    for (int k = -steps; k <= steps; ++k) {
        const float iscale = (nmax + step * k) / (hi - lo);
        float s, b;
        const float err = solve_affine(code_sums(x, n, iscale, lo, 0.0f, fmax_code, sx, sxx), &s, &b);
        if (err < best_err) { best_err = err; best_s = s; best_b = b; }
    }
    for (int round = 0; round < kRefineRounds && best_s > 0; ++round) {
        float s, b;
        const float err = solve_affine(code_sums(x, n, 1.0f / best_s, best_b, 0.0f, fmax_code, sx, sxx), &s, &b);
        if (!(err < best_err)) break;
        best_err = err; best_s = s; best_b = b;
    }
    *scale = best_s;
    *min = -best_b;
    return best_err;
}

float fit_scale_symmetric(const float* x, int n, int nneg, int npos, float* scale) {
    float amax = 0, mx = 0, sxx = 0;
    for (int i = 0; i < n; ++i) {
        sxx += x[i] * x[i];
        if (std::fabs(x[i]) > amax) { amax = std::fabs(x[i]); mx = x[i]; }
    }
    if (amax == 0) { *scale = 0; return 0; }
    const float lo = -static_cast<float>(nneg), hi = static_cast<float>(npos);
    float best_score = -1;  // (Σxq)²/Σq² = sxx - error at the optimal scale
    float best_s = 0;
    auto try_iscale = [&](float iscale) {
        const AffineSums a = code_sums(x, n, iscale, 0.0f, lo, hi, 0.0f, sxx);
        if (a.sqq <= 0) return;
        const float score = a.sxq * a.sxq / a.sqq;
        if (score > best_score) { best_score = score; best_s = a.sxq / a.sqq; }
    };
    // Few levels (Q3_K): a fine grid at both ends of the range; many levels (Q6_K): a short one.
    const int steps = nneg + npos < 16 ? 12 : 5;
    const float step = nneg + npos < 16 ? 0.08f : 0.15f;
    for (int end = 0; end < 2; ++end) {
        const float target = end == 0 ? lo : hi;
        for (int k = -steps; k <= steps; ++k) {
            const float level = target + (target < 0 ? -1.0f : 1.0f) * step * k;
            if (level != 0) try_iscale(level / mx);
        }
    }
    for (int round = 0; round < kRefineRounds && best_s != 0; ++round) {
        const float before = best_s;
        try_iscale(1.0f / best_s);
        if (best_s == before) break;
    }
    *scale = best_s;
    return sxx - (best_score > 0 ? best_score : 0);
}

namespace {
// Nearest-entry lookup for a sorted 16-entry int8 codebook: the decision boundaries are midpoints
// of integers, i.e. multiples of 0.5, so the bin of floor(2v) decides (a tie goes to the upper
// entry, like the binary search below). Built per codebook pointer on first use.
struct CodebookLut {
    const int8_t* codebook = nullptr;
    int offset = 0;  // index of 2*codebook[0]
    int size = 0;
    uint8_t index[2 * 256 + 2] = {};
};

int nearest_by_search(const int8_t* codebook, float v) {
    if (v <= codebook[0]) return 0;
    if (v >= codebook[15]) return 15;
    int lo = 0, hi = 15;  // codebook[lo] < v < codebook[hi]
    while (hi - lo > 1) {
        const int mid = (lo + hi) / 2;
        if (v < codebook[mid]) hi = mid; else lo = mid;
    }
    return (v - codebook[lo] < codebook[hi] - v) ? lo : hi;
}

const CodebookLut& lut_for(const int8_t* codebook) {
    thread_local CodebookLut lut;
    if (lut.codebook != codebook) {
        lut.codebook = codebook;
        lut.offset = 2 * codebook[0];
        lut.size = 2 * codebook[15] - lut.offset + 1;
        for (int k = 0; k < lut.size; ++k) lut.index[k] = static_cast<uint8_t>(nearest_by_search(codebook, (k + lut.offset) * 0.5f + 0.25f));
        // Exact bin starts k/2 that are boundaries belong to the upper entry, which the +0.25 probe gives.
    }
    return lut;
}

inline int nearest_fast(const CodebookLut& lut, float v) {
    if (!(v > lut.codebook[0])) return 0;
    if (v >= lut.codebook[15]) return 15;
    return lut.index[static_cast<int>(std::floor(2.0f * v)) - lut.offset];
}
}  // namespace

int nearest_codebook_index(const int8_t* codebook, float v) { return nearest_fast(lut_for(codebook), v); }

float fit_scale_codebook(const float* x, int n, const int8_t* codebook, float* scale) {
    float amax = 0, mx = 0, sxx = 0;
    for (int i = 0; i < n; ++i) {
        sxx += x[i] * x[i];
        if (std::fabs(x[i]) > amax) { amax = std::fabs(x[i]); mx = x[i]; }
    }
    if (amax == 0) { *scale = 0; return 0; }
    // Nearest entry as a branch-free sum: value = c0 + sum_k [t >= midpoint_k] * (c_{k+1} - c_k)
    // (a tie goes to the upper entry, as nearest_codebook_index does).
    float midpoint[15], delta[15];
    for (int k = 0; k < 15; ++k) {
        midpoint[k] = 0.5f * (codebook[k] + codebook[k + 1]);
        delta[k] = static_cast<float>(codebook[k + 1] - codebook[k]);
    }
    const float first = codebook[0];
    float best_score = -1, best_s = 0;
    auto try_scale = [&](float s) {  // x ≈ s*v: assign codes for s, then refit s
        const float inv = 1.0f / s;
        float sxv = 0, svv = 0;
#pragma omp simd reduction(+ : sxv, svv)
        for (int i = 0; i < n; ++i) {
            const float t = x[i] * inv;
            float v = first;
            for (int k = 0; k < 15; ++k) v += t >= midpoint[k] ? delta[k] : 0.0f;
            sxv += x[i] * v;
            svv += v * v;
        }
        if (svv <= 0) return;
        const float score = sxv * sxv / svv;
        if (score > best_score) { best_score = score; best_s = sxv / svv; }
    };
    for (int end = 0; end < 2; ++end) {
        const float target = end == 0 ? codebook[0] : codebook[15];
        for (int k = -7; k <= 7; ++k) try_scale(mx / (target * (1.0f + 0.015f * k)));
    }
    for (int round = 0; round < kRefineRounds; ++round) try_scale(best_s);
    *scale = best_s;
    return sxx - (best_score > 0 ? best_score : 0);
}

}  // namespace rocmforge::quant::search
