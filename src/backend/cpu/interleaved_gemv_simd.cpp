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
#include "quant/k_quant_layout.h"
#include "util/error.h"

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

// Q4_K: per row and super-block, the 8 sub-block dots scaled by their 6-bit scales (madd with the
// scale as the int16 multiplier), and the mins term from the activations' 16-element sums.
template <int NT>
void GemvQ4_Kx8Tokens(int64_t k, const BlockQ4_Kx8* groups, int64_t n_groups, const quant::BlockQ8_K* const* a,
                      float* const* y) {
    const int64_t nb = k / quant::kQK_K;
    const __m256i low_mask = _mm256_set1_epi8(0x0F);
    for (int64_t g = 0; g < n_groups; ++g) {
        const BlockQ4_Kx8* b = groups + g * nb;
        __m256 acc[NT], macc[NT];
        for (int t = 0; t < NT; ++t) acc[t] = macc[t] = _mm256_setzero_ps();
        for (int64_t i = 0; i < nb; ++i) {
            PrefetchAhead(b + i, sizeof(BlockQ4_Kx8));
            const __m256 d = _mm256_cvtph_ps(_mm_loadu_si128(reinterpret_cast<const __m128i*>(b[i].d)));
            const __m256 dmin = _mm256_cvtph_ps(_mm_loadu_si128(reinterpret_cast<const __m128i*>(b[i].dmin)));
            int sc[8][8], mn[8][8];
            for (int r = 0; r < 8; ++r)
                for (int sb = 0; sb < 8; ++sb) quant::layout::k4_scale_min(b[i].scales[r], sb, &sc[r][sb], &mn[r][sb]);
            for (int t = 0; t < NT; ++t) {
                const quant::BlockQ8_K& at = a[t][i];
                int32_t pair_sums[8];
                for (int sb = 0; sb < 8; ++sb) pair_sums[sb] = at.bsums[2 * sb] + at.bsums[2 * sb + 1];
                __m256i s[8];
                HWY_ALIGN int32_t msum[8];
                for (int r = 0; r < 8; ++r) {
                    __m256i sumi = _mm256_setzero_si256();
                    for (int c = 0; c < 4; ++c) {  // 64 elements: low nibbles sub-block 2c, high 2c + 1
                        const __m256i q = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(b[i].qs[r] + 32 * c));
                        const __m256i lo = _mm256_and_si256(q, low_mask);
                        const __m256i hi = _mm256_and_si256(_mm256_srli_epi16(q, 4), low_mask);
                        const __m256i a_lo = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(at.qs + 64 * c));
                        const __m256i a_hi = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(at.qs + 64 * c + 32));
                        sumi = _mm256_add_epi32(sumi, _mm256_madd_epi16(_mm256_maddubs_epi16(lo, a_lo),
                                                                        _mm256_set1_epi16(static_cast<int16_t>(sc[r][2 * c]))));
                        sumi = _mm256_add_epi32(sumi, _mm256_madd_epi16(_mm256_maddubs_epi16(hi, a_hi),
                                                                        _mm256_set1_epi16(static_cast<int16_t>(sc[r][2 * c + 1]))));
                    }
                    s[r] = sumi;
                    int32_t m = 0;
                    for (int sb = 0; sb < 8; ++sb) m += mn[r][sb] * pair_sums[sb];
                    msum[r] = m;
                }
                const __m256 da = _mm256_set1_ps(at.d);
                acc[t] = _mm256_fmadd_ps(_mm256_cvtepi32_ps(SumLanesOf8(s)), _mm256_mul_ps(d, da), acc[t]);
                macc[t] = _mm256_fmadd_ps(_mm256_cvtepi32_ps(_mm256_load_si256(reinterpret_cast<const __m256i*>(msum))),
                                          _mm256_mul_ps(dmin, da), macc[t]);
            }
        }
        for (int t = 0; t < NT; ++t) _mm256_storeu_ps(y[t] + g * kInterleavedRows, _mm256_sub_ps(acc[t], macc[t]));
    }
}

// Q6_K: codes rebuilt from ql (low 4 bits) and qh (high 2 bits) as in the Q6_K layout, multiplied
// unsigned (maddubs), each 16-element half of a vector scaled by its sub-block's int8 scale (madd);
// the -32 offset is subtracted as 32 * sum_s sc_s * bsum_s.
template <int NT>
void GemvQ6_Kx8Tokens(int64_t k, const BlockQ6_Kx8* groups, int64_t n_groups, const quant::BlockQ8_K* const* a,
                      float* const* y) {
    const int64_t nb = k / quant::kQK_K;
    const __m256i low_mask = _mm256_set1_epi8(0x0F);
    const __m256i two_bits = _mm256_set1_epi8(0x03);
    for (int64_t g = 0; g < n_groups; ++g) {
        const BlockQ6_Kx8* b = groups + g * nb;
        __m256 acc[NT];
        for (auto& v : acc) v = _mm256_setzero_ps();
        for (int64_t i = 0; i < nb; ++i) {
            PrefetchAhead(b + i, sizeof(BlockQ6_Kx8));
            const __m256 d = _mm256_cvtph_ps(_mm_loadu_si128(reinterpret_cast<const __m128i*>(b[i].d)));
            for (int t = 0; t < NT; ++t) {
                const quant::BlockQ8_K& at = a[t][i];
                __m256i s[8];
                HWY_ALIGN int32_t offset[8];
                for (int r = 0; r < 8; ++r) {
                    const int8_t* sc = b[i].scales[r];
                    __m256i sumi = _mm256_setzero_si256();
                    for (int h = 0; h < 2; ++h) {  // halves of 128 elements
                        const uint8_t* ql = b[i].ql[r] + 64 * h;
                        const __m256i l0 = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(ql));
                        const __m256i l1 = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(ql + 32));
                        const __m256i hb = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(b[i].qh[r] + 32 * h));
                        const __m256i codes[4] = {
                            _mm256_or_si256(_mm256_and_si256(l0, low_mask),
                                            _mm256_slli_epi16(_mm256_and_si256(hb, two_bits), 4)),
                            _mm256_or_si256(_mm256_and_si256(l1, low_mask),
                                            _mm256_slli_epi16(_mm256_and_si256(_mm256_srli_epi16(hb, 2), two_bits), 4)),
                            _mm256_or_si256(_mm256_and_si256(_mm256_srli_epi16(l0, 4), low_mask),
                                            _mm256_slli_epi16(_mm256_and_si256(_mm256_srli_epi16(hb, 4), two_bits), 4)),
                            _mm256_or_si256(_mm256_and_si256(_mm256_srli_epi16(l1, 4), low_mask),
                                            _mm256_slli_epi16(_mm256_and_si256(_mm256_srli_epi16(hb, 6), two_bits), 4)),
                        };
                        for (int c = 0; c < 4; ++c) {  // quarter c: sub-blocks 8h + 2c and 8h + 2c + 1
                            const __m256i av = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(at.qs + 128 * h + 32 * c));
                            const __m256i scales = _mm256_set_m128i(_mm_set1_epi16(sc[8 * h + 2 * c + 1]),
                                                                    _mm_set1_epi16(sc[8 * h + 2 * c]));
                            sumi = _mm256_add_epi32(sumi, _mm256_madd_epi16(_mm256_maddubs_epi16(codes[c], av), scales));
                        }
                    }
                    s[r] = sumi;
                    int32_t o = 0;
                    for (int sb = 0; sb < 16; ++sb) o += sc[sb] * at.bsums[sb];
                    offset[r] = 32 * o;
                }
                const __m256i isum =
                    _mm256_sub_epi32(SumLanesOf8(s), _mm256_load_si256(reinterpret_cast<const __m256i*>(offset)));
                acc[t] = _mm256_fmadd_ps(_mm256_cvtepi32_ps(isum), _mm256_mul_ps(d, _mm256_set1_ps(at.d)), acc[t]);
            }
        }
        for (int t = 0; t < NT; ++t) _mm256_storeu_ps(y[t] + g * kInterleavedRows, acc[t]);
    }
}

// The kernel instance for n_tokens (1..4) of Kernel<NT>.
#define ROCMFORGE_GEMV_FOR_TOKENS(Kernel, Group, Act)                                                            \
    const auto* g = static_cast<const Group*>(groups);                                                           \
    const auto* const* a = reinterpret_cast<const Act* const*>(act);                                             \
    switch (n_tokens) {                                                                                          \
        case 1: return Kernel<1>(k, g, n_groups, a, y);                                                          \
        case 2: return Kernel<2>(k, g, n_groups, a, y);                                                          \
        case 3: return Kernel<3>(k, g, n_groups, a, y);                                                          \
        default: return Kernel<4>(k, g, n_groups, a, y);                                                         \
    }

void GemvQ4_0x8(int64_t k, const void* groups, int64_t n_groups, const void* const* act, int n_tokens, float* const* y) {
    ROCMFORGE_GEMV_FOR_TOKENS(GemvQ4_0x8Tokens, BlockQ4_0x8, quant::BlockQ8_0)
}
void GemvQ8_0x8(int64_t k, const void* groups, int64_t n_groups, const void* const* act, int n_tokens, float* const* y) {
    ROCMFORGE_GEMV_FOR_TOKENS(GemvQ8_0x8Tokens, BlockQ8_0x8, quant::BlockQ8_0)
}
void GemvQ4_Kx8(int64_t k, const void* groups, int64_t n_groups, const void* const* act, int n_tokens, float* const* y) {
    ROCMFORGE_GEMV_FOR_TOKENS(GemvQ4_Kx8Tokens, BlockQ4_Kx8, quant::BlockQ8_K)
}
void GemvQ6_Kx8(int64_t k, const void* groups, int64_t n_groups, const void* const* act, int n_tokens, float* const* y) {
    ROCMFORGE_GEMV_FOR_TOKENS(GemvQ6_Kx8Tokens, BlockQ6_Kx8, quant::BlockQ8_K)
}
#undef ROCMFORGE_GEMV_FOR_TOKENS

#else  // no 256-bit x86 integer ops: the scalar reference

void GemvQ4_0x8(int64_t k, const void* groups, int64_t n_groups, const void* const* act, int n_tokens, float* const* y) {
    interleaved_gemv_reference(gguf::GgmlType::Q4_0, k, groups, n_groups, act, n_tokens, y);
}
void GemvQ8_0x8(int64_t k, const void* groups, int64_t n_groups, const void* const* act, int n_tokens, float* const* y) {
    interleaved_gemv_reference(gguf::GgmlType::Q8_0, k, groups, n_groups, act, n_tokens, y);
}
void GemvQ4_Kx8(int64_t k, const void* groups, int64_t n_groups, const void* const* act, int n_tokens, float* const* y) {
    interleaved_gemv_reference(gguf::GgmlType::Q4_K, k, groups, n_groups, act, n_tokens, y);
}
void GemvQ6_Kx8(int64_t k, const void* groups, int64_t n_groups, const void* const* act, int n_tokens, float* const* y) {
    interleaved_gemv_reference(gguf::GgmlType::Q6_K, k, groups, n_groups, act, n_tokens, y);
}

#endif

}  // namespace HWY_NAMESPACE
}  // namespace rocmforge::backend::cpu
HWY_AFTER_NAMESPACE();

#if HWY_ONCE
namespace rocmforge::backend::cpu {

HWY_EXPORT(GemvQ4_0x8);
HWY_EXPORT(GemvQ8_0x8);
HWY_EXPORT(GemvQ4_Kx8);
HWY_EXPORT(GemvQ6_Kx8);

InterleavedGemvFn interleaved_gemv(gguf::GgmlType type) {
    hwy::GetChosenTarget().Update(hwy::SupportedTargets());
    switch (type) {
        case gguf::GgmlType::Q4_0: return &HWY_DYNAMIC_DISPATCH(GemvQ4_0x8);
        case gguf::GgmlType::Q8_0: return &HWY_DYNAMIC_DISPATCH(GemvQ8_0x8);
        case gguf::GgmlType::Q4_K: return &HWY_DYNAMIC_DISPATCH(GemvQ4_Kx8);
        case gguf::GgmlType::Q6_K: return &HWY_DYNAMIC_DISPATCH(GemvQ6_Kx8);
        default: throw_error("interleaved_gemv", "no interleaved kernel for type {}", gguf::ggml_type_name(type));
    }
}

}  // namespace rocmforge::backend::cpu
#endif
