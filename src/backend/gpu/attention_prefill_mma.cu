#include "backend/gpu/attention_prefill_mma.cuh"
#include "backend/gpu/kv_types.cuh"
#if !defined(ROCMFORGE_HIP)
#include "backend/gpu/mma_ptx.cuh"
#endif

#include <cmath>

// One warp per (query head, prefill tile of up to 16 queries), four heads of a tile per block.
// Each warp streams its own keys, 16 per chunk, through a two-stage ring in shared memory
// (cp.async, rows padded by 16 bytes so ldmatrix's 8 rows fall in distinct bank groups):
//   S = Q Kᵀ   (16 queries x 16 keys, mma m16n8k16 over the head dim, f32),
//   scale, soft-cap, causal/window mask, online softmax per query row (max and sum over the
//   four lanes that hold the row, in a fixed order),
//   O = O · corr + P V   (P rounded to f16, V fragments by ldmatrix.trans).
// Chunks sit on a fixed grid from key 0; chunks past a query's position, which the tile's later
// queries need, add exact zeros (p = 0, corr = 1), so a query's output does not depend on its
// tile. Only the warp reads its ring, so __syncwarp orders it; there is no block-wide barrier.

namespace rocmforge::backend::gpu {

#if !defined(ROCMFORGE_HIP)
namespace {

constexpr int kLanes = 32;  // NVIDIA warp
constexpr int kWarps = 4;   // query heads per block
constexpr int kKeys = 16;   // keys per chunk: one mma k-step of P·V
constexpr int kStages = 2;
constexpr int kBlocksPerSm = 3;

template <int HD>
struct PrefillMmaShape {
    static constexpr int kRowHalves = HD + 8;                     // padded K/V row in shared memory
    static constexpr int kStageHalves = 2 * kKeys * kRowHalves;   // K rows, then V rows
    static constexpr int kWarpHalves = kStages * kStageHalves;
    static constexpr size_t kSharedBytes = sizeof(uint16_t) * kWarps * kWarpHalves;
};

struct PrefillMmaArgs {
    const float* q;
    float* out;
    const uint16_t* k;
    const uint16_t* v;
    int n_heads, group;     // group = n_heads / n_kv_heads
    int64_t row_elements;   // n_kv_heads * head_dim
    int64_t block_size;
    float scale, softcap;
    int64_t window;
    DeviceBatch batch;
};

// Two f32 as f16 in one register, `lo` in the low half (mma fragment order).
__device__ __forceinline__ uint32_t pack_half2(float lo, float hi) {
    return static_cast<uint32_t>(float_to_half_bits(lo)) | static_cast<uint32_t>(float_to_half_bits(hi)) << 16;
}

// PRECOND: blockDim.x == kWarps * 32; dynamic shared memory PrefillMmaShape<HD>::kSharedBytes;
// gridDim = (ceil(n_heads / kWarps), n_prefill_tiles); tiles of at most 16 queries.
template <int HD>
__global__ void __launch_bounds__(kWarps * kLanes, kBlocksPerSm) attention_prefill_mma_kernel(PrefillMmaArgs a) {
    enter_kernel();
    using Shape = PrefillMmaShape<HD>;
    constexpr int kSteps = HD / 16;    // mma k-steps of Q Kᵀ
    constexpr int kDTiles = HD / 8;    // mma n-tiles of P V
    constexpr int kPieces = HD / 8;    // 16-byte pieces of a K/V row
    extern __shared__ __align__(16) uint16_t shared[];
    const int warp = threadIdx.x / kLanes, lane = threadIdx.x % kLanes, g = lane / 4, qd = lane % 4;
    const int h = blockIdx.x * kWarps + warp;
    if (h >= a.n_heads) return;
    const int32_t* tile = a.batch.prefill_tiles + 3 * blockIdx.y;
    const int seq = tile[0], t0 = tile[1], n_q = tile[2];
    const int64_t first_pos = a.batch.positions[t0];
    const int64_t n_keys = first_pos + n_q;  // the tile's last query's keys
    const int64_t kv_offset = static_cast<int64_t>(h / a.group) * HD;
    uint16_t* ring = shared + warp * Shape::kWarpHalves;

    // Q fragments of rows g and g + 8 (queries past n_q are zero), all k-steps, f16.
    uint32_t qf[kSteps][4];
#pragma unroll
    for (int ks = 0; ks < kSteps; ++ks) {
#pragma unroll
        for (int i = 0; i < 4; ++i) {
            const int r = g + 8 * (i % 2), d = ks * 16 + 8 * (i / 2) + 2 * qd;
            float2 x = make_float2(0.0f, 0.0f);
            if (r < n_q) x = *reinterpret_cast<const float2*>(a.q + (static_cast<int64_t>(t0 + r) * a.n_heads + h) * HD + d);
            qf[ks][i] = pack_half2(x.x, x.y);
        }
    }

    const int64_t c_begin = first_visible_key(first_pos, a.window) / kKeys * kKeys;
    const int n_chunks = static_cast<int>((n_keys - c_begin + kKeys - 1) / kKeys);
    // Copies chunk i's K and V rows into stage i % kStages; keys past n_keys copy key c0's row
    // (finite values; their scores are masked).
    const auto issue = [&](int i) {
        const int64_t c0 = c_begin + static_cast<int64_t>(i) * kKeys;
        uint16_t* ks_dst = ring + (i % kStages) * Shape::kStageHalves;
        uint16_t* vs_dst = ks_dst + kKeys * Shape::kRowHalves;
        const int64_t key = c0 + lane % kKeys;
        const int64_t my_slot =
            kv_slot(a.batch.seq_info, a.batch.block_tables, seq, key < n_keys ? key : c0, a.block_size);
#pragma unroll
        for (int p = lane; p < kKeys * kPieces; p += kLanes) {
            const int j = p / kPieces, piece = p % kPieces;
            const int64_t src = gpu_shfl(my_slot, j) * a.row_elements + kv_offset + piece * 8;
            copy_async_16(ks_dst + j * Shape::kRowHalves + piece * 8, a.k + src);
            copy_async_16(vs_dst + j * Shape::kRowHalves + piece * 8, a.v + src);
        }
        copy_async_commit();
    };

    float o[kDTiles][4] = {};
    float m[2] = {-INFINITY, -INFINITY}, l[2] = {0.0f, 0.0f};  // rows g, g + 8
    issue(0);
    for (int i = 0; i < n_chunks; ++i) {
        if (i + 1 < n_chunks) {
            issue(i + 1);
            copy_async_wait<1>();
        } else {
            copy_async_wait<0>();
        }
        __syncwarp();
        const int64_t c0 = c_begin + static_cast<int64_t>(i) * kKeys;
        const uint16_t* k_rows = ring + (i % kStages) * Shape::kStageHalves;
        const uint16_t* v_rows = k_rows + kKeys * Shape::kRowHalves;

        // s[nt]: keys c0 + 8 nt + 2 qd (+1) of rows g (s[nt][0..1]) and g + 8 (s[nt][2..3]).
        float s[2][4] = {};
#pragma unroll
        for (int ks = 0; ks < kSteps; ++ks) {
            uint32_t kb[4];  // matrices: keys 0-7 d 0-7, keys 0-7 d 8-15, keys 8-15 d 0-7, keys 8-15 d 8-15
            load_matrix_x4(kb, k_rows + ((lane / 16) * 8 + lane % 8) * Shape::kRowHalves + ks * 16 + (lane / 8) % 2 * 8);
            mma_f16(s[0], qf[ks], kb[0], kb[1]);
            mma_f16(s[1], qf[ks], kb[2], kb[3]);
        }
        float row_max[2] = {-INFINITY, -INFINITY};
#pragma unroll
        for (int nt = 0; nt < 2; ++nt) {
#pragma unroll
            for (int e = 0; e < 4; ++e) {
                const int64_t key = c0 + 8 * nt + 2 * qd + e % 2, pos = first_pos + g + 8 * (e / 2);
                float x = s[nt][e] * a.scale;
                if (a.softcap > 0.0f) x = a.softcap * tanhf(x / a.softcap);
                if (key > pos || key < first_visible_key(pos, a.window)) x = -INFINITY;
                s[nt][e] = x;
                row_max[e / 2] = fmaxf(row_max[e / 2], x);
            }
        }
        float corr[2];
#pragma unroll
        for (int r = 0; r < 2; ++r) {
            row_max[r] = fmaxf(row_max[r], gpu_shfl_xor(row_max[r], 1));
            row_max[r] = fmaxf(row_max[r], gpu_shfl_xor(row_max[r], 2));
            const float m_new = fmaxf(m[r], row_max[r]);
            float sum = 0.0f;
#pragma unroll
            for (int nt = 0; nt < 2; ++nt) {
#pragma unroll
                for (int e = 2 * r; e < 2 * r + 2; ++e) {
                    const float p = m_new == -INFINITY ? 0.0f : expf(s[nt][e] - m_new);
                    s[nt][e] = p;
                    sum += p;
                }
            }
            sum += gpu_shfl_xor(sum, 1);
            sum += gpu_shfl_xor(sum, 2);
            corr[r] = m_new == -INFINITY ? 1.0f : expf(m[r] - m_new);
            l[r] = l[r] * corr[r] + sum;
            m[r] = m_new;
        }
#pragma unroll
        for (int dt = 0; dt < kDTiles; ++dt) {
            o[dt][0] *= corr[0], o[dt][1] *= corr[0];
            o[dt][2] *= corr[1], o[dt][3] *= corr[1];
        }
        // P as the A fragment (16 queries x 16 keys): the S accumulators' layout, paired.
        const uint32_t pa[4] = {pack_half2(s[0][0], s[0][1]), pack_half2(s[0][2], s[0][3]),
                                pack_half2(s[1][0], s[1][1]), pack_half2(s[1][2], s[1][3])};
#pragma unroll
        for (int dp = 0; dp < kDTiles / 2; ++dp) {
            uint32_t vb[4];  // transposed: keys 0-7 / 8-15 of d tile 2dp, then of d tile 2dp + 1
            load_matrix_x4_trans(vb, v_rows + ((lane / 8) % 2 * 8 + lane % 8) * Shape::kRowHalves + (2 * dp + lane / 16) * 8);
            mma_f16(o[2 * dp], pa, vb[0], vb[1]);
            mma_f16(o[2 * dp + 1], pa, vb[2], vb[3]);
        }
        __syncwarp();  // this stage is refilled two chunks later
    }
#pragma unroll
    for (int r = 0; r < 2; ++r) {
        const int row = g + 8 * r;
        if (row >= n_q) continue;
        float* dst = a.out + (static_cast<int64_t>(t0 + row) * a.n_heads + h) * HD + 2 * qd;
#pragma unroll
        for (int dt = 0; dt < kDTiles; ++dt)
            *reinterpret_cast<float2*>(dst + dt * 8) = make_float2(o[dt][2 * r] / l[r], o[dt][2 * r + 1] / l[r]);
    }
}

template <int HD>
void launch_for_head_dim(const PrefillMmaArgs& args, gpuStream_t stream) {
    using Shape = PrefillMmaShape<HD>;
    // Opt in to more than 48 KiB of dynamic shared memory, once per head size.
    static const bool shared_ok = [] {
        GPU_CHECK(cudaFuncSetAttribute(attention_prefill_mma_kernel<HD>, cudaFuncAttributeMaxDynamicSharedMemorySize,
                                       static_cast<int>(Shape::kSharedBytes)));
        return true;
    }();
    (void)shared_ok;
    const dim3 grid(static_cast<unsigned>((args.n_heads + kWarps - 1) / kWarps),
                    static_cast<unsigned>(args.batch.n_prefill_tiles));
    launch_kernel(attention_prefill_mma_kernel<HD>, grid, kWarps * kLanes, Shape::kSharedBytes, stream, args);
    GPU_CHECK_LAUNCH();
}

}  // namespace

bool attention_prefill_mma_supports(gguf::GgmlType kv_type, int64_t head_dim) {
    return kv_type == gguf::GgmlType::F16 && (head_dim == 64 || head_dim == 96 || head_dim == 128);
}

void launch_attention_prefill_mma(const float* q, float* out, const uint16_t* k, const uint16_t* v,
                                  int64_t block_size, const AttentionShape& shape, const DeviceBatch& batch,
                                  StreamHandle stream) {
    static_assert(kPrefillTile <= 16, "a prefill tile is one mma row block (16 queries)");
    const PrefillMmaArgs args{q, out, k, v, static_cast<int>(shape.n_heads),
                              static_cast<int>(shape.n_heads / shape.n_kv_heads), shape.n_kv_heads * shape.head_dim,
                              block_size, shape.scale, shape.softcap, shape.window, batch};
    const auto s = static_cast<gpuStream_t>(stream);
    switch (shape.head_dim) {
        case 64: launch_for_head_dim<64>(args, s); break;
        case 96: launch_for_head_dim<96>(args, s); break;
        case 128: launch_for_head_dim<128>(args, s); break;
        default: throw_gpu_error("attention", "no tensor-core prefill kernel for this head size", __FILE__, __LINE__);
    }
}

#else  // HIP: no tensor-core attention yet; the SIMT tile kernel runs the prefill tiles

bool attention_prefill_mma_supports(gguf::GgmlType, int64_t) { return false; }

void launch_attention_prefill_mma(const float*, float*, const uint16_t*, const uint16_t*, int64_t,
                                  const AttentionShape&, const DeviceBatch&, StreamHandle) {
    throw_gpu_error("attention", "the tensor-core prefill kernel is not built for HIP", __FILE__, __LINE__);
}

#endif

}  // namespace rocmforge::backend::gpu
