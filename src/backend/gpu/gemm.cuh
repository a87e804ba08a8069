#pragma once
// Prefill GEMM on f16 operands with f32 accumulation:
//   y[:, r] (+)= W · x[:, r]   W: [k, n_out] f16, x: [k, rows] f16, y: [n_out, rows] f32 (device)
// CUDA: cuBLAS (cublasGemmEx, tensor cores, CUBLAS_COMPUTE_32F). HIP: a simple shared-memory
// tiled kernel (so the HIP build needs no hipBLAS). The tiled kernel is built on CUDA too and
// chosen there with ROCMFORGE_GPU_GEMM=tiled (to test the HIP path on NVIDIA).
#include "backend/gpu/device.h"

#include <cstdint>

namespace rocmforge::backend::gpu {

class Gemm {
public:
    explicit Gemm(StreamHandle stream);
    ~Gemm();
    Gemm(const Gemm&) = delete;
    Gemm& operator=(const Gemm&) = delete;

    void f16(const uint16_t* w, const uint16_t* x, float* y, int64_t k, int64_t n_out, int64_t rows, bool accumulate);
    const char* name() const { return use_tiled_ ? "tiled" : "cublas"; }

private:
    StreamHandle stream_;
    void* blas_ = nullptr;  // cublasHandle_t on CUDA
    bool use_tiled_ = true;
};

}  // namespace rocmforge::backend::gpu
