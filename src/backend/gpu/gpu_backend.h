#pragma once
// The Backend interface (backend/backend.h) on one GPU, CUDA or HIP: weights uploaded once into
// the device memory pool (memory_pool.h) through pinned staging, all ops on one stream, the
// batch's index arrays uploaded once per step (begin_batch) into a device buffer reused across
// steps. KV storage F16 (default of the CLI on the GPU), BF16 or F32.
//
// Matmul rows by class: Decode → GEMV with weights dequantized in registers (gemv.cuh); Prefill
// → the weight dequantized to f16 (F16 weights used as they are) and the activations rounded to
// f16, an f16 GEMM with f32 accumulation (gemm.cuh); ROCMFORGE_GPU_PREFILL=f16x2 adds a second
// GEMM on the activations' rounding error (hi + lo halves, near-f32 activations).
#include "backend/backend.h"
#include "backend/gpu/device.h"
#include "backend/gpu/device_batch.h"
#include "backend/gpu/gemv.cuh"
#include "backend/gpu/moe_scratch.h"
#include "backend/gpu/quantize_q8.cuh"

#include <memory>
#include <vector>

namespace rocmforge::backend::gpu {

class Gemm;

class GpuBackend final : public Backend {
public:
    // Throws rocmforge::Error when the device does not exist or cannot be initialised.
    explicit GpuBackend(int device_index = 0);
    ~GpuBackend() override;

    const DeviceInfo& info() const { return info_; }
    StreamHandle stream() const { return stream_; }
    // Waits for every op issued so far.
    void synchronize();

    tensor::Device device() const override { return tensor::Device::Gpu; }
    std::string description() const override;
    bool supports(Op op, gguf::GgmlType type) const override;

    tensor::Buffer alloc(size_t bytes) override;
    tensor::Tensor upload_weight(const tensor::Tensor& host) override;
    void copy_to_host(const tensor::Tensor& src, float* dst) override;
    void argmax_rows(const tensor::Tensor& x, std::span<int32_t> ids) override;
    void top_k_rows(const tensor::Tensor& x, int64_t k, std::span<int32_t> ids, std::span<float> values) override;
    KvStorage alloc_kv_storage(const KvStorageShape& shape) override;

    BatchTensors begin_batch(const Batch& batch) override;

    void get_rows(const tensor::Tensor& table, const tensor::Tensor& ids, tensor::Tensor& out) override;
    void rms_norm(const tensor::Tensor& x, const tensor::Tensor& weight, tensor::Tensor& y, float eps) override;
    void matmul(const tensor::Tensor& w, const tensor::Tensor& x, tensor::Tensor& y,
                std::span<const RowRun> runs) override;
    void matmul_shared_input(std::span<const MatmulTask> tasks, const tensor::Tensor& x,
                             std::span<const RowRun> runs) override;
    void add_bias(tensor::Tensor& y, const tensor::Tensor& bias) override;
    void rope(tensor::Tensor& x, const RopeParams& params, const tensor::Tensor& freq_factors) override;
    void kv_store(KvStorage& kv, int64_t layer, const tensor::Tensor& k, const tensor::Tensor& v) override;
    void attention(const KvStorage& kv, int64_t layer, const tensor::Tensor& q, tensor::Tensor& out,
                   const AttentionShape& shape) override;
    void swiglu(const tensor::Tensor& gate, const tensor::Tensor& up, tensor::Tensor& out) override;
    void geglu(const tensor::Tensor& gate, const tensor::Tensor& up, tensor::Tensor& out) override;
    // moe_ffn.cpp: routing on the host (one stream sync), expert products by the matmul launchers.
    void moe_ffn(const tensor::Tensor& x, const tensor::Tensor& router_logits, const MoeFfn& moe, tensor::Tensor& out,
                 std::span<const RowRun> runs) override;
    void add(tensor::Tensor& y, const tensor::Tensor& x) override;
    void scale(tensor::Tensor& x, float factor) override;
    void softcap(tensor::Tensor& x, float cap) override;
    void copy_kv_block(KvStorage& kv, int32_t src, int32_t dst) override;
    void add_rms_norm(tensor::Tensor& x, const tensor::Tensor& delta, const tensor::Tensor& weight, tensor::Tensor& y,
                      float eps) override;
    void rope_kv_store(tensor::Tensor& q, tensor::Tensor& k, const tensor::Tensor& v, const RopeParams& params,
                       const tensor::Tensor& freq_factors, KvStorage& kv, int64_t layer) override;
    // Steps of Decode rows only are recorded as a graph the second time their shape (tokens,
    // sequences, logit rows, attention splits) and buffers are seen, and replayed from then on.
    // Off with ROCMFORGE_GPU_GRAPHS=0.
    void run_step(std::span<const void* const> buffers, const std::function<void()>& ops) override;
    int64_t steps_replayed() const override { return graph_replays_; }

private:
    // y rows [0, rows) of one Prefill run; x_hi/x_lo already hold the f16 halves of its x rows.
    void gemm_rows(const tensor::Tensor& w, float* y, int64_t rows);
    // Rounds x rows [0, rows) ([k, rows] f32) to f16 in x_hi_, and their rounding error to x_lo_ when
    // the prefill uses both halves.
    void split_input(const float* x, int64_t k, int64_t rows);
    // x rows [0, rows) ([k, rows] f32, k % 32 == 0) as int8 blocks in x_q8_/x_q8_scales_, for the
    // GEMV of split-layout weights.
    Q8Activations quantize_input(const float* x, int64_t k, int64_t rows);
    // Decode rows of every task in one GEMV launch when their weights allow it (gemv_can_fuse).
    bool fuse_decode_gemv(std::span<const MatmulTask> tasks, const RowRun& run, const Q8Activations& xq);
    // Device scratch of at least `bytes` in *buffer (grown, never shrunk; growing invalidates
    // the recorded graphs).
    void reserve(tensor::Buffer& buffer, size_t bytes);
    // x_q8_ / x_q8_scales_ as the int8 output of an op writing x ([k, rows] f32), recorded so the
    // GEMV that reads x next uses it instead of quantizing (q8_of); null when k % 32 != 0.
    int8_t* q8_output(const float* x, int64_t k, int64_t rows, float** scales);
    // x_q8_ / x_q8_scales_ sized for [k, rows] (k % 32 == 0); forgets the recorded int8 copy.
    int8_t* q8_buffers(int64_t k, int64_t rows, float** scales);
    // rms_norm of x (after x += delta when delta is not null) into y, with the int8 output.
    void norm_rows(const tensor::Tensor& x, const float* delta, const tensor::Tensor& weight, tensor::Tensor& y,
                   float eps);
    // The int8 copy of x rows [begin, begin + rows) when the op just before wrote one.
    bool q8_of(const float* x, int64_t k, int64_t begin, int64_t rows, Q8Activations& out) const;
    // Every op but the GEMV's consumers calls it: an int8 copy is valid only for the next op.
    void forget_q8() { q8_copy_ = Q8Copy{}; }
    void clear_graphs();

    struct Q8Copy {
        const float* x = nullptr;
        int64_t k = 0, rows = 0;
    };
    Q8Copy q8_copy_;

    struct StepKey {
        int64_t n_tokens = 0, n_seqs = 0, n_logits = 0, max_splits = 0;
        const void* buffers[2] = {nullptr, nullptr};
        bool operator==(const StepKey&) const = default;
    };
    struct StepGraph {
        StepKey key;
        GraphHandle graph = nullptr;
    };
    std::vector<StepGraph> graphs_;
    std::vector<StepKey> seen_once_;  // shapes run eagerly once (their scratch is sized)
    uint64_t buffers_generation_ = 0, graphs_generation_ = 0;
    bool graphs_enabled_ = true;
    // Prefill GEMM on the activations rounded to f16 (as llama.cpp's cuBLAS path); with
    // ROCMFORGE_GPU_PREFILL=f16x2 also on the rounding error's f16 (hi + lo, ~22 bits, a second GEMM).
    bool prefill_lo_half_ = false;
    // Prefill tiles of F16 KV on tensor cores (sm_80+); ROCMFORGE_GPU_PREFILL_ATTENTION=simt keeps
    // them on the f32 tile kernel.
    bool attention_tensor_cores_ = false;
    size_t weight_bytes_ = 0, kv_bytes_ = 0;  // uploaded weights, KV storage allocated (for the memory log)
    GemvDevice gemv_device_;  // ROCMFORGE_GPU_DECODE_MMA=0 keeps many-token decode products off tensor cores
    int64_t graph_replays_ = 0;

    DeviceInfo info_;
    StreamHandle stream_ = nullptr;
    std::unique_ptr<Gemm> gemm_;
    std::vector<tensor::Buffer> weights_;  // device copies returned by upload_weight

    // Pinned staging of weight uploads: two buffers used in turn, each guarded by an event.
    void* staging_[2] = {nullptr, nullptr};
    EventHandle staging_done_[2] = {nullptr, nullptr};
    int next_staging_ = 0;

    // Batch upload: packed i32 arrays (device_batch.h) staged in pinned memory, one copy per step.
    const Batch* batch_ = nullptr;
    DeviceBatch device_batch_;
    void* batch_host_ = nullptr;
    size_t batch_host_bytes_ = 0;
    tensor::Buffer batch_device_;
    EventHandle batch_uploaded_ = nullptr;

    // Prefill scratch: a weight as f16, the activations as f16 halves.
    tensor::Buffer w_f16_, x_hi_, x_lo_, x_q8_, x_q8_scales_, attention_partial_, attention_counters_;
    tensor::Buffer argmax_ids_;  // argmax_rows: [rows] i32
    tensor::Buffer top_k_out_;   // top_k_rows: [rows][k] i32 ids, then [rows][k] f32 values
    std::vector<int32_t> decode_tokens_host_, prefill_tiles_host_;  // begin_batch's scratch
    int64_t max_keys_ = 0;  // the batch's largest n_past + n_tokens (attention's key splits)
    MoeScratch moe_scratch_;
};

}  // namespace rocmforge::backend::gpu
