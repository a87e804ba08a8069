#include "backend/gpu/gemv_mma.cuh"
#include "backend/gpu/weight_layout.h"

// The order of the f32 sums is gemv_rows.cuh's (16 leaves of interleaved block pairs, each a chain in
// block order, then a balanced tree of the leaf sums), the GEMV's too, so both kernels give every
// (row, token) the same bits in any batch.
//
// One CUDA block owns a tile of 16 RT rows x 8 NT tokens and W warps; warp w runs its consecutive
// leaves (a subtree of the tree) one after another, block by block: the integer dot of every row
// with every token comes from mma.sync m16n8k32 s8 (RT x NT of them per block; the activation
// fragments shared by the RT row tiles, the weight fragments by the NT token tiles), then
// add_block_term in the leaf's chain.
// Each warp folds its leaf sums into its subtree through a stack in shared memory; the subtrees
// meet there at the end.

namespace rocmforge::backend::gpu {

#if !defined(ROCMFORGE_HIP)
namespace {

using gguf::GgmlType;
constexpr int kTileRows = 16;    // mma M
constexpr int kTileTokens = 8;   // mma N
constexpr int kLeaves = kGemvLeaves;
constexpr int kLanes = 32;       // NVIDIA warp

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


// The A fragment of one 16-row tile for block b: rows g (r0) and g + 8 (r1) of the split layout,
// this lane's quarter q of the block (Q4_0: the 4-bit codes 0..15 as signed bytes; add_block_term
// subtracts 8 Σ q_x).
template <GgmlType T>
__device__ __forceinline__ void load_a(const uint8_t* r0, const uint8_t* r1, int64_t b, int q, int (&a)[4]) {
    if constexpr (T == GgmlType::Q4_0) {
        const uint32_t w0 = *reinterpret_cast<const uint32_t*>(r0 + b * 16 + 4 * q);
        const uint32_t w1 = *reinterpret_cast<const uint32_t*>(r1 + b * 16 + 4 * q);
        a[0] = static_cast<int>(w0 & 0x0F0F0F0Fu), a[2] = static_cast<int>((w0 >> 4) & 0x0F0F0F0Fu);
        a[1] = static_cast<int>(w1 & 0x0F0F0F0Fu), a[3] = static_cast<int>((w1 >> 4) & 0x0F0F0F0Fu);
    } else {
        a[0] = *reinterpret_cast<const int*>(r0 + b * 32 + 4 * q);
        a[2] = *reinterpret_cast<const int*>(r0 + b * 32 + 16 + 4 * q);
        a[1] = *reinterpret_cast<const int*>(r1 + b * 32 + 4 * q);
        a[3] = *reinterpret_cast<const int*>(r1 + b * 32 + 16 + 4 * q);
    }
}

// What one block b contributes to a warp's tile: fragments and scales, all loaded before any use.
template <GgmlType T, int NT, int RT>
struct BlockOperands {
    int a[RT][4];
    float dw[RT][2];      // rows g, g + 8 of each row tile
    int bx[NT][2];        // token g of each token tile, bytes 4q.. and 16 + 4q..
    float2 sx[NT][2];     // {d, Σ q} of tokens 2q, 2q + 1 of each token tile
};

// One warp's leaf chains over a 16 RT x 8 NT tile. Rows past the launch's last read the last row and
// tokens past the last read the last token (every load in bounds and unconditional); nothing is
// stored for them.
template <GgmlType T, int NT, int RT>
struct LeafChain {
    const uint8_t* row[RT][2];  // rows g and g + 8 of each row tile: quants, then n_blocks f16 scales
    const int8_t* x[NT];        // token g of each token tile, at byte 4q
    const float* xs[NT][2];     // {d, Σ q} pairs of tokens 2q, 2q + 1 of each token tile
    int64_t scale_offset;       // bytes from a row's quants to its scales
    int q;

    __device__ __forceinline__ void load(int64_t b, BlockOperands<T, NT, RT>& o) const {
#pragma unroll
        for (int rt = 0; rt < RT; ++rt) {
            load_a<T>(row[rt][0], row[rt][1], b, q, o.a[rt]);
#pragma unroll
            for (int h = 0; h < 2; ++h)
                o.dw[rt][h] = half_bits_to_float(reinterpret_cast<const uint16_t*>(row[rt][h] + scale_offset)[b]);
        }
#pragma unroll
        for (int nt = 0; nt < NT; ++nt) {
            o.bx[nt][0] = *reinterpret_cast<const int*>(x[nt] + b * 32);
            o.bx[nt][1] = *reinterpret_cast<const int*>(x[nt] + b * 32 + 16);
            o.sx[nt][0] = *reinterpret_cast<const float2*>(xs[nt][0] + b * 2);
            o.sx[nt][1] = *reinterpret_cast<const float2*>(xs[nt][1] + b * 2);
        }
    }

    // acc[rt][nt][e]: C element e of tile (rt, nt) (rows g / g + 8, tokens 2q / 2q + 1).
    static __device__ __forceinline__ void add(const BlockOperands<T, NT, RT>& o, float (&acc)[RT][NT][4]) {
#pragma unroll
        for (int rt = 0; rt < RT; ++rt)
#pragma unroll
            for (int nt = 0; nt < NT; ++nt) {
                int c[4];
                mma_s8(c, o.a[rt], o.bx[nt][0], o.bx[nt][1]);
#pragma unroll
                for (int e = 0; e < 4; ++e)
                    acc[rt][nt][e] = add_block_term<T>(acc[rt][nt][e], c[e], o.dw[rt][e / 2], o.sx[nt][e % 2]);
            }
    }

    // The chain of leaf j (leaf_block(j, 0), leaf_block(j, 1), ... below n_blocks) in increasing
    // order, U blocks' loads in flight at a time.
    template <int U>
    __device__ __forceinline__ void run(int j, int64_t n_blocks, float (&acc)[RT][NT][4]) const {
#pragma unroll 1
        for (int64_t s = 0; leaf_block(j, s) < n_blocks; s += U) {
            BlockOperands<T, NT, RT> o[U];
#pragma unroll
            for (int u = 0; u < U; ++u) {
                const int64_t b = leaf_block(j, s + u);
                load(b < n_blocks ? b : leaf_block(j, s), o[u]);
            }
#pragma unroll
            for (int u = 0; u < U; ++u)
                if (leaf_block(j, s + u) < n_blocks) add(o[u], acc);
        }
    }
};

// Tile shapes: RT row tiles x NT token tiles, W warps, U blocks' loads in flight per warp.
template <int NT_, int RT_, int W_, int U_>
struct MmaShape {
    static constexpr int NT = NT_, RT = RT_, W = W_, U = U_;
    static constexpr int kElems = RT * NT * 4;                // C elements per lane
    static constexpr int kWarpLeaves = kLeaves / W;           // consecutive leaves per warp
    static constexpr int kLevels = kWarpLeaves == 1 ? 1 : __builtin_ctz(kWarpLeaves);  // its fold stack
    static constexpr size_t kSharedBytes = sizeof(float) * W * kLevels * kElems * kLanes;
    static_assert(kLeaves % W == 0 && (kWarpLeaves & (kWarpLeaves - 1)) == 0, "a warp's leaves form a subtree");
};

// PRECOND: blockDim.x == S::W * 32; dynamic shared memory S::kSharedBytes; gridDim.x * 8 NT >=
// n_tokens; gridDim.y * 16 RT >= rows, the launch's rows.
template <GgmlType T, typename S>
__global__ void __launch_bounds__(S::W * kLanes)
    gemv_mma_kernel(GemvTargets targets, int64_t rows, size_t row_bytes, int64_t k, int64_t n_tokens, const int8_t* xq,
                    const float* xs) {
    constexpr int NT = S::NT, RT = S::RT, kElems = S::kElems;
    // Per warp, per fold level, the C elements of each lane: [W][kLevels][kElems][kLanes]. A lane
    // only ever touches its own entries of its warp's stack (no barrier) until the warps' subtrees
    // meet.
    extern __shared__ float stacks[];
    const int warp = threadIdx.x / kLanes, lane = threadIdx.x % kLanes;
    const auto slot = [&](int w, int level, int i) -> float& {
        return stacks[((w * S::kLevels + level) * kElems + i) * kLanes + lane];
    };
    const int g = lane / 4, q = lane % 4;
    const int64_t n_blocks = k / 32;
    const int64_t row0 = static_cast<int64_t>(blockIdx.y) * kTileRows * RT;
    const int64_t tok0 = static_cast<int64_t>(blockIdx.x) * kTileTokens * NT;
    const auto clamp_token = [&](int64_t t) { return t < n_tokens ? t : n_tokens - 1; };

    LeafChain<T, NT, RT> chain;
    chain.q = q;
    chain.scale_offset = n_blocks * kSplitQuantBytes<T>;
    const auto clamp_row = [&](int64_t r) { return r < rows ? r : rows - 1; };
#pragma unroll
    for (int rt = 0; rt < RT; ++rt)
#pragma unroll
        for (int h = 0; h < 2; ++h)
            chain.row[rt][h] = locate_row(targets, clamp_row(row0 + rt * kTileRows + g + 8 * h), row_bytes).w;
#pragma unroll
    for (int nt = 0; nt < NT; ++nt) {
        const int64_t tile0 = tok0 + nt * kTileTokens;
        chain.x[nt] = xq + clamp_token(tile0 + g) * k + 4 * q;
        chain.xs[nt][0] = xs + clamp_token(tile0 + 2 * q) * n_blocks * 2;
        chain.xs[nt][1] = xs + clamp_token(tile0 + 2 * q + 1) * n_blocks * 2;
    }

    // The warp's leaves, folded into its subtree as a binary counter: after leaf li, the subtrees
    // of its trailing one bits join it; the warp's last leaf leaves the whole subtree in level 0.
#pragma unroll 1
    for (int li = 0; li < S::kWarpLeaves; ++li) {
        const int leaf = warp * S::kWarpLeaves + li;
        float acc[RT][NT][4] = {};
        chain.template run<S::U>(leaf, n_blocks, acc);
        const int joins = __ffs(~li) - 1;  // trailing ones of li
        const int level = li == S::kWarpLeaves - 1 ? 0 : joins;
#pragma unroll
        for (int rt = 0; rt < RT; ++rt)
#pragma unroll
            for (int nt = 0; nt < NT; ++nt)
#pragma unroll
                for (int e = 0; e < 4; ++e) {
                    const int i = (rt * NT + nt) * 4 + e;
                    float v = acc[rt][nt][e];
                    for (int j = 0; j < joins; ++j) v = slot(warp, j, i) + v;
                    slot(warp, level, i) = v;
                }
    }
    __syncthreads();
    // The warps' subtrees meet, adjacent pairs first; the warps share the tile's elements.
#pragma unroll 1
    for (int i = warp; i < kElems; i += S::W) {
        float v[S::W];
#pragma unroll
        for (int w = 0; w < S::W; ++w) v[w] = slot(w, 0, i);
#pragma unroll
        for (int width = 1; width < S::W; width *= 2)  // v[w] = the subtrees w .. w + 2 width - 1
#pragma unroll
            for (int w = 0; w < S::W; w += 2 * width) v[w] = v[w] + v[w + width];
        const int rt = i / (NT * 4), nt = i / 4 % NT, e = i % 4;
        const int64_t global = row0 + rt * kTileRows + g + 8 * (e / 2);
        const int64_t token = tok0 + nt * kTileTokens + 2 * q + e % 2;
        if (global >= rows || token >= n_tokens) continue;
        const GemvRow r = locate_row(targets, global, row_bytes);
        r.y[token * r.n_out + r.row] = v[0];
    }
}

}  // namespace

bool gemv_mma_built() { return true; }

template <GgmlType T>
void launch_gemv_mma(const GemvTargets& targets, size_t row_bytes, int64_t k, int64_t n_tokens, const int8_t* xq,
                     const float* xs, gpuStream_t stream) {
    const int64_t rows = targets.row_end[targets.n - 1];
    const auto launch = [&]<typename S>() {
        // Opt in to more than 48 KiB of dynamic shared memory, once (the backend uses one device).
        static const bool shared_ok = [] {
            GPU_CHECK(cudaFuncSetAttribute(gemv_mma_kernel<T, S>, cudaFuncAttributeMaxDynamicSharedMemorySize,
                                           static_cast<int>(S::kSharedBytes)));
            return true;
        }();
        (void)shared_ok;
        const dim3 grid(ceil_div(n_tokens, kTileTokens * S::NT), ceil_div(rows, kTileRows * S::RT));
        gemv_mma_kernel<T, S><<<grid, S::W * kLanes, S::kSharedBytes, stream>>>(targets, rows, row_bytes, k, n_tokens,
                                                                                xq, xs);
        GPU_CHECK_LAUNCH();
    };
    // Tile shapes by token count (the results do not depend on it): wider tiles share each loaded
    // fragment among more products; narrower ones keep more chains in flight.
    if (n_tokens <= kTileTokens)
        launch.template operator()<MmaShape<1, 1, 8, 4>>();
    else if (n_tokens <= 2 * kTileTokens)
        launch.template operator()<MmaShape<2, 1, 8, 4>>();
    else if (n_tokens <= 4 * kTileTokens)
        launch.template operator()<MmaShape<4, 2, 8, 2>>();
    else
        launch.template operator()<MmaShape<4, 4, 8, 2>>();
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
