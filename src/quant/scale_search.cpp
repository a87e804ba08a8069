#include "quant/scale_search.h"

#include "quant/float_bits.h"

#include <cmath>
#include <limits>

namespace rocmforge::quant::search {
namespace {

constexpr int kMaxN = 256;
constexpr int kGridSteps = 12;   // candidates on each side of the nominal inverse scale
constexpr float kGridStep = 0.08f;  // in units of one quantization level
constexpr int kRefineRounds = 3;

int clampi(int v, int lo, int hi) { return v < lo ? lo : (v > hi ? hi : v); }

// Least-squares (s, b) for x ≈ s*q + b with b <= 0 and s >= 0; returns the squared error.
float solve_affine(const float* x, const int* q, int n, float* s_out, float* b_out) {
    double sq = 0, sqq = 0, sx = 0, sxq = 0, sxx = 0;
    for (int i = 0; i < n; ++i) {
        sq += q[i]; sqq += double(q[i]) * q[i]; sx += x[i]; sxq += double(x[i]) * q[i]; sxx += double(x[i]) * x[i];
    }
    double s = 0, b = 0;
    const double det = n * sqq - sq * sq;
    if (det > 0) {
        s = (n * sxq - sq * sx) / det;
        b = (sqq * sx - sq * sxq) / det;
    }
    if (b > 0 || det <= 0) {  // the format cannot add a positive offset: fit the scale alone
        b = 0;
        s = sqq > 0 ? sxq / sqq : 0;
    }
    if (s < 0) {
        s = 0;
        b = std::fmin(0.0, sx / n);
    }
    double err = 0;
    for (int i = 0; i < n; ++i) {
        const double r = s * q[i] + b - x[i];
        err += r * r;
    }
    *s_out = static_cast<float>(s);
    *b_out = static_cast<float>(b);
    return static_cast<float>(err);
}

}  // namespace

float fit_scale_min(const float* x, int n, int nmax, float* scale, float* min) {
    float lo = x[0], hi = x[0];
    for (int i = 1; i < n; ++i) { lo = std::fmin(lo, x[i]); hi = std::fmax(hi, x[i]); }
    if (lo > 0) lo = 0;
    if (hi <= lo) {
        *scale = 0;
        *min = -lo;
        double err = 0;
        for (int i = 0; i < n; ++i) err += double(x[i] - lo) * (x[i] - lo);
        return static_cast<float>(err);
    }
    int q[kMaxN];
    float best_err = std::numeric_limits<float>::infinity(), best_s = 0, best_b = lo;
    for (int k = -kGridSteps; k <= kGridSteps; ++k) {
        const float iscale = (nmax + kGridStep * k) / (hi - lo);
        for (int i = 0; i < n; ++i) q[i] = clampi(nearest_int(iscale * (x[i] - lo)), 0, nmax);
        float s, b;
        const float err = solve_affine(x, q, n, &s, &b);
        if (err < best_err) { best_err = err; best_s = s; best_b = b; }
    }
    for (int round = 0; round < kRefineRounds && best_s > 0; ++round) {
        for (int i = 0; i < n; ++i) q[i] = clampi(nearest_int((x[i] - best_b) / best_s), 0, nmax);
        float s, b;
        const float err = solve_affine(x, q, n, &s, &b);
        if (!(err < best_err)) break;
        best_err = err; best_s = s; best_b = b;
    }
    *scale = best_s;
    *min = -best_b;
    return best_err;
}

float fit_scale_symmetric(const float* x, int n, int nneg, int npos, float* scale) {
    float amax = 0, mx = 0;
    for (int i = 0; i < n; ++i) {
        if (std::fabs(x[i]) > amax) { amax = std::fabs(x[i]); mx = x[i]; }
    }
    double sxx = 0;
    for (int i = 0; i < n; ++i) sxx += double(x[i]) * x[i];
    if (amax == 0) { *scale = 0; return 0; }
    int q[kMaxN];
    double best_score = -1;  // (Σxq)²/Σq² = sxx - error for the optimal scale
    float best_s = 0;
    auto try_codes = [&](void) {
        double sxq = 0, sqq = 0;
        for (int i = 0; i < n; ++i) { sxq += double(x[i]) * q[i]; sqq += double(q[i]) * q[i]; }
        if (sqq <= 0) return;
        const double score = sxq * sxq / sqq;
        if (score > best_score) { best_score = score; best_s = static_cast<float>(sxq / sqq); }
    };
    for (int end = 0; end < 2; ++end) {
        const float target = end == 0 ? -static_cast<float>(nneg) : static_cast<float>(npos);
        for (int k = -kGridSteps; k <= kGridSteps; ++k) {
            const float level = target + (target < 0 ? -1.0f : 1.0f) * kGridStep * k;
            if (level == 0) continue;
            const float iscale = level / mx;
            for (int i = 0; i < n; ++i) q[i] = clampi(nearest_int(iscale * x[i]), -nneg, npos);
            try_codes();
        }
    }
    for (int round = 0; round < kRefineRounds && best_s != 0; ++round) {
        const float before = best_s;
        for (int i = 0; i < n; ++i) q[i] = clampi(nearest_int(x[i] / best_s), -nneg, npos);
        try_codes();
        if (best_s == before) break;
    }
    *scale = best_s;
    return static_cast<float>(sxx - (best_score > 0 ? best_score : 0));
}

int nearest_codebook_index(const int8_t* codebook, float v) {
    if (v <= codebook[0]) return 0;
    if (v >= codebook[15]) return 15;
    int lo = 0, hi = 15;  // codebook[lo] < v < codebook[hi]
    while (hi - lo > 1) {
        const int mid = (lo + hi) / 2;
        if (v < codebook[mid]) hi = mid; else lo = mid;
    }
    return (v - codebook[lo] < codebook[hi] - v) ? lo : hi;
}

float fit_scale_codebook(const float* x, int n, const int8_t* codebook, float* scale) {
    float amax = 0, mx = 0;
    double sxx = 0;
    for (int i = 0; i < n; ++i) {
        sxx += double(x[i]) * x[i];
        if (std::fabs(x[i]) > amax) { amax = std::fabs(x[i]); mx = x[i]; }
    }
    if (amax == 0) { *scale = 0; return 0; }
    double best_score = -1;
    float best_s = 0;
    auto try_scale = [&](float s) {  // x ≈ s*v: assign codes for s, then refit s
        double sxv = 0, svv = 0;
        for (int i = 0; i < n; ++i) {
            const int v = codebook[nearest_codebook_index(codebook, x[i] / s)];
            sxv += double(x[i]) * v;
            svv += double(v) * v;
        }
        if (svv <= 0) return;
        const double score = sxv * sxv / svv;
        if (score > best_score) { best_score = score; best_s = static_cast<float>(sxv / svv); }
    };
    for (int end = 0; end < 2; ++end) {
        const float target = end == 0 ? codebook[0] : codebook[15];
        for (int k = -kGridSteps; k <= kGridSteps; ++k) {
            const float level = target * (1.0f + 0.012f * k);
            try_scale(mx / level);
        }
    }
    for (int round = 0; round < kRefineRounds; ++round) try_scale(best_s);
    *scale = best_s;
    return static_cast<float>(sxx - (best_score > 0 ? best_score : 0));
}

}  // namespace rocmforge::quant::search
