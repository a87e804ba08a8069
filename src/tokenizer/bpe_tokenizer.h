#pragma once
// Byte-level BPE (`tokenizer.ggml.model` = "gpt2"): the text is split into words by the family's
// pre-tokenizer (tokenizer/pre_tokenizer.h), each word's bytes are mapped to GPT-2's byte
// characters (tokenizer/byte_level.h), and adjacent symbols are merged by `tokenizer.ggml.merges`,
// lowest rank first (ties: leftmost), until no listed merge applies.
#include "tokenizer/pre_tokenizer.h"
#include "tokenizer/vocab_tokenizer.h"

#include <array>
#include <cstdint>
#include <unordered_map>

namespace rocmforge::tokenizer {

class BpeTokenizer final : public VocabTokenizer {
public:
    // `context` (the file name) is used in error messages. Throws rocmforge::Error for an unknown
    // `tokenizer.ggml.pre`. A byte without a byte-level token encodes as UNK (an error without UNK).
    BpeTokenizer(Vocab vocab, const std::string& context);

protected:
    void encode_fragment(std::string_view text, bool starts_segment, std::vector<TokenId>& out) const override;
    std::string text_piece(TokenId id) const override;

private:
    void encode_word(std::string_view word, std::vector<TokenId>& out) const;

    struct Merge {
        int32_t rank;
        TokenId result;
    };
    static uint64_t pair_key(TokenId left, TokenId right) {
        return (static_cast<uint64_t>(static_cast<uint32_t>(left)) << 32) | static_cast<uint32_t>(right);
    }

    PreTokenizerSpec spec_;
    PreTokenizer pre_tokenizer_;
    std::array<TokenId, 256> byte_tokens_{};     // token of each byte's character, -1 when absent
    std::unordered_map<uint64_t, Merge> merges_;  // (left id, right id) → rank and merged id
};

}  // namespace rocmforge::tokenizer
