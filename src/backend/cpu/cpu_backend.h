#pragma once
// The Backend interface (backend/backend.h) on the CPU: the ops of this folder, threaded over
// one ThreadPool the backend owns. Weights are used in place (from the GGUF mapping) or, for
// Q4_0/Q8_0/Q4_K/Q6_K matrices, as an interleaved copy made at load (F16: a plain copy on huge
// pages; see upload_weight); K/V
// storage is f32 (bit-identical to freshly computed values), f16 or bf16.
#include "backend/backend.h"
#include "backend/cpu/attention.h"
#include "backend/cpu/matmul.h"
#include "backend/cpu/moe.h"
#include "backend/cpu/rope.h"
#include "util/thread_pool.h"

#include <array>
#include <vector>

namespace rocmforge::backend::cpu {

class CpuBackend final : public Backend {
public:
    // n_threads < 1: all hardware threads.
    explicit CpuBackend(int n_threads);

    ThreadPool& pool() { return pool_; }

    tensor::Device device() const override { return tensor::Device::Cpu; }
    std::string description() const override;
    bool supports(Op op, gguf::GgmlType type) const override;

    // Zeroed memory, its first 512 MiB committed at once (see the definition).
    tensor::Buffer alloc(size_t bytes) override;
    // Q4_0/Q8_0/Q4_K/Q6_K matrices of at least 8 rows are copied into the interleaved decode layout
    // (interleaved_weights.h; interleaved_bytes: Q4_K 2.8 % larger than the file's bytes) in
    // huge-page memory the backend keeps (Model::load then releases the mapped pages of the
    // original: no doubled memory); F16 matrices are copied there as they are (plain rows); every
    // other weight is used in place.
    tensor::Tensor upload_weight(const tensor::Tensor& host) override;
    void copy_to_host(const tensor::Tensor& src, float* dst) override;
    void argmax_rows(const tensor::Tensor& x, std::span<int32_t> ids) override;
    void top_k_rows(const tensor::Tensor& x, int64_t k, std::span<int32_t> ids, std::span<float> values) override;
    KvStorage alloc_kv_storage(const KvStorageShape& shape) override;

    BatchTensors begin_batch(const Batch& batch) override;

    void get_rows(const tensor::Tensor& table, const tensor::Tensor& ids, tensor::Tensor& out) override;
    void rms_norm(const tensor::Tensor& x, const tensor::Tensor& weight, tensor::Tensor& y, float eps) override;
    void add_rms_norm(tensor::Tensor& x, const tensor::Tensor& delta, const tensor::Tensor& weight, tensor::Tensor& y,
                      float eps) override;
    void matmul(const tensor::Tensor& w, const tensor::Tensor& x, tensor::Tensor& y,
                std::span<const RowRun> runs) override;
    void matmul_shared_input(std::span<const MatmulTask> tasks, const tensor::Tensor& x,
                             std::span<const RowRun> runs) override;
    void add_bias(tensor::Tensor& y, const tensor::Tensor& bias) override;
    void rope(tensor::Tensor& x, const RopeParams& params, const tensor::Tensor& freq_factors) override;
    void kv_store(KvStorage& kv, int64_t layer, const tensor::Tensor& k, const tensor::Tensor& v) override;
    void attention(const KvStorage& kv, int64_t layer, const tensor::Tensor& q, tensor::Tensor& out,
                   const AttentionShape& shape) override;
    // The norm (or the gated activation) runs inside the products' dispatch on the row-by-row
    // path, each thread a share of the rows (matmul.h, RowsPrologue).
    void norm_matmul_shared_input(tensor::Tensor& x, const tensor::Tensor* delta, const tensor::Tensor& weight,
                                  tensor::Tensor& x_norm, float eps, std::span<const MatmulTask> tasks,
                                  std::span<const RowRun> runs) override;
    void swiglu_matmul(tensor::Tensor& gate, const tensor::Tensor& up, const tensor::Tensor& w, tensor::Tensor& y,
                       std::span<const RowRun> runs) override;
    // With f32 K/V storage: one dispatch, each thread rotating and storing a share of the tokens
    // before all of them attend (other storage types: the separate ops).
    void rope_kv_store_attention(tensor::Tensor& q, tensor::Tensor& k, const tensor::Tensor& v,
                                 const RopeParams& params, const tensor::Tensor& freq_factors, KvStorage& kv,
                                 int64_t layer, tensor::Tensor& out, const AttentionShape& shape) override;
    void swiglu(const tensor::Tensor& gate, const tensor::Tensor& up, tensor::Tensor& out) override;
    void geglu(const tensor::Tensor& gate, const tensor::Tensor& up, tensor::Tensor& out) override;
    void moe_ffn(const tensor::Tensor& x, const tensor::Tensor& router_logits, const MoeFfn& moe, tensor::Tensor& out,
                 std::span<const RowRun> runs) override;
    void add(tensor::Tensor& y, const tensor::Tensor& x) override;
    void scale(tensor::Tensor& x, float factor) override;
    void softcap(tensor::Tensor& x, float cap) override;
    void copy_kv_block(KvStorage& kv, int32_t src, int32_t dst) override;

private:
    const RopeTable& rope_table(const RopeParams& params, const tensor::Tensor& freq_factors);
    // attention_items_ for layer `layer` of the current batch: paged f32 rows, or the rows
    // gathered into kv_f32_k_/kv_f32_v_ for other storage types.
    void prepare_attention_items(const KvStorage& kv, int64_t layer);
    // token_slots_ for the current batch: the storage row of each token's position.
    void fill_token_slots(int64_t block_size);
    // Rows [t0, t1) of k and v ([row_elements, n_tokens] f32) into layer `layer` at token_slots_,
    // converted to the storage type.
    void store_kv_rows(KvStorage& kv, int64_t layer, const float* k, const float* v, int64_t t0, int64_t t1);
    // `bytes` of huge-page memory for a weight's copy made at load, kept until the backend goes.
    void* keep_weight_copy(size_t bytes);

    ThreadPool pool_;
    std::vector<tensor::Buffer> weight_copies_;  // interleaved matrices and F16 matrices (upload_weight)
    const Batch* batch_ = nullptr;
    uint64_t batch_generation_ = 0;
    // The rope tables of the current batch, rebuilt when the batch changes; two, because models
    // with sliding-window layers (gemma3) alternate between a local and a global rope base.
    struct RopeCache {
        uint64_t generation = 0;
        RopeParams params;
        const void* freq_factors = nullptr;
        RopeTable table;
    };
    std::array<RopeCache, 2> rope_cache_;
    size_t rope_cache_next_ = 0;  // the entry replaced on the next miss
    // Per-call scratch kept across steps (no allocation per op in decode).
    std::vector<MatmulRowsTask> shared_input_tasks_;
    std::vector<AttentionSequence> attention_items_;
    std::vector<int64_t> token_slots_;  // fill_token_slots: storage row per batch token
    MoeScratch moe_scratch_;
    std::vector<RowClass> moe_row_class_;
    // f32 copies of f16/bf16 K/V rows for attention: per sequence [n_positions, row_elements].
    std::vector<std::vector<float>> kv_f32_k_, kv_f32_v_;
};

}  // namespace rocmforge::backend::cpu
