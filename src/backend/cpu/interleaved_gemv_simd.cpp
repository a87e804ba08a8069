// SIMD kernels of interleaved_gemv.h, compiled once per Highway target (foreach_target) and chosen
// at run time (HWY_DYNAMIC_DISPATCH). x86 targets with 256-bit integer ops (AVX2, AVX3, AVX3_DL)
// get the multi-row kernels below (AVX3_DL: vpdpbusd for the byte dot products); the others run
// the scalar reference. Both give the reference's results bit for bit (see interleaved_gemv.h).
#undef HWY_TARGET_INCLUDE
#define HWY_TARGET_INCLUDE "backend/cpu/interleaved_gemv_simd.cpp"
#define HWY_WANT_AVX3_DL 1
#include <hwy/foreach_target.h>  // IWYU pragma: keep
#include <hwy/highway.h>

#include "backend/cpu/interleaved_gemv.h"
#include "backend/cpu/interleaved_weights.h"
#include "quant/block_types.h"

#include <vector>

HWY_BEFORE_NAMESPACE();
namespace rocmforge::backend::cpu {
namespace HWY_NAMESPACE {

#if HWY_TARGET == HWY_AVX2 || HWY_TARGET == HWY_AVX3 || HWY_TARGET == HWY_AVX3_DL

// int32 lanes whose sum is sum_j a[j] * b[j] over 32 byte lanes; a unsigned, pair sums of
// a * b must fit int16 (a <= 128 with |b| <= 127: 2 * 128 * 127 < 32768).
HWY_INLINE __m256i DotU8I8(__m256i a, __m256i b) {
#if HWY_TARGET == HWY_AVX3_DL
    return _mm256_dpbusd_epi32(_mm256_setzero_si256(), a, b);
#else
    return _mm256_madd_epi16(_mm256_maddubs_epi16(a, b), _mm256_set1_epi16(1));
#endif
}

// Software prefetch of the cache lines `bytes` bytes of weights read now, kPrefetchBytes ahead
// (2 KiB measured best of {0, 512, 2048} with bench/interleaved_gemv_bench on a Zen 3 VM).
constexpr int kPrefetchBytes = 2048;
HWY_INLINE void PrefetchAhead(const void* p, int bytes) {
    for (int line = 0; line < bytes; line += 64)
        _mm_prefetch(static_cast<const char*>(p) + kPrefetchBytes + line, _MM_HINT_T0);
}

// Sums of the 8 lanes of each of s[0..7] as the 8 lanes of one vector (row r in lane r).
HWY_INLINE __m256i SumLanesOf8(const __m256i s[8]) {
    const __m256i a = _mm256_hadd_epi32(_mm256_hadd_epi32(s[0], s[1]), _mm256_hadd_epi32(s[2], s[3]));
    const __m256i b = _mm256_hadd_epi32(_mm256_hadd_epi32(s[4], s[5]), _mm256_hadd_epi32(s[6], s[7]));
    // a = [rows 0..3 of lanes 0..3 | rows 0..3 of lanes 4..7], b likewise for rows 4..7.
    return _mm256_add_epi32(_mm256_permute2x128_si256(a, b, 0x20), _mm256_permute2x128_si256(a, b, 0x31));
}

// Per token and activation block: the f32 scale and (Q4_0) 8 * sum of the codes, computed once
// per call for all groups.
struct ActivationBlockInfo {
    std::vector<float> scale;
    std::vector<int32_t> eight_times_sum;
};

template <int NT>
void PrepareActivationInfo(int64_t nb, const quant::BlockQ8_0* const* a, bool want_sums, ActivationBlockInfo& info) {
    info.scale.resize(static_cast<size_t>(NT * nb));
    if (want_sums) info.eight_times_sum.resize(static_cast<size_t>(NT * nb));
    for (int t = 0; t < NT; ++t)
        for (int64_t i = 0; i < nb; ++i) {
            info.scale[t * nb + i] = _cvtsh_ss(a[t][i].d);
            if (!want_sums) continue;
            int32_t sum = 0;
            for (int j = 0; j < quant::kQK4_0; ++j) sum += a[t][i].qs[j];
            info.eight_times_sum[t * nb + i] = 8 * sum;
        }
}

// Q4_0: codes q in [0, 15] multiply the activations unsigned (maddubs), and the -8 offset is
// subtracted as 8 * sum(a) per block: sum (q - 8) * a exactly.
template <int NT>
void GemvQ4_0x8Tokens(int64_t k, const BlockQ4_0x8* groups, int64_t n_groups, const quant::BlockQ8_0* const* a,
                      float* const* y) {
    const int64_t nb = k / quant::kQK4_0;
    thread_local ActivationBlockInfo info;
    PrepareActivationInfo<NT>(nb, a, true, info);
    const __m256i low_mask = _mm256_set1_epi8(0x0F);
    for (int64_t g = 0; g < n_groups; ++g) {
        const BlockQ4_0x8* b = groups + g * nb;
        __m256 acc[NT];
        for (auto& v : acc) v = _mm256_setzero_ps();
        for (int64_t i = 0; i < nb; ++i) {
            PrefetchAhead(b + i, sizeof(BlockQ4_0x8));
            const __m256 dw = _mm256_cvtph_ps(_mm_loadu_si128(reinterpret_cast<const __m128i*>(b[i].d)));
            __m256i lo[4], hi[4];  // pair p: rows p (low 128 bits) and p + 4 (high 128 bits)
            for (int p = 0; p < 4; ++p) {
                const __m256i v = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(b[i].qs[2 * p]));
                lo[p] = _mm256_and_si256(v, low_mask);
                hi[p] = _mm256_and_si256(_mm256_srli_epi16(v, 4), low_mask);
            }
            for (int t = 0; t < NT; ++t) {
                const __m256i a_lo = _mm256_broadcastsi128_si256(_mm_loadu_si128(reinterpret_cast<const __m128i*>(a[t][i].qs)));
                const __m256i a_hi =
                    _mm256_broadcastsi128_si256(_mm_loadu_si128(reinterpret_cast<const __m128i*>(a[t][i].qs + 16)));
                __m256i s[4];
                for (int p = 0; p < 4; ++p) s[p] = _mm256_add_epi32(DotU8I8(lo[p], a_lo), DotU8I8(hi[p], a_hi));
                // hadd of pairs (0,4),(1,5) and (2,6),(3,7) -> [0 0 1 1 | 4 4 5 5], [2 2 3 3 | 6 6 7 7] -> rows 0..7.
                __m256i isum = _mm256_hadd_epi32(_mm256_hadd_epi32(s[0], s[1]), _mm256_hadd_epi32(s[2], s[3]));
                isum = _mm256_sub_epi32(isum, _mm256_set1_epi32(info.eight_times_sum[t * nb + i]));
                const __m256 scale = _mm256_mul_ps(dw, _mm256_set1_ps(info.scale[t * nb + i]));
                acc[t] = _mm256_fmadd_ps(_mm256_cvtepi32_ps(isum), scale, acc[t]);
            }
        }
        for (int t = 0; t < NT; ++t) _mm256_storeu_ps(y[t] + g * kInterleavedRows, acc[t]);
    }
}

// Q8_0: sum w * a = sum |w| * (a with the sign of w); a in [-127, 127] so the sign flip is exact.
template <int NT>
void GemvQ8_0x8Tokens(int64_t k, const BlockQ8_0x8* groups, int64_t n_groups, const quant::BlockQ8_0* const* a,
                      float* const* y) {
    const int64_t nb = k / quant::kQK4_0;
    thread_local ActivationBlockInfo info;
    PrepareActivationInfo<NT>(nb, a, false, info);
    for (int64_t g = 0; g < n_groups; ++g) {
        const BlockQ8_0x8* b = groups + g * nb;
        __m256 acc[NT];
        for (auto& v : acc) v = _mm256_setzero_ps();
        for (int64_t i = 0; i < nb; ++i) {
            const __m256 dw = _mm256_cvtph_ps(_mm_loadu_si128(reinterpret_cast<const __m128i*>(b[i].d)));
            PrefetchAhead(b + i, sizeof(BlockQ8_0x8));
            __m256i w[8], abs_w[8];
            for (int r = 0; r < 8; ++r) {
                w[r] = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(b[i].qs[r]));
                abs_w[r] = _mm256_abs_epi8(w[r]);
            }
            for (int t = 0; t < NT; ++t) {
                const __m256i av = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(a[t][i].qs));
                __m256i s[8];
                for (int r = 0; r < 8; ++r) s[r] = DotU8I8(abs_w[r], _mm256_sign_epi8(av, w[r]));
                const __m256 scale = _mm256_mul_ps(dw, _mm256_set1_ps(info.scale[t * nb + i]));
                acc[t] = _mm256_fmadd_ps(_mm256_cvtepi32_ps(SumLanesOf8(s)), scale, acc[t]);
            }
        }
        for (int t = 0; t < NT; ++t) _mm256_storeu_ps(y[t] + g * kInterleavedRows, acc[t]);
    }
}

template <class Group, void (*Kernel1)(int64_t, const Group*, int64_t, const quant::BlockQ8_0* const*, float* const*),
          void (*Kernel2)(int64_t, const Group*, int64_t, const quant::BlockQ8_0* const*, float* const*),
          void (*Kernel3)(int64_t, const Group*, int64_t, const quant::BlockQ8_0* const*, float* const*),
          void (*Kernel4)(int64_t, const Group*, int64_t, const quant::BlockQ8_0* const*, float* const*)>
void DispatchTokens(int64_t k, const void* groups, int64_t n_groups, const void* const* act, int n_tokens,
                    float* const* y) {
    const auto* g = static_cast<const Group*>(groups);
    const auto* const* a = reinterpret_cast<const quant::BlockQ8_0* const*>(act);
    switch (n_tokens) {
        case 1: return Kernel1(k, g, n_groups, a, y);
        case 2: return Kernel2(k, g, n_groups, a, y);
        case 3: return Kernel3(k, g, n_groups, a, y);
        default: return Kernel4(k, g, n_groups, a, y);
    }
}

void GemvQ4_0x8(int64_t k, const void* groups, int64_t n_groups, const void* const* act, int n_tokens, float* const* y) {
    DispatchTokens<BlockQ4_0x8, GemvQ4_0x8Tokens<1>, GemvQ4_0x8Tokens<2>, GemvQ4_0x8Tokens<3>, GemvQ4_0x8Tokens<4>>(
        k, groups, n_groups, act, n_tokens, y);
}
void GemvQ8_0x8(int64_t k, const void* groups, int64_t n_groups, const void* const* act, int n_tokens, float* const* y) {
    DispatchTokens<BlockQ8_0x8, GemvQ8_0x8Tokens<1>, GemvQ8_0x8Tokens<2>, GemvQ8_0x8Tokens<3>, GemvQ8_0x8Tokens<4>>(
        k, groups, n_groups, act, n_tokens, y);
}

#else  // no 256-bit x86 integer ops: the scalar reference

void GemvQ4_0x8(int64_t k, const void* groups, int64_t n_groups, const void* const* act, int n_tokens, float* const* y) {
    interleaved_gemv_reference(gguf::GgmlType::Q4_0, k, groups, n_groups, act, n_tokens, y);
}
void GemvQ8_0x8(int64_t k, const void* groups, int64_t n_groups, const void* const* act, int n_tokens, float* const* y) {
    interleaved_gemv_reference(gguf::GgmlType::Q8_0, k, groups, n_groups, act, n_tokens, y);
}

#endif

}  // namespace HWY_NAMESPACE
}  // namespace rocmforge::backend::cpu
HWY_AFTER_NAMESPACE();

#if HWY_ONCE
namespace rocmforge::backend::cpu {

HWY_EXPORT(GemvQ4_0x8);
HWY_EXPORT(GemvQ8_0x8);

InterleavedGemvFn interleaved_gemv(gguf::GgmlType type) {
    hwy::GetChosenTarget().Update(hwy::SupportedTargets());
    return type == gguf::GgmlType::Q4_0 ? &HWY_DYNAMIC_DISPATCH(GemvQ4_0x8) : &HWY_DYNAMIC_DISPATCH(GemvQ8_0x8);
}

}  // namespace rocmforge::backend::cpu
#endif
