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
//
// Q4_0 codes c enter the mma as the signed bytes 16 (c - 8) (the code's 4-bit two's complement
// c ^ 8 in a byte's high nibble), so every block's dot starts from the same constant bias (no
// per-token −8 Σ q_x term) and comes out 16 times the GEMV's (|16 Σ (c − 8) q_x| <=
// 16 * 32 * 8 * 127 < 2^22, inside the biased start's exact range, gemv_rows.cuh). Scaling every
// term of a chain by 16 scales each rounded sum by exactly 16 (a power of two; normal f32 range),
// so the kernel's sums are 16 times the GEMV's bit for bit, and the final product by 1/16 gives
// the GEMV's bits.
//
// The loop over pairs is unrolled by kStages, so every shared-memory address is a per-lane base
// plus a compile-time offset; copies advance per-lane global pointers by a pair's block index.

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
// groups (no conflict). Rows 16 apart (weights) or 8 apart (activations, C = 4) share f, so a row
// tile's or token tile's address is a per-lane base plus a constant. PRECOND: C is 2 or 4.
template <int C>
__host__ __device__ constexpr int swizzled_chunk(int r, int c) {
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

// The mma's signed bytes 16 (c - 8) of the four Q4_0 codes c in the low (high = false) or high
// nibbles of w's bytes: (nibbles & 0xF0F0F0F0) ^ 0x80808080 as one lop3 (0x6A = (a & b) ^ c), with
// the xor constant in a register (ptxas splits the operation when both constants are immediates).
__device__ __forceinline__ int q4_0_signed_high_nibbles(uint32_t w, bool high, uint32_t sign_bits) {
    const uint32_t nibbles = high ? w : w << 4;
    uint32_t out;
    asm("lop3.b32 %0, %1, %2, %3, 0x6A;" : "=r"(out) : "r"(nibbles), "n"(0xF0F0F0F0u), "r"(sign_bits));
    return static_cast<int>(out);
}
// What the Q4_0 kernel's sums are multiplied by to give the GEMV's (see above).
template <GgmlType T>
constexpr float kCodeScale = T == GgmlType::Q4_0 ? 16.0f : 1.0f;

// PRECOND: blockDim.x == S::W * 32; dynamic shared memory S::kSharedBytes; gridDim.x * 8 NT >=
// n_tokens; gridDim.y * 16 RT >= rows, the launch's rows; k % 64 == 0; rows, xq and xs 16-byte
// aligned.
template <GgmlType T, typename S>
__global__ void __launch_bounds__(S::W * kLanes, S::kBlocksPerSm)
    gemv_mma_kernel(GemvTargets targets, int64_t rows, size_t row_bytes, int64_t k, int64_t n_tokens, const int8_t* xq,
                    const float* xs) {
    enter_kernel();
    constexpr int NT = S::NT, RT = S::RT, kElems = S::kElems, kStages = S::kStages;
    constexpr int kWeightChunks = S::kWeightChunks;
    constexpr int kQuantBytes = kSplitQuantBytes<T>;
    extern __shared__ __align__(16) uint8_t shared[];
    // Each warp's subtree sum of each lane's C elements ([W][kElems][kLanes]; a lane only touches
    // its own entries until the warps' sums meet), then per warp its ring of stages.
    float* sums = reinterpret_cast<float*>(shared);
    const int warp = threadIdx.x / kLanes, lane = threadIdx.x % kLanes;
    const uint32_t ring = shared_address(shared + S::kSumBytes + static_cast<size_t>(warp) * kStages * S::kStageBytes);
    const auto sum_slot = [&](int w, int i) -> float& { return sums[(w * kElems + i) * kLanes + lane]; };
    const int g = lane / 4, q = lane % 4;
    const int64_t n_blocks = k / 32;
    const int64_t row0 = static_cast<int64_t>(blockIdx.y) * S::kRows;
    const int64_t tok0 = static_cast<int64_t>(blockIdx.x) * S::kTokens;

    // What this lane copies of every pair, as global pointers at block 0 (a pair starting at block
    // b0 adds b0 blocks' bytes) and shared offsets in a stage:
    // - quant chunks 2 cc + lane % 2 (32 contiguous bytes per lane pair) of rows lane / 2 + 16 j,
    //   and (even lanes) those rows' two scales;
    // - activation chunk lane % 4 of tokens lane / 4 + 8 j;
    // - the {d, Σ q} pairs of token `lane`.
    // Rows past the launch's last read the last row and tokens past the last read the last token
    // (every copy in bounds and unconditional); nothing is stored for them.
    const uint8_t* weight_src[RT];
#pragma unroll
    for (int j = 0; j < RT; ++j) {
        const int64_t r = row0 + lane / 2 + kTileRows * j;
        weight_src[j] = locate_row(targets, r < rows ? r : rows - 1, row_bytes).w;
    }
    const auto token_index = [&](int t) { return tok0 + t < n_tokens ? tok0 + t : n_tokens - 1; };
    const int8_t* act_src[NT];
#pragma unroll
    for (int j = 0; j < NT; ++j) act_src[j] = xq + token_index(lane / 4 + kTileTokens * j) * k + (lane % 4) * kChunk;
    const float* act_scale_src = xs + token_index(lane < S::kTokens ? lane : 0) * n_blocks * 2;
    const int weight_scale_bytes = static_cast<int>(n_blocks * kQuantBytes);  // from a row's quants to its scales
    // Shared offsets in a stage; rows 16 j and tokens 8 j add constants (swizzled_chunk).
    uint32_t quant_dst[kWeightChunks / 2];
#pragma unroll
    for (int cc = 0; cc < kWeightChunks / 2; ++cc)
        quant_dst[cc] = S::kQuantOffset + swizzled_chunk<kWeightChunks>(lane / 2, 2 * cc + lane % 2) * kChunk;
    const uint32_t act_dst = S::kActOffset + swizzled_chunk<4>(lane / 4, lane % 4) * kChunk;

    // Fragment offsets in a stage for block h of the pair (ldmatrix rows this lane addresses).
    const int m = lane / 8, mr = lane % 8;
    uint32_t weight_frag[2], act_frag[2];
#pragma unroll
    for (int h = 0; h < 2; ++h) {
        weight_frag[h] = S::kQuantOffset + (T == GgmlType::Q4_0
                                                ? swizzled_chunk<2>((m % 2) * 8 + mr, h)
                                                : swizzled_chunk<4>((m % 2) * 8 + mr, 2 * h + m / 2)) * kChunk;
        act_frag[h] = S::kActOffset + swizzled_chunk<4>(mr, 2 * h + m % 2) * kChunk;
    }

    // The warp's leaves 2 warp and 2 warp + 1, their pairs in chain order (leaf_pairs falls with
    // the leaf: the second leaf never has more pairs, and only k < 1024 leaves a leaf empty). Pair
    // j of leaf 2 warp + s starts at block 4 warp + 2 s + 32 j.
    const int pairs0 = leaf_pairs(2 * warp, n_blocks);
    const int n_pairs = pairs0 + leaf_pairs(2 * warp + 1, n_blocks);
    int copy_pair = 0, copy_block = 4 * warp;  // the next pair to copy and its first block
    // Copies the next pair (if the warp has one) into stage `stage` of the ring; always commits a
    // group, so every lane counts groups alike.
    const auto copy_next = [&](int stage) {
        if (copy_pair < n_pairs) {
            const uint32_t dst = ring + stage * S::kStageBytes;
            const int quant_offset = copy_block * kQuantBytes;
#pragma unroll
            for (int jr = 0; jr < RT; ++jr) {
#pragma unroll
                for (int cc = 0; cc < kWeightChunks / 2; ++cc)
                    copy_async_16(dst + quant_dst[cc] + jr * kTileRows * kWeightChunks * kChunk,
                                  weight_src[jr] + quant_offset + (2 * cc + lane % 2) * kChunk);
                if (lane % 2 == 0)
                    copy_async_4(dst + S::kWeightScaleOffset + (lane / 2 + kTileRows * jr) * 4,
                                 weight_src[jr] + weight_scale_bytes + copy_block * 2);
            }
#pragma unroll
            for (int jt = 0; jt < NT; ++jt)
                copy_async_16(dst + act_dst + jt * kTileTokens * 4 * kChunk, act_src[jt] + copy_block * 32);
            if (lane < S::kTokens) copy_async_16(dst + S::kActScaleOffset + lane * 16, act_scale_src + copy_block * 2);
            ++copy_pair;
            copy_block = copy_pair == pairs0 ? 4 * warp + 2 : copy_block + 32;
        }
        copy_async_commit();
    };

    // Adds the stage's two blocks to the chains: acc[rt][nt][e] is C element e of tile (rt, nt)
    // (rows g / g + 8, tokens 2q / 2q + 1). Block h = 0, then 1 (each chain's order); within a
    // block the weight fragments of every row tile stay in registers while the token tiles'
    // fragments are read one at a time, which keeps the live registers few (no spills at 128).
    const uint8_t* stage_bytes = shared + S::kSumBytes + static_cast<size_t>(warp) * kStages * S::kStageBytes;
    const int start[4] = {kExactIntBiasBits, kExactIntBiasBits, kExactIntBiasBits, kExactIntBiasBits};
    // 0x80808080, from a value ptxas cannot fold (n_tokens > 0), so it stays in a register.
    const uint32_t sign_bits = 0x80808080u * static_cast<uint32_t>(n_tokens > 0);
    const auto add_pair = [&](int stage, float (&acc)[RT][NT][4]) {
        const uint32_t base = ring + stage * S::kStageBytes;
        const uint8_t* bytes = stage_bytes + stage * S::kStageBytes;
        uint32_t scale_pairs[RT][2];  // f16 scales of blocks 0 and 1 of rows g, g + 8
#pragma unroll
        for (int rt = 0; rt < RT; ++rt)
#pragma unroll
            for (int half = 0; half < 2; ++half)
                scale_pairs[rt][half] = *reinterpret_cast<const uint32_t*>(
                    bytes + S::kWeightScaleOffset + (rt * kTileRows + g + 8 * half) * 4);
#pragma unroll
        for (int h = 0; h < 2; ++h) {
            int a[RT][4];     // int8 weights of rows g, g + 8 (bytes 4q.., then 16 + 4q..)
            float dw[RT][2];  // scales of rows g, g + 8
#pragma unroll
            for (int rt = 0; rt < RT; ++rt) {
                const uint32_t frag = base + weight_frag[h] + rt * kTileRows * kWeightChunks * kChunk;
                if constexpr (T == GgmlType::Q4_0) {
                    uint32_t w[2];  // rows g, g + 8 of block h (4-bit codes; lanes 0-15 address)
                    load_matrix_x2(w, frag);
                    a[rt][0] = q4_0_signed_high_nibbles(w[0], false, sign_bits);
                    a[rt][2] = q4_0_signed_high_nibbles(w[0], true, sign_bits);
                    a[rt][1] = q4_0_signed_high_nibbles(w[1], false, sign_bits);
                    a[rt][3] = q4_0_signed_high_nibbles(w[1], true, sign_bits);
                } else {
                    uint32_t r[4];  // rows g, g + 8 of bytes 0..15, then of bytes 16..31
                    load_matrix_x4(r, frag);
#pragma unroll
                    for (int i = 0; i < 4; ++i) a[rt][i] = static_cast<int>(r[i]);
                }
#pragma unroll
                for (int half = 0; half < 2; ++half)
                    dw[rt][half] = half_bits_to_float(
                        static_cast<uint16_t>(h == 0 ? scale_pairs[rt][half] : scale_pairs[rt][half] >> 16));
            }
#pragma unroll
            for (int nt = 0; nt < NT; ++nt) {
                uint32_t b[2];  // block h's b0, b1 of token tile nt (lanes 0-15 address)
                load_matrix_x2(b, base + act_frag[h] + nt * kTileTokens * 4 * kChunk);
                float dx[2], neg_bias_dx[2];  // tokens 2q, 2q + 1
#pragma unroll
                for (int e = 0; e < 2; ++e) {
                    dx[e] = reinterpret_cast<const float*>(bytes + S::kActScaleOffset +
                                                           (nt * kTileTokens + 2 * q + e) * 16)[2 * h];
                    neg_bias_dx[e] = neg_bias_times(dx[e]);
                }
#pragma unroll
                for (int rt = 0; rt < RT; ++rt) {
                    int dot[4];
                    mma_s8(dot, a[rt], b[0], b[1], start);
#pragma unroll
                    for (int e = 0; e < 4; ++e)
                        acc[rt][nt][e] =
                            add_term(acc[rt][nt][e], block_term(dot[e], dw[rt][e / 2], dx[e % 2], neg_bias_dx[e % 2]));
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

    // Pair i sits in stage i % kStages; its copy goes out kStages - 1 pairs ahead of its use.
#pragma unroll
    for (int s = 0; s < kStages - 1; ++s) copy_next(s);
    int ended = 0;  // leaves ended
#pragma unroll 1
    for (int i0 = 0; i0 < n_pairs; i0 += kStages) {
#pragma unroll
        for (int s = 0; s < kStages; ++s) {
            const int i = i0 + s;
            if (i < n_pairs) {
                copy_async_wait<kStages - 2>();  // pair i has landed (this lane's copies)
                __syncwarp();                    // ... and every lane's; pair i - 1's stage is free
                copy_next((s + kStages - 1) % kStages);
                add_pair(s, acc);
                if (i == pairs0 - 1 || i == n_pairs - 1) end_leaf(ended++);
            }
        }
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
        r.y[token * r.n_out + r.row] = v[0] * (1.0f / kCodeScale<T>);
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
        launch_kernel(gemv_mma_kernel<T, S>, grid, S::W * kLanes, S::kSharedBytes, stream, targets, rows, row_bytes, k,
                      n_tokens, xq, xs);
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
