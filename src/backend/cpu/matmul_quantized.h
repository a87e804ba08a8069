#pragma once
// Row-by-row path of matmul (see matmul.h for shapes), used for small batches (decode):
// quantized weights use the quant traits' vec_dot on activations converted once to the type's
// vec_dot_type; F32/F16 weights use f32 dot products against the f32 activations.
#include "tensor/tensor.h"
#include "util/thread_pool.h"

#include <cstdint>
#include <span>
#include <utility>
#include <vector>

namespace rocmforge::backend::cpu {

// Activations of n_tokens rows of k values in the form a weight type's row kernel reads.
struct PreparedActivations {
    gguf::GgmlType type = gguf::GgmlType::F32;  // F32: `data` is unused, rows are read from x
    const float* x = nullptr;
    std::vector<uint8_t> data;                  // n_tokens rows of row_bytes
    size_t row_bytes = 0;
};

// Converts x for weights of `weight_type` (no copy for F32/F16 weights). Throws rocmforge::Error
// when k is not a multiple of the block sizes or the type has no kernels.
void prepare_activations(gguf::GgmlType weight_type, const float* x, int64_t k, int64_t n_tokens,
                         PreparedActivations& out);

// This thread's contiguous range [begin, end) of w's rows when n_threads split them: equal shares,
// on Layout::Interleaved8 whole groups of 8 (the last thread also takes the tail rows).
std::pair<int64_t, int64_t> thread_rows(const tensor::Tensor& w, int thread_index, int n_threads);

// y[t, r] for rows r in [row_begin, row_end) and every token. Layout::Interleaved8 weights:
// row_begin is a multiple of 8, and so is row_end unless it is past the last group.
void multiply_rows(const tensor::Tensor& w, const PreparedActivations& act, int64_t n_tokens, float* y,
                   int64_t row_begin, int64_t row_end);

// Whole matmul on this path, rows split over the pool.
void matmul_rowwise(const tensor::Tensor& w, const float* x, int64_t n_tokens, float* y, ThreadPool& pool);

}  // namespace rocmforge::backend::cpu
