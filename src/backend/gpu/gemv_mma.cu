#include "backend/gpu/gemv_mma.cuh"

// Reproducing the GEMV's order. The GEMV (gemv_q8_kernel) gives lane l of a warp the blocks
// b ≡ l (mod 32) of a row, adds their terms in increasing b into one f32 per lane (a "residue
// chain"), then warp_sum adds the 32 lanes by xor-butterfly: lane 0 ends with the binary tree
// whose leaves, left to right, are the chains of lanes bitrev5(0), bitrev5(1), ... (the first
// step pairs lanes l and l + 16, the next l and l + 8, ...).
//
// Here one block owns a tile of 16 rows x 8, 16 or 32 tokens (1, 2 or 4 mma tiles of 8 tokens).
// Its 4 warps split the 32 leaves: warp w walks leaves 8w..8w+7, each a residue chain whose
// blocks go through mma (the exact integer dot of every row with every token of the tile) and
// add_block_term in increasing b, as the GEMV lane would; finished chains fold into a 3-level
// stack of partial trees (a binary counter) into the warp's subtree; the 4 subtrees then join as
// the butterfly's last two levels: (S0 + S1) + (S2 + S3). f32 addition is commutative, so the
// operand order within each tree node does not matter; the tree shape and the chains do.

namespace rocmforge::backend::gpu {

#if !defined(ROCMFORGE_HIP)
namespace {

using gguf::GgmlType;
constexpr int kTileRows = 16;       // mma M: the block's rows
constexpr int kWarps = 4;           // warps per block, each a group of the 32 leaves
constexpr int kGroupLeaves = 8;     // leaves per warp
constexpr int kGroupLevels = 3;     // log2(kGroupLeaves)
constexpr int kTileTokens = 8;      // mma N
constexpr int kLanes = 32;          // the GEMV's lanes = residue chains (NVIDIA warp)

__host__ __device__ constexpr int bitrev5(int i) {
    return ((i & 1) << 4) | ((i & 2) << 2) | (i & 4) | ((i & 8) >> 2) | ((i & 16) >> 4);
}

// c = a · b for one 16x32 int8 tile of weights (row-major) and a 32x8 int8 tile of activations
// (column-major); fragments as the PTX ISA defines them for m16n8k32 (g = lane / 4, q = lane % 4):
// a[0] row g, bytes 4q..4q+3; a[1] row g + 8, same bytes; a[2], a[3] the same rows, bytes 16 + 4q..;
// b[0] token g, bytes 4q..; b[1] token g, bytes 16 + 4q..; c[0], c[1] row g, tokens 2q, 2q + 1;
// c[2], c[3] row g + 8, same tokens.
__device__ __forceinline__ void mma_s8(int (&c)[4], const int (&a)[4], int b0, int b1) {
#if !defined(__CUDA_ARCH__) || __CUDA_ARCH__ >= 800
    asm("mma.sync.aligned.m16n8k32.row.col.s32.s8.s8.s32 {%0, %1, %2, %3}, {%4, %5, %6, %7}, {%8, %9}, "
        "{%10, %11, %12, %13};"
        : "=r"(c[0]), "=r"(c[1]), "=r"(c[2]), "=r"(c[3])
        : "r"(a[0]), "r"(a[1]), "r"(a[2]), "r"(a[3]), "r"(b0), "r"(b1), "r"(0), "r"(0), "r"(0), "r"(0));
#else
    __trap();  // launched only on sm_80 and newer (the host checks)
#endif
}

// One 32-element block of a split-layout row as the two 4-byte fragment words of this lane's
// quarter: lo = elements 4q..4q+3, hi = elements 16 + 4q..16 + 4q + 3, each a signed byte (Q4_0:
// the 4-bit codes 0..15; add_block_term subtracts 8 Σ q_x).
template <GgmlType T>
__device__ __forceinline__ void load_weight_words(const uint8_t* quants, int64_t b, int q, int& lo, int& hi) {
    if constexpr (T == GgmlType::Q4_0) {
        const uint32_t w = *reinterpret_cast<const uint32_t*>(quants + b * 16 + 4 * q);
        lo = static_cast<int>(w & 0x0F0F0F0Fu);
        hi = static_cast<int>((w >> 4) & 0x0F0F0F0Fu);
    } else {
        lo = *reinterpret_cast<const int*>(quants + b * 32 + 4 * q);
        hi = *reinterpret_cast<const int*>(quants + b * 32 + 16 + 4 * q);
    }
}

// One row of the fragment: its quants and scales in the split layout, and where its results go.
// A row past the launch's last reads the last row (every load stays in bounds and unconditional,
// so the compiler can issue them all before the first use) and stores nothing (out.valid false).
struct MmaRow {
    const uint8_t* quants;
    const uint16_t* scales;
    GemvRow out;
};

template <GgmlType T>
__device__ __forceinline__ MmaRow mma_row(const GemvTargets& targets, int64_t global, int64_t rows, size_t row_bytes,
                                          int64_t n_blocks) {
    constexpr int kQuantBytes = T == GgmlType::Q4_0 ? 16 : 32;
    const GemvRow read = locate_row(targets, global < rows ? global : rows - 1, row_bytes);
    GemvRow out = read;
    out.valid = global < rows;
    return MmaRow{read.w, reinterpret_cast<const uint16_t*>(read.w + n_blocks * kQuantBytes), out};
}

// The warp's state: its two fragment rows, the tile's tokens, and per (token tile, C element) the
// stack of partial butterfly trees. NT token tiles of 8 (1, 2 or 4: fewer registers for small
// batches).
template <GgmlType T, int NT>
struct MmaWarp {
    MmaRow rows[2];  // rows g and g + 8 of the tile
    int64_t n_blocks, n_tokens, tok0;
    // Per token tile, at block 0: this lane's B-fragment activations (token g, clamped to the
    // last token; bytes 4q..) and the {d, Σ q} pairs of its C-fragment tokens 2q, 2q + 1 (clamped).
    const int8_t* xb[NT];
    const float* xsc[NT][2];
    int g, q;
    float stack[NT][4][kGroupLevels];

    __device__ __forceinline__ void init_tokens(const int8_t* xq, const float* xs, int64_t k) {
        const auto clamp = [&](int64_t t) { return t < n_tokens ? t : n_tokens - 1; };
#pragma unroll
        for (int tile = 0; tile < NT; ++tile) {
            const int64_t tile0 = tok0 + tile * kTileTokens;
            xb[tile] = xq + clamp(tile0 + g) * k + 4 * q;
            xsc[tile][0] = xs + clamp(tile0 + 2 * q) * n_blocks * 2;
            xsc[tile][1] = xs + clamp(tile0 + 2 * q + 1) * n_blocks * 2;
        }
    }

    // acc[tile][e] = the residue chain of blocks j, j + 32, ... for C element e of each tile.
    // Branch-free loads, the chain unrolled: the loads of several blocks are in flight at once (a
    // chain of a 4096-wide row has 4 blocks).
    __device__ __forceinline__ void chain(int j, float (&acc)[NT][4]) const {
#pragma unroll 4
        for (int64_t b = j; b < n_blocks; b += kLanes) {
            int a[4];
            load_weight_words<T>(rows[0].quants, b, q, a[0], a[2]);
            load_weight_words<T>(rows[1].quants, b, q, a[1], a[3]);
            const float dw0 = half_bits_to_float(rows[0].scales[b]);
            const float dw1 = half_bits_to_float(rows[1].scales[b]);
            int bw[NT][2];
            float2 sx[NT][2];
#pragma unroll
            for (int tile = 0; tile < NT; ++tile) {
                bw[tile][0] = *reinterpret_cast<const int*>(xb[tile] + b * 32);
                bw[tile][1] = *reinterpret_cast<const int*>(xb[tile] + b * 32 + 16);
                sx[tile][0] = *reinterpret_cast<const float2*>(xsc[tile][0] + b * 2);
                sx[tile][1] = *reinterpret_cast<const float2*>(xsc[tile][1] + b * 2);
            }
#pragma unroll
            for (int tile = 0; tile < NT; ++tile) {
                int c[4];
                mma_s8(c, a, bw[tile][0], bw[tile][1]);
#pragma unroll
                for (int e = 0; e < 2; ++e) {  // C elements e and 2 + e: token 2q + e, rows g and g + 8
                    acc[tile][e] = add_block_term<T>(acc[tile][e], c[e], dw0, sx[tile][e]);
                    acc[tile][2 + e] = add_block_term<T>(acc[tile][2 + e], c[2 + e], dw1, sx[tile][e]);
                }
            }
        }
    }

    // Folds a finished leaf into the stack: L = the number of trailing ones of the leaf's index
    // within the warp's group (the tree levels it completes). L < kGroupLevels: the completed
    // subtree waits at level L; L = kGroupLevels (the group's last leaf): the group's subtree is
    // whole and goes to `subtree`.
    template <int L>
    __device__ __forceinline__ void fold(const float (&acc)[NT][4], float* subtree) {
#pragma unroll
        for (int tile = 0; tile < NT; ++tile)
#pragma unroll
            for (int e = 0; e < 4; ++e) {
                float v = acc[tile][e];
#pragma unroll
                for (int level = 0; level < L; ++level) v = stack[tile][e][level] + v;
                if constexpr (L < kGroupLevels)
                    stack[tile][e][L] = v;
                else
                    subtree[(tile * 4 + e) * kLanes] = v;
            }
    }

    // This warp's group of kGroupLeaves consecutive leaves (leaf i is the chain of residue
    // bitrev5(i)), folded into one subtree of the butterfly, written to subtree[(tile * 4 + e) *
    // 32] (this lane's C elements). A loop, not unrolled: copies of the chain would not fit the
    // instruction cache.
    __device__ __forceinline__ void run_group(int group, float* subtree) {
#pragma unroll 1
        for (int li = 0; li < kGroupLeaves; ++li) {
            float acc[NT][4] = {};
            chain(bitrev5(group * kGroupLeaves + li), acc);
            switch (__ffs(~li) - 1) {  // trailing ones of li, the same for the whole warp
                case 0: fold<0>(acc, subtree); break;
                case 1: fold<1>(acc, subtree); break;
                case 2: fold<2>(acc, subtree); break;
                default: fold<3>(acc, subtree); break;
            }
        }
    }

    __device__ __forceinline__ void store(int tile, int e, float v) const {
        const GemvRow& r = rows[e / 2].out;
        const int64_t token = tok0 + tile * kTileTokens + 2 * q + e % 2;
        if (r.valid && token < n_tokens) r.y[token * r.n_out + r.row] = v;
    }
};

// One block per 16-row tile and 8 * NT tokens; warp w computes leaves 8w..8w+7 of every
// (row, token) tree, then warp 0 joins the four subtrees as the butterfly's top two levels do:
// (S0 + S1) + (S2 + S3).
// PRECOND: blockDim.x == kWarps * 32; gridDim.x * 8 * NT >= n_tokens; gridDim.y * 16 >= rows, the
// launch's rows.
template <GgmlType T, int NT>
__global__ void __launch_bounds__(kWarps * kLanes, NT == 4 ? 2 : NT == 2 ? 3 : 4)
    gemv_mma_kernel(GemvTargets targets, int64_t rows, size_t row_bytes, int64_t k, int64_t n_tokens, const int8_t* xq,
                    const float* xs) {
    __shared__ float subtrees[kWarps][NT * 4][kLanes];
    const int warp = threadIdx.x / kLanes, lane = threadIdx.x % kLanes;
    const int64_t row0 = static_cast<int64_t>(blockIdx.y) * kTileRows;
    MmaWarp<T, NT> w;
    w.g = lane / 4, w.q = lane % 4;
    w.n_blocks = k / 32, w.n_tokens = n_tokens;
    w.tok0 = static_cast<int64_t>(blockIdx.x) * kTileTokens * NT;
    w.rows[0] = mma_row<T>(targets, row0 + w.g, rows, row_bytes, w.n_blocks);
    w.rows[1] = mma_row<T>(targets, row0 + w.g + 8, rows, row_bytes, w.n_blocks);
    w.init_tokens(xq, xs, k);
    w.run_group(warp, &subtrees[warp][0][lane]);
    __syncthreads();
    if (warp != 0) return;
#pragma unroll
    for (int tile = 0; tile < NT; ++tile)
#pragma unroll
        for (int e = 0; e < 4; ++e) {
            const int c = tile * 4 + e;
            const float low = subtrees[0][c][lane] + subtrees[1][c][lane];
            const float high = subtrees[2][c][lane] + subtrees[3][c][lane];
            w.store(tile, e, low + high);
        }
}

}  // namespace

bool gemv_mma_built() { return true; }

template <GgmlType T>
void launch_gemv_mma(const GemvTargets& targets, size_t row_bytes, int64_t k, int64_t n_tokens, const int8_t* xq,
                     const float* xs, gpuStream_t stream) {
    const int64_t rows = targets.row_end[targets.n - 1];
    const auto launch = [&]<int NT>() {
        const dim3 grid(ceil_div(n_tokens, kTileTokens * NT), ceil_div(rows, kTileRows));
        gemv_mma_kernel<T, NT><<<grid, kWarps * kLanes, 0, stream>>>(targets, rows, row_bytes, k, n_tokens, xq, xs);
        GPU_CHECK_LAUNCH();
    };
    if (n_tokens <= kTileTokens)
        launch.template operator()<1>();
    else if (n_tokens <= 2 * kTileTokens)
        launch.template operator()<2>();
    else
        launch.template operator()<4>();
}

#else  // HIP: no tensor-core kernel yet; the host never launches it (gemv_mma_built() is false)

bool gemv_mma_built() { return false; }

template <gguf::GgmlType T>
void launch_gemv_mma(const GemvTargets&, size_t, int64_t, int64_t, const int8_t*, const float*, gpuStream_t) {
    throw_gpu_error("gemv_mma", "the tensor-core decode kernel is not built for HIP", __FILE__, __LINE__);
}

#endif

template void launch_gemv_mma<gguf::GgmlType::Q4_0>(const GemvTargets&, size_t, int64_t, int64_t, const int8_t*,
                                                    const float*, gpuStream_t);
template void launch_gemv_mma<gguf::GgmlType::Q8_0>(const GemvTargets&, size_t, int64_t, int64_t, const int8_t*,
                                                    const float*, gpuStream_t);

}  // namespace rocmforge::backend::gpu
