#include "backend/gpu/common.cuh"
#include "backend/gpu/gemm.cuh"

#include <cstdlib>
#include <cstring>

#if !defined(ROCMFORGE_HIP)
#include <cublas_v2.h>
#define BLAS_CHECK(call)                                                                                  \
    do {                                                                                                  \
        const cublasStatus_t blas_status_ = (call);                                                       \
        if (blas_status_ != CUBLAS_STATUS_SUCCESS)                                                        \
            ::rocmforge::backend::gpu::throw_gpu_error(#call, cublasGetStatusString(blas_status_), __FILE__, \
                                                       __LINE__);                                          \
    } while (0)
#endif

namespace rocmforge::backend::gpu {
namespace {

// 64x64 tile of y per block of 256 threads, k in steps of 16; each thread 4x4 outputs.
constexpr int kTile = 64, kStepK = 16, kThreads = 256;

__global__ void __launch_bounds__(kThreads) gemm_tiled_kernel(const uint16_t* w, const uint16_t* x, float* y,
                                                              int64_t k, int64_t n_out, int64_t rows, bool accumulate) {
    enter_kernel();
    __shared__ float w_sh[kStepK][kTile + 1];
    __shared__ float x_sh[kStepK][kTile + 1];
    const int tid = threadIdx.x, tx = tid % 16, ty = tid / 16;
    const int64_t o0 = static_cast<int64_t>(blockIdx.x) * kTile, r0 = static_cast<int64_t>(blockIdx.y) * kTile;
    float acc[4][4] = {};
    for (int64_t k0 = 0; k0 < k; k0 += kStepK) {
        // Each thread loads 4 of the 64x16 values of each tile.
        for (int e = tid; e < kTile * kStepK; e += kThreads) {
            const int row = e / kStepK, kk = e % kStepK;
            const int64_t kg = k0 + kk;
            const int64_t o = o0 + row, r = r0 + row;
            w_sh[kk][row] = (o < n_out && kg < k) ? half_bits_to_float(w[o * k + kg]) : 0.0f;
            x_sh[kk][row] = (r < rows && kg < k) ? half_bits_to_float(x[r * k + kg]) : 0.0f;
        }
        __syncthreads();
#pragma unroll
        for (int kk = 0; kk < kStepK; ++kk) {
            float a[4], b[4];
#pragma unroll
            for (int i = 0; i < 4; ++i) a[i] = w_sh[kk][tx + 16 * i], b[i] = x_sh[kk][ty + 16 * i];
#pragma unroll
            for (int i = 0; i < 4; ++i)
#pragma unroll
                for (int j = 0; j < 4; ++j) acc[i][j] += a[i] * b[j];
        }
        __syncthreads();
    }
#pragma unroll
    for (int i = 0; i < 4; ++i)
#pragma unroll
        for (int j = 0; j < 4; ++j) {
            const int64_t o = o0 + tx + 16 * i, r = r0 + ty + 16 * j;
            if (o < n_out && r < rows) {
                float* out = y + r * n_out + o;
                *out = accumulate ? *out + acc[i][j] : acc[i][j];
            }
        }
}

}  // namespace

Gemm::Gemm(StreamHandle stream) : stream_(stream) {
#if !defined(ROCMFORGE_HIP)
    const char* env = std::getenv("ROCMFORGE_GPU_GEMM");
    use_tiled_ = env != nullptr && std::strcmp(env, "tiled") == 0;
    if (!use_tiled_) {
        cublasHandle_t h = nullptr;
        BLAS_CHECK(cublasCreate(&h));
        BLAS_CHECK(cublasSetStream(h, static_cast<gpuStream_t>(stream)));
        blas_ = h;
    }
#endif
}

Gemm::~Gemm() {
#if !defined(ROCMFORGE_HIP)
    if (blas_ != nullptr) cublasDestroy(static_cast<cublasHandle_t>(blas_));
#endif
}

void Gemm::f16(const uint16_t* w, const uint16_t* x, float* y, int64_t k, int64_t n_out, int64_t rows,
               bool accumulate) {
    if (rows == 0 || n_out == 0) return;
#if !defined(ROCMFORGE_HIP)
    if (!use_tiled_) {
        // Column-major view: W is k x n_out (ld k), x is k x rows (ld k), y is n_out x rows (ld n_out).
        const float alpha = 1.0f, beta = accumulate ? 1.0f : 0.0f;
        BLAS_CHECK(cublasGemmEx(static_cast<cublasHandle_t>(blas_), CUBLAS_OP_T, CUBLAS_OP_N, static_cast<int>(n_out),
                                static_cast<int>(rows), static_cast<int>(k), &alpha, w, CUDA_R_16F, static_cast<int>(k),
                                x, CUDA_R_16F, static_cast<int>(k), &beta, y, CUDA_R_32F, static_cast<int>(n_out),
                                CUBLAS_COMPUTE_32F, CUBLAS_GEMM_DEFAULT));
        return;
    }
#endif
    const dim3 grid(ceil_div(n_out, kTile), ceil_div(rows, kTile));
    launch_kernel(gemm_tiled_kernel, grid, kThreads, 0, static_cast<gpuStream_t>(stream_), w, x, y, k, n_out, rows,
                  accumulate);
    GPU_CHECK_LAUNCH();
}

}  // namespace rocmforge::backend::gpu
