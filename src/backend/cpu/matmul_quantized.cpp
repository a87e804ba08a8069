#include "backend/cpu/matmul_quantized.h"

#include "quant/quant_traits.h"
#include "util/error.h"

#include <algorithm>
#include <vector>

namespace rocmforge::backend::cpu {

void matmul_quantized(const tensor::Tensor& w, const float* x, int64_t n_tokens, float* y, ThreadPool& pool) {
    const auto& traits = quant::quant_traits(w.dtype);
    const auto& act_traits = quant::quant_traits(traits.vec_dot_type);
    const int64_t k = w.ne[0];
    const int64_t n_out = w.ne[1];
    if (k % traits.block_size != 0 || k % act_traits.block_size != 0)
        throw_error("matmul", "row length {} is not a multiple of the {} / {} block sizes", k, traits.name,
                    act_traits.name);
    if (act_traits.from_float == nullptr)
        throw_error("matmul", "no quantizer for activation type {}", act_traits.name);

    // Activations in the dot type: [n_tokens] rows of act_row_bytes (F32 rows are used as they are).
    const size_t act_row_bytes = quant::row_size(act_traits, k);
    thread_local std::vector<uint8_t> converted;
    const uint8_t* act = reinterpret_cast<const uint8_t*>(x);
    if (traits.vec_dot_type != gguf::GgmlType::F32) {
        converted.resize(act_row_bytes * static_cast<size_t>(n_tokens));
        uint8_t* dst = converted.data();
        pool.parallel_for(n_tokens, [&](int64_t begin, int64_t end) {
            for (int64_t t = begin; t < end; ++t) act_traits.from_float(x + t * k, dst + t * act_row_bytes, k);
        });
        act = converted.data();
    }

    const int n_threads = pool.size();
    pool.run([&](int thread_index, int) {
        const int64_t begin = n_out * thread_index / n_threads;
        const int64_t end = n_out * (thread_index + 1) / n_threads;
        // Token blocks keep a few activation rows hot while sweeping a block of weight rows.
        constexpr int64_t kRowBlock = 16;
        for (int64_t r0 = begin; r0 < end; r0 += kRowBlock) {
            const int64_t r1 = std::min(end, r0 + kRowBlock);
            for (int64_t t = 0; t < n_tokens; ++t) {
                const uint8_t* a = act + t * act_row_bytes;
                for (int64_t r = r0; r < r1; ++r) traits.vec_dot(k, &y[t * n_out + r], w.row_ptr(r), a);
            }
        }
    });
}

}  // namespace rocmforge::backend::cpu
