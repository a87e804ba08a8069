#pragma once
// Weight views of a model, pointing into the GGUF mapping (matrices are used in place);
// small vectors (norm weights, biases) are copied to f32. GGUF names are the contract:
//   token_embd.weight [n_embd, n_vocab]        output_norm.weight [n_embd]
//   output.weight [n_embd, n_vocab] (absent → tied to token_embd)   rope_freqs.weight [n_rot/2] (optional)
//   blk.N.attn_norm.weight [n_embd]            blk.N.ffn_norm.weight [n_embd]
//   blk.N.attn_q.weight [n_embd, n_heads*hd]   blk.N.attn_k/v.weight [n_embd, n_kv_heads*hd]
//   blk.N.attn_output.weight [n_heads*hd, n_embd]
//   blk.N.attn_{q,k,v}.bias (qwen2)            blk.N.attn_{q,k}_norm.weight [hd] (qwen3)
//   blk.N.ffn_gate/up.weight [n_embd, n_ff]    blk.N.ffn_down.weight [n_ff, n_embd]
#include "gguf/gguf_file.h"
#include "model/arch_table.h"
#include "model/hparams.h"
#include "tensor/tensor.h"

#include <vector>

namespace rocmforge::model {

struct LayerWeights {
    std::vector<float> attn_norm, ffn_norm;
    tensor::Tensor wq, wk, wv, wo;
    std::vector<float> bq, bk, bv;          // empty unless spec.qkv_bias
    std::vector<float> q_norm, k_norm;      // empty unless spec.qk_norm
    tensor::Tensor ffn_gate, ffn_up, ffn_down;
};

struct ModelWeights {
    tensor::Tensor token_embd;
    std::vector<float> output_norm;
    tensor::Tensor output;                  // == token_embd when tied
    std::vector<float> rope_freq_factors;   // empty unless rope_freqs.weight exists
    std::vector<LayerWeights> layers;
    uint64_t matrix_bytes = 0;              // bytes of weights read per token (for GB/s figures)
};

// Throws rocmforge::Error naming the tensor and its expected shape when a tensor is missing,
// has the wrong shape, or has a type the CPU backend cannot use.
ModelWeights load_weights(const gguf::GgufFile& file, const ArchSpec& spec, const ModelHparams& h);

}  // namespace rocmforge::model
