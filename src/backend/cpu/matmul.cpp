#include "backend/cpu/matmul.h"

#include "backend/cpu/dequantize_row.h"
#include "backend/cpu/matmul_batched.h"
#include "backend/cpu/matmul_quantized.h"

#include <vector>

namespace rocmforge::backend::cpu {

namespace {
// From this many tokens on, quantized weights are dequantized into packed f32 tiles (the
// dequantization is amortized over the tokens); below it, quant vec_dot kernels are faster.
constexpr int64_t kMinTokensForBatchedQuantized = 4;

bool is_float_type(gguf::GgmlType t) { return t == gguf::GgmlType::F32 || t == gguf::GgmlType::F16; }
}  // namespace

bool matmul_quantizes_activations(gguf::GgmlType weight_type, int64_t n_tokens) {
    return !is_float_type(weight_type) && n_tokens < kMinTokensForBatchedQuantized;
}

void matmul(const tensor::Tensor& w, const float* x, int64_t n_tokens, float* y, ThreadPool& pool) {
    if (matmul_quantizes_activations(w.dtype, n_tokens)) return matmul_quantized(w, x, n_tokens, y, pool);
    if (is_float_type(w.dtype) && n_tokens == 1) return matmul_vector_float(w, x, n_tokens, y, pool);
    matmul_batched(w, x, n_tokens, y, pool);
}

void matmul_reference(const tensor::Tensor& w, const float* x, int64_t n_tokens, float* y) {
    const int64_t k = w.ne[0];
    const int64_t n_out = w.ne[1];
    std::vector<float> row(static_cast<size_t>(k));
    for (int64_t r = 0; r < n_out; ++r) {
        dequantize_row(w, r, row.data());
        for (int64_t t = 0; t < n_tokens; ++t) {
            float sum = 0.0f;
            for (int64_t i = 0; i < k; ++i) sum += row[i] * x[t * k + i];
            y[t * n_out + r] = sum;
        }
    }
}

}  // namespace rocmforge::backend::cpu
