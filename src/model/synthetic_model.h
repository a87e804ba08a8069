#pragma once
// Synthetic models with random weights, for demos and for benchmarking any shape without
// downloads. The output of such a model is gibberish by construction. The file is a valid GGUF
// with standard names and keys (other GGUF engines load it), and metadata marking it synthetic:
//   general.name = "synthetic-<shape>", general.description = "random weights ...",
//   rocmforge.synthetic = true, rocmforge.synthetic.seed = <seed>.
// Vocabulary: copied (all tokenizer.* keys) from a GGUF the user gives, else a small byte-level
// SPM vocabulary built in code (<unk>, <s>, </s>, 256 byte tokens, printable ASCII, "▁"),
// padded with unused tokens up to the shape's vocabulary size.
#include "gguf/ggml_type.h"
#include "util/thread_pool.h"

#include <cstdint>
#include <string>
#include <vector>

namespace rocmforge::model {

struct SyntheticShape {
    std::string name;       // "tiny", "llama2-7b", ...
    std::string arch;       // general.architecture
    int64_t n_vocab = 0;    // 0: the size of the vocabulary used
    int64_t n_embd = 0, n_layers = 0, n_heads = 0, n_kv_heads = 0, n_ff = 0, n_ctx = 0;
    double rope_base = 10000.0;
    double rms_eps = 1e-5;
    int64_t sliding_window = 0;  // gemma2/3, phi3: attention.sliding_window (0: not written)
    int64_t rope_original_context = 0;  // phi3: LongRoPE factors and original context (0: none)
    // Experts (0: dense FFN): count, used per token, expert FFN width, shared expert width (qwen2moe).
    int64_t n_expert = 0, n_expert_used = 0, n_ff_exp = 0, n_ff_shexp = 0;
};

// "tiny" (llama, 2 blocks, n_embd 256), "tiny-qwen2", "tiny-qwen3", "tiny-gemma2", "tiny-gemma3"
// (same size, those graphs; gemma with a sliding window of 8 positions, gemma3 with 6 blocks so
// that one is global), "tiny-phi3" (fused QKV and gate-up, LongRoPE with an original context of
// 16 positions, sliding window 12), "tiny-chatglm" (fused QKV with bias and gate-up, rope on half
// of each head), "tiny-mixtral" (llama with 4 experts, top 2), "tiny-qwen2moe"
// (4 experts top 2 plus a shared expert), "tiny-qwen3moe" (4 experts, top 2 renormalized),
// "llama2-7b", "llama3-8b", "qwen2.5-7b".
// Throws rocmforge::Error listing the known names otherwise.
SyntheticShape synthetic_shape(const std::string& name);
std::vector<std::string> synthetic_shape_names();

struct SyntheticModelOptions {
    std::string shape = "tiny";
    gguf::GgmlType type = gguf::GgmlType::F16;  // matrices; norms and biases stay F32
    uint64_t seed = 1;
    std::string vocab_from;                     // GGUF to copy the tokenizer from; "" = built-in
};

// Writes the model to `path` (held in memory until written: about the file's size in RAM).
// Throws rocmforge::Error on an unknown shape, a type that cannot be quantized to, or I/O failure.
void write_synthetic_model(const SyntheticModelOptions& options, const std::string& path, ThreadPool& pool);

}  // namespace rocmforge::model
