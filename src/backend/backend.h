#pragma once
// The ops a forward pass needs, over tensor views on one device. The model's forward pass is
// written once against this interface; each device implements it (cpu/cpu_backend.h, gpu/).
//
// Call order per step: begin_batch(batch) once, then the ops; ops that depend on the batch
// (rope, kv_store, attention) read the positions, sequences and block tables given there.
// Shapes use GGML order ([row_length, n_rows]); activations are f32 unless stated.
#include "backend/backend_types.h"
#include "backend/batch.h"
#include "tensor/tensor.h"

#include <functional>
#include <span>
#include <string>

namespace rocmforge::backend {

// The most candidates per row Backend::top_k_rows selects (top-k sampling with a larger k reads
// whole rows).
constexpr int64_t kMaxTopK = 256;

// Device views of a batch's index arrays, valid until the next begin_batch.
struct BatchTensors {
    tensor::Tensor token_ids;   // [n_tokens] i32
    tensor::Tensor logit_rows;  // [n_logit_rows] i32
};

class Backend {
public:
    virtual ~Backend() = default;

    virtual tensor::Device device() const = 0;
    // For logs and `bench`: "cpu (AVX2, 2 threads)".
    virtual std::string description() const = 0;
    // Whether `op` can read a weight of `type` (matmul and get_rows read any supported weight
    // type; the other ops read f32 weights).
    virtual bool supports(Op op, gguf::GgmlType type) const = 0;

    // Memory. alloc() returns zeroed memory on this device. upload_weight() returns a view of
    // `host` (a CPU view, e.g. into the GGUF mapping) usable by this backend's ops: the CPU
    // backend returns it unchanged; a GPU backend copies it into device memory it keeps.
    virtual tensor::Buffer alloc(size_t bytes) = 0;
    virtual tensor::Tensor upload_weight(const tensor::Tensor& host) = 0;
    // dst (host) = src; src is contiguous f32 on this device.
    virtual void copy_to_host(const tensor::Tensor& src, float* dst) = 0;
    // ids (host)[r] = the index of the largest value of row r of x ([n, ids.size()] contiguous f32
    // on this device), the smallest index among equal maxima (std::max_element's rule); -1 for a
    // row holding a NaN or an infinity. Greedy decoding: only the token ids leave the device.
    virtual void argmax_rows(const tensor::Tensor& x, std::span<int32_t> ids) = 0;
    // Row r's k largest values, largest first and the smaller index first among equal values (the
    // order std::partial_sort gives with that comparator), to the host: ids[r k + i], values[r k + i]
    // for r < n_rows = ids.size() / k; ids[r k] = -1 for a row holding a NaN or an infinity.
    // Top-k sampling: only the candidates leave the device. PRECOND: 1 <= k <= min(n, kMaxTopK);
    // ids.size() == values.size(), a multiple of k.
    virtual void top_k_rows(const tensor::Tensor& x, int64_t k, std::span<int32_t> ids, std::span<float> values) = 0;
    // Paged K/V storage for all layers, zeroed. Throws rocmforge::Error when the memory or the
    // KV type is not available.
    virtual KvStorage alloc_kv_storage(const KvStorageShape& shape) = 0;

    // Makes `batch` current for the batch-dependent ops (the caller keeps it alive until the next
    // begin_batch) and returns device views of its token ids and logit rows.
    virtual BatchTensors begin_batch(const Batch& batch) = 0;

    // out[t] = row ids[t] of table as f32. table: [n, n_rows] any supported type (or f32
    // activations); ids: [n_ids] i32; out: [n, n_ids].
    virtual void get_rows(const tensor::Tensor& table, const tensor::Tensor& ids, tensor::Tensor& out) = 0;
    // Per row: y = x / sqrt(mean(x^2) + eps) * weight. x, y: [n, rows] (may alias); weight: [n] f32.
    virtual void rms_norm(const tensor::Tensor& x, const tensor::Tensor& weight, tensor::Tensor& y, float eps) = 0;
    // y = W · x per row of x: W [k, n_out] any supported type, x [k, rows], y [n_out, rows]. Each
    // run of rows is computed by the kernel family of its RowClass.
    virtual void matmul(const tensor::Tensor& w, const tensor::Tensor& x, tensor::Tensor& y,
                        std::span<const RowRun> runs) = 0;
    // Several products of the same x (each task as matmul), in as few dispatches as the backend can.
    virtual void matmul_shared_input(std::span<const MatmulTask> tasks, const tensor::Tensor& x,
                                     std::span<const RowRun> runs) = 0;
    // y[:, r] += bias for every row r. y: [n, rows]; bias: [n] f32.
    virtual void add_bias(tensor::Tensor& y, const tensor::Tensor& bias) = 0;
    // Rotates x: [head_dim, n_heads, n_tokens] in place at the batch's token positions.
    // freq_factors: [n_rot / 2] f32 (or [n_rot / 2, 2] with params.long_context > 0) or empty.
    virtual void rope(tensor::Tensor& x, const RopeParams& params, const tensor::Tensor& freq_factors) = 0;
    // Writes the batch's k, v rows ([row_elements, n_tokens] f32) into layer `layer` of the
    // storage at the slots of their positions (converting to the storage type).
    virtual void kv_store(KvStorage& kv, int64_t layer, const tensor::Tensor& k, const tensor::Tensor& v) = 0;
    // Causal attention of each sequence's queries over its positions [0, n_past + n_tokens)
    // in layer `layer` (kv_store of this step must have run). q, out: [head_dim, n_heads, n_tokens].
    virtual void attention(const KvStorage& kv, int64_t layer, const tensor::Tensor& q, tensor::Tensor& out,
                           const AttentionShape& shape) = 0;
    // out = silu(gate) * up, element-wise ([n, rows]; out may alias gate or up).
    virtual void swiglu(const tensor::Tensor& gate, const tensor::Tensor& up, tensor::Tensor& out) = 0;
    // out = gelu_tanh(gate) * up, element-wise, with the tanh approximation
    // gelu_tanh(v) = 0.5 v (1 + tanh(sqrt(2/pi) (v + 0.044715 v^3))) ([n, rows]; out may alias).
    virtual void geglu(const tensor::Tensor& gate, const tensor::Tensor& up, tensor::Tensor& out) = 0;
    // Mixture-of-experts FFN (MoeFfn in backend_types.h): out = moe(x) per row of x. x, out:
    // [n_embd, rows] (no aliasing); router_logits: [n_expert, rows] f32. Each expert's products
    // run over the rows routed to it, by the kernel family of each row's RowClass.
    virtual void moe_ffn(const tensor::Tensor& x, const tensor::Tensor& router_logits, const MoeFfn& moe,
                         tensor::Tensor& out, std::span<const RowRun> runs) = 0;
    // y += x, element-wise, same shapes.
    virtual void add(tensor::Tensor& y, const tensor::Tensor& x) = 0;
    // x *= factor, element-wise.
    virtual void scale(tensor::Tensor& x, float factor) = 0;
    // x = cap * tanh(x / cap), element-wise (logit soft-capping). PRECOND: cap > 0.
    virtual void softcap(tensor::Tensor& x, float cap) = 0;
    // Copies the K/V of every layer from block src to block dst (copy on write of a shared block).
    virtual void copy_kv_block(KvStorage& kv, int32_t src, int32_t dst) = 0;

    // Fused ops: the same results as the ops they combine; a backend overrides them where one
    // launch cuts memory traffic or launches.
    // x += delta, then y = rms_norm(x) * weight. y may alias delta.
    virtual void add_rms_norm(tensor::Tensor& x, const tensor::Tensor& delta, const tensor::Tensor& weight,
                              tensor::Tensor& y, float eps) {
        add(x, delta);
        rms_norm(x, weight, y, eps);
    }
    // x += delta (when delta is given), x_norm = rms_norm(x) * weight, then the products of
    // tasks over x_norm (matmul_shared_input). x_norm may alias delta.
    virtual void norm_matmul_shared_input(tensor::Tensor& x, const tensor::Tensor* delta, const tensor::Tensor& weight,
                                          tensor::Tensor& x_norm, float eps, std::span<const MatmulTask> tasks,
                                          std::span<const RowRun> runs) {
        if (delta != nullptr)
            add_rms_norm(x, *delta, weight, x_norm, eps);
        else
            rms_norm(x, weight, x_norm, eps);
        matmul_shared_input(tasks, x_norm, runs);
    }
    // gate = silu(gate) * up, then y = w · gate (matmul).
    virtual void swiglu_matmul(tensor::Tensor& gate, const tensor::Tensor& up, const tensor::Tensor& w,
                               tensor::Tensor& y, std::span<const RowRun> runs) {
        swiglu(gate, up, gate);
        matmul(w, gate, y, runs);
    }
    // rope(q), rope(k), then kv_store of k and v. q: [head_dim, n_heads, n_tokens], k: [head_dim,
    // n_kv_heads, n_tokens], v: [head_dim * n_kv_heads, n_tokens].
    virtual void rope_kv_store(tensor::Tensor& q, tensor::Tensor& k, const tensor::Tensor& v, const RopeParams& params,
                               const tensor::Tensor& freq_factors, KvStorage& kv, int64_t layer) {
        rope(q, params, freq_factors);
        rope(k, params, freq_factors);
        kv_store(kv, layer, k.reshaped({k.ne[0] * k.ne[1], k.ne[2], 1, 1}), v);
    }
    // rope_kv_store, then attention of layer `layer` over q into out.
    virtual void rope_kv_store_attention(tensor::Tensor& q, tensor::Tensor& k, const tensor::Tensor& v,
                                         const RopeParams& params, const tensor::Tensor& freq_factors, KvStorage& kv,
                                         int64_t layer, tensor::Tensor& out, const AttentionShape& shape) {
        rope_kv_store(q, k, v, params, freq_factors, kv, layer);
        attention(kv, layer, q, out, shape);
    }

    // Runs `ops`, the device work of one forward step (called after begin_batch). A backend may
    // record the work once per batch shape and replay the recording on later steps of the same
    // shape and the same `buffers` (GPU graphs): `ops` must issue the same work for batches of the
    // same shape on the same buffers, reading per-step values (positions, block tables, lengths)
    // only through begin_batch's data. buffers: identifies the memory the ops use (e.g. the
    // workspace and the KV storage).
    virtual void run_step(std::span<const void* const> buffers, const std::function<void()>& ops) {
        (void)buffers;
        ops();
    }
    // Steps run_step replayed from a recording so far (0 where nothing is recorded).
    virtual int64_t steps_replayed() const { return 0; }
};

}  // namespace rocmforge::backend
