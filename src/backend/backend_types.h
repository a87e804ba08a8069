#pragma once
// Backend-neutral parameter types of the ops in backend.h. The model layer builds these; every
// backend (cpu/, gpu/) reads them. Nothing here knows a device.
#include "gguf/ggml_type.h"
#include "tensor/tensor.h"

#include <cstdint>
#include <span>
#include <vector>

namespace rocmforge::backend {

// The ops a forward pass calls (backend.h). Used to ask a backend whether it can read a weight type.
enum class Op {
    GetRows, RmsNorm, Matmul, AddBias, Rope, KvStore, Attention, Swiglu, Add, Scale, Softcap, Geglu, MoeFfn
};
const char* op_name(Op op);

// Normal (GGUF "llama" layout): rotates adjacent pairs (2i, 2i+1).
// NeoX (qwen2, qwen3, ...): rotates pairs (i, i + n_rot/2).
enum class RopeStyle { Normal, Neox };

struct RopeParams {
    int64_t n_rot = 0;           // rotated dims per head (<= head_dim, even); the rest pass through
    double freq_base = 10000.0;  // theta_i = pos * freq_scale * base^(-2i/n_rot) / freq_factors[i]
    double freq_scale = 1.0;     // linear scaling: 1 / factor
    RopeStyle style = RopeStyle::Normal;
    double attn_factor = 1.0;    // cos and sin are multiplied by it (LongRoPE's attention scaling)
    // LongRoPE when > 0: freq_factors is [n_rot/2, 2], short factors then long factors; a token
    // uses the long ones when its rope length (BatchSequence::rope_length) exceeds long_context,
    // the choice HF transformers makes. 0: one row of factors.
    int64_t long_context = 0;
};

struct AttentionShape {
    int64_t head_dim = 0;
    int64_t n_heads = 0;     // query heads; a multiple of n_kv_heads
    int64_t n_kv_heads = 0;
    float scale = 1.0f;      // usually 1/sqrt(head_dim)
    // > 0: each score s (after `scale`) becomes softcap * tanh(s / softcap) before the softmax
    // (gemma2's attention logit soft-capping); 0: off.
    float softcap = 0.0f;
    // > 0: sliding window, a query at position p attends positions (p - window, p] only; 0: all of
    // [0, p].
    int64_t window = 0;
};

// Which kernel family computes a row of a matmul or a query of attention. A row's class is a
// property of its token (a prompt token or a generated one), never of the batch it travels in,
// so a sequence's results do not depend on what else is batched with it (batch invariance).
enum class RowClass : uint8_t {
    Prefill,  // prompt tokens: GEMM-style kernels (weights reused across many rows)
    Decode,   // generated tokens: GEMV-style kernels (one pass over the weights per step)
};

// Rows [begin, begin + count) of a matmul's input, all of one class.
struct RowRun {
    int64_t begin = 0;
    int64_t count = 0;
    RowClass row_class = RowClass::Prefill;
};

// One product y = W · x of several sharing the same input x (Q/K/V, gate/up).
struct MatmulTask {
    const tensor::Tensor* w;  // [k, n_out] any supported dtype
    tensor::Tensor* y;        // [n_out, n_rows] f32
};

// A mixture-of-experts feed-forward block (Mixtral, Qwen2-MoE, Qwen3-MoE), see Backend::moe_ffn.
// Per token: p = softmax(router logits) over the experts; the n_used experts of highest p (ties:
// lower index) with weights p (divided by their sum when norm_weights); out = sum over them, in
// rank order, of weight * down_e(silu(gate_e x) * up_e x); plus, with a shared expert,
// sigmoid(shared_gate_inp · x) * shared_down(silu(shared_gate x) * shared_up x).
struct MoeFfn {
    std::span<const tensor::Tensor> gate, up, down;  // per expert: [n_embd, n_ff_exp] x2, [n_ff_exp, n_embd]
    int64_t n_used = 0;
    bool norm_weights = false;
    const tensor::Tensor* shared_gate = nullptr;      // [n_embd, n_ff_shexp]; null: no shared expert
    const tensor::Tensor* shared_up = nullptr;        // [n_embd, n_ff_shexp]
    const tensor::Tensor* shared_down = nullptr;      // [n_ff_shexp, n_embd]
    const tensor::Tensor* shared_gate_inp = nullptr;  // [n_embd, 1] f32
};

// Paged K/V storage of all layers: slot s of layer l holds the key (value) row of one position.
// The block pool (kv/) decides which positions live in which slots: slot = block * block_size + i.
struct KvStorageShape {
    int64_t n_layers = 0;
    int64_t n_blocks = 0;
    int64_t block_size = 16;      // positions per block
    int64_t row_elements = 0;     // n_kv_heads * head_dim
    gguf::GgmlType dtype = gguf::GgmlType::F32;  // F32, F16 or BF16
    int64_t n_slots() const { return n_blocks * block_size; }
    // Bytes of one layer's K (or V): [row_elements, n_slots] of dtype.
    size_t layer_bytes() const;
    // Bytes of the whole storage: K and V of every layer.
    size_t bytes() const { return 2 * layer_bytes() * static_cast<size_t>(n_layers); }
};

struct KvStorage {
    KvStorageShape shape;
    std::vector<tensor::Tensor> k, v;  // per layer: [row_elements, n_slots] of shape.dtype
    tensor::Buffer buffer;             // owns the memory of every k and v view
};

// Throws rocmforge::Error when the KV type is not F32/F16/BF16 (naming --kv-type and `device`,
// e.g. "GPU") or a dimension is below 1. Every backend's alloc_kv_storage calls it first.
void validate_kv_shape(const KvStorageShape& shape, const char* device);
// The per-layer K and V views over `buffer` (shape.bytes() long, on `buffer`'s device), laid out
// layer by layer as K0 V0 K1 V1 ...; the storage takes ownership of the buffer.
KvStorage make_kv_storage(const KvStorageShape& shape, tensor::Buffer buffer);

}  // namespace rocmforge::backend
