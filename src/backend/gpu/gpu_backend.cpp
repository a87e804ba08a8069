#include "backend/gpu/gpu_backend.h"

#include "backend/gpu/argmax.cuh"
#include "backend/gpu/attention.cuh"
#include "backend/gpu/dequantize.cuh"
#include "backend/gpu/elementwise.cuh"
#include "backend/gpu/gemm.cuh"
#include "backend/gpu/gemv.cuh"
#include "backend/gpu/get_rows.cuh"
#include "backend/gpu/kv_store.cuh"
#include "backend/gpu/memory_pool.h"
#include "backend/gpu/rms_norm.cuh"
#include "backend/gpu/rope.cuh"
#include "backend/gpu/rope_kv_store.cuh"
#include "backend/gpu/top_k.cuh"
#include "backend/gpu/weight_layout.h"
#include "backend/gpu/weight_types.h"
#include "util/error.h"
#include "util/log.h"

#include <fmt/format.h>

#include <algorithm>
#include <cassert>
#include <cstdlib>
#include <cstring>

namespace rocmforge::backend::gpu {
namespace {

using gguf::GgmlType;

constexpr size_t kStagingBytes = size_t{16} << 20;
constexpr size_t kMaxGraphs = 64;  // recorded step shapes kept; more clear the cache

float* f32(tensor::Tensor& t) {
    assert(t.dtype == GgmlType::F32 && t.device == tensor::Device::Gpu && t.is_contiguous());
    return t.data_as<float>();
}
const float* f32(const tensor::Tensor& t) {
    assert(t.dtype == GgmlType::F32 && t.device == tensor::Device::Gpu && t.is_contiguous());
    return t.data_as<float>();
}

WeightView view_of(const tensor::Tensor& t) {
    assert(t.device == tensor::Device::Gpu);
    return WeightView{t.data, t.dtype, t.ne[0], t.n_rows(), t.nb[1]};
}


}  // namespace

GpuBackend::GpuBackend(int device_index) {
    std::string why;
    const auto devices = list_devices(&why);
    if (device_index < 0 || device_index >= static_cast<int>(devices.size()))
        throw_error("--device", "no usable GPU {} ({})", device_index, why.empty() ? "index out of range" : why);
    info_ = devices[static_cast<size_t>(device_index)];
    set_device(device_index);
    stream_ = stream_create();
    gemm_ = std::make_unique<Gemm>(stream_);
    for (int i = 0; i < 2; ++i) {
        staging_[i] = pinned_malloc(kStagingBytes);
        staging_done_[i] = event_create();
    }
    batch_uploaded_ = event_create();
    const char* graphs = std::getenv("ROCMFORGE_GPU_GRAPHS");
    graphs_enabled_ = graphs == nullptr || std::string(graphs) != "0";
    const char* prefill = std::getenv("ROCMFORGE_GPU_PREFILL");
    prefill_lo_half_ = prefill != nullptr && std::string(prefill) == "f16x2";
    const char* prefill_attention = std::getenv("ROCMFORGE_GPU_PREFILL_ATTENTION");
    attention_tensor_cores_ =
        gemv_tensor_cores(info_) && (prefill_attention == nullptr || std::string(prefill_attention) != "simt");
    const char* decode_mma = std::getenv("ROCMFORGE_GPU_DECODE_MMA");
    gemv_device_ = GemvDevice{info_.warp_size,
                              gemv_tensor_cores(info_) && (decode_mma == nullptr || std::string(decode_mma) != "0")};
}

GpuBackend::~GpuBackend() {
    try {
        stream_sync(stream_);
    } catch (...) {
    }
    // The split the memory bound of docs/gpu.md is checked against (process-wide pool figures).
    const auto mib = [](size_t bytes) { return static_cast<double>(bytes) / (1 << 20); };
    const size_t peak = pool_peak_used_bytes();
    log::info("device memory: peak pool use {:.0f} MiB = weights {:.0f} + KV {:.0f} + workspace and scratch {:.0f} MiB "
              "({:.0f} MiB reserved in arenas)",
              mib(peak), mib(weight_bytes_), mib(kv_bytes_), mib(peak - std::min(peak, weight_bytes_ + kv_bytes_)),
              mib(pool_reserved_bytes()));
    clear_graphs();
    gemm_.reset();
    for (int i = 0; i < 2; ++i) {
        pinned_free(staging_[i]);
        event_destroy(staging_done_[i]);
    }
    if (batch_host_ != nullptr) pinned_free(batch_host_);
    event_destroy(batch_uploaded_);
    stream_destroy(stream_);
}

void GpuBackend::synchronize() { stream_sync(stream_); }

std::string GpuBackend::description() const {
    return fmt::format("gpu ({}, {}, {} SMs, {:.1f} GiB, {} runtime {}, gemm {}, batched decode {})", info_.name,
                       info_.arch, info_.multiprocessors, static_cast<double>(info_.memory_total) / (1ull << 30),
                       info_.vendor, info_.runtime_version, gemm_->name(),
                       gemv_device_.tensor_cores ? "mma" : "dp4a");
}

bool GpuBackend::supports(Op op, GgmlType type) const {
    if (op == Op::Matmul || op == Op::GetRows || op == Op::MoeFfn) return is_gpu_weight_type(type);
    return type == GgmlType::F32;
}

tensor::Buffer GpuBackend::alloc(size_t bytes) {
    ++buffers_generation_;  // new memory for ops: recorded graphs may point at what it replaces
    auto buffer = pool_alloc(bytes);
    memset_async(buffer.data(), 0, bytes, stream_);
    return buffer;
}

tensor::Tensor GpuBackend::upload_weight(const tensor::Tensor& host) {
    assert(host.device == tensor::Device::Cpu && host.is_contiguous());
    const size_t bytes = host.nb[1] * static_cast<size_t>(host.n_rows());
    auto buffer = pool_alloc(bytes);
    weight_bytes_ += bytes;
    const auto* src = static_cast<const uint8_t*>(host.data);
    auto* dst = static_cast<uint8_t*>(buffer.data());
    // Split-layout types are staged in whole rows and repacked on the way (weight_layout.h).
    const bool split = has_split_layout(host.dtype);
    const size_t row_bytes = host.nb[1];
    const size_t chunk = split ? std::max<size_t>(1, kStagingBytes / row_bytes) * row_bytes : kStagingBytes;
    if (split && chunk > kStagingBytes)
        throw_error("upload", "a {} row of {} bytes exceeds the {} MiB staging buffer", gguf::ggml_type_name(host.dtype),
                    row_bytes, kStagingBytes >> 20);
    for (size_t done = 0; done < bytes;) {
        const size_t n = std::min(chunk, bytes - done);
        const int i = next_staging_;
        next_staging_ ^= 1;
        event_sync(staging_done_[i]);  // the copy that last read this staging buffer has finished
        if (split)
            repack_rows_split(host.dtype, src + done, static_cast<uint8_t*>(staging_[i]),
                              static_cast<int64_t>(n / row_bytes), host.ne[0], row_bytes);
        else
            std::memcpy(staging_[i], src + done, n);
        copy_h2d_async(dst + done, staging_[i], n, stream_);
        event_record(staging_done_[i], stream_);
        done += n;
    }
    tensor::Tensor t = host;
    t.device = tensor::Device::Gpu;
    t.data = buffer.data();
    weights_.push_back(std::move(buffer));
    return t;
}

void GpuBackend::copy_to_host(const tensor::Tensor& src, float* dst) {
    copy_d2h_async(dst, f32(src), static_cast<size_t>(src.n_elements()) * sizeof(float), stream_);
    stream_sync(stream_);
}

void GpuBackend::argmax_rows(const tensor::Tensor& x, std::span<int32_t> ids) {
    reserve(argmax_ids_, ids.size() * sizeof(int32_t));
    auto* device_ids = static_cast<int32_t*>(argmax_ids_.data());
    launch_argmax_rows(f32(x), x.ne[0], static_cast<int64_t>(ids.size()), device_ids, stream_);
    copy_d2h_async(ids.data(), device_ids, ids.size() * sizeof(int32_t), stream_);
    stream_sync(stream_);
}

void GpuBackend::top_k_rows(const tensor::Tensor& x, int64_t k, std::span<int32_t> ids, std::span<float> values) {
    assert(k >= 1 && ids.size() == values.size() && ids.size() % static_cast<size_t>(k) == 0);
    const auto n_rows = static_cast<int64_t>(ids.size()) / k;
    reserve(top_k_out_, ids.size() * (sizeof(int32_t) + sizeof(float)));
    auto* device_ids = static_cast<int32_t*>(top_k_out_.data());
    auto* device_values = reinterpret_cast<float*>(device_ids + ids.size());
    launch_top_k_rows(f32(x), x.ne[0], n_rows, k, device_ids, device_values, stream_);
    copy_d2h_async(ids.data(), device_ids, ids.size() * sizeof(int32_t), stream_);
    copy_d2h_async(values.data(), device_values, values.size() * sizeof(float), stream_);
    stream_sync(stream_);
}

KvStorage GpuBackend::alloc_kv_storage(const KvStorageShape& shape) {
    validate_kv_shape(shape, "GPU");
    const size_t total = shape.bytes();
    if (total > memory_free() + (pool_reserved_bytes() - pool_used_bytes()))
        throw_error("kv cache", "{:.2f} GiB of KV storage do not fit in the GPU's free memory ({:.2f} GiB)",
                    static_cast<double>(total) / (1ull << 30), static_cast<double>(memory_free()) / (1ull << 30));
    kv_bytes_ += total;
    return make_kv_storage(shape, alloc(total));
}

BatchTensors GpuBackend::begin_batch(const Batch& batch) {
    batch_ = &batch;
    forget_q8();
    const auto n = static_cast<size_t>(batch.n_tokens()), n_logits = static_cast<size_t>(batch.n_logit_rows());
    const size_t n_seqs = batch.sequences.size();
    size_t n_table = 0;
    for (const auto& s : batch.sequences) n_table += s.block_table.size();
    std::vector<int32_t>& decode_tokens = decode_tokens_host_;
    std::vector<int32_t>& prefill_tiles = prefill_tiles_host_;
    decode_tokens.clear();
    prefill_tiles.clear();
    max_keys_ = 0;
    for (size_t si = 0; si < n_seqs; ++si) {
        const auto& s = batch.sequences[si];
        max_keys_ = std::max(max_keys_, s.n_past + s.n_tokens);
        for (int64_t t0 = 0; t0 < s.n_tokens; t0 += (s.row_class == RowClass::Decode ? 1 : kPrefillTile)) {
            if (s.row_class == RowClass::Decode) {
                decode_tokens.push_back(static_cast<int32_t>(s.token_begin + t0));
                continue;
            }
            const int32_t tile[3] = {static_cast<int32_t>(si), static_cast<int32_t>(s.token_begin + t0),
                                     static_cast<int32_t>(std::min<int64_t>(kPrefillTile, s.n_tokens - t0))};
            prefill_tiles.insert(prefill_tiles.end(), tile, tile + 3);
        }
    }
    // Packed layout: ids | positions | token_seq | logit_rows | seq_info | prompt lengths |
    // decode tokens | prefill tiles | block tables (last: every pointer before them depends only
    // on the counts, so a recorded step graph stays valid while the tables grow).
    const size_t total = 3 * n + n_logits + 5 * n_seqs + n_table + decode_tokens.size() + prefill_tiles.size();
    const size_t bytes = std::max<size_t>(total, 1) * sizeof(int32_t);
    event_sync(batch_uploaded_);  // the previous step's copy has read the staging buffer
    if (bytes > batch_host_bytes_) {
        if (batch_host_ != nullptr) pinned_free(batch_host_);
        batch_host_bytes_ = std::max(bytes, 2 * batch_host_bytes_);
        batch_host_ = pinned_malloc(batch_host_bytes_);
    }
    reserve(batch_device_, batch_host_bytes_);
    auto* h = static_cast<int32_t*>(batch_host_);
    size_t at = 0;
    const auto put = [&](const int32_t* src, size_t count) {
        std::memcpy(h + at, src, count * sizeof(int32_t));
        at += count;
    };
    put(batch.token_ids.data(), n);
    put(batch.positions.data(), n);
    put(batch.token_sequence.data(), n);
    put(batch.logit_rows.data(), n_logits);
    int32_t table_offset = 0;
    for (const auto& s : batch.sequences) {
        const int32_t info[4] = {static_cast<int32_t>(s.token_begin), static_cast<int32_t>(s.n_tokens),
                                 static_cast<int32_t>(s.n_past), table_offset};
        put(info, 4);
        table_offset += static_cast<int32_t>(s.block_table.size());
    }
    for (const auto& s : batch.sequences) {
        const auto prompt_length = static_cast<int32_t>(s.prompt_length);
        put(&prompt_length, 1);
    }
    put(decode_tokens.data(), decode_tokens.size());
    put(prefill_tiles.data(), prefill_tiles.size());
    for (const auto& s : batch.sequences) put(s.block_table.data(), s.block_table.size());
    copy_h2d_async(batch_device_.data(), batch_host_, at * sizeof(int32_t), stream_);
    event_record(batch_uploaded_, stream_);

    const auto* d = static_cast<const int32_t*>(batch_device_.data());
    device_batch_.token_ids = d;
    device_batch_.positions = d + n;
    device_batch_.token_seq = d + 2 * n;
    device_batch_.logit_rows = d + 3 * n;
    device_batch_.seq_info = d + 3 * n + n_logits;
    device_batch_.prompt_length = d + 3 * n + n_logits + 4 * n_seqs;
    device_batch_.decode_tokens = device_batch_.prompt_length + n_seqs;
    device_batch_.prefill_tiles = device_batch_.decode_tokens + decode_tokens.size();
    device_batch_.block_tables = device_batch_.prefill_tiles + prefill_tiles.size();
    device_batch_.n_decode_tokens = static_cast<int32_t>(decode_tokens.size());
    device_batch_.n_prefill_tiles = static_cast<int32_t>(prefill_tiles.size() / 3);
    device_batch_.n_tokens = static_cast<int32_t>(n);
    device_batch_.n_seqs = static_cast<int32_t>(n_seqs);
    BatchTensors t;
    t.token_ids = tensor::make_tensor(GgmlType::I32, {batch.n_tokens(), 1, 1, 1}, const_cast<int32_t*>(d),
                                      tensor::Device::Gpu);
    t.logit_rows = tensor::make_tensor(GgmlType::I32, {batch.n_logit_rows(), 1, 1, 1},
                                       const_cast<int32_t*>(device_batch_.logit_rows), tensor::Device::Gpu);
    return t;
}

void GpuBackend::reserve(tensor::Buffer& buffer, size_t bytes) {
    if (buffer.bytes() >= bytes) return;
    ++buffers_generation_;
    buffer = pool_alloc(bytes);  // the old range returns to the pool; later users are ordered on the stream
}

void GpuBackend::get_rows(const tensor::Tensor& table, const tensor::Tensor& ids, tensor::Tensor& out) {
    assert(ids.dtype == GgmlType::I32 && ids.device == tensor::Device::Gpu && out.ne[0] == table.ne[0] &&
           out.ne[1] >= ids.ne[0]);
    forget_q8();
    launch_get_rows(view_of(table), ids.data_as<int32_t>(), ids.ne[0], f32(out), stream_);
}

void GpuBackend::rms_norm(const tensor::Tensor& x, const tensor::Tensor& weight, tensor::Tensor& y, float eps) {
    norm_rows(x, nullptr, weight, y, eps);
}

void GpuBackend::add_rms_norm(tensor::Tensor& x, const tensor::Tensor& delta, const tensor::Tensor& weight,
                              tensor::Tensor& y, float eps) {
    assert(delta.n_elements() == x.n_elements());
    norm_rows(x, f32(delta), weight, y, eps);
}

void GpuBackend::norm_rows(const tensor::Tensor& x, const float* delta, const tensor::Tensor& weight, tensor::Tensor& y,
                           float eps) {
    assert(weight.ne[0] == x.ne[0] && y.n_elements() == x.n_elements());
    RmsNormFusion fusion;
    fusion.delta = delta;
    fusion.q8 = q8_output(f32(y), x.ne[0], x.n_rows(), &fusion.q8_scales);
    launch_rms_norm(f32(x), f32(weight), f32(y), x.ne[0], x.n_rows(), eps, stream_, fusion);
}

int8_t* GpuBackend::q8_buffers(int64_t k, int64_t rows, float** scales) {
    forget_q8();  // x_q8_ is about to be overwritten
    reserve(x_q8_, static_cast<size_t>(k * rows));
    reserve(x_q8_scales_, static_cast<size_t>(k / 32 * rows) * 2 * sizeof(float));
    *scales = static_cast<float*>(x_q8_scales_.data());
    return static_cast<int8_t*>(x_q8_.data());
}

int8_t* GpuBackend::q8_output(const float* x, int64_t k, int64_t rows, float** scales) {
    forget_q8();
    *scales = nullptr;
    if (k % 32 != 0) return nullptr;
    int8_t* q = q8_buffers(k, rows, scales);
    q8_copy_ = Q8Copy{x, k, rows};
    return q;
}

bool GpuBackend::q8_of(const float* x, int64_t k, int64_t begin, int64_t rows, Q8Activations& out) const {
    if (q8_copy_.x != x || q8_copy_.k != k || begin + rows > q8_copy_.rows) return false;
    out.q = static_cast<const int8_t*>(x_q8_.data()) + begin * k;
    out.scales = static_cast<const float*>(x_q8_scales_.data()) + begin * (k / 32) * 2;
    return true;
}

void GpuBackend::split_input(const float* x, int64_t k, int64_t rows) {
    const size_t bytes = static_cast<size_t>(k * rows) * sizeof(uint16_t);
    reserve(x_hi_, bytes);
    if (prefill_lo_half_) reserve(x_lo_, bytes);
    launch_split_f16(x, static_cast<uint16_t*>(x_hi_.data()),
                     prefill_lo_half_ ? static_cast<uint16_t*>(x_lo_.data()) : nullptr, k * rows, stream_);
}

Q8Activations GpuBackend::quantize_input(const float* x, int64_t k, int64_t rows) {
    float* scales = nullptr;
    int8_t* q = q8_buffers(k, rows, &scales);
    launch_quantize_q8(x, k, rows, q, scales, stream_);
    return Q8Activations{q, scales};
}

void GpuBackend::gemm_rows(const tensor::Tensor& w, float* y, int64_t rows) {
    const int64_t k = w.ne[0], n_out = w.ne[1];
    const uint16_t* w16 = nullptr;
    if (w.dtype == GgmlType::F16) {
        w16 = w.data_as<uint16_t>();
    } else {
        reserve(w_f16_, static_cast<size_t>(k * n_out) * sizeof(uint16_t));
        launch_dequantize_f16(view_of(w), static_cast<uint16_t*>(w_f16_.data()), stream_);
        w16 = static_cast<const uint16_t*>(w_f16_.data());
    }
    gemm_->f16(w16, static_cast<const uint16_t*>(x_hi_.data()), y, k, n_out, rows, false);
    if (prefill_lo_half_) gemm_->f16(w16, static_cast<const uint16_t*>(x_lo_.data()), y, k, n_out, rows, true);
}

void GpuBackend::matmul(const tensor::Tensor& w, const tensor::Tensor& x, tensor::Tensor& y,
                        std::span<const RowRun> runs) {
    const MatmulTask task{&w, &y};
    matmul_shared_input(std::span<const MatmulTask>(&task, 1), x, runs);
}

void GpuBackend::matmul_shared_input(std::span<const MatmulTask> tasks, const tensor::Tensor& x,
                                     std::span<const RowRun> runs) {
    const int64_t k = x.ne[0];
    for (const auto& run : runs) {
        const float* xr = f32(x) + run.begin * k;
        if (run.row_class == RowClass::Prefill) split_input(xr, k, run.count);
        const auto reads_q8 = [](const MatmulTask& t) { return gemv_reads_q8(view_of(*t.w)); };
        const bool wants_q8 = run.row_class == RowClass::Decode && std::any_of(tasks.begin(), tasks.end(), reads_q8);
        Q8Activations xq;
        if (wants_q8 && !q8_of(f32(x), k, run.begin, run.count, xq)) xq = quantize_input(xr, k, run.count);
        if (wants_q8 && fuse_decode_gemv(tasks, run, xq)) continue;
        for (const auto& task : tasks) {
            assert(task.w->ne[0] == k && task.y->ne[0] == task.w->ne[1]);
            float* yr = f32(*task.y) + run.begin * task.w->ne[1];
            if (run.row_class == RowClass::Decode)
                launch_gemv(view_of(*task.w), xr, wants_q8 ? &xq : nullptr, run.count, yr, gemv_device_, stream_);
            else
                gemm_rows(*task.w, yr, run.count);
        }
    }
    forget_q8();  // the outputs may overwrite the input the int8 copy was made of
}

bool GpuBackend::fuse_decode_gemv(std::span<const MatmulTask> tasks, const RowRun& run, const Q8Activations& xq) {
    std::vector<WeightView> ws;
    std::vector<float*> ys;
    for (const auto& task : tasks) {
        ws.push_back(view_of(*task.w));
        ys.push_back(f32(*task.y) + run.begin * task.w->ne[1]);
    }
    if (!gemv_can_fuse(ws)) return false;
    launch_gemv_fused(ws, ys, xq, run.count, gemv_device_, stream_);
    return true;
}

void GpuBackend::add_bias(tensor::Tensor& y, const tensor::Tensor& bias) {
    forget_q8();
    launch_add_bias(f32(y), f32(bias), y.ne[0], y.n_rows(), stream_);
}

void GpuBackend::rope(tensor::Tensor& x, const RopeParams& params, const tensor::Tensor& freq_factors) {
    assert(batch_ != nullptr && x.ne[2] == batch_->n_tokens());
    forget_q8();
    launch_rope(f32(x), x.ne[0], x.ne[1], x.ne[2], device_batch_, params,
                freq_factors.empty() ? nullptr : f32(freq_factors), stream_);
}

void GpuBackend::kv_store(KvStorage& kv, int64_t layer, const tensor::Tensor& k, const tensor::Tensor& v) {
    assert(batch_ != nullptr && k.ne[0] == kv.shape.row_elements);
    forget_q8();
    const auto l = static_cast<size_t>(layer);
    launch_kv_store(f32(k), f32(v), kv.k[l].data, kv.v[l].data, kv.shape.dtype, kv.shape.row_elements,
                    kv.shape.block_size, device_batch_, stream_);
}

void GpuBackend::attention(const KvStorage& kv, int64_t layer, const tensor::Tensor& q, tensor::Tensor& out,
                           const AttentionShape& shape) {
    assert(batch_ != nullptr && q.ne[2] == batch_->n_tokens());
    forget_q8();
    const auto l = static_cast<size_t>(layer);
    const int64_t partial_floats = attention_partial_floats(shape, batch_->n_tokens(), max_keys_);
    reserve(attention_partial_, static_cast<size_t>(std::max<int64_t>(partial_floats, 1)) * sizeof(float));
    const size_t counter_bytes = static_cast<size_t>(attention_split_counters(shape, batch_->n_tokens())) * sizeof(unsigned);
    if (attention_counters_.bytes() < counter_bytes) {
        reserve(attention_counters_, counter_bytes);
        memset_async(attention_counters_.data(), 0, attention_counters_.bytes(), stream_);
    }
    // Decode-only batches also get out's int8 form for the next GEMV (no separate quantize).
    float* q8_scales = nullptr;
    int8_t* q8 = attention_writes_q8(shape, device_batch_)
                     ? q8_output(f32(out), shape.n_heads * shape.head_dim, batch_->n_tokens(), &q8_scales)
                     : nullptr;
    launch_attention(f32(q), f32(out), kv.k[l].data, kv.v[l].data, kv.shape.dtype, kv.shape.block_size, shape,
                     device_batch_, max_keys_, static_cast<float*>(attention_partial_.data()),
                     static_cast<unsigned*>(attention_counters_.data()), attention_tensor_cores_,
                     stream_, q8, q8_scales);
}

void GpuBackend::swiglu(const tensor::Tensor& gate, const tensor::Tensor& up, tensor::Tensor& out) {
    float* scales = nullptr;
    int8_t* q8 = q8_output(f32(out), out.ne[0], out.n_rows(), &scales);
    launch_swiglu(f32(gate), f32(up), f32(out), gate.n_elements(), stream_, q8, scales);
}

void GpuBackend::geglu(const tensor::Tensor& gate, const tensor::Tensor& up, tensor::Tensor& out) {
    float* scales = nullptr;
    int8_t* q8 = q8_output(f32(out), out.ne[0], out.n_rows(), &scales);
    launch_geglu(f32(gate), f32(up), f32(out), gate.n_elements(), stream_, q8, scales);
}

void GpuBackend::add(tensor::Tensor& y, const tensor::Tensor& x) {
    assert(y.n_elements() == x.n_elements());
    forget_q8();
    launch_add(f32(y), f32(x), y.n_elements(), stream_);
}

void GpuBackend::scale(tensor::Tensor& x, float factor) {
    forget_q8();
    launch_scale(f32(x), factor, x.n_elements(), stream_);
}

void GpuBackend::softcap(tensor::Tensor& x, float cap) {
    assert(cap > 0.0f);
    forget_q8();
    launch_softcap(f32(x), cap, x.n_elements(), stream_);
}

void GpuBackend::copy_kv_block(KvStorage& kv, int32_t src, int32_t dst) {
    forget_q8();
    const int64_t bs = kv.shape.block_size;
    for (int64_t l = 0; l < kv.shape.n_layers; ++l)
        for (auto* t : {&kv.k[static_cast<size_t>(l)], &kv.v[static_cast<size_t>(l)]}) {
            auto* base = t->data_as<uint8_t>();
            const size_t block_bytes = static_cast<size_t>(bs) * t->nb[1];
            copy_d2d_async(base + dst * block_bytes, base + src * block_bytes, block_bytes, stream_);
        }
}

void GpuBackend::rope_kv_store(tensor::Tensor& q, tensor::Tensor& k, const tensor::Tensor& v, const RopeParams& params,
                               const tensor::Tensor& freq_factors, KvStorage& kv, int64_t layer) {
    assert(batch_ != nullptr && q.ne[2] == batch_->n_tokens() && k.ne[0] * k.ne[1] == kv.shape.row_elements);
    forget_q8();
    const auto l = static_cast<size_t>(layer);
    launch_rope_kv_store(f32(q), f32(k), f32(v), q.ne[0], q.ne[1], k.ne[1], params,
                         freq_factors.empty() ? nullptr : f32(freq_factors), kv.k[l].data, kv.v[l].data,
                         kv.shape.dtype, kv.shape.block_size, device_batch_, stream_);
}

void GpuBackend::clear_graphs() {
    for (auto& g : graphs_) graph_destroy(g.graph);
    graphs_.clear();
    seen_once_.clear();
}

void GpuBackend::run_step(std::span<const void* const> buffers, const std::function<void()>& ops) {
    assert(batch_ != nullptr);
    const bool decode_only = device_batch_.n_decode_tokens == device_batch_.n_tokens;
    if (!graphs_enabled_ || buffers.size() > 2 || !decode_only) return ops();
    StepKey key;
    key.n_tokens = batch_->n_tokens();
    key.n_seqs = static_cast<int64_t>(batch_->sequences.size());
    key.n_logits = batch_->n_logit_rows();
    key.max_splits = attention_splits(max_keys_);
    std::copy(buffers.begin(), buffers.end(), key.buffers);
    if (graphs_generation_ != buffers_generation_) {
        clear_graphs();
        graphs_generation_ = buffers_generation_;
    }
    for (const auto& g : graphs_)
        if (g.key == key) {
            graph_launch(g.graph, stream_);
            ++graph_replays_;
            return;
        }
    if (std::find(seen_once_.begin(), seen_once_.end(), key) == seen_once_.end()) {
        if (seen_once_.size() >= 4 * kMaxGraphs) seen_once_.clear();
        seen_once_.push_back(key);  // the first time eagerly: it sizes the scratch buffers
        return ops();
    }
    if (graphs_.size() >= kMaxGraphs) clear_graphs();
    stream_begin_capture(stream_);
    try {
        ops();
    } catch (...) {
        try {
            graph_destroy(stream_end_capture(stream_));
        } catch (...) {
        }
        throw;
    }
    const GraphHandle graph = stream_end_capture(stream_);
    graph_launch(graph, stream_);
    if (graphs_generation_ != buffers_generation_ || !graphs_enabled_) {
        graph_destroy(graph);  // it points at scratch replaced while recording; freed after it runs
        return;
    }
    graphs_.push_back(StepGraph{key, graph});
}

}  // namespace rocmforge::backend::gpu
