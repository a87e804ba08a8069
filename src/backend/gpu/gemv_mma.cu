#include "backend/gpu/gemv_mma.cuh"
#include "backend/gpu/weight_layout.h"
#if !defined(ROCMFORGE_HIP)
#include "backend/gpu/mma_ptx.cuh"
#endif

#include <cstddef>
#include <cstdint>

// The order of the f32 sums is gemv_rows.cuh's (16 leaves of interleaved block pairs, each a chain in
// block order, then a balanced tree of the leaf sums), the GEMV's too, so both kernels give every
// (row, token) the same bits in any batch.
//
// One CUDA block owns a tile of 16 RT rows x 8 NT tokens and 8 warps; warp w runs leaves 2w and
// 2w + 1 one after the other. A leaf's blocks come in adjacent pairs (2j + 32 p, 2j + 32 p + 1),
// and each warp streams its pairs through its own ring of kStages buffers in shared memory:
// cp.async copies a pair's weights, activations and scales in 16-byte pieces (4-byte for the
// weight scales) several pairs ahead, ldmatrix reads the mma fragments, and mma.sync m16n8k32 s8
// gives the (biased, gemv_rows.cuh) integer dot of every row with every token per block, which
// add_term adds to the leaf's chain. Only the warp reads its ring, so __syncwarp orders it. The
// first leaf's sums wait in shared memory for the second's; the 8 warps' sums meet there at the
// end.

namespace rocmforge::backend::gpu {

#if !defined(ROCMFORGE_HIP)
namespace {

using gguf::GgmlType;
constexpr int kTileRows = 16;    // mma M
constexpr int kTileTokens = 8;   // mma N
constexpr int kLeaves = kGemvLeaves;
constexpr int kLanes = 32;       // NVIDIA warp
constexpr int kChunk = 16;       // bytes per cp.async of quants

// A buffer of rows of C 16-byte chunks; chunk c of row r sits at chunk r C + (c ^ f(r)), f(r) =
// (r C / 8) mod C, so the 8 rows ldmatrix reads at one chunk index fall in 8 different 16-byte bank
// groups (no conflict). PRECOND: C is 2 or 4.
template <int C>
__device__ __forceinline__ int swizzled_chunk(int r, int c) {
    return r * C + (c ^ ((r * C >> 3) & (C - 1)));
}

// Tile shapes: RT row tiles x NT token tiles, 8 warps of two leaves each; the bytes of one pair's
// stage and how many stages each warp's ring holds within the shared memory left beside the
// warps' leaf sums.
template <GgmlType T, int NT_, int RT_, int kBlocksPerSm_ = 1>
struct MmaShape {
    static constexpr int NT = NT_, RT = RT_, W = kLeaves / 2, kBlocksPerSm = kBlocksPerSm_;
    static constexpr int kRows = kTileRows * RT, kTokens = kTileTokens * NT;
    static constexpr int kElems = RT * NT * 4;  // C elements per lane
    // One stage (a block pair): weight quants [kRows][kWeightChunks], activations
    // [kTokens][4 chunks] (both swizzled), activation scales [kTokens] {d, Σ q} x 2, weight scales
    // [kRows] f16 x 2.
    static constexpr int kWeightChunks = 2 * kSplitQuantBytes<T> / kChunk;
    static constexpr int kQuantOffset = 0;
    static constexpr int kActOffset = kQuantOffset + kRows * kWeightChunks * kChunk;
    static constexpr int kActScaleOffset = kActOffset + kTokens * 4 * kChunk;
    static constexpr int kWeightScaleOffset = kActScaleOffset + kTokens * 16;
    static constexpr int kStageBytes = kWeightScaleOffset + kRows * 4;
    static constexpr size_t kSumBytes = sizeof(float) * W * kElems * kLanes;
    // Dynamic shared memory per block: sm_90's 228 KiB per SM shared by kBlocksPerSm blocks, less
    // the 1 KiB the runtime reserves for each (the host checks the device's own limit).
    static constexpr size_t kSharedLimit = 228 * 1024 / kBlocksPerSm - 1024;
    static constexpr int kStages = [] {
        const size_t ring = (kSharedLimit - kSumBytes) / (static_cast<size_t>(W) * kStageBytes);
        return ring < 4 ? static_cast<int>(ring) : 4;
    }();
    static_assert(kStages >= 2, "the tile leaves no room for a double-buffered ring");
    static constexpr size_t kSharedBytes = kSumBytes + static_cast<size_t>(W) * kStages * kStageBytes;
};

// The pairs of leaf j below n_blocks (n_blocks even): pair p holds blocks leaf_block(j, 2p) =
// 2j + 32 p and the next.
__device__ __forceinline__ int leaf_pairs(int leaf, int64_t n_blocks) {
    return 2 * leaf < n_blocks ? static_cast<int>((n_blocks - 2 * leaf + 31) / 32) : 0;
}

// PRECOND: blockDim.x == S::W * 32; dynamic shared memory S::kSharedBytes; gridDim.x * 8 NT >=
// n_tokens; gridDim.y * 16 RT >= rows, the launch's rows; k % 64 == 0; rows, xq and xs 16-byte
// aligned.
template <GgmlType T, typename S>
__global__ void __launch_bounds__(S::W * kLanes, S::kBlocksPerSm)
    gemv_mma_kernel(GemvTargets targets, int64_t rows, size_t row_bytes, int64_t k, int64_t n_tokens, const int8_t* xq,
                    const float* xs) {
    constexpr int NT = S::NT, RT = S::RT, kElems = S::kElems, kStages = S::kStages;
    extern __shared__ __align__(16) uint8_t shared[];
    // Each warp's subtree sum of each lane's C elements ([W][kElems][kLanes]; a lane only touches
    // its own entries until the warps' sums meet), then per warp its ring of stages.
    float* sums = reinterpret_cast<float*>(shared);
    const int warp = threadIdx.x / kLanes, lane = threadIdx.x % kLanes;
    uint8_t* ring = shared + S::kSumBytes + static_cast<size_t>(warp) * kStages * S::kStageBytes;
    const auto sum_slot = [&](int w, int i) -> float& { return sums[(w * kElems + i) * kLanes + lane]; };
    const int g = lane / 4, q = lane % 4;
    const int64_t n_blocks = k / 32;
    const int64_t row0 = static_cast<int64_t>(blockIdx.y) * S::kRows;
    const int64_t tok0 = static_cast<int64_t>(blockIdx.x) * S::kTokens;

    // What this lane copies of every pair, fixed up front (only the pair's first block b0 moves):
    // - quant chunks 2 cc + lane % 2 (32 contiguous bytes per lane pair) of rows lane / 2 + 16 j,
    //   and (even lanes) those rows' two scales;
    // - activation chunk lane % 4 of tokens lane / 4 + 8 j;
    // - the {d, Σ q} pairs of token `lane`.
    // Rows past the launch's last read the last row and tokens past the last read the last token
    // (every copy in bounds and unconditional); nothing is stored for them.
    const uint8_t* weight_row[RT];
#pragma unroll
    for (int j = 0; j < RT; ++j) {
        const int64_t r = row0 + lane / 2 + kTileRows * j;
        weight_row[j] = locate_row(targets, r < rows ? r : rows - 1, row_bytes).w;
    }
    const auto token_index = [&](int t) { return tok0 + t < n_tokens ? tok0 + t : n_tokens - 1; };
    int act_offset[NT];  // bytes into xq (the host checks n_tokens * k < 2^31)
#pragma unroll
    for (int j = 0; j < NT; ++j)
        act_offset[j] = static_cast<int>(token_index(lane / 4 + kTileTokens * j) * k) + (lane % 4) * kChunk;
    const int act_scale_offset = static_cast<int>(token_index(lane < S::kTokens ? lane : 0) * n_blocks * 2);
    const int64_t weight_scale_offset = n_blocks * kSplitQuantBytes<T>;  // bytes from a row's quants to its scales

    // The warp's leaves 2 warp and 2 warp + 1, their pairs in chain order (leaf_pairs falls with
    // the leaf: the second leaf never has more pairs, and only k < 1024 leaves a leaf empty).
    const int pairs0 = leaf_pairs(2 * warp, n_blocks);
    const int n_pairs = pairs0 + leaf_pairs(2 * warp + 1, n_blocks);
    // Copies the warp's pair j (if it has one) into its stage of the ring; always commits a group,
    // so every lane counts groups alike.
    const auto copy_pair = [&](int j) {
        if (j < n_pairs) {
            const int second = j >= pairs0 ? 1 : 0;
            const int b0 = static_cast<int>(leaf_block(2 * warp + second, 2 * (j - second * pairs0)));
            uint8_t* dst = ring + (j % kStages) * S::kStageBytes;
#pragma unroll
            for (int jr = 0; jr < RT; ++jr) {
                const int r = lane / 2 + kTileRows * jr;
#pragma unroll
                for (int cc = 0; cc < S::kWeightChunks / 2; ++cc) {
                    const int c = 2 * cc + lane % 2;
                    copy_async_16(dst + S::kQuantOffset + swizzled_chunk<S::kWeightChunks>(r, c) * kChunk,
                                  weight_row[jr] + b0 * kSplitQuantBytes<T> + c * kChunk);
                }
                if (lane % 2 == 0)
                    copy_async_4(dst + S::kWeightScaleOffset + r * 4, weight_row[jr] + weight_scale_offset + b0 * 2);
            }
#pragma unroll
            for (int jt = 0; jt < NT; ++jt)
                copy_async_16(dst + S::kActOffset + swizzled_chunk<4>(lane / 4 + kTileTokens * jt, lane % 4) * kChunk,
                              xq + act_offset[jt] + b0 * 32);
            if (lane < S::kTokens)
                copy_async_16(dst + S::kActScaleOffset + lane * 16, xs + act_scale_offset + b0 * 2);
        }
        copy_async_commit();
    };

    // Adds the stage's two blocks to the chains: acc[rt][nt][e] is C element e of tile (rt, nt)
    // (rows g / g + 8, tokens 2q / 2q + 1). Block h = 0, then 1 (each chain's order); within a
    // block the weight fragments of every row tile stay in registers while the token tiles'
    // fragments are read one at a time, which keeps the live registers few (no spills at 128).
    const auto add_pair = [&](const uint8_t* stage, float (&acc)[RT][NT][4]) {
        const int m = lane / 8, mr = lane % 8;  // the ldmatrix row this lane addresses
#pragma unroll
        for (int h = 0; h < 2; ++h) {
            int a[RT][4];     // int8 weights of rows g, g + 8 (bytes 4q.., then 16 + 4q..)
            float dw[RT][2];  // scales of rows g, g + 8
#pragma unroll
            for (int rt = 0; rt < RT; ++rt) {
                if constexpr (T == GgmlType::Q4_0) {
                    uint32_t w[2];  // rows g, g + 8 of block h (4-bit codes; lanes 0-15 address)
                    load_matrix_x2(w, stage + S::kQuantOffset +
                                          swizzled_chunk<2>(rt * kTileRows + (m % 2) * 8 + mr, h) * kChunk);
                    a[rt][0] = static_cast<int>(w[0] & 0x0F0F0F0Fu), a[rt][2] = static_cast<int>((w[0] >> 4) & 0x0F0F0F0Fu);
                    a[rt][1] = static_cast<int>(w[1] & 0x0F0F0F0Fu), a[rt][3] = static_cast<int>((w[1] >> 4) & 0x0F0F0F0Fu);
                } else {
                    uint32_t r[4];  // rows g, g + 8 of bytes 0..15, then of bytes 16..31
                    load_matrix_x4(r, stage + S::kQuantOffset +
                                          swizzled_chunk<4>(rt * kTileRows + (m % 2) * 8 + mr, 2 * h + m / 2) * kChunk);
#pragma unroll
                    for (int i = 0; i < 4; ++i) a[rt][i] = static_cast<int>(r[i]);
                }
#pragma unroll
                for (int half = 0; half < 2; ++half) {
                    const uint32_t pair = *reinterpret_cast<const uint32_t*>(stage + S::kWeightScaleOffset +
                                                                              (rt * kTileRows + g + 8 * half) * 4);
                    dw[rt][half] = half_bits_to_float(static_cast<uint16_t>(h == 0 ? pair : pair >> 16));
                }
            }
#pragma unroll
            for (int nt = 0; nt < NT; ++nt) {
                uint32_t b[2];  // block h's b0, b1 of token tile nt (lanes 0-15 address)
                load_matrix_x2(b, stage + S::kActOffset + swizzled_chunk<4>(nt * kTileTokens + mr, 2 * h + m % 2) * kChunk);
                float dx[2];  // tokens 2q, 2q + 1
                int start[4];  // biased_dot_start of C elements 0..3: tokens 2q, 2q + 1, 2q, 2q + 1
#pragma unroll
                for (int e = 0; e < 2; ++e) {
                    const float2 sx = reinterpret_cast<const float2*>(
                        stage + S::kActScaleOffset + (nt * kTileTokens + 2 * q + e) * 16)[h];
                    dx[e] = sx.x;
                    start[e] = start[e + 2] = biased_dot_start<T>(sx.y);
                }
#pragma unroll
                for (int rt = 0; rt < RT; ++rt) {
                    int dot[4];
                    mma_s8(dot, a[rt], b[0], b[1], start);
#pragma unroll
                    for (int e = 0; e < 4; ++e)
                        acc[rt][nt][e] = add_term(acc[rt][nt][e], block_term(dot[e], dw[rt][e / 2], dx[e % 2]));
                }
            }
        }
    };

    // Ends leaf `second` (0 or 1) of the warp: the first leaf's sums wait in shared memory, the
    // second's join them (L_2w + L_2w+1), and the chains restart from 0.
    float acc[RT][NT][4] = {};
    const auto end_leaf = [&](int second) {
#pragma unroll
        for (int rt = 0; rt < RT; ++rt)
#pragma unroll
            for (int nt = 0; nt < NT; ++nt)
#pragma unroll
                for (int e = 0; e < 4; ++e) {
                    float& sum = sum_slot(warp, (rt * NT + nt) * 4 + e);
                    sum = second ? sum + acc[rt][nt][e] : acc[rt][nt][e];
                    acc[rt][nt][e] = 0.0f;
                }
    };

    // Pair i's copy goes out kStages - 1 pairs ahead of its use; one loop issues the first copies
    // too (i < 0), so the copy code exists once.
    int ended = 0;  // leaves ended
#pragma unroll 1
    for (int i = 1 - kStages; i < n_pairs; ++i) {
        copy_async_wait<kStages - 2>();  // pair i has landed (this lane's copies)
        __syncwarp();                    // ... and every lane's; pair i - 1's stage is free
        copy_pair(i + kStages - 1);
        if (i < 0) continue;
        add_pair(ring + (i % kStages) * S::kStageBytes, acc);
        if (i == pairs0 - 1 || i == n_pairs - 1) end_leaf(ended++);
    }
#pragma unroll 1
    for (; ended < 2; ++ended) end_leaf(ended);  // leaves without pairs add 0
    copy_async_wait<0>();
    __syncthreads();
    // The warps' sums meet, adjacent pairs first; the warps share the tile's elements.
#pragma unroll 1
    for (int i = warp; i < kElems; i += S::W) {
        float v[S::W];
#pragma unroll
        for (int w = 0; w < S::W; ++w) v[w] = sum_slot(w, i);
#pragma unroll
        for (int width = 1; width < S::W; width *= 2)  // v[w] = the sums of warps w .. w + 2 width - 1
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

// The most dynamic shared memory one block may opt in to on the current device.
size_t shared_memory_limit() {
    static const size_t limit = [] {
        int device = 0, bytes = 0;
        GPU_CHECK(cudaGetDevice(&device));
        GPU_CHECK(cudaDeviceGetAttribute(&bytes, cudaDevAttrMaxSharedMemoryPerBlockOptin, device));
        return static_cast<size_t>(bytes);
    }();
    return limit;
}

}  // namespace

bool gemv_mma_built() { return true; }

template <GgmlType T>
bool launch_gemv_mma(const GemvTargets& targets, size_t row_bytes, int64_t k, int64_t n_tokens, const int8_t* xq,
                     const float* xs, gpuStream_t stream) {
    if (k % 64 != 0 || n_tokens * k > INT32_MAX) return false;
    const int64_t rows = targets.row_end[targets.n - 1];
    const auto launch = [&]<typename S>() {
        if (S::kSharedBytes > shared_memory_limit()) return false;
        // Opt in to more than 48 KiB of dynamic shared memory, once (the backend uses one device).
        static const bool shared_ok = [] {
            GPU_CHECK(cudaFuncSetAttribute(gemv_mma_kernel<T, S>, cudaFuncAttributeMaxDynamicSharedMemorySize,
                                           static_cast<int>(S::kSharedBytes)));
            return true;
        }();
        (void)shared_ok;
        const dim3 grid(ceil_div(n_tokens, S::kTokens), ceil_div(rows, S::kRows));
        gemv_mma_kernel<T, S><<<grid, S::W * kLanes, S::kSharedBytes, stream>>>(targets, rows, row_bytes, k, n_tokens,
                                                                                xq, xs);
        GPU_CHECK_LAUNCH();
        return true;
    };
    // Tile shapes by token count (the results do not depend on it): wider tiles share each loaded
    // fragment among more products; narrower ones keep more chains in flight. From 25 tokens on,
    // 32 x 32 tiles run two blocks per SM (16 warps, 2 stages each) instead of one (4 stages):
    // H200, 7B Q4_0, bench --batch: 32 tokens 4,842-4,861 -> 5,296-5,324 tok/s, 24 tokens
    // 2,922-2,931 -> 2,841-2,847; and past 32 tokens they beat 64 x 32 tiles at one block per SM
    // (64 tokens: 6,106 vs 5,884).
    if (n_tokens <= kTileTokens) return launch.template operator()<MmaShape<T, 1, 1>>();
    if (n_tokens <= 2 * kTileTokens) return launch.template operator()<MmaShape<T, 2, 1>>();
    if (n_tokens <= 3 * kTileTokens) return launch.template operator()<MmaShape<T, 4, 2>>();
    return launch.template operator()<MmaShape<T, 4, 2, 2>>();
}

#else  // HIP: no tensor-core kernel yet; the host never launches it (gemv_mma_built() is false)

bool gemv_mma_built() { return false; }

template <gguf::GgmlType T>
bool launch_gemv_mma(const GemvTargets&, size_t, int64_t, int64_t, const int8_t*, const float*, gpuStream_t) {
    throw_gpu_error("gemv_mma", "the tensor-core decode kernel is not built for HIP", __FILE__, __LINE__);
}

#endif

template bool launch_gemv_mma<gguf::GgmlType::Q4_0>(const GemvTargets&, size_t, int64_t, int64_t, const int8_t*,
                                                    const float*, gpuStream_t);
template bool launch_gemv_mma<gguf::GgmlType::Q8_0>(const GemvTargets&, size_t, int64_t, int64_t, const int8_t*,
                                                    const float*, gpuStream_t);

}  // namespace rocmforge::backend::gpu
