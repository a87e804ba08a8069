#include "backend/gpu/attention.cuh"
#include "backend/gpu/attention_prefill_mma.cuh"
#include "backend/gpu/kv_types.cuh"
#include "backend/gpu/q8_block.cuh"

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>

namespace rocmforge::backend::gpu {
namespace {

constexpr int kThreads = 128;

struct AttentionArgs {
    const float* q;
    float* out;
    float* partial;  // [n_listed][n_heads][max_splits] of {m, l, acc[head_dim]} (split tokens only)
    unsigned* split_counters;  // [n_listed][n_heads], zero between launches (split tokens only)
    int max_splits;
    int keys_per_split;
    const int32_t* tokens;  // the per-token kernel's tokens (blockIdx.y indexes it); null = all
    int head_dim, n_heads, group;  // group = n_heads / n_kv_heads
    int64_t row_elements;          // n_kv_heads * head_dim
    int64_t block_size;
    float scale;
    float softcap;   // > 0: score = softcap * tanh(score / softcap)
    int64_t window;  // > 0: keys (position - window, position] only
    DeviceBatch batch;
    int8_t* q8;        // non-null: out also as int8 blocks (quantize_q8.cuh); head_dim % 32 == 0
    float* q8_scales;
};

// out[i] = value, and its int8 form where asked. Every thread of the warp calls it with the same
// `a` (the int8 form's shuffles need whole groups of 32: head_dim % 32 == 0 and i = the row's
// element index, so a warp's 32 consecutive d are one block).
__device__ __forceinline__ void store_output(const AttentionArgs& a, int64_t i, float value) {
    a.out[i] = value;
    if (a.q8 != nullptr) store_q8(value, i, true, a.q8, a.q8_scales);
}

// Keys of one split block (at most kMaxKeysPerSplit): a token's own n_keys fixes its splits.
constexpr int kMaxKeysPerSplit = 256;
constexpr int kDefaultKeysPerSplit = 256;

// Splits of a query's visible keys (a count of keys).
__host__ __device__ __forceinline__ int splits_of(int64_t n_visible, int keys_per_split) {
    return static_cast<int>((n_visible + keys_per_split - 1) / keys_per_split);
}

// A float another block wrote before its __threadfence (not through this SM's L1).
__device__ __forceinline__ float load_coherent(const float* p) { return *static_cast<const volatile float*>(p); }

// out = Σ_s e^(m_s − M) acc_s / Σ_s e^(m_s − M) l_s over the n_splits partials at part (stride
// head_dim + 2 floats), splits in order: run by the block that finished a (head, token) last.
__device__ void combine_splits(const AttentionArgs& a, const float* part, int n_splits, int64_t out0) {
    const int64_t stride = a.head_dim + 2;
    float m = -INFINITY;
    for (int s = 0; s < n_splits; ++s) m = fmaxf(m, load_coherent(part + s * stride));
    float l = 0.0f;
    for (int s = 0; s < n_splits; ++s) l += expf(load_coherent(part + s * stride) - m) * load_coherent(part + s * stride + 1);
    for (int d = threadIdx.x; d < a.head_dim; d += blockDim.x) {
        float acc = 0.0f;
        for (int s = 0; s < n_splits; ++s)
            acc += expf(load_coherent(part + s * stride) - m) * load_coherent(part + s * stride + 2 + d);
        store_output(a, out0 + d, acc / l);
    }
}

// One block of kThreads per (head, token, split of keys_per_split keys). A token with one split
// writes out; with several, each split writes its max, sum and unnormalized output to partial,
// and the split block that finishes last (a counter per (token, head)) merges them in split
// order, whichever block that is: one launch, and the same bits as a separate merge kernel.
//
// Every K and V row is read once, 16 bytes per lane: a row's 8-element chunks sit in G adjacent
// lanes (G = the chunk count rounded up to a power of two), so a warp covers WARP_SIZE / G keys
// per step, and kLoads steps' rows are loaded before any is used. Scores go to shared memory;
// max, exponentials and sum follow over the split; then P·V in the same layout, each lane
// keeping its chunk's 8 sums. Every reduction has a fixed order (lanes, then warps in order), so
// a token's result depends only on its own keys, never on the batch.
// Key steps whose rows are in flight at once (f32 rows are twice as large: half as many, so the
// kernel stays within 64 registers, 8 blocks per SM).
template <gguf::GgmlType T>
constexpr int kLoads = sizeof(typename KvElement<T>::Storage) == 4 ? 4 : 8;

// A row chunk of 8 KV elements as loaded (16 bytes per 16-bit element type, 32 for f32), converted
// to floats only when used, so kLoads chunks in flight cost few registers.
template <gguf::GgmlType T>
struct KvChunk {
    using Storage = typename KvElement<T>::Storage;
    static constexpr int kWords = static_cast<int>(sizeof(Storage)) * 8 / 16;
    uint4 w[kWords];
    // PRECOND (vector): p 16-byte aligned. Otherwise elements past `valid` read 0.
    __device__ __forceinline__ void load(const Storage* p, int valid, bool vector) {
        if (vector) {
#pragma unroll
            for (int i = 0; i < kWords; ++i) w[i] = reinterpret_cast<const uint4*>(p)[i];
        } else {
            Storage e[8];
#pragma unroll
            for (int i = 0; i < 8; ++i) e[i] = i < valid ? p[i] : Storage{};
            memcpy(w, e, sizeof(w));
        }
    }
    __device__ __forceinline__ void clear() {
#pragma unroll
        for (int i = 0; i < kWords; ++i) w[i] = make_uint4(0, 0, 0, 0);
    }
    __device__ __forceinline__ void to_float(float (&out)[8]) const {
        Storage e[8];
        memcpy(e, w, sizeof(w));
#pragma unroll
        for (int i = 0; i < 8; ++i) out[i] = KvElement<T>::load(e[i]);
    }
};

template <gguf::GgmlType T>
__global__ void __launch_bounds__(kThreads, 8) attention_kernel(AttentionArgs a, const typename KvElement<T>::Storage* k,
                                                             const typename KvElement<T>::Storage* v) {
    enter_kernel();
    constexpr int kWarps = kThreads / WARP_SIZE;
    __shared__ float p_sh[kMaxKeysPerSplit];        // scores, then exp(score - max)
    __shared__ int64_t row_sh[kMaxKeysPerSplit];    // element offset of each key's row (KV slot * row_elements)
    __shared__ bool last_sh;
    __shared__ float scratch[32];
    __shared__ float warp_acc_sh[kWarps][kMaxAttentionHeadDim];
    const int h = blockIdx.x, listed = blockIdx.y, split = blockIdx.z, tid = threadIdx.x;
    const int t = a.tokens != nullptr ? a.tokens[listed] : listed;
    const int seq = a.batch.token_seq[t];
    const int64_t n_keys_total = static_cast<int64_t>(a.batch.positions[t]) + 1;
    const int64_t first_key = first_visible_key(a.batch.positions[t], a.window);
    const int n_splits = splits_of(n_keys_total - first_key, a.keys_per_split);
    if (split >= n_splits) return;  // whole block; no barrier reached
    const int64_t key_begin = first_key + static_cast<int64_t>(split) * a.keys_per_split;
    const int n = static_cast<int>(n_keys_total - key_begin < a.keys_per_split ? n_keys_total - key_begin : a.keys_per_split);
    const int hd = a.head_dim;
    for (int i = tid; i < n; i += kThreads)
        row_sh[i] = kv_slot(a.batch.seq_info, a.batch.block_tables, seq, key_begin + i, a.block_size) * a.row_elements;

    const int n_chunks = (hd + 7) / 8;  // <= WARP_SIZE (head_dim <= 256)
    const int lanes_per_key = n_chunks == 1 ? 1 : 1 << (32 - __clz(n_chunks - 1));
    const int keys_per_warp = WARP_SIZE / lanes_per_key, keys_per_step = kWarps * keys_per_warp;
    const int lane = tid % WARP_SIZE, warp = tid / WARP_SIZE;
    const int chunk = lane % lanes_per_key, d0 = 8 * chunk;
    const int first_in_step = warp * keys_per_warp + lane / lanes_per_key;  // this lane's key of each step
    const bool active = chunk < n_chunks;
    const int valid = hd - d0;        // elements of this lane's chunk (if < 8)
    const bool vector = hd % 8 == 0;  // rows then start 16-byte aligned
    const int64_t lane_offset = static_cast<int64_t>(h / a.group) * hd + d0;  // within a row
    const float* q = a.q + (static_cast<int64_t>(t) * a.n_heads + h) * hd;
    float qv[8];
#pragma unroll
    for (int i = 0; i < 8; ++i) qv[i] = active && i < valid ? q[d0 + i] : 0.0f;
    __syncthreads();  // row_sh

    // kLoads steps of rows (K or V) from `base`: chunk u is key s0 + u * keys_per_step +
    // first_in_step of the split, zeros past the split or off the row.
    const auto load_rows = [&](const typename KvElement<T>::Storage* base, int s0, KvChunk<T> (&rows)[kLoads<T>]) {
#pragma unroll
        for (int u = 0; u < kLoads<T>; ++u) {
            const int i = s0 + u * keys_per_step + first_in_step;
            if (active && i < n)
                rows[u].load(base + row_sh[i] + lane_offset, valid, vector);
            else
                rows[u].clear();
        }
    };

    // Scores (the lanes of a key add up in a butterfly).
    for (int s0 = 0; s0 < n; s0 += kLoads<T> * keys_per_step) {
        KvChunk<T> rows[kLoads<T>];
        load_rows(k, s0, rows);
#pragma unroll
        for (int u = 0; u < kLoads<T>; ++u) {
            float kv[8];
            rows[u].to_float(kv);
            float dot = 0.0f;
#pragma unroll
            for (int e = 0; e < 8; ++e) dot += qv[e] * kv[e];
            for (int offset = lanes_per_key / 2; offset > 0; offset /= 2) dot += gpu_shfl_xor(dot, offset);
            const int i = s0 + u * keys_per_step + first_in_step;
            if (chunk == 0 && i < n) {
                float s = dot * a.scale;
                if (a.softcap > 0.0f) s = a.softcap * tanhf(s / a.softcap);
                p_sh[i] = s;
            }
        }
    }
    __syncthreads();
    float m = -INFINITY;
    for (int i = tid; i < n; i += kThreads) m = fmaxf(m, p_sh[i]);
    m = block_max(m, scratch);
    float l = 0.0f;
    for (int i = tid; i < n; i += kThreads) {
        const float p = expf(p_sh[i] - m);
        p_sh[i] = p;
        l += p;
    }
    l = block_sum(l, scratch);  // its barriers also publish p_sh

    // P·V in the same layout: this lane's keys, its chunk's 8 sums.
    float acc[8] = {};
    for (int s0 = 0; s0 < n; s0 += kLoads<T> * keys_per_step) {
        KvChunk<T> rows[kLoads<T>];
        load_rows(v, s0, rows);
#pragma unroll
        for (int u = 0; u < kLoads<T>; ++u) {
            const int i = s0 + u * keys_per_step + first_in_step;
            const float p = i < n ? p_sh[i] : 0.0f;
            float kv[8];
            rows[u].to_float(kv);
#pragma unroll
            for (int e = 0; e < 8; ++e) acc[e] += p * kv[e];
        }
    }
    // The warp's keys meet (lanes with the same chunk), then the warps in order.
#pragma unroll
    for (int e = 0; e < 8; ++e)
        for (int offset = lanes_per_key; offset < WARP_SIZE; offset *= 2) acc[e] += gpu_shfl_xor(acc[e], offset);
    if (lane < lanes_per_key && active)
#pragma unroll
        for (int e = 0; e < 8; ++e)
            if (e < valid) warp_acc_sh[warp][d0 + e] = acc[e];
    __syncthreads();
    float* part = a.partial + ((static_cast<int64_t>(listed) * a.n_heads + h) * a.max_splits + split) * (hd + 2);
    const int64_t out0 = (static_cast<int64_t>(t) * a.n_heads + h) * hd;
    if (n_splits > 1 && tid == 0) part[0] = m, part[1] = l;
    for (int d = tid; d < hd; d += kThreads) {
        float sum = 0.0f;
#pragma unroll
        for (int w = 0; w < kWarps; ++w) sum += warp_acc_sh[w][d];
        if (n_splits == 1)
            store_output(a, out0 + d, sum / l);
        else
            part[2 + d] = sum;
    }
    if (n_splits == 1) return;
    // Publish this split, then count it; the last one in merges all of them.
    __threadfence();
    __syncthreads();
    unsigned* counter = a.split_counters + static_cast<int64_t>(listed) * a.n_heads + h;
    if (tid == 0) last_sh = atomicAdd(counter, 1u) == static_cast<unsigned>(n_splits - 1);
    __syncthreads();
    if (!last_sh) return;
    __threadfence();
    if (tid == 0) *counter = 0;  // every split has counted: ready for the next launch
    combine_splits(a, part - static_cast<int64_t>(split) * (hd + 2), n_splits, out0);
}

// Prefill: one block of kTileThreads per (head, tile of up to kPrefillTile consecutive queries of
// one sequence). Keys stream through shared memory in chunks of kKeyChunk (converted to f32 once
// per tile instead of once per query); scores, online softmax and P·V per query in registers and
// shared memory. Chunks start at key 0 in steps of kKeyChunk and keys past a query's position
// add exact zeros, so each query's result does not depend on which queries share its tile.
// PRECOND: head_dim <= kTileMaxHeadDim and head_dim % 8 == 0.
constexpr int kTileThreads = 256;
constexpr int kKeyChunk = 32;
constexpr int kTileMaxHeadDim = 128;

template <gguf::GgmlType T>
__global__ void __launch_bounds__(kTileThreads) attention_tile_kernel(AttentionArgs a,
                                                                      const typename KvElement<T>::Storage* k,
                                                                      const typename KvElement<T>::Storage* v) {
    enter_kernel();
    using KV = KvElement<T>;
    constexpr int kQ = kPrefillTile;
    // K rows padded by 4 floats: 8 lanes reading float4s of 8 different keys at one d hit
    // distinct banks.
    constexpr int kPad = kTileMaxHeadDim + 4;
    __shared__ __align__(16) float q_sh[kQ][kTileMaxHeadDim];
    __shared__ __align__(16) float k_sh[kKeyChunk][kPad];
    __shared__ __align__(16) float v_sh[kKeyChunk][kTileMaxHeadDim];
    __shared__ __align__(16) float p_sh[kQ][kKeyChunk];
    __shared__ float m_sh[kQ], l_sh[kQ], corr_sh[kQ];
    const int h = blockIdx.x, tid = threadIdx.x, lane = tid % WARP_SIZE;
    const int seq = a.batch.prefill_tiles[3 * blockIdx.y], t0 = a.batch.prefill_tiles[3 * blockIdx.y + 1];
    const int n_q = a.batch.prefill_tiles[3 * blockIdx.y + 2];
    const int hd = a.head_dim;
    const int64_t kv_offset = static_cast<int64_t>(h / a.group) * hd;
    const int64_t first_pos = a.batch.positions[t0];
    const int64_t n_keys = first_pos + n_q;  // the last query's keys

    for (int i = tid; i < kQ * hd; i += kTileThreads) {
        const int qi = i / hd, d = i % hd;
        q_sh[qi][d] = qi < n_q ? a.q[(static_cast<int64_t>(t0 + qi) * a.n_heads + h) * hd + d] : 0.0f;
    }
    if (tid < kQ) m_sh[tid] = -INFINITY, l_sh[tid] = 0.0f;
    // Output ownership: thread (dq, d): d = tid % hd, queries dq, dq + n_groups, ...
    const int n_groups = kTileThreads / hd;  // 2 for hd 128, up to 32 for hd 8
    const int od = tid % hd, og = tid / hd;
    constexpr int kMaxOwned = kQ;  // queries per thread at most (hd = 256 / 16 ... bounded by kQ)
    float acc[kMaxOwned] = {};

    // Chunks on a fixed grid from key 0; those before the first query's window are skipped (they
    // are masked for every query of the tile, so no query's result depends on the skip).
    const int64_t first_chunk = first_visible_key(first_pos, a.window) / kKeyChunk * kKeyChunk;
    for (int64_t c0 = first_chunk; c0 < n_keys; c0 += kKeyChunk) {
        const int n_chunk = static_cast<int>(n_keys - c0 < kKeyChunk ? n_keys - c0 : kKeyChunk);
        __syncthreads();  // the previous chunk's k_sh, v_sh, p_sh are no longer read
        // Load K and V rows of the chunk as f32, 8 values per thread and step.
        for (int i = tid; i < kKeyChunk * (hd / 8); i += kTileThreads) {
            const int j = i / (hd / 8), d0 = (i % (hd / 8)) * 8;
            float kv8[8] = {}, vv8[8] = {};
            if (j < n_chunk) {
                const int64_t slot = kv_slot(a.batch.seq_info, a.batch.block_tables, seq, c0 + j, a.block_size);
                KV::load8(k + slot * a.row_elements + kv_offset + d0, kv8);
                KV::load8(v + slot * a.row_elements + kv_offset + d0, vv8);
            }
#pragma unroll
            for (int e = 0; e < 8; ++e) k_sh[j][d0 + e] = kv8[e], v_sh[j][d0 + e] = vv8[e];
        }
        __syncthreads();
        // Scores: thread (qi, j) pairs, j fastest; masked keys are -inf.
        for (int i = tid; i < kQ * kKeyChunk; i += kTileThreads) {
            const int qi = i / kKeyChunk, j = i % kKeyChunk;
            float s = -INFINITY;
            const int64_t key = c0 + j, pos = first_pos + qi;
            if (qi < n_q && j < n_chunk && key <= pos && key >= first_visible_key(pos, a.window)) {
                float dot = 0.0f;
#pragma unroll 4
                for (int d = 0; d < hd; d += 4) {
                    const float4 qv = *reinterpret_cast<const float4*>(&q_sh[qi][d]);
                    const float4 kv = *reinterpret_cast<const float4*>(&k_sh[j][d]);
                    dot += qv.x * kv.x + qv.y * kv.y + qv.z * kv.z + qv.w * kv.w;
                }
                s = dot * a.scale;
                if (a.softcap > 0.0f) s = a.softcap * tanhf(s / a.softcap);
            }
            p_sh[qi][j] = s;
        }
        __syncthreads();
        // Online softmax per query row: one warp per row (rows strided over warps), lanes over keys.
        for (int qi = tid / WARP_SIZE; qi < kQ; qi += kTileThreads / WARP_SIZE) {
            float row_max = -INFINITY;
            for (int j = lane; j < kKeyChunk; j += WARP_SIZE) row_max = fmaxf(row_max, p_sh[qi][j]);
            row_max = warp_max(row_max);
            const float m_old = m_sh[qi], m_new = fmaxf(m_old, row_max);
            float sum = 0.0f;
            for (int j = lane; j < kKeyChunk; j += WARP_SIZE) {
                const float p = m_new == -INFINITY ? 0.0f : expf(p_sh[qi][j] - m_new);
                p_sh[qi][j] = p;
                sum += p;
            }
            sum = warp_sum(sum);
            if (lane == 0) {
                const float corr = m_new == -INFINITY ? 1.0f : expf(m_old - m_new);
                corr_sh[qi] = corr;
                l_sh[qi] = l_sh[qi] * corr + sum;
                m_sh[qi] = m_new;
            }
        }
        __syncthreads();
        // acc[query] = acc * corr + Σ_j p[query][j] * V[j][d], keys in order.
        if (og < n_groups) {
#pragma unroll
            for (int o = 0; o < kMaxOwned; ++o) {
                const int qi = og + o * n_groups;
                if (qi >= kQ) break;
                float sum = acc[o] * corr_sh[qi];
                // Keys past n_chunk have p = 0 (masked) and v = 0 (zero-filled): whole float4s.
                for (int j = 0; j < n_chunk; j += 4) {
                    const float4 p = *reinterpret_cast<const float4*>(&p_sh[qi][j]);
                    sum += p.x * v_sh[j][od];
                    sum += p.y * v_sh[j + 1][od];
                    sum += p.z * v_sh[j + 2][od];
                    sum += p.w * v_sh[j + 3][od];
                }
                acc[o] = sum;
            }
        }
    }
    if (og < n_groups) {
#pragma unroll
        for (int o = 0; o < kMaxOwned; ++o) {
            const int qi = og + o * n_groups;
            if (qi >= kQ) break;
            if (qi < n_q) a.out[(static_cast<int64_t>(t0 + qi) * a.n_heads + h) * hd + od] = acc[o] / l_sh[qi];
        }
    }
}

}  // namespace

bool attention_tiles_prefill(const AttentionShape& shape) {
    return shape.head_dim <= kTileMaxHeadDim && shape.head_dim % 8 == 0 && kTileThreads % shape.head_dim == 0;
}

bool attention_writes_q8(const AttentionShape& shape, const DeviceBatch& batch) {
    return shape.head_dim % 32 == 0 && batch.n_prefill_tiles == 0;
}

int attention_keys_per_split() {
    static const int keys = [] {
        const char* env = std::getenv("ROCMFORGE_GPU_ATTENTION_SPLIT_KEYS");
        if (env == nullptr) return kDefaultKeysPerSplit;
        const int v = std::atoi(env);
        if (v >= 16 && v <= kMaxKeysPerSplit && v % 16 == 0) return v;
        std::fprintf(stderr, "warning: ROCMFORGE_GPU_ATTENTION_SPLIT_KEYS=%s is not a multiple of 16 in [16, %d]; using %d\n",
                     env, kMaxKeysPerSplit, kDefaultKeysPerSplit);
        return kDefaultKeysPerSplit;
    }();
    return keys;
}

int64_t attention_splits(int64_t max_keys) { return splits_of(max_keys, attention_keys_per_split()); }

int64_t attention_partial_floats(const AttentionShape& shape, int64_t n_tokens, int64_t max_keys) {
    const int64_t max_splits = attention_splits(max_keys);
    return max_splits > 1 ? n_tokens * shape.n_heads * max_splits * (shape.head_dim + 2) : 0;
}

int64_t attention_split_counters(const AttentionShape& shape, int64_t n_tokens) { return n_tokens * shape.n_heads; }

void launch_attention(const float* q, float* out, const void* k, const void* v, gguf::GgmlType kv_type,
                      int64_t block_size, const AttentionShape& shape, const DeviceBatch& batch, int64_t max_keys,
                      float* partial, unsigned* split_counters, bool tensor_cores, StreamHandle stream, int8_t* q8,
                      float* q8_scales) {
    if (batch.n_tokens == 0) return;
    if (shape.head_dim > kMaxAttentionHeadDim || shape.n_kv_heads < 1 || shape.n_heads % shape.n_kv_heads != 0)
        throw_gpu_error("attention", "head_dim above 256 or n_heads not a multiple of n_kv_heads", __FILE__, __LINE__);
    const bool mma = tensor_cores && attention_prefill_mma_supports(kv_type, shape.head_dim) && batch.n_prefill_tiles > 0;
    const bool tiles = mma || (attention_tiles_prefill(shape) && batch.n_prefill_tiles > 0);
    if (q8 != nullptr && !attention_writes_q8(shape, batch))
        throw_gpu_error("attention", "int8 output asked of a batch or head size that cannot give it", __FILE__,
                        __LINE__);
    const int n_listed = tiles ? batch.n_decode_tokens : batch.n_tokens;
    const int max_splits = static_cast<int>(attention_splits(max_keys));
    AttentionArgs a{q, out, partial, split_counters, max_splits, attention_keys_per_split(),
                    tiles ? batch.decode_tokens : nullptr,
                    static_cast<int>(shape.head_dim), static_cast<int>(shape.n_heads),
                    static_cast<int>(shape.n_heads / shape.n_kv_heads), shape.n_kv_heads * shape.head_dim,
                    block_size, shape.scale, shape.softcap, shape.window, batch, q8, q8_scales};
    const auto s = static_cast<gpuStream_t>(stream);
    const auto n_heads = static_cast<unsigned>(shape.n_heads);
    const dim3 grid(n_heads, static_cast<unsigned>(n_listed), static_cast<unsigned>(max_splits));
    const bool ok = dispatch_kv_type(kv_type, [&]<gguf::GgmlType T>() {
        using S = typename KvElement<T>::Storage;
        if (n_listed > 0)
            launch_kernel(attention_kernel<T>, grid, kThreads, 0, s, a, static_cast<const S*>(k),
                          static_cast<const S*>(v));
        if (tiles && !mma)
            launch_kernel(attention_tile_kernel<T>, dim3(n_heads, static_cast<unsigned>(batch.n_prefill_tiles)),
                          kTileThreads, 0, s, a, static_cast<const S*>(k), static_cast<const S*>(v));
    });
    if (!ok) throw_gpu_error("attention", "KV type without a GPU kernel", __FILE__, __LINE__);
    GPU_CHECK_LAUNCH();
    if (mma)
        launch_attention_prefill_mma(q, out, static_cast<const uint16_t*>(k), static_cast<const uint16_t*>(v),
                                     block_size, shape, batch, stream);
}

}  // namespace rocmforge::backend::gpu
