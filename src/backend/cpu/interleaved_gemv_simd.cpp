// SIMD kernels of interleaved_gemv.h, compiled once per Highway target (foreach_target) and chosen
// at run time (HWY_DYNAMIC_DISPATCH). x86 targets with 256-bit integer ops (AVX2, AVX3, AVX3_DL)
// get the register-tiled, cache-blocked kernels below (AVX3_DL: vpdpbusd for the Q4_0 / Q8_0 / Q4_K
// byte dot products); the others run the scalar reference. Both give the reference's results bit for
// bit (see interleaved_gemv.h).
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
#include "util/stream_prefetch.h"

#include <algorithm>
#include <cstring>
#include <utility>
#include <vector>

HWY_BEFORE_NAMESPACE();
namespace rocmforge::backend::cpu {
namespace HWY_NAMESPACE {

#if HWY_TARGET == HWY_AVX2 || HWY_TARGET == HWY_AVX3 || HWY_TARGET == HWY_AVX3_DL

#include "util/x86_dpbusd-inl.h"

// acc + the int32 lanes of sum over each 4 bytes j of a[j] * b[j]; a unsigned, pair sums of a * b
// must fit int16 (a <= 128 with |b| <= 127: 2 * 128 * 127 < 32768).
HWY_INLINE __m256i DotAccU8I8(__m256i acc, __m256i a, __m256i b) {
#if HWY_TARGET == HWY_AVX3_DL
    return DpbusdEvex(acc, a, b);
#else
    return _mm256_add_epi32(acc, _mm256_madd_epi16(_mm256_maddubs_epi16(a, b), _mm256_set1_epi16(1)));
#endif
}

// Keeps the running sum v in a register where it is: without it, GCC reassociates the block's
// chain of integer adds into a tree whose partial sums spill out of the 16 AVX2 registers.
#if HWY_TARGET == HWY_AVX2
HWY_INLINE void KeepInRegister(__m256i& v) { asm("" : "+x"(v)); }
#else
HWY_INLINE void KeepInRegister(__m256i& v) { asm("" : "+v"(v)); }  // AVX-512: any of the 32 registers
#endif

// The 4 bytes at p in every 32-bit lane.
HWY_INLINE __m256i Broadcast4(const void* p) {
    int32_t v;
    std::memcpy(&v, p, sizeof(v));
    return _mm256_set1_epi32(v);
}

// Software prefetch of the cache lines `bytes` bytes of weights read now, kStreamPrefetchBytes
// ahead (util/stream_prefetch.h).
constexpr int kPrefetchBytes = static_cast<int>(kStreamPrefetchBytes);
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

// Sum of the 32 signed codes at q: as unsigned bytes q + 128 (xor 0x80), summed by vpsadbw.
HWY_INLINE int32_t SumOfCodes(const int8_t* q) {
    const __m256i biased = _mm256_xor_si256(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(q)),
                                            _mm256_set1_epi8(static_cast<char>(0x80)));
    const __m256i sums = _mm256_sad_epu8(biased, _mm256_setzero_si256());  // 4 x u64
    const __m128i half = _mm_add_epi64(_mm256_castsi256_si128(sums), _mm256_extracti128_si256(sums, 1));
    return static_cast<int32_t>(_mm_cvtsi128_si64(half) + _mm_extract_epi64(half, 1)) - 32 * 128;
}

// The arguments a thread's kernel last derived its per-call activation data from: still valid
// while the caller's activation version (interleaved_gemv.h) and the rows stay the same.
struct PreparedFor {
    uint64_t version = 0;
    const void* first_row = nullptr;
    int n_tokens = 0;
    int64_t nb = 0;

    // True when the data prepared last still holds for these arguments; otherwise records them
    // (the caller prepares the data now).
    bool Reuse(const void* const* act, int n_tokens_now, int64_t nb_now) {
        const uint64_t v = interleaved_activation_version();
        if (v != 0 && v == version && act[0] == first_row && n_tokens_now == n_tokens && nb_now == nb) return true;
        version = v;
        first_row = act[0];
        n_tokens = n_tokens_now;
        nb = nb_now;
        return false;
    }
};

// Per token and Q8_0 activation block, computed once per call for all groups and token tiles of
// the 8-row kernels: the f32 scale and, where the kernel multiplies codes shifted to unsigned,
// offset * sum of the activation codes (offset 8 for Q4_0's nibbles; the 512-bit kernel packs its
// own, PackActivationTiles). Index t * nb + i.
struct ActivationBlockInfo {
    std::vector<float> scale;
    std::vector<int32_t> offset_times_sum;
};

void PrepareActivationInfo(int64_t nb, const quant::BlockQ8_0* const* a, int n_tokens, int32_t code_offset,
                           ActivationBlockInfo& info) {
    info.scale.resize(static_cast<size_t>(n_tokens * nb));
    if (code_offset != 0) info.offset_times_sum.resize(static_cast<size_t>(n_tokens * nb));
    for (int t = 0; t < n_tokens; ++t)
        for (int64_t i = 0; i < nb; ++i) {
            info.scale[t * nb + i] = _cvtsh_ss(a[t][i].d);
            if (code_offset == 0) continue;
            info.offset_times_sum[t * nb + i] = code_offset * SumOfCodes(a[t][i].qs);
        }
}

// One group (8 rows) x NT tokens of Q4_0. Codes q in [0, 15] multiply the activations unsigned
// (maddubs), and the -8 offset is subtracted as 8 * sum(a) per block: sum (q - 8) * a exactly.
// Register tile: per token one block accumulator; each 32-byte weight load (4 elements of 8
// rows, twice) serves all NT tokens. AVX2 adds the 8 maddubs results of a block in int16 before
// one madd: |sum| <= 16 * 15 * 127 < 32768, exact. info_t0: this tile's first token in info.
template <int NT>
HWY_INLINE void TileQ4_0(int64_t nb, const BlockQ4_0x8* b, const quant::BlockQ8_0* const* a,
                         const ActivationBlockInfo& info, int64_t info_t0, float* const* y) {
    const __m256i low_mask = _mm256_set1_epi8(0x0F);
    __m256 acc[NT];
    for (auto& v : acc) v = _mm256_setzero_ps();
    for (int64_t i = 0; i < nb; ++i) {
        PrefetchAhead(b + i, sizeof(BlockQ4_0x8));
        const __m256 dw = _mm256_cvtph_ps(_mm_loadu_si128(reinterpret_cast<const __m128i*>(b[i].d)));
        __m256i sum[NT];
        for (auto& v : sum) v = _mm256_setzero_si256();
        for (int c = 0; c < quant::kQK4_0 / 8; ++c) {
            const __m256i v = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(b[i].qs[c]));
            const __m256i lo = _mm256_and_si256(v, low_mask);
            const __m256i hi = _mm256_and_si256(_mm256_srli_epi16(v, 4), low_mask);
            for (int t = 0; t < NT; ++t) {
                const __m256i a_lo = Broadcast4(a[t][i].qs + 4 * c);
                const __m256i a_hi = Broadcast4(a[t][i].qs + 16 + 4 * c);
#if HWY_TARGET == HWY_AVX3_DL
                sum[t] = DpbusdEvex(DpbusdEvex(sum[t], lo, a_lo), hi, a_hi);
#else
                sum[t] = _mm256_add_epi16(
                    sum[t], _mm256_add_epi16(_mm256_maddubs_epi16(lo, a_lo), _mm256_maddubs_epi16(hi, a_hi)));
#endif
                KeepInRegister(sum[t]);
            }
        }
        for (int t = 0; t < NT; ++t) {
            const int64_t at = (info_t0 + t) * nb + i;
#if HWY_TARGET == HWY_AVX3_DL
            __m256i isum = sum[t];
#else
            __m256i isum = _mm256_madd_epi16(sum[t], _mm256_set1_epi16(1));
#endif
            isum = _mm256_sub_epi32(isum, _mm256_set1_epi32(info.offset_times_sum[at]));
            const __m256 scale = _mm256_mul_ps(dw, _mm256_set1_ps(info.scale[at]));
            acc[t] = _mm256_fmadd_ps(_mm256_cvtepi32_ps(isum), scale, acc[t]);
        }
    }
    for (int t = 0; t < NT; ++t) _mm256_storeu_ps(y[t], acc[t]);
}

// One group (8 rows) x NT tokens of Q8_0: sum w * a = sum |w| * (a with the sign of w); a in
// [-127, 127] so the sign flip is exact. Each 32-byte weight load (4 codes of 8 rows) serves all
// NT tokens; per token one int32 block accumulator, no horizontal sums.
template <int NT>
HWY_INLINE void TileQ8_0(int64_t nb, const BlockQ8_0x8* b, const quant::BlockQ8_0* const* a,
                         const ActivationBlockInfo& info, int64_t info_t0, float* const* y) {
    __m256 acc[NT];
    for (auto& v : acc) v = _mm256_setzero_ps();
    for (int64_t i = 0; i < nb; ++i) {
        PrefetchAhead(b + i, sizeof(BlockQ8_0x8));
        const __m256 dw = _mm256_cvtph_ps(_mm_loadu_si128(reinterpret_cast<const __m128i*>(b[i].d)));
        __m256i sum[NT];
        for (auto& v : sum) v = _mm256_setzero_si256();
        for (int c = 0; c < quant::kQK4_0 / 4; ++c) {
            const __m256i w = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(b[i].qs[c]));
            const __m256i abs_w = _mm256_abs_epi8(w);
            for (int t = 0; t < NT; ++t) {
                sum[t] = DotAccU8I8(sum[t], abs_w, _mm256_sign_epi8(Broadcast4(a[t][i].qs + 4 * c), w));
                KeepInRegister(sum[t]);
            }
        }
        for (int t = 0; t < NT; ++t) {
            const __m256 scale = _mm256_mul_ps(dw, _mm256_set1_ps(info.scale[(info_t0 + t) * nb + i]));
            acc[t] = _mm256_fmadd_ps(_mm256_cvtepi32_ps(sum[t]), scale, acc[t]);
        }
    }
    for (int t = 0; t < NT; ++t) _mm256_storeu_ps(y[t], acc[t]);
}

#if HWY_TARGET == HWY_AVX3_DL
// The 16 bytes at lo, then the 16 at hi (two groups' fields side by side, group lo first).
HWY_INLINE __m256i JoinPair128(const void* lo, const void* hi) {
    return _mm256_inserti128_si256(_mm256_castsi128_si256(_mm_loadu_si128(static_cast<const __m128i*>(lo))),
                                   _mm_loadu_si128(static_cast<const __m128i*>(hi)), 1);
}
// The 32 bytes at lo, then the 32 at hi.
HWY_INLINE __m512i JoinPair256(const void* lo, const void* hi) {
    return _mm512_inserti64x4(_mm512_castsi256_si512(_mm256_loadu_si256(static_cast<const __m256i*>(lo))),
                              _mm256_loadu_si256(static_cast<const __m256i*>(hi)), 1);
}
// Two groups' 8 f16 row scales as 16 floats (row 8h + r in lane 8h + r).
HWY_INLINE __m512 HalvesOfPair(const uint16_t* lo, const uint16_t* hi) { return _mm512_cvtph_ps(JoinPair128(lo, hi)); }
#endif

#if HWY_TARGET == HWY_AVX3_DL
// A token tile's activations packed per block for the 512-bit kernel: for block i, the NT tokens'
// 32 codes, then their f32 scales, then code_offset * sum of their codes (see ActivationBlockInfo), so
// every operand of the inner loop is one base register plus a constant. Tiles of kTokens tokens
// one after another (the last may be shorter): tile t0 / kTokens starts at byte t0 * nb * 40.
constexpr int64_t kPackedBytesPerToken = quant::kQK4_0 + 2 * sizeof(float);

template <int kTokens>
void PackActivationTiles(int64_t nb, const quant::BlockQ8_0* const* a, int n_tokens, int32_t code_offset,
                         std::vector<int8_t>& packed) {
    packed.resize(static_cast<size_t>(n_tokens * nb * kPackedBytesPerToken));
    for (int t0 = 0; t0 < n_tokens; t0 += kTokens) {
        const int nt = std::min(kTokens, n_tokens - t0);
        int8_t* tile = packed.data() + t0 * nb * kPackedBytesPerToken;
        for (int64_t i = 0; i < nb; ++i) {
            int8_t* block = tile + i * nt * kPackedBytesPerToken;
            for (int t = 0; t < nt; ++t) {
                const quant::BlockQ8_0& at = a[t0 + t][i];
                const float scale = _cvtsh_ss(at.d);
                const int32_t offset_sum = code_offset * SumOfCodes(at.qs);
                std::memcpy(block + t * quant::kQK4_0, at.qs, quant::kQK4_0);
                std::memcpy(block + nt * quant::kQK4_0 + t * sizeof(float), &scale, sizeof(float));
                std::memcpy(block + nt * (quant::kQK4_0 + sizeof(float)) + t * sizeof(int32_t), &offset_sum,
                            sizeof(int32_t));
            }
        }
    }
}

// Two adjacent groups (16 rows: row 8h + r of the pair in lane 8h + r) x NT tokens of Q4_0 or
// Q8_0 in 512-bit registers: per 4 codes of the 16 rows one weight register, and per token one
// vpdpbusd with the token's 4 activation bytes broadcast from memory into every lane. The
// weights enter unsigned: Q4_0 nibbles q as they are (offset 8), Q8_0 codes w as w + 128 (xor
// 0x80, offset 128); the offset comes off as offset * sum(a) per block. So each block sum is the
// 8-row kernels' exact int32 and each output the same fma chain: the same floats, bit for bit.
// act: this tile in PackActivationTiles's layout.
template <int NT, bool kQ4, class Group>
HWY_INLINE void TilePairQx_0(int64_t nb, const Group* b0, const Group* b1, const int8_t* act, float* const* y) {
    __m512 acc[NT];
    for (auto& v : acc) v = _mm512_setzero_ps();
    for (int64_t i = 0; i < nb; ++i, act += NT * kPackedBytesPerToken) {
        PrefetchAhead(b0 + i, sizeof(Group));
        PrefetchAhead(b1 + i, sizeof(Group));
        const __m512 dw = HalvesOfPair(b0[i].d, b1[i].d);
        __m512i sum[NT];
        for (auto& v : sum) v = _mm512_setzero_si512();
        if constexpr (kQ4) {
            const __m512i low_mask = _mm512_set1_epi8(0x0F);
            for (int c = 0; c < quant::kQK4_0 / 8; ++c) {
                const __m512i v = JoinPair256(b0[i].qs[c], b1[i].qs[c]);
                const __m512i lo = _mm512_and_si512(v, low_mask);
                const __m512i hi = _mm512_and_si512(_mm512_srli_epi16(v, 4), low_mask);
                for (int t = 0; t < NT; ++t) {
                    sum[t] = DpbusdBroadcast512(sum[t], lo, act + t * quant::kQK4_0 + 4 * c);
                    sum[t] = DpbusdBroadcast512(sum[t], hi, act + t * quant::kQK4_0 + 16 + 4 * c);
                }
            }
        } else {
            const __m512i flip = _mm512_set1_epi8(static_cast<char>(0x80));
            for (int c = 0; c < quant::kQK4_0 / 4; ++c) {
                const __m512i w = _mm512_xor_si512(JoinPair256(b0[i].qs[c], b1[i].qs[c]), flip);
                for (int t = 0; t < NT; ++t) sum[t] = DpbusdBroadcast512(sum[t], w, act + t * quant::kQK4_0 + 4 * c);
            }
        }
        const auto* scale = reinterpret_cast<const float*>(act + NT * quant::kQK4_0);
        const auto* offset_sum = reinterpret_cast<const int32_t*>(act + NT * (quant::kQK4_0 + sizeof(float)));
        for (int t = 0; t < NT; ++t) {
            const __m512i isum = _mm512_sub_epi32(sum[t], _mm512_set1_epi32(offset_sum[t]));
            acc[t] = _mm512_fmadd_ps(_mm512_cvtepi32_ps(isum), _mm512_mul_ps(dw, _mm512_set1_ps(scale[t])), acc[t]);
        }
    }
    for (int t = 0; t < NT; ++t) _mm512_storeu_ps(y[t], acc[t]);
}
#endif

// Weight bytes of one cache block: its groups stay in L2 while every token tile passes over them.
constexpr size_t kCacheBlockBytes = size_t{128} << 10;

// Calls tile(nt, g, n_g, t0, y_tile) over all groups and tokens, cache-blocked: for each block of
// groups, every token tile of up to kTokens in order, the groups in steps of kGroupStep (n_g: the
// step's groups, fewer at the end of a cache block). y_tile[t] = y[t0 + t] + 8 * g.
template <int kTokens, int kGroupStep, class Tile>
HWY_INLINE void ForEachTile(int64_t n_groups, size_t group_bytes, int n_tokens, float* const* y, const Tile& tile) {
    const int64_t block_groups = std::max<int64_t>(
        kGroupStep, static_cast<int64_t>(kCacheBlockBytes / group_bytes) / kGroupStep * kGroupStep);
    for (int64_t g0 = 0; g0 < n_groups; g0 += block_groups) {
        const int64_t g1 = std::min(n_groups, g0 + block_groups);
        for (int t0 = 0; t0 < n_tokens; t0 += kTokens) {
            const int nt = std::min(kTokens, n_tokens - t0);
            for (int64_t g = g0; g < g1; g += kGroupStep) {
                float* out[kTokens];
                for (int t = 0; t < nt; ++t) out[t] = y[t0 + t] + g * kInterleavedRows;
                tile(nt, g, static_cast<int>(std::min<int64_t>(kGroupStep, g1 - g)), t0, out);
            }
        }
    }
}

// Calls f(std::integral_constant<int, n>{}) for the run-time n in [1, kMax].
template <int kMax, class F, int... I>
HWY_INLINE void WithTileSize(int n, const F& f, std::integer_sequence<int, I...>) {
    (void)((n == I + 1 ? (f(std::integral_constant<int, I + 1>{}), true) : false) || ...);
}
template <int kMax, class F>
HWY_INLINE void WithTileSize(int n, const F& f) {
    WithTileSize<kMax>(n, f, std::make_integer_sequence<int, kMax>{});
}

// Tokens per register tile of the Q4_0 / Q8_0 kernels: AVX2 has 16 vector registers (NT block
// sums + NT f32 accumulators + weights and temporaries), AVX-512 32; the 512-bit kernel takes the
// groups in pairs (an odd last group runs the 8-row kernel).
#if HWY_TARGET == HWY_AVX3_DL
constexpr int kQx0TileTokens = 8;
constexpr int kQx0GroupStep = 2;
#else
constexpr int kQx0TileTokens = 4;
constexpr int kQx0GroupStep = 1;
#endif

template <class Group, bool kQ4>
void GemmQx_0(int64_t k, const void* groups, int64_t n_groups, const void* const* act, int n_tokens,
              float* const* y) {
    const int64_t nb = k / quant::kQK4_0;
    const auto* g_base = static_cast<const Group*>(groups);
    const auto* const* a = reinterpret_cast<const quant::BlockQ8_0* const*>(act);
    // The 8-row kernels' activation data, where they run: everywhere but AVX3_DL, and there for
    // an odd last group (cache blocks hold an even number of groups).
    thread_local ActivationBlockInfo info;
    thread_local PreparedFor info_for;
    if ((kQx0GroupStep == 1 || n_groups % 2 == 1) && !info_for.Reuse(act, n_tokens, nb))
        PrepareActivationInfo(nb, a, n_tokens, kQ4 ? 8 : 0, info);
#if HWY_TARGET == HWY_AVX3_DL
    thread_local std::vector<int8_t> packed;
    thread_local PreparedFor packed_for;
    if (!packed_for.Reuse(act, n_tokens, nb)) PackActivationTiles<kQx0TileTokens>(nb, a, n_tokens, kQ4 ? 8 : 128, packed);
#endif
    ForEachTile<kQx0TileTokens, kQx0GroupStep>(
        n_groups, static_cast<size_t>(nb) * sizeof(Group), n_tokens, y,
        [&](int nt, int64_t g, int n_g, int t0, float* const* out) {
            const Group* b = g_base + g * nb;
            const quant::BlockQ8_0* const* at = a + t0;
            WithTileSize<kQx0TileTokens>(nt, [&](auto tile_tokens) {
                constexpr int NT = decltype(tile_tokens)::value;
#if HWY_TARGET == HWY_AVX3_DL
                if (n_g == 2)
                    return TilePairQx_0<NT, kQ4>(nb, b, b + nb, packed.data() + t0 * nb * kPackedBytesPerToken, out);
#endif
                (void)n_g;
                if constexpr (kQ4)
                    TileQ4_0<NT>(nb, b, at, info, t0, out);
                else
                    TileQ8_0<NT>(nb, b, at, info, t0, out);
            });
        });
}

// Per token and Q8_K super-block i, computed once per call: the sums of the activations of
// sub-blocks 2p and 2p + 1 (bsums[4p] + bsums[4p + 1], bsums[4p + 2] + bsums[4p + 3]) as the low
// and high int16 of one int32, index (t * nb + i) * 4 + p. |sum| <= 32 * 127 fits int16.
void PrepareMinPairSums(int64_t nb, const quant::BlockQ8_K* const* a, int n_tokens, std::vector<int32_t>& pairs) {
    pairs.resize(static_cast<size_t>(n_tokens * nb * 4));
    for (int t = 0; t < n_tokens; ++t)
        for (int64_t i = 0; i < nb; ++i)
            for (int p = 0; p < 4; ++p) {
                const int16_t* bs = a[t][i].bsums + 4 * p;
                const auto low = static_cast<uint16_t>(bs[0] + bs[1]);
                const auto high = static_cast<uint16_t>(bs[2] + bs[3]);
                pairs[(t * nb + i) * 4 + p] = static_cast<int32_t>(static_cast<uint32_t>(low) | (uint32_t{high} << 16));
            }
}

// One group (8 rows) x NT tokens of Q4_K. Each 32-byte weight load (4 codes of 8 rows in the two
// sub-blocks of pair p, low and high nibbles) serves all NT tokens. Per token and sub-block the
// byte dots of 32 elements go into one register: AVX2 adds the maddubs results in int16
// (|sum| <= 16 * 15 * 127 < 32768, exact) and madds them with the scale in both int16 halves of the
// row's lane; AVX3_DL adds them with vpdpbusd in int32 and multiplies by the scale (mullo).
// The mins term: madd of the rows' (m_2p, m_2p+1) int16 pairs with the token's pair sums.
// min_pairs: this tile's first token in PrepareMinPairSums's array.
template <int NT>
HWY_INLINE void TileQ4_K(int64_t nb, const BlockQ4_Kx8* b, const quant::BlockQ8_K* const* a,
                         const int32_t* min_pairs, float* const* y) {
    const __m256i low_mask = _mm256_set1_epi8(0x0F);
    __m256 acc[NT], macc[NT];
    for (int t = 0; t < NT; ++t) acc[t] = macc[t] = _mm256_setzero_ps();
    for (int64_t i = 0; i < nb; ++i) {
        PrefetchAhead(b + i, sizeof(BlockQ4_Kx8));
        // Scale of sub-block s, row r in lane r (AVX2: in both int16 halves of the lane).
        __m256i sc[8];
        for (int s = 0; s < 8; ++s) {
            const __m256i v = _mm256_cvtepu8_epi32(_mm_loadl_epi64(reinterpret_cast<const __m128i*>(b[i].scales[s])));
#if HWY_TARGET == HWY_AVX3_DL
            sc[s] = v;
#else
            sc[s] = _mm256_or_si256(v, _mm256_slli_epi32(v, 16));
#endif
        }
        __m256i isum[NT];
        for (auto& v : isum) v = _mm256_setzero_si256();
        for (int p = 0; p < 4; ++p) {
            __m256i lo_sum[NT], hi_sum[NT];
            for (int t = 0; t < NT; ++t) lo_sum[t] = hi_sum[t] = _mm256_setzero_si256();
            for (int c = 0; c < 8; ++c) {
                const __m256i v = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(b[i].qs[p][c]));
                const __m256i lo = _mm256_and_si256(v, low_mask);
                const __m256i hi = _mm256_and_si256(_mm256_srli_epi16(v, 4), low_mask);
                for (int t = 0; t < NT; ++t) {
                    const __m256i a_lo = Broadcast4(a[t][i].qs + 64 * p + 4 * c);
                    const __m256i a_hi = Broadcast4(a[t][i].qs + 64 * p + 32 + 4 * c);
#if HWY_TARGET == HWY_AVX3_DL
                    lo_sum[t] = DpbusdEvex(lo_sum[t], lo, a_lo);
                    hi_sum[t] = DpbusdEvex(hi_sum[t], hi, a_hi);
#else
                    lo_sum[t] = _mm256_add_epi16(lo_sum[t], _mm256_maddubs_epi16(lo, a_lo));
                    hi_sum[t] = _mm256_add_epi16(hi_sum[t], _mm256_maddubs_epi16(hi, a_hi));
#endif
                    KeepInRegister(lo_sum[t]);
                    KeepInRegister(hi_sum[t]);
                }
            }
            for (int t = 0; t < NT; ++t) {
#if HWY_TARGET == HWY_AVX3_DL
                const __m256i scaled = _mm256_add_epi32(_mm256_mullo_epi32(lo_sum[t], sc[2 * p]),
                                                        _mm256_mullo_epi32(hi_sum[t], sc[2 * p + 1]));
#else
                const __m256i scaled = _mm256_add_epi32(_mm256_madd_epi16(lo_sum[t], sc[2 * p]),
                                                        _mm256_madd_epi16(hi_sum[t], sc[2 * p + 1]));
#endif
                isum[t] = _mm256_add_epi32(isum[t], scaled);
            }
        }
        const __m256 d = _mm256_cvtph_ps(_mm_loadu_si128(reinterpret_cast<const __m128i*>(b[i].d)));
        const __m256 dmin = _mm256_cvtph_ps(_mm_loadu_si128(reinterpret_cast<const __m128i*>(b[i].dmin)));
        for (int t = 0; t < NT; ++t) {
            __m256i msum = _mm256_setzero_si256();
            for (int p = 0; p < 4; ++p) {
                const __m256i mins = _mm256_cvtepu8_epi16(_mm_loadu_si128(reinterpret_cast<const __m128i*>(b[i].mins[p])));
                msum = _mm256_add_epi32(msum, _mm256_madd_epi16(mins, _mm256_set1_epi32(min_pairs[(t * nb + i) * 4 + p])));
            }
            const __m256 da = _mm256_set1_ps(a[t][i].d);
            acc[t] = _mm256_fmadd_ps(_mm256_cvtepi32_ps(isum[t]), _mm256_mul_ps(d, da), acc[t]);
            macc[t] = _mm256_fmadd_ps(_mm256_cvtepi32_ps(msum), _mm256_mul_ps(dmin, da), macc[t]);
        }
    }
    for (int t = 0; t < NT; ++t) _mm256_storeu_ps(y[t], _mm256_sub_ps(acc[t], macc[t]));
}

// Tokens per register tile of the K-quant kernels.
constexpr int kKTileTokens = 4;

#if HWY_TARGET == HWY_AVX3_DL
// TileQ4_K over two adjacent groups (16 rows, row 8h + r of the pair in lane 8h + r) in 512-bit
// registers: the same exact integer sums per row and sub-block (one vpdpbusd per 4 codes of the
// 16 rows and token, activation bytes broadcast from memory), scaled by mullo, the same mins term
// and the same two fma chains: the 8-row kernel's floats, bit for bit.
template <int NT>
HWY_INLINE void TilePairQ4_K(int64_t nb, const BlockQ4_Kx8* b0, const BlockQ4_Kx8* b1,
                             const quant::BlockQ8_K* const* a, const int32_t* min_pairs, float* const* y) {
    const __m512i low_mask = _mm512_set1_epi8(0x0F);
    // 8 bytes of each group side by side, widened to one int32 lane per row.
    const auto bytes_of_pair = [](const uint8_t* lo, const uint8_t* hi) {
        return _mm512_cvtepu8_epi32(_mm_unpacklo_epi64(_mm_loadl_epi64(reinterpret_cast<const __m128i*>(lo)),
                                                       _mm_loadl_epi64(reinterpret_cast<const __m128i*>(hi))));
    };
    __m512 acc[NT], macc[NT];
    for (int t = 0; t < NT; ++t) acc[t] = macc[t] = _mm512_setzero_ps();
    for (int64_t i = 0; i < nb; ++i) {
        PrefetchAhead(b0 + i, sizeof(BlockQ4_Kx8));
        PrefetchAhead(b1 + i, sizeof(BlockQ4_Kx8));
        __m512i isum[NT];
        for (auto& v : isum) v = _mm512_setzero_si512();
        for (int p = 0; p < 4; ++p) {
            __m512i lo_sum[NT], hi_sum[NT];
            for (int t = 0; t < NT; ++t) lo_sum[t] = hi_sum[t] = _mm512_setzero_si512();
            for (int c = 0; c < 8; ++c) {
                const __m512i v = JoinPair256(b0[i].qs[p][c], b1[i].qs[p][c]);
                const __m512i lo = _mm512_and_si512(v, low_mask);
                const __m512i hi = _mm512_and_si512(_mm512_srli_epi16(v, 4), low_mask);
                for (int t = 0; t < NT; ++t) {
                    lo_sum[t] = DpbusdBroadcast512(lo_sum[t], lo, a[t][i].qs + 64 * p + 4 * c);
                    hi_sum[t] = DpbusdBroadcast512(hi_sum[t], hi, a[t][i].qs + 64 * p + 32 + 4 * c);
                }
            }
            const __m512i sc_lo = bytes_of_pair(b0[i].scales[2 * p], b1[i].scales[2 * p]);
            const __m512i sc_hi = bytes_of_pair(b0[i].scales[2 * p + 1], b1[i].scales[2 * p + 1]);
            for (int t = 0; t < NT; ++t)
                isum[t] = _mm512_add_epi32(isum[t], _mm512_add_epi32(_mm512_mullo_epi32(lo_sum[t], sc_lo),
                                                                     _mm512_mullo_epi32(hi_sum[t], sc_hi)));
        }
        const __m512 d = HalvesOfPair(b0[i].d, b1[i].d);
        const __m512 dmin = HalvesOfPair(b0[i].dmin, b1[i].dmin);
        for (int t = 0; t < NT; ++t) {
            __m512i msum = _mm512_setzero_si512();
            for (int p = 0; p < 4; ++p) {
                const __m512i mins = _mm512_cvtepu8_epi16(JoinPair128(b0[i].mins[p], b1[i].mins[p]));
                msum = _mm512_add_epi32(msum, _mm512_madd_epi16(mins, _mm512_set1_epi32(min_pairs[(t * nb + i) * 4 + p])));
            }
            const __m512 da = _mm512_set1_ps(a[t][i].d);
            acc[t] = _mm512_fmadd_ps(_mm512_cvtepi32_ps(isum[t]), _mm512_mul_ps(d, da), acc[t]);
            macc[t] = _mm512_fmadd_ps(_mm512_cvtepi32_ps(msum), _mm512_mul_ps(dmin, da), macc[t]);
        }
    }
    for (int t = 0; t < NT; ++t) _mm512_storeu_ps(y[t], _mm512_sub_ps(acc[t], macc[t]));
}
constexpr int kQ4KGroupStep = 2;
#else
constexpr int kQ4KGroupStep = 1;
#endif


void GemmQ4_K(int64_t k, const void* groups, int64_t n_groups, const void* const* act, int n_tokens, float* const* y) {
    const int64_t nb = k / quant::kQK_K;
    const auto* g_base = static_cast<const BlockQ4_Kx8*>(groups);
    const auto* const* a = reinterpret_cast<const quant::BlockQ8_K* const*>(act);
    thread_local std::vector<int32_t> min_pairs;
    thread_local PreparedFor min_pairs_for;
    if (!min_pairs_for.Reuse(act, n_tokens, nb)) PrepareMinPairSums(nb, a, n_tokens, min_pairs);
    ForEachTile<kKTileTokens, kQ4KGroupStep>(
        n_groups, static_cast<size_t>(nb) * sizeof(BlockQ4_Kx8), n_tokens, y,
        [&](int nt, int64_t g, int n_g, int t0, float* const* out) {
            const BlockQ4_Kx8* b = g_base + g * nb;
            const quant::BlockQ8_K* const* at = a + t0;
            const int32_t* pairs = min_pairs.data() + t0 * nb * 4;
            WithTileSize<kKTileTokens>(nt, [&](auto tile_tokens) {
                constexpr int NT = decltype(tile_tokens)::value;
#if HWY_TARGET == HWY_AVX3_DL
                if (n_g == 2) return TilePairQ4_K<NT>(nb, b, b + nb, at, pairs, out);
#endif
                (void)n_g;
                TileQ4_K<NT>(nb, b, at, pairs, out);
            });
        });
}

#if HWY_TARGET == HWY_AVX3_DL
// acc + madd(a, b) in one instruction (vpdpwssd, EVEX; inline assembly for the reason in
// x86_dpbusd-inl.h): per int32 lane, a's two int16 times b's two int16, summed.
HWY_INLINE __m512i Dpwssd512(__m512i acc, __m512i a, __m512i b) {
    asm("vpdpwssd %2, %1, %0" : "+v"(acc) : "v"(a), "v"(b));
    return acc;
}

// One Q6_K row of super-block i against NT tokens, 64 codes per 512-bit register: per half h of
// 128 elements, the low nibbles of ql's 64 bytes are elements 0..63 and the high nibbles 64..127,
// each joined with its 2 bits of qh (bits 0-1 / 2-3 for elements 0..31 / 32..63, 4-5 / 6-7 for
// the rest). maddubs (codes <= 63 times |a| <= 127: exact int16 pairs) then vpdpwssd with the
// sub-block scale of each 128-bit lane (16 elements). sums[t]: the row's int32 partial sums as 8
// lanes (before the -32 offset), the same integer total as the 256-bit path.
template <int NT>
HWY_INLINE void RowSumsQ6_K512(const uint8_t* ql, const uint8_t* qh, const int8_t* sc,
                               const quant::BlockQ8_K* const* a, int64_t i, __m256i (&sums)[NT]) {
    const __m512i low_mask = _mm512_set1_epi8(0x0F);
    const __m512i two_bits = _mm512_set1_epi8(0x03);
    // 16-bit lane shifts of qh: 0 in the low 256 bits, 2 in the high (elements 32..63 of a quarter pair).
    const __m512i shift_lo = _mm512_inserti64x4(_mm512_setzero_si512(), _mm256_set1_epi16(2), 1);
    const __m512i shift_hi = _mm512_add_epi16(shift_lo, _mm512_set1_epi16(4));
    // int16 lane j takes scale j / 8 (of the 4 in a register).
    const __m512i spread_lo = _mm512_srli_epi16(
        _mm512_set_epi16(31, 30, 29, 28, 27, 26, 25, 24, 23, 22, 21, 20, 19, 18, 17, 16, 15, 14, 13, 12, 11, 10, 9, 8, 7,
                         6, 5, 4, 3, 2, 1, 0),
        3);
    __m512i acc[NT];
    for (auto& v : acc) v = _mm512_setzero_si512();
    for (int h = 0; h < 2; ++h) {
        const __m512i l = _mm512_loadu_si512(ql + 64 * h);
        const __m512i hb = _mm512_broadcast_i64x4(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(qh + 32 * h)));
        const __m512i codes_lo = _mm512_or_si512(
            _mm512_and_si512(l, low_mask),
            _mm512_slli_epi16(_mm512_and_si512(_mm512_srlv_epi16(hb, shift_lo), two_bits), 4));
        const __m512i codes_hi = _mm512_or_si512(
            _mm512_and_si512(_mm512_srli_epi16(l, 4), low_mask),
            _mm512_slli_epi16(_mm512_and_si512(_mm512_srlv_epi16(hb, shift_hi), two_bits), 4));
        // Scale of each 16-element lane: sub-blocks 8h + 0..3 (codes_lo), 8h + 4..7 (codes_hi),
        // the 8 scales widened to int16 and spread 8 lanes each.
        const __m512i scales8 = _mm512_castsi128_si512(
            _mm_cvtepi8_epi16(_mm_loadl_epi64(reinterpret_cast<const __m128i*>(sc + 8 * h))));
        const __m512i scales_lo = _mm512_permutexvar_epi16(spread_lo, scales8);
        const __m512i scales_hi = _mm512_permutexvar_epi16(_mm512_add_epi16(spread_lo, _mm512_set1_epi16(4)), scales8);
        for (int t = 0; t < NT; ++t) {
            const int8_t* q = a[t][i].qs + 128 * h;
            acc[t] = Dpwssd512(acc[t], _mm512_maddubs_epi16(codes_lo, _mm512_loadu_si512(q)), scales_lo);
            acc[t] = Dpwssd512(acc[t], _mm512_maddubs_epi16(codes_hi, _mm512_loadu_si512(q + 64)), scales_hi);
        }
    }
    for (int t = 0; t < NT; ++t)
        sums[t] = _mm256_add_epi32(_mm512_castsi512_si256(acc[t]), _mm512_extracti64x4_epi64(acc[t], 1));
}
#endif

// Q6_K: codes rebuilt from ql (low 4 bits) and qh (high 2 bits) as in the Q6_K layout, multiplied
// unsigned (maddubs), each 16-element half of a vector scaled by its sub-block's int8 scale (madd);
// the -32 offset is subtracted as 32 * sum_s sc_s * bsum_s. A row's codes and scale vectors are
// built once per half super-block and serve all NT tokens.
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
            // s[t][r]: per-lane partial sums of row r for token t; sc16[r]: row r's 16 scales as int16.
            __m256i s[NT][8];
            __m256i sc16[8];
            for (int r = 0; r < 8; ++r) {
                const int8_t* sc = b[i].scales[r];
                sc16[r] = _mm256_cvtepi8_epi16(_mm_loadu_si128(reinterpret_cast<const __m128i*>(sc)));
                __m256i sumi[NT];
#if HWY_TARGET == HWY_AVX3_DL
                RowSumsQ6_K512<NT>(b[i].ql[r], b[i].qh[r], sc, a, i, sumi);
                for (int t = 0; t < NT; ++t) s[t][r] = sumi[t];
                continue;
#endif
                for (auto& v : sumi) v = _mm256_setzero_si256();
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
                        const __m256i scales = _mm256_set_m128i(_mm_set1_epi16(sc[8 * h + 2 * c + 1]),
                                                                _mm_set1_epi16(sc[8 * h + 2 * c]));
                        for (int t = 0; t < NT; ++t) {
                            const __m256i av =
                                _mm256_loadu_si256(reinterpret_cast<const __m256i*>(a[t][i].qs + 128 * h + 32 * c));
                            sumi[t] = _mm256_add_epi32(sumi[t],
                                                       _mm256_madd_epi16(_mm256_maddubs_epi16(codes[c], av), scales));
                        }
                    }
                }
                for (int t = 0; t < NT; ++t) s[t][r] = sumi[t];
            }
            for (int t = 0; t < NT; ++t) {
                const quant::BlockQ8_K& at = a[t][i];
                // offset of row r (lane r): 32 * sum_sb sc[r][sb] * bsums[sb], exact in int32.
                const __m256i bsums = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(at.bsums));
                __m256i o[8];
                for (int r = 0; r < 8; ++r) o[r] = _mm256_madd_epi16(sc16[r], bsums);
                const __m256i offset = _mm256_slli_epi32(SumLanesOf8(o), 5);
                const __m256i isum = _mm256_sub_epi32(SumLanesOf8(s[t]), offset);
                acc[t] = _mm256_fmadd_ps(_mm256_cvtepi32_ps(isum), _mm256_mul_ps(d, _mm256_set1_ps(at.d)), acc[t]);
            }
        }
        for (int t = 0; t < NT; ++t) _mm256_storeu_ps(y[t] + g * kInterleavedRows, acc[t]);
    }
}

// The K-quant kernels Kernel<NT> (NT <= 4) over all tokens, cache-blocked like the Q4_0 / Q8_0 ones.
template <class Group, class Act, template <int> class Kernel>
void GemmK(int64_t k, const void* groups, int64_t n_groups, const void* const* act, int n_tokens, float* const* y) {
    const int64_t nb = k / quant::kQK_K;
    const auto* g_base = static_cast<const Group*>(groups);
    const auto* const* a = reinterpret_cast<const Act* const*>(act);
    ForEachTile<kKTileTokens, 1>(n_groups, static_cast<size_t>(nb) * sizeof(Group), n_tokens, y,
                                 [&](int nt, int64_t g, int, int t0, float* const* out) {
                                     WithTileSize<kKTileTokens>(nt, [&](auto tile_tokens) {
                                         Kernel<decltype(tile_tokens)::value>::Run(k, g_base + g * nb, 1, a + t0, out);
                                     });
                                 });
}
template <int NT>
struct Q6_KKernel {
    static void Run(int64_t k, const BlockQ6_Kx8* g, int64_t n, const quant::BlockQ8_K* const* a, float* const* y) {
        GemvQ6_Kx8Tokens<NT>(k, g, n, a, y);
    }
};

void GemvQ4_0x8(int64_t k, const void* groups, int64_t n_groups, const void* const* act, int n_tokens, float* const* y) {
    GemmQx_0<BlockQ4_0x8, true>(k, groups, n_groups, act, n_tokens, y);
}
void GemvQ8_0x8(int64_t k, const void* groups, int64_t n_groups, const void* const* act, int n_tokens, float* const* y) {
    GemmQx_0<BlockQ8_0x8, false>(k, groups, n_groups, act, n_tokens, y);
}
void GemvQ4_Kx8(int64_t k, const void* groups, int64_t n_groups, const void* const* act, int n_tokens, float* const* y) {
    GemmQ4_K(k, groups, n_groups, act, n_tokens, y);
}
void GemvQ6_Kx8(int64_t k, const void* groups, int64_t n_groups, const void* const* act, int n_tokens, float* const* y) {
    GemmK<BlockQ6_Kx8, quant::BlockQ8_K, Q6_KKernel>(k, groups, n_groups, act, n_tokens, y);
}

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
