#include "backend/gpu/dequant.cuh"
#include "backend/gpu/gemv.cuh"
#include "backend/gpu/gemv_mma.cuh"
#include "backend/gpu/gemv_rows.cuh"
#include "backend/gpu/weight_layout.h"

#include <span>
#include <type_traits>

namespace rocmforge::backend::gpu {
namespace {

using gguf::GgmlType;
constexpr int kThreads = 128;

// acc[t] += row · x[t] over this lane's share of the row. Generic: element by element.
template <GgmlType T>
struct RowDot {
    template <int NT>
    static __device__ __forceinline__ void run(const uint8_t* row, const float* x, int64_t k, int lane, float* acc) {
        for (int64_t i = lane; i < k; i += WARP_SIZE) {
            const float w = ElementReader<T>::get(row, i, k);
#pragma unroll
            for (int t = 0; t < NT; ++t) acc[t] += w * x[t * k + i];
        }
    }
};

// 8 consecutive values per lane and step. PRECOND (checked by the launcher): k % 8 == 0 and
// rows 16-byte aligned.
template <GgmlType T>
struct FloatRowDot {
    static __device__ __forceinline__ void load8(const uint8_t* row, int64_t i, float* w) {
        if constexpr (T == GgmlType::F32) {
            const float4 a = *reinterpret_cast<const float4*>(row + i * 4);
            const float4 b = *reinterpret_cast<const float4*>(row + i * 4 + 16);
            w[0] = a.x, w[1] = a.y, w[2] = a.z, w[3] = a.w, w[4] = b.x, w[5] = b.y, w[6] = b.z, w[7] = b.w;
        } else {
            const uint4 u = *reinterpret_cast<const uint4*>(row + i * 2);
            const uint32_t words[4] = {u.x, u.y, u.z, u.w};
#pragma unroll
            for (int j = 0; j < 4; ++j) {
                const uint16_t lo = static_cast<uint16_t>(words[j] & 0xFFFFu), hi = static_cast<uint16_t>(words[j] >> 16);
                if constexpr (T == GgmlType::F16) {
                    w[2 * j] = half_bits_to_float(lo), w[2 * j + 1] = half_bits_to_float(hi);
                } else {
                    w[2 * j] = bf16_bits_to_float(lo), w[2 * j + 1] = bf16_bits_to_float(hi);
                }
            }
        }
    }
    template <int NT>
    static __device__ __forceinline__ void run(const uint8_t* row, const float* x, int64_t k, int lane, float* acc) {
#pragma unroll 4
        for (int64_t i = lane * 8; i < k; i += WARP_SIZE * 8) {
            float w[8];
            load8(row, i, w);
#pragma unroll
            for (int t = 0; t < NT; ++t) {
                const float4 a = *reinterpret_cast<const float4*>(x + t * k + i);
                const float4 b = *reinterpret_cast<const float4*>(x + t * k + i + 4);
                acc[t] += w[0] * a.x + w[1] * a.y + w[2] * a.z + w[3] * a.w + w[4] * b.x + w[5] * b.y + w[6] * b.z +
                          w[7] * b.w;
            }
        }
    }
};

// y[(t0 + t) * n_out + row] = the warp's sum of acc[t], for each of the NT tokens.
template <int NT>
__device__ __forceinline__ void store_row_sums(const float* acc, int lane, float* y, int64_t t0, int64_t n_out,
                                               int64_t row) {
#pragma unroll
    for (int t = 0; t < NT; ++t) {
        const float total = warp_sum(acc[t]);
        if (lane == 0) y[(t0 + t) * n_out + row] = total;
    }
}

// PRECOND: blockDim.x == kThreads; gridDim.y * NT tokens starting at x, y.
template <typename Dot, int NT>
__global__ void __launch_bounds__(kThreads) gemv_kernel(const uint8_t* w, size_t row_bytes, int64_t k, int64_t n_out,
                                                        const float* x, float* y) {
    const int warp = threadIdx.x / WARP_SIZE, lane = threadIdx.x % WARP_SIZE;
    const int64_t row = static_cast<int64_t>(blockIdx.x) * (kThreads / WARP_SIZE) + warp;
    enter_kernel();
    if (row >= n_out) return;  // whole warps leave; no block-wide barrier follows
    const int64_t t0 = static_cast<int64_t>(blockIdx.y) * NT;
    float acc[NT] = {};
    Dot::template run<NT>(w + row * row_bytes, x + t0 * k, k, lane, acc);
    store_row_sums<NT>(acc, lane, y, t0, n_out, row);
}

// This warp's row of the launch (the whole warp leaves when it is not valid; no block-wide barrier
// follows).
__device__ __forceinline__ GemvRow warp_row(const GemvTargets& targets, size_t row_bytes) {
    const int64_t global = static_cast<int64_t>(blockIdx.x) * (kThreads / WARP_SIZE) + threadIdx.x / WARP_SIZE;
    return locate_row(targets, global, row_bytes);
}

// One lane's 32-element block of a split-layout Q4_0 / Q8_0 row: its quant bytes and f16 scale.
template <GgmlType T>
struct SplitBlock {
    uint4 quants[kSplitQuantBytes<T> / 16];
    uint16_t scale;
};
template <GgmlType T>
__device__ __forceinline__ SplitBlock<T> load_split_block(const uint8_t* quants, const uint16_t* scales, int64_t b) {
    SplitBlock<T> block;
#pragma unroll
    for (int i = 0; i < kSplitQuantBytes<T> / 16; ++i)
        block.quants[i] = *reinterpret_cast<const uint4*>(quants + b * kSplitQuantBytes<T> + 16 * i);
    block.scale = scales[b];
    return block;
}

// Whether a lane loads the next step's weights before computing its step (and its first step's
// before waiting for the previous kernel: no kernel writes weights). Measured on the H200 (tg128,
// 7B): Q8_0 +8%; Q4_0 -3% (the registers it takes cost occupancy), so Q4_0 loads at use.
template <GgmlType T>
constexpr bool kLoadAhead = T == GgmlType::Q8_0;

// Steps whose weights a lane loads together before computing any of them, where more than one
// (otherwise the compiler keeps each step's loads next to their use: one memory latency per
// step). The first batch is loaded before waiting for the previous kernel. Measured on the H200
// (7B, tg128): Q4_0 one token +4.5% with 2 (40 registers, as with 1), +1.5% with 4 (56
// registers); Q8_0 -3% with 2 or 4 against kLoadAhead; 4 tokens (Q4_0 --batch 4) -5% with 2.
template <GgmlType T, int NT>
constexpr int kStepsInFlight = T == GgmlType::Q4_0 && NT == 1 ? 2 : 1;

// One step of gemv_q8_kernel: the lane's block (index b, clamped to the row) of the blocks from
// step0 on, against NT tokens, added to the leaves' chains in acc.
template <GgmlType T, int NT>
__device__ __forceinline__ void gemv_q8_step(const SplitBlock<T>& block, int64_t step0, int64_t b, int64_t n_blocks,
                                             int64_t k, const int8_t* xq, const float* xs, int lane, int leaf,
                                             float (&acc)[NT]) {
    constexpr int kLanesPerLeaf = WARP_SIZE / kGemvLeaves;
    int wq[8];  // the block's 32 weights as signed bytes, in element order
    if constexpr (T == GgmlType::Q4_0) {
        const uint4 u = block.quants[0];
        const uint32_t words[4] = {u.x, u.y, u.z, u.w};
#pragma unroll
        for (int j = 0; j < 4; ++j) {
            wq[j] = static_cast<int>(words[j] & 0x0F0F0F0Fu);
            wq[4 + j] = static_cast<int>((words[j] >> 4) & 0x0F0F0F0Fu);
        }
    } else {
        const uint4 u0 = block.quants[0], u1 = block.quants[1];
        wq[0] = static_cast<int>(u0.x), wq[1] = static_cast<int>(u0.y), wq[2] = static_cast<int>(u0.z);
        wq[3] = static_cast<int>(u0.w), wq[4] = static_cast<int>(u1.x), wq[5] = static_cast<int>(u1.y);
        wq[6] = static_cast<int>(u1.z), wq[7] = static_cast<int>(u1.w);
    }
    const float dw = half_bits_to_float(block.scale);
#pragma unroll
    for (int t = 0; t < NT; ++t) {
        const int4 a = *reinterpret_cast<const int4*>(xq + t * k + b * 32);
        const int4 c = *reinterpret_cast<const int4*>(xq + t * k + b * 32 + 16);
        const float2 sx = *reinterpret_cast<const float2*>(xs + (t * n_blocks + b) * 2);  // {d, Σ q}
        // Two chains of four products, then one add: the same integer (exact), half the
        // dependent latency.
        int dot = gpu_dp4a(wq[0], a.x, biased_dot_start<T>(sx.y));
        int dot_hi = gpu_dp4a(wq[4], c.x, 0);
        dot = gpu_dp4a(wq[1], a.y, dot);
        dot_hi = gpu_dp4a(wq[5], c.y, dot_hi);
        dot = gpu_dp4a(wq[2], a.z, dot);
        dot_hi = gpu_dp4a(wq[6], c.z, dot_hi);
        dot = gpu_dp4a(wq[3], a.w, dot);
        dot_hi = gpu_dp4a(wq[7], c.w, dot_hi);
        const float2 term = block_term(dot + dot_hi, dw, sx.x, neg_bias_times(sx.x));
        if constexpr (kLanesPerLeaf == 2) {  // lanes 2j and 2j + 1: one exchange
            const float2 other = make_float2(gpu_shfl_xor(term.x, 1), gpu_shfl_xor(term.y, 1));
            const bool even = lane % 2 == 0;
            if (step0 + 2 * leaf < n_blocks) acc[t] = add_term(acc[t], even ? term : other);
            if (step0 + 2 * leaf + 1 < n_blocks) acc[t] = add_term(acc[t], even ? other : term);
        } else {
#pragma unroll
            for (int p = 0; p < kLanesPerLeaf; ++p) {  // the leaf's blocks of this step, in order
                const int from = 32 * (p / 2) + 2 * leaf + p % 2;
                const float2 other = make_float2(gpu_shfl(term.x, from), gpu_shfl(term.y, from));
                if (step0 + from < n_blocks) acc[t] = add_term(acc[t], other);
            }
        }
    }
}

// Split-layout Q4_0 / Q8_0 rows (weight_layout.h) against int8 activations (quantize_q8.cuh), in
// the leaf order of gemv_rows.cuh: one warp per row, one 32-element block per lane and step (lane
// l takes blocks l, l + WARP_SIZE, ...: 16-byte loads, contiguous across the warp), integer dot
// products (dp4a); leaf j's blocks of a step sit in lanes 2j, 2j + 1 (and on wave64 2j + 32,
// 2j + 33), whose terms the leaf's lanes add to its chain in that order (each keeps the same
// chain); the leaves then meet in a butterfly, adjacent first. Steps run in order, alone or in
// batches (kStepsInFlight).
// PRECOND: blockDim.x == kThreads; rows 16-byte aligned; gridDim.y * NT tokens from xq, y.
template <GgmlType T, int NT>
__global__ void __launch_bounds__(kThreads) gemv_q8_kernel(GemvTargets targets, size_t row_bytes, int64_t k,
                                                           const int8_t* xq, const float* xs) {
    constexpr int U = kStepsInFlight<T, NT>;
    const int lane = threadIdx.x % WARP_SIZE, leaf = lane / 2 % kGemvLeaves;
    const GemvRow target = warp_row(targets, row_bytes);
    const int64_t n_blocks = k / 32;
    const uint8_t* quants = target.w;
    const auto* scales = reinterpret_cast<const uint16_t*>(quants + n_blocks * kSplitQuantBytes<T>);
    // A block past the row's end is read clamped and adds nothing.
    const auto lane_block = [&](int64_t step0) { return step0 + lane < n_blocks ? step0 + lane : n_blocks - 1; };
    const int64_t t0 = static_cast<int64_t>(blockIdx.y) * NT;
    xq += t0 * k;
    xs += t0 * n_blocks * 2;
    float acc[NT] = {};
    // Every lane runs every step (the shuffles need the whole warp).
    if constexpr (U > 1) {
        const auto load_batch = [&](int64_t batch0, SplitBlock<T> (&blocks)[U]) {
#pragma unroll
            for (int u = 0; u < U; ++u)
                blocks[u] = load_split_block<T>(quants, scales, lane_block(batch0 + u * WARP_SIZE));
        };
        SplitBlock<T> batch[U];
        if (target.valid) load_batch(0, batch);
        enter_kernel();
        if (!target.valid) return;
        for (int64_t batch0 = 0; batch0 < n_blocks; batch0 += U * WARP_SIZE) {
            if (batch0 > 0) load_batch(batch0, batch);
#pragma unroll
            for (int u = 0; u < U; ++u) {
                const int64_t step0 = batch0 + u * WARP_SIZE;
                gemv_q8_step<T, NT>(batch[u], step0, lane_block(step0), n_blocks, k, xq, xs, lane, leaf, acc);
            }
        }
    } else {
        SplitBlock<T> next{};
        if (kLoadAhead<T> && target.valid) next = load_split_block<T>(quants, scales, lane_block(0));
        enter_kernel();
        if (!target.valid) return;
#pragma unroll 4
        for (int64_t step0 = 0; step0 < n_blocks; step0 += WARP_SIZE) {
            const int64_t b = lane_block(step0);
            SplitBlock<T> block;
            if constexpr (kLoadAhead<T>) {
                block = next;
                if (step0 + WARP_SIZE < n_blocks)
                    next = load_split_block<T>(quants, scales, lane_block(step0 + WARP_SIZE));
            } else {
                block = load_split_block<T>(quants, scales, b);
            }
            gemv_q8_step<T, NT>(block, step0, b, n_blocks, k, xq, xs, lane, leaf, acc);
        }
    }
#pragma unroll
    for (int t = 0; t < NT; ++t) {
        float v = acc[t];
#pragma unroll
        for (int offset = 2; offset < 2 * kGemvLeaves; offset *= 2) v = v + gpu_shfl_xor(v, offset);
        if (lane == 0) target.y[(t0 + t) * target.n_out + target.row] = v;
    }
}

// An integer in [0, 2^22) as f32 without an int-to-float conversion (a slow instruction on
// NVIDIA): its bits placed under the exponent of 2^23, then 2^23 taken away (exact).
__device__ __forceinline__ float small_uint_to_float(uint32_t v) {
    return __fsub_rn(__uint_as_float(0x4B000000u | v), 8388608.0f);
}

// Q4_K rows (GGUF layout: 144-byte blocks of 256, 16-byte aligned) against int8 activations: one
// 64-element chunk per lane and step (32 quant bytes = two 16-byte loads: low nibbles are
// sub-block 2c, high nibbles sub-block 2c + 1) and the block's 16-byte header (d, dmin, the 12
// bytes of 6-bit scales and mins) in one more load. Per 32-element sub-block s with scale sc_s and
// min m_s: d_x * (d * sc_s * Σ q q_x − dmin * m_s * Σ q_x). Lane l always takes chunk c = l % 4 of
// its blocks (WARP_SIZE is a multiple of 4), so which header bytes it decodes is fixed per lane.
// PRECOND: as gemv_q8_kernel, k % 256 == 0.
template <int NT>
__global__ void __launch_bounds__(kThreads) gemv_q4k_kernel(GemvTargets targets, size_t row_bytes, int64_t k,
                                                            const int8_t* xq, const float* xs) {
    const int lane = threadIdx.x % WARP_SIZE;
    const GemvRow target = warp_row(targets, row_bytes);
    enter_kernel();
    if (!target.valid) return;
    const int64_t t0 = static_cast<int64_t>(blockIdx.y) * NT, n_x_blocks = k / 32, n_units = k / 64;
    const uint8_t* row_ptr = target.w;
    xq += t0 * k;
    xs += t0 * n_x_blocks * 2;
    // Scale bytes j = 2 (c % 2) and j + 1 of each 4-byte group of the header: for c < 2 (sub-blocks
    // 2c, 2c + 1 < 4) sc = byte j & 63 of scales[0..3], m = byte j & 63 of scales[4..7]; for c >= 2
    // (sub-blocks 4..7) the low 4 bits come from scales[8..11] and the top 2 from bits 6-7 of
    // scales[0..3] (sc) or scales[4..7] (m).
    const int c = lane % 4;
    const int pair_shift = 16 * (c % 2);
    const bool high_subblocks = c >= 2;
    float acc[NT] = {};
#pragma unroll 2
    for (int64_t u = lane; u < n_units; u += WARP_SIZE) {
        const int64_t b = u / 4;
        const uint8_t* block = row_ptr + b * 144;
        const uint4 header = *reinterpret_cast<const uint4*>(block);
        const uint4 u0 = *reinterpret_cast<const uint4*>(block + 16 + 32 * c);
        const uint4 u1 = *reinterpret_cast<const uint4*>(block + 32 + 32 * c);
        const uint32_t s03 = (header.y >> pair_shift) & 0xFFFFu, s47 = (header.z >> pair_shift) & 0xFFFFu;
        const uint32_t s811 = (header.w >> pair_shift) & 0xFFFFu;
        // Two 6-bit values per 16-bit pair: sub-block 2c + 0 in the low byte, 2c + 1 in the high.
        const uint32_t sc_pair = high_subblocks ? (s811 & 0x0F0Fu) | ((s03 >> 2) & 0x3030u) : s03 & 0x3F3Fu;
        const uint32_t mn_pair = high_subblocks ? ((s811 >> 4) & 0x0F0Fu) | ((s47 >> 2) & 0x3030u) : s47 & 0x3F3Fu;
        const float d = half_bits_to_float(static_cast<uint16_t>(header.x & 0xFFFFu));
        const float dmin = half_bits_to_float(static_cast<uint16_t>(header.x >> 16));
        // d * sc and dmin * m are exact in f32 (11-bit by 6-bit significands).
        const float dsc0 = __fmul_rn(d, small_uint_to_float(sc_pair & 0xFFu));
        const float dsc1 = __fmul_rn(d, small_uint_to_float(sc_pair >> 8));
        const float dmn0 = __fmul_rn(dmin, small_uint_to_float(mn_pair & 0xFFu));
        const float dmn1 = __fmul_rn(dmin, small_uint_to_float(mn_pair >> 8));
        const uint32_t words[8] = {u0.x, u0.y, u0.z, u0.w, u1.x, u1.y, u1.z, u1.w};
        int lo[8], hi[8];
#pragma unroll
        for (int j = 0; j < 8; ++j) {
            lo[j] = static_cast<int>(words[j] & 0x0F0F0F0Fu);
            hi[j] = static_cast<int>((words[j] >> 4) & 0x0F0F0F0Fu);
        }
        const int64_t e0 = b * 256 + c * 64;  // first element of the chunk
#pragma unroll
        for (int t = 0; t < NT; ++t) {
            const int4* xv = reinterpret_cast<const int4*>(xq + t * k + e0);
            const int4 a0 = xv[0], a1 = xv[1], a2 = xv[2], a3 = xv[3];
            // Each sub-block's dot starts from the bits of 1.5 * 2^23 (|dot| <= 32 * 15 * 127 < 2^22:
            // the sum's f32 is the biased value, see gemv_rows.cuh).
            int dot0 = gpu_dp4a(lo[0], a0.x, kExactIntBiasBits), dot1 = gpu_dp4a(hi[0], a2.x, kExactIntBiasBits);
            dot0 = gpu_dp4a(lo[1], a0.y, dot0), dot1 = gpu_dp4a(hi[1], a2.y, dot1);
            dot0 = gpu_dp4a(lo[2], a0.z, dot0), dot1 = gpu_dp4a(hi[2], a2.z, dot1);
            dot0 = gpu_dp4a(lo[3], a0.w, dot0), dot1 = gpu_dp4a(hi[3], a2.w, dot1);
            dot0 = gpu_dp4a(lo[4], a1.x, dot0), dot1 = gpu_dp4a(hi[4], a3.x, dot1);
            dot0 = gpu_dp4a(lo[5], a1.y, dot0), dot1 = gpu_dp4a(hi[5], a3.y, dot1);
            dot0 = gpu_dp4a(lo[6], a1.z, dot0), dot1 = gpu_dp4a(hi[6], a3.z, dot1);
            dot0 = gpu_dp4a(lo[7], a1.w, dot0), dot1 = gpu_dp4a(hi[7], a3.w, dot1);
            const float fdot0 = __fsub_rn(__int_as_float(dot0), kExactIntBias);
            const float fdot1 = __fsub_rn(__int_as_float(dot1), kExactIntBias);
            const float4 sx = *reinterpret_cast<const float4*>(xs + (t * n_x_blocks + e0 / 32) * 2);  // {d, sum} x 2
            // Explicit roundings: every token-group instantiation computes the same bits.
            const float part0 = __fmaf_rn(dsc0, fdot0, -__fmul_rn(dmn0, sx.y));
            const float part1 = __fmaf_rn(dsc1, fdot1, -__fmul_rn(dmn1, sx.w));
            acc[t] = __fadd_rn(acc[t], __fmaf_rn(sx.x, part0, __fmul_rn(sx.z, part1)));
        }
    }
    store_row_sums<NT>(acc, lane, target.y, t0, target.n_out, target.row);
}

// Tokens [t, n_tokens) (fewer than 8) as groups of 4, 2, 1.
template <typename Launch>
void launch_remainder(int64_t n_tokens, int64_t t, Launch& launch) {
    if (n_tokens - t >= 4) launch(std::integral_constant<int, 4>{}, t, 1), t += 4;
    if (n_tokens - t >= 2) launch(std::integral_constant<int, 2>{}, t, 1), t += 2;
    if (n_tokens - t >= 1) launch(std::integral_constant<int, 1>{}, t, 1);
}

// Tokens in groups of 8, then 4, 2, 1 for the remainder: launch(NT tag, first token, groups).
template <typename Launch>
void launch_token_groups(int64_t n_tokens, Launch&& launch) {
    const int64_t n8 = n_tokens / 8;
    if (n8 > 0) launch(std::integral_constant<int, 8>{}, 0, n8);
    launch_remainder(n_tokens, n8 * 8, launch);
}

template <typename Dot>
void launch_float(const WeightView& w, const float* x, int64_t n_tokens, float* y, int warp_size, gpuStream_t s) {
    launch_token_groups(n_tokens, [&](auto nt, int64_t t, int64_t n_groups) {
        constexpr int NT = decltype(nt)::value;
        const dim3 grid(ceil_div(w.n_rows, kThreads / warp_size), static_cast<unsigned>(n_groups));
        launch_kernel(gemv_kernel<Dot, NT>, grid, kThreads, 0, s, static_cast<const uint8_t*>(w.data), w.row_bytes, w.k,
                      w.n_rows, x + t * w.k, y + t * w.n_rows);
        GPU_CHECK_LAUNCH();
    });
}

// From this many tokens on, Q4_0/Q8_0 products run on tensor cores where the device has them (the
// same bits as the GEMV: gemv_rows.cuh's order).
constexpr int64_t kMmaMinTokens = 8;

template <GgmlType T>
void launch_q8(std::span<const WeightView> ws, std::span<float* const> ys, const Q8Activations& xq, int64_t n_tokens,
               GemvDevice device, gpuStream_t s) {
    const int64_t k = ws[0].k;
    GemvTargets targets{};
    targets.n = static_cast<int>(ws.size());
    int64_t rows = 0;
    for (int i = 0; i < targets.n; ++i) {
        targets.w[i] = static_cast<const uint8_t*>(ws[i].data);
        targets.n_out[i] = ws[i].n_rows;
        targets.row_end[i] = rows += ws[i].n_rows;
    }
    if constexpr (T != GgmlType::Q4_K) {
        if (device.tensor_cores && n_tokens >= kMmaMinTokens) {
            for (int i = 0; i < targets.n; ++i) targets.y[i] = ys[i];
            if (launch_gemv_mma<T>(targets, ws[0].row_bytes, k, n_tokens, xq.q, xq.scales, s)) return;
        }
    }
    launch_token_groups(n_tokens, [&](auto nt, int64_t t, int64_t n_groups) {
        constexpr int NT = decltype(nt)::value;
        GemvTargets shifted = targets;
        for (int i = 0; i < targets.n; ++i) shifted.y[i] = ys[i] + t * ws[i].n_rows;
        const dim3 grid(ceil_div(rows, kThreads / device.warp_size), static_cast<unsigned>(n_groups));
        const int8_t* q = xq.q + t * k;
        const float* scales = xq.scales + t * (k / 16);
        if constexpr (T == GgmlType::Q4_K)
            launch_kernel(gemv_q4k_kernel<NT>, grid, kThreads, 0, s, shifted, ws[0].row_bytes, k, q, scales);
        else
            launch_kernel(gemv_q8_kernel<T, NT>, grid, kThreads, 0, s, shifted, ws[0].row_bytes, k, q, scales);
        GPU_CHECK_LAUNCH();
    });
}

}  // namespace

bool gemv_tensor_cores(const DeviceInfo& info) {
    if (!gemv_mma_built() || info.vendor != "CUDA" || info.arch.rfind("sm_", 0) != 0) return false;
    return std::stoi(info.arch.substr(3)) >= 80;
}

bool gemv_reads_q8(const WeightView& w) {
    const bool type_ok = has_split_layout(w.type) || (w.type == GgmlType::Q4_K && w.k % 256 == 0);
    return type_ok && w.row_bytes % 16 == 0 && reinterpret_cast<uintptr_t>(w.data) % 16 == 0;
}

bool gemv_can_fuse(std::span<const WeightView> ws) {
    if (ws.empty() || ws.size() > kMaxGemvTargets) return false;
    for (const auto& w : ws)
        if (!gemv_reads_q8(w) || w.type != ws[0].type || w.k != ws[0].k) return false;
    return true;
}

void launch_gemv_fused(std::span<const WeightView> ws, std::span<float* const> ys, const Q8Activations& xq,
                       int64_t n_tokens, GemvDevice device, StreamHandle stream) {
    if (n_tokens == 0) return;
    if (!gemv_can_fuse(ws)) throw_gpu_error("gemv", "weights that cannot share one launch", __FILE__, __LINE__);
    const auto s = static_cast<gpuStream_t>(stream);
    switch (ws[0].type) {
        case GgmlType::Q4_0: return launch_q8<GgmlType::Q4_0>(ws, ys, xq, n_tokens, device, s);
        case GgmlType::Q8_0: return launch_q8<GgmlType::Q8_0>(ws, ys, xq, n_tokens, device, s);
        default: return launch_q8<GgmlType::Q4_K>(ws, ys, xq, n_tokens, device, s);
    }
}

void launch_gemv(const WeightView& w, const float* x, const Q8Activations* xq, int64_t n_tokens, float* y,
                 GemvDevice device, StreamHandle stream) {
    const int warp_size = device.warp_size;
    if (n_tokens == 0 || w.n_rows == 0) return;
    const auto s = static_cast<gpuStream_t>(stream);
    if (gemv_reads_q8(w)) {
        if (xq == nullptr) throw_gpu_error("gemv", "int8 activations missing for a Q4_0/Q8_0 weight", __FILE__, __LINE__);
        return launch_gemv_fused(std::span(&w, 1), std::span(&y, 1), *xq, n_tokens, device, stream);
    }
    const bool x_aligned = reinterpret_cast<uintptr_t>(x) % 16 == 0;
    const bool vec_ok = w.k % 8 == 0 && w.row_bytes % 16 == 0 && reinterpret_cast<uintptr_t>(w.data) % 16 == 0 && x_aligned;
    switch (w.type) {
        case GgmlType::F32:
            return vec_ok ? launch_float<FloatRowDot<GgmlType::F32>>(w, x, n_tokens, y, warp_size, s)
                          : launch_float<RowDot<GgmlType::F32>>(w, x, n_tokens, y, warp_size, s);
        case GgmlType::F16:
            return vec_ok ? launch_float<FloatRowDot<GgmlType::F16>>(w, x, n_tokens, y, warp_size, s)
                          : launch_float<RowDot<GgmlType::F16>>(w, x, n_tokens, y, warp_size, s);
        case GgmlType::BF16:
            return vec_ok ? launch_float<FloatRowDot<GgmlType::BF16>>(w, x, n_tokens, y, warp_size, s)
                          : launch_float<RowDot<GgmlType::BF16>>(w, x, n_tokens, y, warp_size, s);
        default: {  // every other type: f32 activations, the weights read element by element
            const bool ok = dispatch_weight_type(
                w.type, [&]<GgmlType T>() { launch_float<RowDot<T>>(w, x, n_tokens, y, warp_size, s); });
            if (!ok) throw_gpu_error("gemv", "weight type without a GPU kernel", __FILE__, __LINE__);
        }
    }
}

}  // namespace rocmforge::backend::gpu
