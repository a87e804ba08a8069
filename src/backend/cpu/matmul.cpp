#include "backend/cpu/matmul.h"

#include "backend/cpu/dequantize_row.h"
#include "backend/cpu/matmul_batched.h"
#include "backend/cpu/matmul_quantized.h"

#include <atomic>
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

namespace {

// All tasks on the row-by-row path in one pool dispatch.
void matmul_shared_input_rowwise(std::span<const MatmulRowsTask> tasks, const float* x, int64_t n_tokens,
                                 ThreadPool& pool, const RowsPrologue& prologue = {}) {
    // A named reference: inside the pool task, the name of a thread_local would mean each
    // worker's own (empty) instance.
    thread_local std::vector<PreparedActivations> caller_prepared;
    std::vector<PreparedActivations>& prepared = caller_prepared;
    prepared.resize(tasks.size());
    // Task i reads prepared[source[i]]: the first task with its weight type plans (and converts)
    // the activations for all of them.
    thread_local std::vector<size_t> caller_source;
    std::vector<size_t>& source = caller_source;
    source.resize(tasks.size());
    thread_local std::vector<uint8_t> caller_converts;
    std::vector<uint8_t>& converts = caller_converts;
    converts.assign(tasks.size(), 0);
    bool any_conversion = false;
    for (size_t i = 0; i < tasks.size(); ++i) {
        size_t same = 0;
        while (same < i && tasks[same].w->dtype != tasks[i].w->dtype) ++same;
        source[i] = same;
        if (same < i) continue;
        converts[i] = plan_activations(tasks[i].w->dtype, x, tasks[i].w->ne[0], n_tokens, prepared[i]);
        any_conversion = any_conversion || converts[i];
    }
    const bool in_dispatch = (any_conversion || prologue) && prepares_rows_in_dispatch(n_tokens);
    const auto convert_tokens = [&](int64_t t0, int64_t t1) {
        for (size_t i = 0; i < tasks.size(); ++i)
            if (converts[i]) convert_activations(prepared[i], tasks[i].w->ne[0], t0, t1);
    };
    if (!in_dispatch) {
        if (prologue) prologue(0, n_tokens);
        convert_tokens(0, n_tokens);
    }
    // The tasks' row chunks in one sequence (task 0's, then task 1's, ...), taken from a shared counter.
    thread_local std::vector<RowChunks> caller_chunks;
    std::vector<RowChunks>& chunks = caller_chunks;
    chunks.resize(tasks.size());
    int64_t n_chunks = 0;
    for (size_t i = 0; i < tasks.size(); ++i) {
        chunks[i] = row_chunks(*tasks[i].w, pool.size(), n_tokens);
        n_chunks += chunks[i].count;
    }
    std::atomic<int64_t> next_chunk{0};
    SpinBarrier converted(pool.size());
    pool.run([&](int thread_index, int n_threads) {
        if (in_dispatch) {
            const int64_t t0 = n_tokens * thread_index / n_threads, t1 = n_tokens * (thread_index + 1) / n_threads;
            if (prologue && t1 > t0) prologue(t0, t1);
            convert_tokens(t0, t1);
            converted.arrive_and_wait();
        }
        size_t i = 0;  // chunks are taken in increasing order: the task index only moves forward
        int64_t task_first = 0;
        for (int64_t c = next_chunk.fetch_add(1, std::memory_order_relaxed); c < n_chunks;
             c = next_chunk.fetch_add(1, std::memory_order_relaxed)) {
            while (c >= task_first + chunks[i].count) task_first += chunks[i++].count;
            const auto [begin, end] = chunks[i].range(c - task_first);
            multiply_rows(*tasks[i].w, prepared[source[i]], n_tokens, tasks[i].y, begin, end);
        }
    });
}

}  // namespace

void matmul_shared_input(std::span<const MatmulRowsTask> tasks, const float* x, int64_t n_tokens, ThreadPool& pool) {
    bool all_rowwise = true;
    for (const auto& task : tasks) all_rowwise = all_rowwise && uses_rowwise_path(*task.w, n_tokens);
    if (!all_rowwise) {
        for (const auto& task : tasks) matmul(*task.w, x, n_tokens, task.y, pool);
        return;
    }
    matmul_shared_input_rowwise(tasks, x, n_tokens, pool);
}

void matmul_shared_input_rows(std::span<const MatmulRowsTask> tasks, const float* x, int64_t n_tokens,
                              RowClass row_class, ThreadPool& pool, const RowsPrologue& prologue) {
    bool all_rowwise = true;
    for (const auto& task : tasks) all_rowwise = all_rowwise && class_uses_rowwise_path(*task.w, row_class);
    if (all_rowwise) return matmul_shared_input_rowwise(tasks, x, n_tokens, pool, prologue);
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
