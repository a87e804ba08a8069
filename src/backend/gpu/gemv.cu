#include "backend/gpu/dequant.cuh"
#include "backend/gpu/gemv.cuh"

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
            const float w = ElementReader<T>::get(row, i);
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

// One 32-element block per lane and step: Q8_0 (34 bytes) and Q4_0 (18 bytes), read as 16-bit
// words (blocks are 2-byte aligned). q[j] is element j of the block as an integer; the block's
// sum is d * sum_j q[j] * x[j] (Q4_0: q - 8).
template <GgmlType T>
struct BlockRowDot {
    static constexpr int kBlockBytes = T == GgmlType::Q8_0 ? 34 : 18;
    template <int NT>
    static __device__ __forceinline__ void run(const uint8_t* row, const float* x, int64_t k, int lane, float* acc) {
        const int64_t n_blocks = k / 32;
        for (int64_t b = lane; b < n_blocks; b += WARP_SIZE) {
            const auto* words = reinterpret_cast<const uint16_t*>(row + b * kBlockBytes);
            const float d = half_bits_to_float(words[0]);
            float q[32];
            if constexpr (T == GgmlType::Q8_0) {
#pragma unroll
                for (int j = 0; j < 16; ++j) {
                    const uint16_t u = words[1 + j];
                    q[2 * j] = static_cast<float>(static_cast<int8_t>(u & 0xFF));
                    q[2 * j + 1] = static_cast<float>(static_cast<int8_t>(u >> 8));
                }
            } else {
#pragma unroll
                for (int j = 0; j < 8; ++j) {
                    const uint16_t u = words[1 + j];
                    const int b0 = u & 0xFF, b1 = u >> 8;  // qs[2j], qs[2j+1]
                    q[2 * j] = static_cast<float>((b0 & 0xF) - 8);
                    q[2 * j + 1] = static_cast<float>((b1 & 0xF) - 8);
                    q[2 * j + 16] = static_cast<float>((b0 >> 4) - 8);
                    q[2 * j + 17] = static_cast<float>((b1 >> 4) - 8);
                }
            }
#pragma unroll
            for (int t = 0; t < NT; ++t) {
                const float4* xb = reinterpret_cast<const float4*>(x + t * k + b * 32);
                float sum = 0.0f;
#pragma unroll
                for (int j = 0; j < 8; ++j) {
                    const float4 xv = xb[j];
                    sum += q[4 * j] * xv.x + q[4 * j + 1] * xv.y + q[4 * j + 2] * xv.z + q[4 * j + 3] * xv.w;
                }
                acc[t] += d * sum;
            }
        }
    }
};

// PRECOND: blockDim.x == kThreads; gridDim.y * NT tokens starting at x, y.
template <typename Dot, int NT>
__global__ void __launch_bounds__(kThreads) gemv_kernel(const uint8_t* w, size_t row_bytes, int64_t k, int64_t n_out,
                                                        const float* x, float* y) {
    const int warp = threadIdx.x / WARP_SIZE, lane = threadIdx.x % WARP_SIZE;
    const int64_t row = static_cast<int64_t>(blockIdx.x) * (kThreads / WARP_SIZE) + warp;
    if (row >= n_out) return;  // whole warps leave; no block-wide barrier follows
    const int64_t t0 = static_cast<int64_t>(blockIdx.y) * NT;
    float acc[NT] = {};
    Dot::template run<NT>(w + row * row_bytes, x + t0 * k, k, lane, acc);
#pragma unroll
    for (int t = 0; t < NT; ++t) {
        const float sum = warp_sum(acc[t]);
        if (lane == 0) y[(t0 + t) * n_out + row] = sum;
    }
}

template <typename Dot, int NT>
void launch_group(const WeightView& w, const float* x, int64_t n_groups, float* y, int warp_size, gpuStream_t s) {
    if (n_groups == 0) return;
    const dim3 grid(ceil_div(w.n_rows, kThreads / warp_size), static_cast<unsigned>(n_groups));
    gemv_kernel<Dot, NT><<<grid, kThreads, 0, s>>>(static_cast<const uint8_t*>(w.data), w.row_bytes, w.k, w.n_rows,
                                                   x, y);
    GPU_CHECK_LAUNCH();
}

// Tokens in groups of 8, then 4, 2, 1 for the remainder.
template <typename Dot>
void launch_all(const WeightView& w, const float* x, int64_t n_tokens, float* y, int warp_size, gpuStream_t s) {
    int64_t t = 0;
    const int64_t n8 = n_tokens / 8;
    launch_group<Dot, 8>(w, x, n8, y, warp_size, s);
    t += n8 * 8;
    for (int nt : {4, 2, 1}) {
        if (n_tokens - t < nt) continue;
        const float* xt = x + t * w.k;
        float* yt = y + t * w.n_rows;
        if (nt == 4) launch_group<Dot, 4>(w, xt, 1, yt, warp_size, s);
        if (nt == 2) launch_group<Dot, 2>(w, xt, 1, yt, warp_size, s);
        if (nt == 1) launch_group<Dot, 1>(w, xt, 1, yt, warp_size, s);
        t += nt;
    }
}

}  // namespace

void launch_gemv(const WeightView& w, const float* x, int64_t n_tokens, float* y, int warp_size, StreamHandle stream) {
    if (n_tokens == 0 || w.n_rows == 0) return;
    const auto s = static_cast<gpuStream_t>(stream);
    const bool x_aligned = reinterpret_cast<uintptr_t>(x) % 16 == 0;
    const bool vec_ok = w.k % 8 == 0 && w.row_bytes % 16 == 0 && reinterpret_cast<uintptr_t>(w.data) % 16 == 0 && x_aligned;
    const bool block_ok = w.k % 32 == 0 && reinterpret_cast<uintptr_t>(w.data) % 2 == 0 && x_aligned;
    switch (w.type) {
        case GgmlType::F32:
            return vec_ok ? launch_all<FloatRowDot<GgmlType::F32>>(w, x, n_tokens, y, warp_size, s)
                          : launch_all<RowDot<GgmlType::F32>>(w, x, n_tokens, y, warp_size, s);
        case GgmlType::F16:
            return vec_ok ? launch_all<FloatRowDot<GgmlType::F16>>(w, x, n_tokens, y, warp_size, s)
                          : launch_all<RowDot<GgmlType::F16>>(w, x, n_tokens, y, warp_size, s);
        case GgmlType::BF16:
            return vec_ok ? launch_all<FloatRowDot<GgmlType::BF16>>(w, x, n_tokens, y, warp_size, s)
                          : launch_all<RowDot<GgmlType::BF16>>(w, x, n_tokens, y, warp_size, s);
        case GgmlType::Q8_0:
            return block_ok ? launch_all<BlockRowDot<GgmlType::Q8_0>>(w, x, n_tokens, y, warp_size, s)
                          : launch_all<RowDot<GgmlType::Q8_0>>(w, x, n_tokens, y, warp_size, s);
        case GgmlType::Q4_0:
            return block_ok ? launch_all<BlockRowDot<GgmlType::Q4_0>>(w, x, n_tokens, y, warp_size, s)
                          : launch_all<RowDot<GgmlType::Q4_0>>(w, x, n_tokens, y, warp_size, s);
        case GgmlType::Q4_K: return launch_all<RowDot<GgmlType::Q4_K>>(w, x, n_tokens, y, warp_size, s);
        case GgmlType::Q6_K: return launch_all<RowDot<GgmlType::Q6_K>>(w, x, n_tokens, y, warp_size, s);
        default: throw_gpu_error("gemv", "weight type without a GPU kernel", __FILE__, __LINE__);
    }
}

}  // namespace rocmforge::backend::gpu
