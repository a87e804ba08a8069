#include "backend/cpu/matmul_quantized.h"

#include "backend/cpu/dot.h"
#include "backend/cpu/interleaved_gemv.h"
#include "backend/cpu/interleaved_weights.h"
#include "quant/quant_traits.h"
#include "util/error.h"

#include <algorithm>
#include <atomic>

namespace rocmforge::backend::cpu {

bool plan_activations(gguf::GgmlType weight_type, const float* x, int64_t k, int64_t n_tokens,
                      PreparedActivations& out) {
    out.x = x;
    if (weight_type == gguf::GgmlType::F32 || weight_type == gguf::GgmlType::F16) {
        out.type = gguf::GgmlType::F32;
        return false;
    }
    const auto& traits = quant::quant_traits(weight_type);
    const auto& act_traits = quant::quant_traits(traits.vec_dot_type);
    if (k % traits.block_size != 0 || k % act_traits.block_size != 0)
        throw_error("matmul", "row length {} is not a multiple of the {} / {} block sizes", k, traits.name,
                    act_traits.name);
    out.type = traits.vec_dot_type;
    if (out.type == gguf::GgmlType::F32) return false;
    if (act_traits.from_float == nullptr) throw_error("matmul", "no quantizer for activation type {}", act_traits.name);
    out.row_bytes = quant::row_size(act_traits, k);
    out.data.resize(out.row_bytes * static_cast<size_t>(n_tokens));
    out.version = next_interleaved_activation_version();
    return true;
}

void convert_activations(PreparedActivations& act, int64_t k, int64_t t0, int64_t t1) {
    const auto from_float = quant::quant_traits(act.type).from_float;
    for (int64_t t = t0; t < t1; ++t) from_float(act.x + t * k, act.data.data() + t * act.row_bytes, k);
}

namespace {

const void* activation_row(const PreparedActivations& act, int64_t k, int64_t t) {
    return act.type == gguf::GgmlType::F32 ? static_cast<const void*>(act.x + t * k)
                                           : static_cast<const void*>(act.data.data() + t * act.row_bytes);
}

// multiply_rows on Layout::Interleaved8 weights: whole groups with the interleaved integer kernels
// (all tokens in one call), tail rows with vec_dot.
void multiply_interleaved_rows(const tensor::Tensor& w, const PreparedActivations& act, int64_t n_tokens, float* y,
                               int64_t row_begin, int64_t row_end) {
    const int64_t k = w.ne[0];
    const int64_t n_out = w.ne[1];
    const int64_t grouped_rows = interleaved_group_count(w) * kInterleavedRows;
    const int64_t group_begin = row_begin / kInterleavedRows;
    const int64_t group_end = std::min(row_end, grouped_rows) / kInterleavedRows;
    if (group_end > group_begin) {
        // Resolved once: the dispatch looks the CPU's features up.
        static const InterleavedGemvFn gemv_q4_0 = interleaved_gemv(gguf::GgmlType::Q4_0);
        static const InterleavedGemvFn gemv_q8_0 = interleaved_gemv(gguf::GgmlType::Q8_0);
        static const InterleavedGemvFn gemv_q4_k = interleaved_gemv(gguf::GgmlType::Q4_K);
        static const InterleavedGemvFn gemv_q6_k = interleaved_gemv(gguf::GgmlType::Q6_K);
        const InterleavedGemvFn gemv = w.dtype == gguf::GgmlType::Q4_0   ? gemv_q4_0
                                       : w.dtype == gguf::GgmlType::Q8_0 ? gemv_q8_0
                                       : w.dtype == gguf::GgmlType::Q4_K ? gemv_q4_k
                                                                         : gemv_q6_k;
        thread_local std::vector<const void*> a;
        thread_local std::vector<float*> out;
        a.resize(static_cast<size_t>(n_tokens));
        out.resize(static_cast<size_t>(n_tokens));
        for (int64_t t = 0; t < n_tokens; ++t) {
            a[t] = activation_row(act, k, t);
            out[t] = y + t * n_out + group_begin * kInterleavedRows;
        }
        // The chunks of a product (and the products of one input) share the kernels' derived data.
        const InterleavedActivationScope scope(act.version);
        gemv(k, interleaved_group_ptr(w, group_begin), group_end - group_begin, a.data(), static_cast<int>(n_tokens),
             out.data());
    }
    const auto& traits = quant::quant_traits(w.dtype);
    for (int64_t r = std::max(row_begin, grouped_rows); r < row_end; ++r)
        for (int64_t t = 0; t < n_tokens; ++t)
            traits.vec_dot(k, &y[t * n_out + r], interleaved_tail_row_ptr(w, r), activation_row(act, k, t));
}

}  // namespace

RowChunks row_chunks(const tensor::Tensor& w, int n_threads, int64_t n_tokens) {
    RowChunks c;
    c.n_rows = w.ne[1];
    const bool grouped = w.layout == tensor::Layout::Interleaved8;
    const int64_t unit = grouped ? kInterleavedRows : 16;
    c.aligned_rows = grouped ? interleaved_group_count(w) * kInterleavedRows : c.n_rows;
    const int64_t units = std::max<int64_t>(1, (c.aligned_rows + unit - 1) / unit);
    const int64_t threads = std::max(1, n_threads);
    // About 8 chunks per thread, each at least 4 units (64 plain rows, 32 interleaved rows) ...
    int64_t per_chunk = std::max<int64_t>(4, units / (8 * threads));
    // ... and at least kMinChunkMacs multiply-adds (a few microseconds), unless that leaves a thread
    // without a chunk. Several tokens: 2^20 (each chunk's kernel call walks its own tiles and
    // prefetch ramp: wp-25M Q8_0 batch --parallel 16 +8% over 2^18 on 2 threads); one token keeps
    // finer chunks for balance (its products are a few microseconds in all).
    const int64_t kMinChunkMacs = n_tokens > 1 ? int64_t{1} << 20 : int64_t{1} << 18;
    const int64_t macs_per_unit = std::max<int64_t>(1, unit * w.ne[0] * std::max<int64_t>(1, n_tokens));
    const int64_t for_work = (kMinChunkMacs + macs_per_unit - 1) / macs_per_unit;
    per_chunk = std::max(per_chunk, std::min(for_work, (units + threads - 1) / threads));
    if (grouped) per_chunk += per_chunk % 2;
    c.rows_per_chunk = per_chunk * unit;
    c.count = (units + per_chunk - 1) / per_chunk;
    return c;
}

void multiply_rows(const tensor::Tensor& w, const PreparedActivations& act, int64_t n_tokens, float* y,
                   int64_t row_begin, int64_t row_end) {
    if (w.layout == tensor::Layout::Interleaved8)
        return multiply_interleaved_rows(w, act, n_tokens, y, row_begin, row_end);
    const int64_t k = w.ne[0];
    const int64_t n_out = w.ne[1];
    // Blocks of weight rows stay in cache while every token passes over them.
    constexpr int64_t kRowBlock = 16;
    if (w.dtype == gguf::GgmlType::F32 || w.dtype == gguf::GgmlType::F16) {
        const bool half = w.dtype == gguf::GgmlType::F16;
        for (int64_t r0 = row_begin; r0 < row_end; r0 += kRowBlock) {
            const int64_t r1 = std::min(row_end, r0 + kRowBlock);
            for (int64_t t = 0; t < n_tokens; ++t)
                for (int64_t r = r0; r < r1; ++r) {
                    const void* p = w.row_ptr(r);
                    y[t * n_out + r] = half ? dot_f16_f32(static_cast<const uint16_t*>(p), act.x + t * k, k)
                                            : dot_f32(static_cast<const float*>(p), act.x + t * k, k);
                }
        }
        return;
    }
    const auto& traits = quant::quant_traits(w.dtype);
    for (int64_t r0 = row_begin; r0 < row_end; r0 += kRowBlock) {
        const int64_t r1 = std::min(row_end, r0 + kRowBlock);
        const auto act_row = [&](int64_t t) { return activation_row(act, k, t); };
        int64_t t = 0;
        if (traits.vec_dot_tile != nullptr) {
            // Tiles of 2 rows x 4 tokens (bit-identical to vec_dot); the rest one by one below.
            constexpr int64_t kRows = quant::kVecDotTileRows, kCols = quant::kVecDotTileCols;
            for (; t + kCols <= n_tokens; t += kCols) {
                const void* a[kCols] = {act_row(t), act_row(t + 1), act_row(t + 2), act_row(t + 3)};
                int64_t r = r0;
                for (; r + kRows <= r1; r += kRows) {
                    const void* rows[kRows] = {w.row_ptr(r), w.row_ptr(r + 1)};
                    float out[kRows * kCols];
                    traits.vec_dot_tile(k, out, rows, a);
                    for (int64_t c = 0; c < kCols; ++c)
                        for (int64_t i = 0; i < kRows; ++i) y[(t + c) * n_out + r + i] = out[c * kRows + i];
                }
                for (; r < r1; ++r)
                    for (int64_t c = 0; c < kCols; ++c) traits.vec_dot(k, &y[(t + c) * n_out + r], w.row_ptr(r), a[c]);
            }
        }
        for (; t < n_tokens; ++t) {
            const void* a = act_row(t);
            for (int64_t r = r0; r < r1; ++r) traits.vec_dot(k, &y[t * n_out + r], w.row_ptr(r), a);
        }
    }
}

void matmul_rowwise(std::span<const MatmulRowsTask> tasks, const float* x, int64_t n_tokens, ThreadPool& pool,
                    const RowsPrologue& prologue) {
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
            const auto [t0, t1] = thread_share(n_tokens, thread_index, n_threads);
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

void matmul_rowwise(const tensor::Tensor& w, const float* x, int64_t n_tokens, float* y, ThreadPool& pool,
                    const RowsPrologue& prologue) {
    const MatmulRowsTask task{&w, y};
    matmul_rowwise(std::span(&task, 1), x, n_tokens, pool, prologue);
}

}  // namespace rocmforge::backend::cpu
