#pragma once
// SentencePiece-style BPE over a scored vocabulary (`tokenizer.ggml.model` = "llama").
//
// Encoding one fragment: spaces become "▁" (U+2581), a "▁" is prefixed when the model adds a
// space prefix and the fragment starts a segment; the text is split into UTF-8 characters, and
// adjacent symbols are merged greedily, highest-scoring merged piece first (ties: leftmost), as
// long as the merged text is a vocabulary token. A final symbol missing from the vocabulary is
// emitted as its bytes (<0xNN> tokens, "byte fallback"), or UNK when those are missing too.
#include "tokenizer/vocab_tokenizer.h"

#include <array>

namespace rocmforge::tokenizer {

class SpmTokenizer final : public VocabTokenizer {
public:
    explicit SpmTokenizer(Vocab vocab);

protected:
    void encode_fragment(std::string_view text, bool starts_segment, std::vector<TokenId>& out) const override;
    std::string text_piece(TokenId id) const override;

private:
    // Merges symbols of `text` (already "▁"-escaped) and appends the resulting ids.
    void encode_escaped(std::string_view text, std::vector<TokenId>& out) const;
    void encode_segment(std::string_view text, std::vector<TokenId>& out) const;
    void append_bytes(std::string_view text, std::vector<TokenId>& out) const;

    // True when no vocabulary token has "▁" right after another character: then no merge can
    // cross the start of a word ("x▁..."), and words can be merged independently (much faster on
    // long inputs, same result).
    bool words_are_independent_ = false;
    std::array<TokenId, 256> byte_tokens_{};  // <0xNN> token per byte value, -1 when absent
    std::vector<int16_t> byte_value_;         // per token: byte value of a <0xNN> byte token, or -1
};

}  // namespace rocmforge::tokenizer
