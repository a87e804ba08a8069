#pragma once
// Weight tensors of a model. load_weights() returns CPU views: matrices point into the GGUF
// mapping (used in place); small vectors (norm weights, biases, rope factors) stored in another
// type than f32 are converted into `host_f32`. Model::load then uploads every tensor to the
// backend's device in one pass (visit_tensors). GGUF names are the contract:
//   token_embd.weight [n_embd, n_vocab]        output_norm.weight [n_embd]
//   output.weight [n_embd, n_vocab] (absent → tied to token_embd)   rope_freqs.weight [n_rot/2] (optional)
//   blk.N.attn_norm.weight [n_embd]            blk.N.ffn_norm.weight [n_embd]
//   blk.N.attn_q.weight [n_embd, n_heads*hd]   blk.N.attn_k/v.weight [n_embd, n_kv_heads*hd]
//   blk.N.attn_output.weight [n_heads*hd, n_embd]
//   blk.N.attn_{q,k,v}.bias (qwen2)            blk.N.attn_{q,k}_norm.weight [hd] (qwen3)
//   blk.N.ffn_gate/up.weight [n_embd, n_ff]    blk.N.ffn_down.weight [n_ff, n_embd]
//   blk.N.post_attention_norm.weight, blk.N.post_ffw_norm.weight [n_embd] (gemma2/3)
//   blk.N.attn_qkv.weight [n_embd, (n_heads + 2 n_kv_heads)*hd] instead of attn_q/k/v (fused; phi3)
//   blk.N.ffn_up.weight [n_embd, 2 n_ff] gate rows then up rows (ArchSpec::fused_gate_up; phi3)
//   rope_factors_short.weight, rope_factors_long.weight [n_rot/2] (LongRoPE; phi3)
//   blk.N.ffn_gate_inp.weight [n_embd, n_expert], blk.N.ffn_{gate,up}_exps.weight
//   [n_embd, n_ff_exp, n_expert], blk.N.ffn_down_exps.weight [n_ff_exp, n_embd, n_expert] (experts)
//   blk.N.ffn_{gate,up}_shexp.weight [n_embd, n_ff_shexp], ffn_down_shexp [n_ff_shexp, n_embd],
//   ffn_gate_inp_shexp.weight [n_embd] (shared expert; qwen2moe)
// Parts of fused tensors and of expert stacks are row-range views of them.
#include "backend/backend_types.h"
#include "gguf/gguf_file.h"
#include "model/arch_table.h"
#include "model/hparams.h"
#include "tensor/tensor.h"

#include <functional>
#include <memory>
#include <string>
#include <vector>

namespace rocmforge::model {

// Empty tensors (data == nullptr) are weights the architecture does not have.
struct LayerWeights {
    tensor::Tensor attn_norm, ffn_norm;     // [n_embd] f32
    tensor::Tensor wq, wk, wv, wo;
    tensor::Tensor bq, bk, bv;              // f32; empty unless spec.qkv_bias
    tensor::Tensor q_norm, k_norm;          // [head_dim] f32; empty unless spec.qk_norm
    tensor::Tensor post_attn_norm, post_ffn_norm;  // [n_embd] f32; empty unless spec.post_norms
    tensor::Tensor ffn_gate, ffn_up, ffn_down;
    bool fused_qkv = false;                 // wq, wk, wv are row ranges of attn_qkv.weight
    // Experts (when hparams.n_expert > 0; then ffn_gate/up/down are empty): router, per expert
    // views of the stacks, and the optional shared expert (ffn_gate_inp_shexp as [n_embd, 1] f32).
    tensor::Tensor ffn_gate_inp;
    std::vector<tensor::Tensor> ffn_gate_exps, ffn_up_exps, ffn_down_exps;
    tensor::Tensor ffn_gate_shexp, ffn_up_shexp, ffn_down_shexp, ffn_gate_inp_shexp;
};

struct ModelWeights {
    tensor::Tensor token_embd;
    tensor::Tensor output_norm;             // [n_embd] f32
    tensor::Tensor output;                  // == token_embd when tied
    // [n_rot/2] f32 from rope_freqs.weight, or [n_rot/2, 2] (short, long) with LongRoPE; or empty.
    tensor::Tensor rope_freq_factors;
    bool long_rope = false;
    std::vector<LayerWeights> layers;
    uint64_t matrix_bytes = 0;              // bytes of weights read per token (for GB/s figures)
    std::vector<std::unique_ptr<float[]>> host_f32;  // converted small vectors the views point into

    // Calls fn(GGUF name, tensor, the op that reads it) for every present tensor (the tied output
    // once, as token_embd).
    void visit_tensors(const std::function<void(const std::string& name, tensor::Tensor& t, backend::Op op)>& fn);
};

// Throws rocmforge::Error naming the tensor and its expected shape when a tensor is missing or
// has the wrong shape.
ModelWeights load_weights(const gguf::GgufFile& file, const ArchSpec& spec, const ModelHparams& h);

}  // namespace rocmforge::model
