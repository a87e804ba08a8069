#include "backend/cpu/cpu_backend.h"

#include "backend/cpu/argmax.h"
#include "backend/cpu/attention.h"
#include "backend/cpu/dequantize_row.h"
#include "backend/cpu/dot.h"
#include "backend/cpu/elementwise.h"
#include "backend/cpu/get_rows.h"
#include "backend/cpu/interleaved_weights.h"
#include "backend/cpu/matmul.h"
#include "backend/cpu/rms_norm.h"
#include "quant/float_bits.h"
#include "quant/quant_traits.h"
#include "util/error.h"
#include "util/page_memory.h"
#include "util/thread_pool.h"

#include <fmt/format.h>

#include <algorithm>
#include <cassert>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <numeric>

namespace rocmforge::backend::cpu {
namespace {

using gguf::GgmlType;


float* f32(tensor::Tensor& t) {
    assert(t.dtype == GgmlType::F32 && t.is_contiguous());
    return t.data_as<float>();
}
const float* f32(const tensor::Tensor& t) {
    assert(t.dtype == GgmlType::F32 && t.is_contiguous());
    return t.data_as<float>();
}

// dst row (storage type) = src (f32 values).
void store_row(const float* src, void* dst, GgmlType type, int64_t n) {
    switch (type) {
        case GgmlType::F32: std::memcpy(dst, src, static_cast<size_t>(n) * sizeof(float)); return;
        case GgmlType::F16:
            for (int64_t i = 0; i < n; ++i) static_cast<uint16_t*>(dst)[i] = quant::float_to_half(src[i]);
            return;
        default:
            for (int64_t i = 0; i < n; ++i) static_cast<uint16_t*>(dst)[i] = quant::float_to_bf16(src[i]);
            return;
    }
}

void load_row(const void* src, float* dst, GgmlType type, int64_t n) {
    if (type == GgmlType::F16) return convert_f16_to_f32(static_cast<const uint16_t*>(src), dst, n);
    for (int64_t i = 0; i < n; ++i) dst[i] = quant::bf16_to_float(static_cast<const uint16_t*>(src)[i]);
}

// Row-wise element work below this many floats runs on the calling thread: a pool dispatch
// (about a microsecond with spinning workers) would cost more than the half it hands off.
constexpr int64_t kMinParallelElements = 4096;

// body(r0, r1) over rows [0, n_rows) of n floats each, split over the pool when the rows hold
// enough work. Each row is computed the same way on any thread.
void for_rows(ThreadPool& pool, int64_t n_rows, int64_t n, const std::function<void(int64_t, int64_t)>& body) {
    if (n_rows >= 2 && n_rows * n >= kMinParallelElements)
        pool.parallel_for(n_rows, body);
    else if (n_rows > 0)
        body(0, n_rows);
}

// Rows [r0, r1) of x ([n] floats each): x += delta when delta is given, then y = rms_norm(x) *
// weight, row by row (y may alias delta: each row is read before it is written).
void add_norm_rows(float* x, const float* delta, const float* weight, float* y, int64_t n, int64_t r0, int64_t r1,
                   float eps) {
    for (int64_t r = r0; r < r1; ++r) {
        if (delta != nullptr) add_in_place(x + r * n, delta + r * n, n);
        cpu::rms_norm(x + r * n, weight, y + r * n, n, 1, eps);
    }
}

}  // namespace

CpuBackend::CpuBackend(int n_threads) : pool_(n_threads) {}

std::string CpuBackend::description() const {
    return fmt::format("cpu ({}, {} threads)", cpu_has_avx2_fma_f16c() ? "AVX2" : "scalar", pool_.size());
}

bool CpuBackend::supports(Op op, GgmlType type) const {
    if (op == Op::Matmul || op == Op::GetRows || op == Op::MoeFfn)
        return type == GgmlType::F32 || type == GgmlType::F16 || quant::is_supported(type);
    return type == GgmlType::F32;
}

namespace {

// calloc: large blocks come from the kernel as zero pages, committed only when touched; advised
// as huge-page backed where the kernel allows.
tensor::Buffer alloc_uncommitted(size_t bytes) {
    void* p = std::calloc(std::max<size_t>(bytes, 1), 1);
    if (p == nullptr)
        throw_error("cpu backend", "cannot allocate {:.2f} GiB", static_cast<double>(bytes) / (1ull << 30));
    advise_huge_pages(p, bytes);
    return tensor::Buffer(tensor::Device::Cpu, p, bytes, [](void* data) { std::free(data); });
}

}  // namespace

tensor::Buffer CpuBackend::alloc(size_t bytes) {
    // The workspace: every step writes it, so its pages (up to kCommitBytes) are committed now.
    // Left to first touch, the faults (~11 µs per 4 KiB page on the VMs measured) landed in the
    // first large step: 38 ms of a 60 ms first step of 16 prompts (554 tokens) on wp-25M.
    constexpr size_t kCommitBytes = size_t{512} << 20;
    auto buf = alloc_uncommitted(bytes);
    populate_pages(buf.data(), std::min(bytes, kCommitBytes));
    return buf;
}

void* CpuBackend::keep_weight_copy(size_t bytes) {
    void* copy = allocate_huge_page_aligned(bytes);
    weight_copies_.emplace_back(tensor::Device::Cpu, copy, bytes, [](void* data) { std::free(data); });
    return copy;
}

tensor::Tensor CpuBackend::upload_weight(const tensor::Tensor& host) {
    const bool matrix = host.ne[2] == 1 && host.ne[3] == 1 && host.ne[1] >= kInterleavedRows;
    if (!matrix || host.layout != tensor::Layout::Rows || !host.is_contiguous()) return host;
    // F16 matrices keep their rows but move to huge-page memory (the model releases the mapped
    // pages after upload): 7B F16 tg64 1.35-1.56 -> 1.69-1.90 tok/s at -t 2 on the AVX2 VM.
    if (host.dtype == GgmlType::F16) {
        const size_t bytes = static_cast<size_t>(host.ne[1]) * host.row_bytes();
        void* copy = keep_weight_copy(bytes);
        pool_.run([&](int thread_index, int n_threads) {
            const size_t begin = bytes * thread_index / n_threads, end = bytes * (thread_index + 1) / n_threads;
            std::memcpy(static_cast<uint8_t*>(copy) + begin, static_cast<const uint8_t*>(host.data) + begin, end - begin);
        });
        tensor::Tensor t = host;
        t.data = copy;
        return t;
    }
    if (!interleave_at_load(host.dtype)) return host;
    void* copy = keep_weight_copy(interleaved_bytes(host));
    const int64_t groups = interleaved_group_count(host);
    pool_.run([&](int thread_index, int n_threads) {
        const auto [begin, end] = thread_share(groups, thread_index, n_threads);
        interleave_groups(host, copy, begin, end);
    });
    copy_tail_rows(host, copy);
    return interleaved_view(host, copy);
}

void CpuBackend::copy_to_host(const tensor::Tensor& src, float* dst) {
    std::memcpy(dst, f32(src), static_cast<size_t>(src.n_elements()) * sizeof(float));
}

void CpuBackend::argmax_rows(const tensor::Tensor& x, std::span<int32_t> ids) {
    const int64_t n = x.ne[0];
    const float* rows = f32(x);
    for_rows(pool_, static_cast<int64_t>(ids.size()), n, [&](int64_t r0, int64_t r1) {
        for (int64_t r = r0; r < r1; ++r) ids[static_cast<size_t>(r)] = argmax_finite(rows + r * n, n);
    });
}

void CpuBackend::top_k_rows(const tensor::Tensor& x, int64_t k, std::span<int32_t> ids, std::span<float> values) {
    const int64_t n = x.ne[0], n_rows = static_cast<int64_t>(ids.size()) / k;
    assert(k >= 1 && k <= std::min(n, kMaxTopK) && values.size() == ids.size());
    const float* rows = f32(x);
    pool_.parallel_for(n_rows, [&](int64_t r0, int64_t r1) {
        std::vector<int32_t> order(static_cast<size_t>(n));
        for (int64_t r = r0; r < r1; ++r) {
            const float* row = rows + r * n;
            int32_t* out_ids = ids.data() + r * k;
            float* out_values = values.data() + r * k;
            if (!std::all_of(row, row + n, [](float v) { return std::isfinite(v); })) {
                std::fill_n(out_ids, k, -1);
                std::fill_n(out_values, k, 0.0f);
                continue;
            }
            std::iota(order.begin(), order.end(), 0);
            std::partial_sort(order.begin(), order.begin() + k, order.end(), [row](int32_t a, int32_t b) {
                return row[a] > row[b] || (row[a] == row[b] && a < b);
            });
            for (int64_t i = 0; i < k; ++i) out_ids[i] = order[static_cast<size_t>(i)], out_values[i] = row[order[static_cast<size_t>(i)]];
        }
    });
}

KvStorage CpuBackend::alloc_kv_storage(const KvStorageShape& shape) {
    validate_kv_shape(shape, "CPU");
    // Huge pages where the kernel allows, and the blocks handed out first (the pool gives the
    // lowest free block) committed now, up to kKvPrefaultBytes in all: generation then does not
    // stop on first-touch page faults (llama.cpp clears its whole KV buffer at start; a large pool
    // commits the rest as it is used).
    constexpr size_t kKvPrefaultBytes = size_t{1} << 30;
    auto buf = alloc_uncommitted(shape.bytes());
    KvStorage kv = make_kv_storage(shape, std::move(buf));
    const size_t per_layer_side = std::min(shape.layer_bytes(), kKvPrefaultBytes / (2 * std::max<size_t>(1, kv.k.size())));
    for (auto* side : {&kv.k, &kv.v})
        for (auto& layer : *side) populate_pages(layer.data_as<uint8_t>(), per_layer_side);
    return kv;
}

BatchTensors CpuBackend::begin_batch(const Batch& batch) {
    batch_ = &batch;
    ++batch_generation_;
    BatchTensors t;
    t.token_ids = tensor::make_tensor(GgmlType::I32, {batch.n_tokens(), 1, 1, 1},
                                      const_cast<int32_t*>(batch.token_ids.data()));
    t.logit_rows = tensor::make_tensor(GgmlType::I32, {batch.n_logit_rows(), 1, 1, 1},
                                       const_cast<int32_t*>(batch.logit_rows.data()));
    return t;
}

void CpuBackend::get_rows(const tensor::Tensor& table, const tensor::Tensor& ids, tensor::Tensor& out) {
    assert(ids.dtype == GgmlType::I32 && out.ne[0] == table.ne[0] && out.ne[1] >= ids.ne[0]);
    cpu::get_rows(table, ids.data_as<int32_t>(), ids.ne[0], f32(out));
}

void CpuBackend::rms_norm(const tensor::Tensor& x, const tensor::Tensor& weight, tensor::Tensor& y, float eps) {
    assert(weight.ne[0] == x.ne[0] && y.n_elements() == x.n_elements());
    const int64_t n = x.ne[0];
    const float* xs = f32(x);
    const float* w = f32(weight);
    float* ys = f32(y);
    for_rows(pool_, x.n_rows(), n, [&](int64_t r0, int64_t r1) {
        cpu::rms_norm(xs + r0 * n, w, ys + r0 * n, n, r1 - r0, eps);
    });
}

void CpuBackend::add_rms_norm(tensor::Tensor& x, const tensor::Tensor& delta, const tensor::Tensor& weight,
                              tensor::Tensor& y, float eps) {
    assert(delta.n_elements() == x.n_elements() && weight.ne[0] == x.ne[0] && y.n_elements() == x.n_elements());
    const int64_t n = x.ne[0];
    float* xs = f32(x);
    const float* ds = f32(delta);
    const float* w = f32(weight);
    float* ys = f32(y);
    for_rows(pool_, x.n_rows(), n, [&](int64_t r0, int64_t r1) { add_norm_rows(xs, ds, w, ys, n, r0, r1, eps); });
}

void CpuBackend::matmul(const tensor::Tensor& w, const tensor::Tensor& x, tensor::Tensor& y,
                        std::span<const RowRun> runs) {
    const int64_t k = w.ne[0], n_out = w.ne[1];
    assert(x.ne[0] == k && y.ne[0] == n_out);
    for (const auto& run : runs)
        matmul_rows(w, f32(x) + run.begin * k, run.count, f32(y) + run.begin * n_out, run.row_class, pool_);
}

void CpuBackend::matmul_shared_input(std::span<const MatmulTask> tasks, const tensor::Tensor& x,
                                     std::span<const RowRun> runs) {
    const int64_t k = x.ne[0];
    auto& rows = shared_input_tasks_;
    rows.resize(tasks.size());
    for (const auto& run : runs) {
        for (size_t i = 0; i < tasks.size(); ++i)
            rows[i] = {tasks[i].w, f32(*tasks[i].y) + run.begin * tasks[i].w->ne[1]};
        matmul_shared_input_rows(rows, f32(x) + run.begin * k, run.count, run.row_class, pool_);
    }
}

void CpuBackend::norm_matmul_shared_input(tensor::Tensor& x, const tensor::Tensor* delta,
                                          const tensor::Tensor& weight, tensor::Tensor& x_norm, float eps,
                                          std::span<const MatmulTask> tasks, std::span<const RowRun> runs) {
    assert(weight.ne[0] == x.ne[0] && x_norm.n_elements() == x.n_elements());
    assert(delta == nullptr || delta->n_elements() == x.n_elements());
    const int64_t n = x.ne[0];
    float* xs = f32(x);
    const float* ds = delta != nullptr ? f32(*delta) : nullptr;
    const float* w = f32(weight);
    float* ys = f32(x_norm);
    auto& rows = shared_input_tasks_;
    rows.resize(tasks.size());
    for (const auto& run : runs) {
        for (size_t i = 0; i < tasks.size(); ++i)
            rows[i] = {tasks[i].w, f32(*tasks[i].y) + run.begin * tasks[i].w->ne[1]};
        const RowsPrologue norm = [&](int64_t t0, int64_t t1) {
            add_norm_rows(xs, ds, w, ys, n, run.begin + t0, run.begin + t1, eps);
        };
        matmul_shared_input_rows(rows, ys + run.begin * n, run.count, run.row_class, pool_, norm);
    }
}

void CpuBackend::swiglu_matmul(tensor::Tensor& gate, const tensor::Tensor& up, const tensor::Tensor& w,
                               tensor::Tensor& y, std::span<const RowRun> runs) {
    assert(gate.n_elements() == up.n_elements() && w.ne[0] == gate.ne[0] && y.ne[0] == w.ne[1]);
    const int64_t n = gate.ne[0], n_out = w.ne[1];
    float* g = f32(gate);
    const float* u = f32(up);
    for (const auto& run : runs) {
        const RowsPrologue activate = [&](int64_t t0, int64_t t1) {
            const int64_t r0 = run.begin + t0;
            cpu::swiglu(g + r0 * n, u + r0 * n, g + r0 * n, (t1 - t0) * n);
        };
        matmul_rows(w, g + run.begin * n, run.count, f32(y) + run.begin * n_out, run.row_class, pool_, activate);
    }
}

void CpuBackend::add_bias(tensor::Tensor& y, const tensor::Tensor& bias) {
    cpu::add_bias(f32(y), f32(bias), y.ne[0], y.n_rows());
}

const RopeTable& CpuBackend::rope_table(const RopeParams& p, const tensor::Tensor& freq_factors) {
    for (auto& c : rope_cache_) {
        if (c.generation == batch_generation_ && c.params.n_rot == p.n_rot && c.params.freq_base == p.freq_base &&
            c.params.freq_scale == p.freq_scale && c.params.style == p.style &&
            c.params.attn_factor == p.attn_factor && c.params.long_context == p.long_context &&
            c.freq_factors == freq_factors.data)
            return c.table;
    }
    // LongRoPE: each token takes the long factors when its rope length passes long_context.
    std::vector<uint8_t> use_long;
    if (p.long_context > 0) {
        use_long.resize(static_cast<size_t>(batch_->n_tokens()));
        for (const auto& seq : batch_->sequences)
            for (int64_t i = 0; i < seq.n_tokens; ++i)
                use_long[static_cast<size_t>(seq.token_begin + i)] = seq.rope_length(seq.n_past + i) > p.long_context;
    }
    auto& c = rope_cache_[rope_cache_next_];
    rope_cache_next_ = (rope_cache_next_ + 1) % rope_cache_.size();
    c.generation = batch_generation_;
    c.params = p;
    c.freq_factors = freq_factors.data;
    c.table = make_rope_table(batch_->positions.data(), batch_->n_tokens(), p,
                              freq_factors.empty() ? nullptr : f32(freq_factors),
                              use_long.empty() ? nullptr : use_long.data());
    return c.table;
}

void CpuBackend::rope(tensor::Tensor& x, const RopeParams& params, const tensor::Tensor& freq_factors) {
    assert(batch_ != nullptr && x.ne[2] == batch_->n_tokens());
    cpu::rope(f32(x), x.ne[0], x.ne[1], x.ne[2], rope_table(params, freq_factors));
}

void CpuBackend::fill_token_slots(int64_t block_size) {
    assert(batch_ != nullptr);
    token_slots_.resize(static_cast<size_t>(batch_->n_tokens()));
    for (const auto& seq : batch_->sequences)
        for (int64_t i = 0; i < seq.n_tokens; ++i) {
            const int64_t p = seq.n_past + i;
            token_slots_[static_cast<size_t>(seq.token_begin + i)] =
                seq.block_table[static_cast<size_t>(p / block_size)] * block_size + p % block_size;
        }
}

void CpuBackend::store_kv_rows(KvStorage& kv, int64_t layer, const float* k, const float* v, int64_t t0,
                               int64_t t1) {
    const int64_t n = kv.shape.row_elements;
    auto& k_dst = kv.k[static_cast<size_t>(layer)];
    auto& v_dst = kv.v[static_cast<size_t>(layer)];
    for (int64_t t = t0; t < t1; ++t) {
        const int64_t slot = token_slots_[static_cast<size_t>(t)];
        store_row(k + t * n, k_dst.data_as<uint8_t>() + slot * k_dst.nb[1], kv.shape.dtype, n);
        store_row(v + t * n, v_dst.data_as<uint8_t>() + slot * v_dst.nb[1], kv.shape.dtype, n);
    }
}

void CpuBackend::kv_store(KvStorage& kv, int64_t layer, const tensor::Tensor& k, const tensor::Tensor& v) {
    assert(batch_ != nullptr && k.ne[0] == kv.shape.row_elements);
    fill_token_slots(kv.shape.block_size);
    store_kv_rows(kv, layer, f32(k), f32(v), 0, batch_->n_tokens());
}

void CpuBackend::prepare_attention_items(const KvStorage& kv, int64_t layer) {
    assert(batch_ != nullptr);
    const auto& seqs = batch_->sequences;
    const int64_t n = kv.shape.row_elements, bs = kv.shape.block_size;
    const auto& k_layer = kv.k[static_cast<size_t>(layer)];
    const auto& v_layer = kv.v[static_cast<size_t>(layer)];
    auto& items = attention_items_;
    items.resize(seqs.size());
    const bool paged_f32 = kv.shape.dtype == GgmlType::F32;
    if (!paged_f32) {
        // Gather each sequence's positions into contiguous f32 rows.
        kv_f32_k_.resize(seqs.size());
        kv_f32_v_.resize(seqs.size());
        pool_.parallel_for(static_cast<int64_t>(seqs.size()), [&](int64_t s0, int64_t s1) {
            for (int64_t s = s0; s < s1; ++s) {
                const auto& seq = seqs[static_cast<size_t>(s)];
                const int64_t n_pos = seq.n_past + seq.n_tokens;
                auto& kd = kv_f32_k_[static_cast<size_t>(s)];
                auto& vd = kv_f32_v_[static_cast<size_t>(s)];
                kd.resize(static_cast<size_t>(n_pos * n));
                vd.resize(static_cast<size_t>(n_pos * n));
                for (int64_t p = 0; p < n_pos; ++p) {
                    const int64_t slot = seq.block_table[static_cast<size_t>(p / bs)] * bs + p % bs;
                    load_row(k_layer.row_ptr(slot), kd.data() + p * n, kv.shape.dtype, n);
                    load_row(v_layer.row_ptr(slot), vd.data() + p * n, kv.shape.dtype, n);
                }
            }
        });
    }
    for (size_t s = 0; s < seqs.size(); ++s) {
        const auto& seq = seqs[s];
        auto& item = items[s];
        item = AttentionSequence{};  // nothing carries over from an earlier batch (its block tables are gone)
        item.token_begin = seq.token_begin;
        item.n_tokens = seq.n_tokens;
        item.n_past = seq.n_past;
        item.row_class = seq.row_class;
        item.kv.row_stride = n;
        if (paged_f32) {
            item.kv.k = k_layer.data_as<float>();
            item.kv.v = v_layer.data_as<float>();
            item.kv.block_table = seq.block_table.data();
            item.kv.block_size = bs;
        } else {  // gathered rows: contiguous, no block table
            item.kv.k = kv_f32_k_[s].data();
            item.kv.v = kv_f32_v_[s].data();
        }
    }
}

void CpuBackend::attention(const KvStorage& kv, int64_t layer, const tensor::Tensor& q, tensor::Tensor& out,
                           const AttentionShape& shape) {
    prepare_attention_items(kv, layer);
    attention_batch(f32(q), f32(out), shape, attention_items_, pool_);
}

void CpuBackend::rope_kv_store_attention(tensor::Tensor& q, tensor::Tensor& k, const tensor::Tensor& v,
                                         const RopeParams& params, const tensor::Tensor& freq_factors, KvStorage& kv,
                                         int64_t layer, tensor::Tensor& out, const AttentionShape& shape) {
    if (kv.shape.dtype != GgmlType::F32)
        return Backend::rope_kv_store_attention(q, k, v, params, freq_factors, kv, layer, out, shape);
    assert(batch_ != nullptr && q.ne[2] == batch_->n_tokens() && k.ne[0] * k.ne[1] == kv.shape.row_elements);
    const RopeTable& table = rope_table(params, freq_factors);
    const int64_t n_tokens = q.ne[2];
    fill_token_slots(kv.shape.block_size);
    prepare_attention_items(kv, layer);
    const auto rope_and_store = [&](int thread_index, int n_threads) {
        const auto [t0, t1] = thread_share(n_tokens, thread_index, n_threads);
        cpu::rope_tokens(f32(q), q.ne[0], q.ne[1], t0, t1, table);
        cpu::rope_tokens(f32(k), k.ne[0], k.ne[1], t0, t1, table);
        store_kv_rows(kv, layer, f32(k), f32(v), t0, t1);
    };
    if (!prepares_rows_in_dispatch(n_tokens)) {
        rope_and_store(0, 1);
        return attention_batch(f32(q), f32(out), shape, attention_items_, pool_);
    }
    attention_batch(f32(q), f32(out), shape, attention_items_, pool_, rope_and_store);
}

namespace {

// out = act(gate) * up over rows in parallel, with a gated activation of elementwise.h.
void gated_activation(const tensor::Tensor& gate, const tensor::Tensor& up, tensor::Tensor& out, ThreadPool& pool,
                      void (*act)(const float*, const float*, float*, int64_t)) {
    assert(gate.n_elements() == up.n_elements() && out.n_elements() == gate.n_elements());
    const int64_t n = gate.ne[0];
    const float* g = f32(gate);
    const float* u = f32(up);
    float* o = f32(out);
    pool.parallel_for(gate.n_rows(),
                      [&](int64_t r0, int64_t r1) { act(g + r0 * n, u + r0 * n, o + r0 * n, (r1 - r0) * n); });
}

}  // namespace

void CpuBackend::swiglu(const tensor::Tensor& gate, const tensor::Tensor& up, tensor::Tensor& out) {
    gated_activation(gate, up, out, pool_, cpu::swiglu);
}

void CpuBackend::geglu(const tensor::Tensor& gate, const tensor::Tensor& up, tensor::Tensor& out) {
    gated_activation(gate, up, out, pool_, cpu::geglu);
}

void CpuBackend::moe_ffn(const tensor::Tensor& x, const tensor::Tensor& router_logits, const MoeFfn& moe,
                         tensor::Tensor& out, std::span<const RowRun> runs) {
    const int64_t n = x.n_rows();
    assert(out.n_elements() == x.n_elements() && router_logits.n_rows() == n && out.data != x.data);
    moe_row_class_.resize(static_cast<size_t>(n));
    for (const auto& run : runs) std::fill_n(moe_row_class_.begin() + run.begin, run.count, run.row_class);
    cpu::moe_ffn(f32(x), f32(router_logits), x.ne[0], router_logits.ne[0], n, moe, moe_row_class_, f32(out),
                 moe_scratch_, pool_);
}

void CpuBackend::add(tensor::Tensor& y, const tensor::Tensor& x) {
    assert(y.n_elements() == x.n_elements());
    const int64_t n = y.ne[0];
    float* ys = f32(y);
    const float* xs = f32(x);
    for_rows(pool_, y.n_rows(), n,
             [&](int64_t r0, int64_t r1) { add_in_place(ys + r0 * n, xs + r0 * n, (r1 - r0) * n); });
}

void CpuBackend::scale(tensor::Tensor& x, float factor) { scale_in_place(f32(x), factor, x.n_elements()); }

void CpuBackend::softcap(tensor::Tensor& x, float cap) {
    assert(cap > 0.0f);
    const int64_t n = x.ne[0];
    float* data = f32(x);
    pool_.parallel_for(x.n_rows(),
                       [&](int64_t r0, int64_t r1) { softcap_in_place(data + r0 * n, cap, (r1 - r0) * n); });
}

void CpuBackend::copy_kv_block(KvStorage& kv, int32_t src, int32_t dst) {
    const int64_t bs = kv.shape.block_size;
    for (int64_t l = 0; l < kv.shape.n_layers; ++l)
        for (auto* t : {&kv.k[static_cast<size_t>(l)], &kv.v[static_cast<size_t>(l)]}) {
            auto* base = t->data_as<uint8_t>();
            std::memcpy(base + dst * bs * t->nb[1], base + src * bs * t->nb[1], static_cast<size_t>(bs) * t->nb[1]);
        }
}

}  // namespace rocmforge::backend::cpu
