#include "model/synthetic_model.h"

#include "gguf/gguf_file.h"
#include "gguf/gguf_writer.h"
#include "quant/float_bits.h"
#include "quant/quant_traits.h"
#include "util/error.h"

#include <fmt/format.h>

#include <cmath>
#include <cstring>

namespace rocmforge::model {
namespace {

using gguf::Array;
using gguf::GgmlType;
using gguf::Value;
using gguf::ValueType;

// Published configurations of these families (config.json of the HF releases).
const std::vector<SyntheticShape>& shape_table() {
    static const std::vector<SyntheticShape> shapes{
        {"tiny", "llama", 0, 256, 2, 4, 2, 768, 512, 10000.0, 1e-5},
        {"tiny-qwen2", "qwen2", 0, 256, 2, 4, 2, 768, 512, 1000000.0, 1e-6},
        {"tiny-qwen3", "qwen3", 0, 256, 2, 4, 2, 768, 512, 1000000.0, 1e-6},
        {"tiny-gemma2", "gemma2", 0, 256, 2, 4, 2, 768, 512, 10000.0, 1e-6, 8},
        {"tiny-gemma3", "gemma3", 0, 256, 6, 4, 2, 768, 512, 1000000.0, 1e-6, 8},
        {"tiny-phi3", "phi3", 0, 256, 2, 4, 2, 768, 256, 10000.0, 1e-5, 12, 16},
        {"tiny-chatglm", "chatglm", 0, 256, 2, 4, 2, 768, 512, 10000.0, 1e-5},
        {"tiny-mixtral", "llama", 0, 256, 2, 4, 2, 512, 512, 10000.0, 1e-5, 0, 0, 4, 2, 512, 0},
        {"tiny-qwen2moe", "qwen2moe", 0, 256, 2, 4, 2, 768, 512, 1000000.0, 1e-6, 0, 0, 4, 2, 256, 512},
        {"tiny-qwen3moe", "qwen3moe", 0, 256, 2, 4, 2, 768, 512, 1000000.0, 1e-6, 0, 0, 4, 2, 256, 0},
        {"llama2-7b", "llama", 32000, 4096, 32, 32, 32, 11008, 4096, 10000.0, 1e-5},
        {"llama3-8b", "llama", 128256, 4096, 32, 32, 8, 14336, 8192, 500000.0, 1e-5},
        {"qwen2.5-7b", "qwen2", 152064, 3584, 28, 28, 4, 18944, 32768, 1000000.0, 1e-6},
    };
    return shapes;
}

uint64_t splitmix64(uint64_t& state) {
    uint64_t z = (state += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

// Uniform values with standard deviation `stddev`, reproducible for (seed, tensor, row).
void fill_random_row(float* out, int64_t n, uint64_t seed, uint64_t tensor_index, int64_t row, float stddev) {
    uint64_t state = seed * 0x100000001b3ull ^ (tensor_index << 40) ^ static_cast<uint64_t>(row);
    const float half_width = stddev * std::sqrt(3.0f);
    for (int64_t i = 0; i < n; ++i) {
        const double u = static_cast<double>(splitmix64(state) >> 11) * 0x1.0p-53;  // [0, 1)
        out[i] = static_cast<float>((2.0 * u - 1.0) * half_width);
    }
}

struct Vocabulary {
    std::vector<std::string> tokens;
    std::vector<float> scores;
    std::vector<int32_t> types;
};

// <unk> <s> </s>, <0x00>..<0xFF>, "▁", printable ASCII: SPM with byte fallback encodes any text.
Vocabulary built_in_vocabulary() {
    Vocabulary v;
    auto add = [&v](std::string text, int32_t type) {
        v.tokens.push_back(std::move(text));
        v.scores.push_back(0.0f);
        v.types.push_back(type);
    };
    add("<unk>", 2);
    add("<s>", 3);
    add("</s>", 3);
    for (int b = 0; b < 256; ++b) add(fmt::format("<0x{:02X}>", b), 6);
    add("\xe2\x96\x81", 1);  // "▁" (U+2581), the SPM space
    for (char c = '!'; c <= '~'; ++c) add(std::string(1, c), 1);
    return v;
}

Value string_array(const std::vector<std::string>& items) {
    Array a;
    a.element_type = ValueType::STRING;
    for (const auto& s : items) a.items.emplace_back(s);
    return Value(a);
}

template <typename T>
Value scalar_array(const std::vector<T>& items, ValueType type) {
    Array a;
    a.element_type = type;
    for (const auto& x : items) a.items.emplace_back(x);
    return Value(a);
}

class TensorMaker {
public:
    TensorMaker(gguf::GgufWriter& writer, uint64_t seed, ThreadPool& pool) : writer_(writer), seed_(seed), pool_(pool) {}

    // A [n_in, n_out] matrix (or a stack of n_stack of them, [n_in, n_out, n_stack]) of `type` with
    // uniform random values.
    void matrix(const std::string& name, int64_t n_in, int64_t n_out, GgmlType type, float stddev,
                int64_t n_stack = 0) {
        const uint64_t index = next_index_++;
        const size_t row_bytes = gguf::tensor_byte_size(type, {n_in});
        const int64_t n_rows = n_out * std::max<int64_t>(n_stack, 1);
        std::vector<uint8_t> data(row_bytes * static_cast<size_t>(n_rows));
        pool_.parallel_for(n_rows, [&](int64_t begin, int64_t end) {
            std::vector<float> row(static_cast<size_t>(n_in));
            for (int64_t r = begin; r < end; ++r) {
                fill_random_row(row.data(), n_in, seed_, index, r, stddev);
                encode_row(row.data(), n_in, type, data.data() + static_cast<size_t>(r) * row_bytes);
            }
        });
        if (n_stack > 0)
            writer_.add_tensor(name, type, {n_in, n_out, n_stack}, std::move(data));
        else
            writer_.add_tensor(name, type, {n_in, n_out}, std::move(data));
    }

    // An F32 vector of the given values.
    void values(const std::string& name, const std::vector<float>& v) {
        ++next_index_;
        std::vector<uint8_t> data(v.size() * sizeof(float));
        std::memcpy(data.data(), v.data(), data.size());
        writer_.add_tensor(name, GgmlType::F32, {static_cast<int64_t>(v.size())}, std::move(data));
    }

    // An F32 vector: norm weights near 1 (1 + uniform noise, sd 0.02) or small random biases.
    void vector(const std::string& name, int64_t n, bool near_one) {
        const uint64_t index = next_index_++;
        std::vector<float> values(static_cast<size_t>(n));
        fill_random_row(values.data(), n, seed_, index, 0, 0.02f);
        if (near_one)
            for (auto& v : values) v += 1.0f;
        std::vector<uint8_t> data(values.size() * sizeof(float));
        std::memcpy(data.data(), values.data(), data.size());
        writer_.add_tensor(name, GgmlType::F32, {n}, std::move(data));
    }

private:
    static void encode_row(const float* row, int64_t n, GgmlType type, uint8_t* out) {
        if (type == GgmlType::F32) {
            std::memcpy(out, row, static_cast<size_t>(n) * sizeof(float));
        } else if (type == GgmlType::F16) {
            auto* h = reinterpret_cast<uint16_t*>(out);
            for (int64_t i = 0; i < n; ++i) h[i] = quant::float_to_half(row[i]);
        } else {
            quant::quant_traits(type).from_float(row, out, n);
        }
    }

    gguf::GgufWriter& writer_;
    uint64_t seed_;
    ThreadPool& pool_;
    uint64_t next_index_ = 0;
};

}  // namespace

std::vector<std::string> synthetic_shape_names() {
    std::vector<std::string> names;
    for (const auto& s : shape_table()) names.push_back(s.name);
    return names;
}

SyntheticShape synthetic_shape(const std::string& name) {
    for (const auto& s : shape_table())
        if (s.name == name) return s;
    throw_error("--shape", "unknown shape '{}' (known: {})", name, fmt::join(synthetic_shape_names(), ", "));
}

void write_synthetic_model(const SyntheticModelOptions& options, const std::string& path, ThreadPool& pool) {
    SyntheticShape shape = synthetic_shape(options.shape);
    const GgmlType type = options.type;
    if (type != GgmlType::F32 && type != GgmlType::F16) {
        if (!quant::is_supported(type) || quant::quant_traits(type).from_float == nullptr)
            throw_error("--type", "cannot write weights of type {}", gguf::ggml_type_name(type));
    }
    const uint32_t block = gguf::ggml_type_info(type).block_size;
    if (shape.n_embd % block != 0 || shape.n_ff % block != 0)
        throw_error("--type", "type {} needs row lengths that are multiples of {}; shape '{}' has n_embd {} and n_ff {}",
                    gguf::ggml_type_name(type), block, shape.name, shape.n_embd, shape.n_ff);

    gguf::GgufWriter writer;
    const std::string a = shape.arch + ".";
    writer.set("general.architecture", Value(shape.arch));
    writer.set("general.name", Value("synthetic-" + shape.name));
    writer.set("general.description",
               Value(std::string("random weights made by rocmforge make-model: the output is gibberish by design")));
    writer.set("rocmforge.synthetic", Value(true));
    writer.set("rocmforge.synthetic.seed", Value(options.seed));

    // Vocabulary first: the embedding size follows it when the shape does not fix one.
    int64_t n_vocab = 0;
    if (!options.vocab_from.empty()) {
        const auto source = gguf::GgufFile::open(options.vocab_from);
        for (const auto& entry : source.metadata())
            if (entry.key.rfind("tokenizer.", 0) == 0) writer.set(entry.key, entry.value);
        const auto* tokens = source.get_array("tokenizer.ggml.tokens");
        if (tokens == nullptr) throw_error(options.vocab_from, "no 'tokenizer.ggml.tokens' to copy");
        n_vocab = static_cast<int64_t>(tokens->items.size());
        if (shape.n_vocab != 0 && n_vocab > shape.n_vocab)
            throw_error(options.vocab_from, "vocabulary of {} tokens is larger than shape '{}' ({})", n_vocab, shape.name,
                        shape.n_vocab);
        if (shape.n_vocab != 0 && n_vocab != shape.n_vocab)
            throw_error(options.vocab_from, "vocabulary of {} tokens does not match shape '{}' ({}); padding a copied "
                        "vocabulary is not supported", n_vocab, shape.name, shape.n_vocab);
    } else {
        auto vocab = built_in_vocabulary();
        const int64_t target = shape.n_vocab != 0 ? shape.n_vocab : static_cast<int64_t>(vocab.tokens.size());
        for (int64_t i = static_cast<int64_t>(vocab.tokens.size()); i < target; ++i) {
            vocab.tokens.push_back(fmt::format("<unused{}>", i));
            vocab.scores.push_back(0.0f);
            vocab.types.push_back(5);
        }
        n_vocab = target;
        writer.set("tokenizer.ggml.model", Value(std::string("llama")));
        writer.set("tokenizer.ggml.tokens", string_array(vocab.tokens));
        writer.set("tokenizer.ggml.scores", scalar_array(vocab.scores, ValueType::FLOAT32));
        writer.set("tokenizer.ggml.token_type", scalar_array(vocab.types, ValueType::INT32));
        writer.set("tokenizer.ggml.unknown_token_id", Value(uint32_t{0}));
        writer.set("tokenizer.ggml.bos_token_id", Value(uint32_t{1}));
        writer.set("tokenizer.ggml.eos_token_id", Value(uint32_t{2}));
        writer.set("tokenizer.ggml.add_bos_token", Value(true));
    }
    shape.n_vocab = n_vocab;

    writer.set(a + "context_length", Value(static_cast<uint32_t>(shape.n_ctx)));
    writer.set(a + "embedding_length", Value(static_cast<uint32_t>(shape.n_embd)));
    writer.set(a + "block_count", Value(static_cast<uint32_t>(shape.n_layers)));
    writer.set(a + "feed_forward_length", Value(static_cast<uint32_t>(shape.n_ff)));
    writer.set(a + "attention.head_count", Value(static_cast<uint32_t>(shape.n_heads)));
    writer.set(a + "attention.head_count_kv", Value(static_cast<uint32_t>(shape.n_kv_heads)));
    writer.set(a + "attention.layer_norm_rms_epsilon", Value(static_cast<float>(shape.rms_eps)));
    writer.set(a + "rope.freq_base", Value(static_cast<float>(shape.rope_base)));
    // GLM-4 rotates half of each head.
    const uint32_t n_rot = static_cast<uint32_t>(shape.n_embd / shape.n_heads / (shape.arch == "chatglm" ? 2 : 1));
    writer.set(a + "rope.dimension_count", Value(n_rot));
    writer.set(a + "vocab_size", Value(static_cast<uint32_t>(n_vocab)));

    const bool gemma = shape.arch == "gemma2" || shape.arch == "gemma3";
    if (shape.sliding_window > 0)
        writer.set(a + "attention.sliding_window", Value(static_cast<uint32_t>(shape.sliding_window)));
    if (shape.arch == "gemma2") {
        writer.set(a + "attn_logit_softcapping", Value(50.0f));
        writer.set(a + "final_logit_softcapping", Value(30.0f));
    }
    const bool phi3 = shape.arch == "phi3", chatglm = shape.arch == "chatglm";
    const bool fused = phi3 || chatglm;  // attn_qkv and gate-up ffn_up
    if (shape.rope_original_context > 0) {
        const auto original = static_cast<double>(shape.rope_original_context);
        writer.set(a + "rope.scaling.original_context_length", Value(static_cast<uint32_t>(original)));
        // sqrt(1 + ln(scale) / ln(original)), scale = context / original (the converter's formula)
        const double scale = static_cast<double>(shape.n_ctx) / original;
        writer.set(a + "rope.scaling.attn_factor",
                   Value(static_cast<float>(std::sqrt(1 + std::log(scale) / std::log(original)))));
    }
    if (shape.n_expert > 0) {
        writer.set(a + "expert_count", Value(static_cast<uint32_t>(shape.n_expert)));
        writer.set(a + "expert_used_count", Value(static_cast<uint32_t>(shape.n_expert_used)));
        if (shape.arch != "llama")  // Mixtral's experts are feed_forward_length wide
            writer.set(a + "expert_feed_forward_length", Value(static_cast<uint32_t>(shape.n_ff_exp)));
        if (shape.n_ff_shexp > 0)
            writer.set(a + "expert_shared_feed_forward_length", Value(static_cast<uint32_t>(shape.n_ff_shexp)));
    }
    const bool qkv_bias = shape.arch == "qwen2" || shape.arch == "qwen2moe";
    const bool qk_norm = shape.arch == "qwen3" || shape.arch == "gemma3" || shape.arch == "qwen3moe";
    const int64_t head_dim = shape.n_embd / shape.n_heads;
    const int64_t kv_dim = shape.n_kv_heads * head_dim;
    const float stddev = 0.02f;
    TensorMaker make(writer, options.seed, pool);
    make.matrix("token_embd.weight", shape.n_embd, n_vocab, type, stddev);
    make.vector("output_norm.weight", shape.n_embd, true);
    if (!gemma) make.matrix("output.weight", shape.n_embd, n_vocab, type, stddev);  // gemma ties it
    if (shape.rope_original_context > 0) {
        // LongRoPE factors: short ones near 1, long ones growing to 8 over the rotated pairs.
        const int64_t half = head_dim / 2;
        std::vector<float> short_factors(static_cast<size_t>(half)), long_factors(static_cast<size_t>(half));
        for (int64_t i = 0; i < half; ++i) {
            short_factors[i] = 1.0f + 0.01f * static_cast<float>(i);
            long_factors[i] = 1.0f + 7.0f * static_cast<float>(i) / static_cast<float>(half - 1);
        }
        make.values("rope_factors_long.weight", long_factors);
        make.values("rope_factors_short.weight", short_factors);
    }
    for (int64_t il = 0; il < shape.n_layers; ++il) {
        const std::string p = fmt::format("blk.{}.", il);
        make.vector(p + "attn_norm.weight", shape.n_embd, true);
        if (fused) {
            make.matrix(p + "attn_qkv.weight", shape.n_embd, shape.n_embd + 2 * kv_dim, type, stddev);
            if (chatglm) make.vector(p + "attn_qkv.bias", shape.n_embd + 2 * kv_dim, false);
        } else {
            make.matrix(p + "attn_q.weight", shape.n_embd, shape.n_embd, type, stddev);
            make.matrix(p + "attn_k.weight", shape.n_embd, kv_dim, type, stddev);
            make.matrix(p + "attn_v.weight", shape.n_embd, kv_dim, type, stddev);
        }
        if (qkv_bias) {
            make.vector(p + "attn_q.bias", shape.n_embd, false);
            make.vector(p + "attn_k.bias", kv_dim, false);
            make.vector(p + "attn_v.bias", kv_dim, false);
        }
        if (qk_norm) {
            make.vector(p + "attn_q_norm.weight", head_dim, true);
            make.vector(p + "attn_k_norm.weight", head_dim, true);
        }
        make.matrix(p + "attn_output.weight", shape.n_embd, shape.n_embd, type, stddev);
        if (gemma) make.vector(p + "post_attention_norm.weight", shape.n_embd, true);
        make.vector(p + "ffn_norm.weight", shape.n_embd, true);
        if (shape.n_expert > 0) {
            const int64_t ff = shape.arch == "llama" ? shape.n_ff : shape.n_ff_exp;
            make.matrix(p + "ffn_gate_inp.weight", shape.n_embd, shape.n_expert, type, 0.5f);  // router
            make.matrix(p + "ffn_gate_exps.weight", shape.n_embd, ff, type, stddev, shape.n_expert);
            make.matrix(p + "ffn_up_exps.weight", shape.n_embd, ff, type, stddev, shape.n_expert);
            make.matrix(p + "ffn_down_exps.weight", ff, shape.n_embd, type, stddev, shape.n_expert);
            if (shape.n_ff_shexp > 0) {
                make.vector(p + "ffn_gate_inp_shexp.weight", shape.n_embd, false);
                make.matrix(p + "ffn_gate_shexp.weight", shape.n_embd, shape.n_ff_shexp, type, stddev);
                make.matrix(p + "ffn_up_shexp.weight", shape.n_embd, shape.n_ff_shexp, type, stddev);
                make.matrix(p + "ffn_down_shexp.weight", shape.n_ff_shexp, shape.n_embd, type, stddev);
            }
        } else if (fused) {
            make.matrix(p + "ffn_up.weight", shape.n_embd, 2 * shape.n_ff, type, stddev);  // gate rows, then up
        } else {
            make.matrix(p + "ffn_gate.weight", shape.n_embd, shape.n_ff, type, stddev);
            make.matrix(p + "ffn_up.weight", shape.n_embd, shape.n_ff, type, stddev);
        }
        if (shape.n_expert == 0) make.matrix(p + "ffn_down.weight", shape.n_ff, shape.n_embd, type, stddev);
        if (gemma) make.vector(p + "post_ffw_norm.weight", shape.n_embd, true);
    }
    writer.write(path);
}

}  // namespace rocmforge::model
