#pragma once
// The tokenizer vocabulary as stored in GGUF metadata (`tokenizer.ggml.*`), validated.
#include "gguf/gguf_file.h"

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace rocmforge::tokenizer {

using TokenId = int32_t;

// `tokenizer.ggml.token_type` values (SentencePiece piece types).
enum class TokenType : int32_t {
    Undefined = 0, Normal = 1, Unknown = 2, Control = 3, UserDefined = 4, Unused = 5, Byte = 6,
};

enum class VocabModel { Spm, Bpe };

// Not copyable: `text_to_id` holds views into `tokens`. Moving keeps the views valid.
struct Vocab {
    Vocab() = default;
    Vocab(const Vocab&) = delete;
    Vocab& operator=(const Vocab&) = delete;
    Vocab(Vocab&&) = default;
    Vocab& operator=(Vocab&&) = default;

    VocabModel model = VocabModel::Spm;
    std::string model_name;      // tokenizer.ggml.model as written ("llama", "gpt2", ...)
    std::string pre;             // tokenizer.ggml.pre ("default" when absent)
    std::vector<std::string> tokens;
    std::vector<float> scores;   // SPM merge priorities; empty → all 0
    std::vector<TokenType> types;
    std::vector<std::string> merges;  // BPE only: "left right", highest priority first

    std::optional<TokenId> bos, eos, eot, eom, unk, pad, sep;
    bool add_bos = false;
    bool add_eos = false;
    bool add_space_prefix = false;
    std::string chat_template;   // tokenizer.chat_template, empty when absent

    // Token text → id. Views point into `tokens` (stable after load).
    std::unordered_map<std::string_view, TokenId> text_to_id;

    int32_t size() const { return static_cast<int32_t>(tokens.size()); }
    bool valid_id(TokenId id) const { return id >= 0 && id < size(); }
    std::optional<TokenId> find(std::string_view text) const {
        auto it = text_to_id.find(text);
        if (it == text_to_id.end()) return std::nullopt;
        return it->second;
    }
    TokenType type(TokenId id) const { return types[static_cast<size_t>(id)]; }
};

// Loads and validates the vocabulary. Throws rocmforge::Error naming the file, key and value
// for a missing/ill-typed key, an unknown `tokenizer.ggml.model`, or a special id out of range.
Vocab load_vocab(const gguf::GgufFile& file);

}  // namespace rocmforge::tokenizer
