#pragma once
// Row-by-row path of matmul (see matmul.h for shapes), used for small batches (decode):
// quantized weights use the quant traits' vec_dot on activations converted once to the type's
// vec_dot_type; F32/F16 weights use f32 dot products against the f32 activations.
#include "backend/cpu/matmul.h"
#include "tensor/tensor.h"
#include "util/thread_pool.h"

#include <algorithm>
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
    uint64_t version = 0;  // the rows' interleaved-kernel activation version (interleaved_gemv.h)
};

// Sets `out` up for weights of `weight_type` over x (n_tokens rows of k values): the activation
// type and, for a quantized one, room for the converted rows. Returns whether rows must be
// converted (convert_activations) before the row kernels read them (false for F32/F16 weights:
// they read x). Throws rocmforge::Error when k is not a multiple of the block sizes or the type
// has no kernels.
bool plan_activations(gguf::GgmlType weight_type, const float* x, int64_t k, int64_t n_tokens,
                      PreparedActivations& out);

// Converts tokens [t0, t1) of a planned `act`. Each row is converted the same way whichever
// thread converts it and however the tokens are split. Never throws.
void convert_activations(PreparedActivations& act, int64_t k, int64_t t0, int64_t t1);

// w's rows cut into `count` contiguous chunks of about 8 per thread, for threads that take chunks
// in turn from a shared counter (a thread the OS delays leaves its chunks to the others; which
// thread computes a row never changes its result). A small product (few rows x n_tokens) gets
// fewer, larger chunks, down to one per thread: each chunk pays a fixed cost (the kernels prepare
// the activations per call). On Layout::Interleaved8 chunks are an even number of groups of 8 rows
// (the 512-bit kernels take groups in pairs) and the last one also takes the tail rows; on plain
// rows, multiples of 16.
struct RowChunks {
    int64_t count = 0;
    int64_t rows_per_chunk = 0;
    int64_t n_rows = 0;
    int64_t aligned_rows = 0;  // rows that chunk boundaries fall within (the last chunk ends at n_rows)

    // [begin, end) of chunk c < count.
    std::pair<int64_t, int64_t> range(int64_t c) const {
        return {c * rows_per_chunk, c + 1 == count ? n_rows : std::min(aligned_rows, (c + 1) * rows_per_chunk)};
    }
};
RowChunks row_chunks(const tensor::Tensor& w, int n_threads, int64_t n_tokens);

// y[t, r] for rows r in [row_begin, row_end) and every token. Layout::Interleaved8 weights:
// row_begin is a multiple of 8, and so is row_end unless it is past the last group.
void multiply_rows(const tensor::Tensor& w, const PreparedActivations& act, int64_t n_tokens, float* y,
                   int64_t row_begin, int64_t row_end);

// Whole products on this path over one input, all tasks' rows split over the pool in one dispatch
// (an earlier task of the same weight type shares its converted activations); prologue: as
// matmul_rows's (matmul.h).
void matmul_rowwise(std::span<const MatmulRowsTask> tasks, const float* x, int64_t n_tokens, ThreadPool& pool,
                    const RowsPrologue& prologue = {});
// One product: the above with one task.
void matmul_rowwise(const tensor::Tensor& w, const float* x, int64_t n_tokens, float* y, ThreadPool& pool,
                    const RowsPrologue& prologue = {});

}  // namespace rocmforge::backend::cpu
