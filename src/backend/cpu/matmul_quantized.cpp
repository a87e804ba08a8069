#include "backend/cpu/matmul_quantized.h"

#include "util/error.h"

namespace rocmforge::backend::cpu {

// Placeholder until the quantization layer provides kernels: only F32/F16 weights multiply.
void matmul_quantized(const tensor::Tensor& w, const float*, int64_t, float*, ThreadPool&) {
    throw_error("matmul", "weight type {} is not supported by the CPU backend", gguf::ggml_type_name(w.dtype));
}

}  // namespace rocmforge::backend::cpu
