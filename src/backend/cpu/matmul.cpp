#include "backend/cpu/matmul.h"

#include "backend/cpu/dequantize_row.h"
#include "backend/cpu/matmul_batched.h"
#include "backend/cpu/matmul_quantized.h"

#include <vector>

namespace rocmforge::backend::cpu {

namespace {
// From this many tokens on, quantized weights in plain rows are dequantized into packed f32 tiles
// (the dequantization is amortized over the tokens); below it, quant vec_dot kernels are faster.
// Interleaved weights always use their integer kernels.
constexpr int64_t kMinTokensForBatchedQuantized = 4;

bool is_float_type(gguf::GgmlType t) { return t == gguf::GgmlType::F32 || t == gguf::GgmlType::F16; }
bool is_interleaved(const tensor::Tensor& w) { return w.layout == tensor::Layout::Interleaved8; }
}  // namespace

bool matmul_quantizes_activations(const tensor::Tensor& w, int64_t n_tokens) {
    return !is_float_type(w.dtype) && (n_tokens < kMinTokensForBatchedQuantized || is_interleaved(w));
}

namespace {
bool uses_rowwise_path(const tensor::Tensor& w, int64_t n_tokens) {
    return matmul_quantizes_activations(w, n_tokens) || (is_float_type(w.dtype) && n_tokens == 1);
}
// The row class's path for w: Decode rows and interleaved weights take the row-by-row path
// (quantized activations, integer kernels), the rest the batched f32 GEMM.
bool class_uses_rowwise_path(const tensor::Tensor& w, RowClass row_class) {
    return row_class == RowClass::Decode || is_interleaved(w);
}
}  // namespace

void matmul(const tensor::Tensor& w, const float* x, int64_t n_tokens, float* y, ThreadPool& pool) {
    if (uses_rowwise_path(w, n_tokens)) return matmul_rowwise(w, x, n_tokens, y, pool);
    matmul_batched(w, x, n_tokens, y, pool);
}

namespace {
// The prologue as a dispatch of its own, for the products that do not take it in theirs.
void run_prologue(const RowsPrologue& prologue, int64_t n_tokens, ThreadPool& pool) {
    if (prologue) pool.parallel_for(n_tokens, prologue);
}
}  // namespace

void matmul_rows(const tensor::Tensor& w, const float* x, int64_t n_tokens, float* y, RowClass row_class,
                 ThreadPool& pool, const RowsPrologue& prologue) {
    if (class_uses_rowwise_path(w, row_class)) return matmul_rowwise(w, x, n_tokens, y, pool, prologue);
    run_prologue(prologue, n_tokens, pool);
    matmul_batched(w, x, n_tokens, y, pool);
}

void matmul_shared_input(std::span<const MatmulRowsTask> tasks, const float* x, int64_t n_tokens, ThreadPool& pool) {
    bool all_rowwise = true;
    for (const auto& task : tasks) all_rowwise = all_rowwise && uses_rowwise_path(*task.w, n_tokens);
    if (!all_rowwise) {
        for (const auto& task : tasks) matmul(*task.w, x, n_tokens, task.y, pool);
        return;
    }
    matmul_rowwise(tasks, x, n_tokens, pool);
}

void matmul_shared_input_rows(std::span<const MatmulRowsTask> tasks, const float* x, int64_t n_tokens,
                              RowClass row_class, ThreadPool& pool, const RowsPrologue& prologue) {
    bool all_rowwise = true;
    for (const auto& task : tasks) all_rowwise = all_rowwise && class_uses_rowwise_path(*task.w, row_class);
    if (all_rowwise) return matmul_rowwise(tasks, x, n_tokens, pool, prologue);
    run_prologue(prologue, n_tokens, pool);
    for (const auto& task : tasks) matmul_rows(*task.w, x, n_tokens, task.y, row_class, pool);
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
