#include "tokenizer/vocab.h"

#include "util/error.h"
#include "util/log.h"

namespace rocmforge::tokenizer {

namespace {

const gguf::Array& require_array(const gguf::GgufFile& file, std::string_view key, gguf::ValueType element) {
    const gguf::Array* array = file.get_array(key);
    if (array == nullptr) throw_error(file.name(), "missing tokenizer key '{}'", key);
    if (array->element_type != element && !array->items.empty()) {
        throw_error(file.name(), "tokenizer key '{}' has elements of type {}, expected {}", key,
                    gguf::value_type_name(array->element_type), gguf::value_type_name(element));
    }
    return *array;
}

std::optional<TokenId> read_special_id(const gguf::GgufFile& file, std::string_view key, int32_t n_tokens) {
    const auto value = file.get_int(key);
    if (!value) return std::nullopt;
    // Converters write -1 (as u32 0xFFFFFFFF) for "none"; treat both as absent.
    if (*value == -1 || *value == 0xFFFFFFFFll) return std::nullopt;
    if (*value < 0 || *value >= n_tokens) {
        throw_error(file.name(), "tokenizer key '{}' = {} is outside the vocabulary (size {})", key, *value, n_tokens);
    }
    return static_cast<TokenId>(*value);
}

}  // namespace

Vocab load_vocab(const gguf::GgufFile& file) {
    Vocab vocab;
    const auto model = file.get_string("tokenizer.ggml.model");
    if (!model) throw_error(file.name(), "missing tokenizer key 'tokenizer.ggml.model'");
    vocab.model_name = *model;
    if (*model == "llama") {
        vocab.model = VocabModel::Spm;
    } else if (*model == "gpt2") {
        vocab.model = VocabModel::Bpe;
    } else {
        throw_error(file.name(), "unsupported tokenizer.ggml.model '{}' (supported: llama, gpt2)", *model);
    }
    vocab.pre = file.get_string("tokenizer.ggml.pre").value_or("default");
    if (vocab.model == VocabModel::Bpe && !file.find("tokenizer.ggml.pre")) {
        log::warn("{}: no tokenizer.ggml.pre; using the 'default' BPE pre-tokenizer", file.name());
    }

    const gguf::Array& tokens = require_array(file, "tokenizer.ggml.tokens", gguf::ValueType::STRING);
    if (tokens.items.empty()) throw_error(file.name(), "tokenizer key 'tokenizer.ggml.tokens' is empty");
    if (tokens.items.size() > 0x7FFFFFFF) throw_error(file.name(), "tokenizer.ggml.tokens is too large");
    const size_t n = tokens.items.size();
    vocab.tokens.reserve(n);
    for (const auto& item : tokens.items) vocab.tokens.push_back(*item.as_string());

    vocab.types.assign(n, TokenType::Normal);
    if (file.find("tokenizer.ggml.token_type") != nullptr) {
        const gguf::Array& types = require_array(file, "tokenizer.ggml.token_type", gguf::ValueType::INT32);
        if (types.items.size() != n) {
            throw_error(file.name(), "tokenizer.ggml.token_type has {} entries, tokens has {}", types.items.size(), n);
        }
        for (size_t i = 0; i < n; ++i) {
            const int64_t t = types.items[i].as_int().value_or(-1);
            if (t < 0 || t > 6) throw_error(file.name(), "tokenizer.ggml.token_type[{}] = {} is not a token type (0..6)", i, t);
            vocab.types[i] = static_cast<TokenType>(t);
        }
    }
    if (file.find("tokenizer.ggml.scores") != nullptr) {
        const gguf::Array& scores = require_array(file, "tokenizer.ggml.scores", gguf::ValueType::FLOAT32);
        if (scores.items.size() != n) {
            throw_error(file.name(), "tokenizer.ggml.scores has {} entries, tokens has {}", scores.items.size(), n);
        }
        vocab.scores.reserve(n);
        for (const auto& item : scores.items) vocab.scores.push_back(static_cast<float>(*item.as_double()));
    } else {
        vocab.scores.assign(n, 0.0f);
    }
    if (vocab.model == VocabModel::Bpe) {
        const gguf::Array& merges = require_array(file, "tokenizer.ggml.merges", gguf::ValueType::STRING);
        vocab.merges.reserve(merges.items.size());
        for (const auto& item : merges.items) vocab.merges.push_back(*item.as_string());
    }

    const auto n_tokens = static_cast<int32_t>(n);
    vocab.bos = read_special_id(file, "tokenizer.ggml.bos_token_id", n_tokens);
    vocab.eos = read_special_id(file, "tokenizer.ggml.eos_token_id", n_tokens);
    vocab.eot = read_special_id(file, "tokenizer.ggml.eot_token_id", n_tokens);
    vocab.eom = read_special_id(file, "tokenizer.ggml.eom_token_id", n_tokens);
    vocab.unk = read_special_id(file, "tokenizer.ggml.unknown_token_id", n_tokens);
    vocab.pad = read_special_id(file, "tokenizer.ggml.padding_token_id", n_tokens);
    // The GGUF spec spells this key "seperator".
    vocab.sep = read_special_id(file, "tokenizer.ggml.seperator_token_id", n_tokens);

    const bool spm = vocab.model == VocabModel::Spm;
    vocab.add_bos = file.get_bool("tokenizer.ggml.add_bos_token").value_or(spm);
    vocab.add_eos = file.get_bool("tokenizer.ggml.add_eos_token").value_or(false);
    vocab.add_space_prefix = file.get_bool("tokenizer.ggml.add_space_prefix").value_or(spm);
    vocab.chat_template = file.get_string("tokenizer.chat_template").value_or("");

    vocab.text_to_id.reserve(n * 2);
    for (size_t i = 0; i < n; ++i) {
        // First occurrence wins when a vocabulary lists the same text twice.
        vocab.text_to_id.emplace(std::string_view(vocab.tokens[i]), static_cast<TokenId>(i));
    }
    return vocab;
}

}  // namespace rocmforge::tokenizer
