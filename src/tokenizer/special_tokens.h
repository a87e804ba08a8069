#pragma once
// Splitting input text at special-token texts before SPM/BPE runs on the pieces in between.
#include "tokenizer/vocab.h"

#include <string_view>
#include <vector>

namespace rocmforge::tokenizer {

// One piece of the input: either raw text to tokenize, or an already-matched token.
struct TextFragment {
    std::string_view text;   // raw text (empty when token >= 0)
    TokenId token = -1;      // matched special token, or -1 for raw text
};

// The tokens matched as whole texts before tokenization, longest text first (ties: lower id).
// User-defined tokens are always matched (Hugging Face "added tokens"); control and unknown
// tokens only when `parse_special` is set.
struct SpecialTokenMatcher {
    std::vector<TokenId> user_defined;       // longest first
    std::vector<TokenId> control_or_unknown; // longest first
    std::vector<TokenId> all;                // both groups merged, longest first

    explicit SpecialTokenMatcher(const Vocab& vocab);

    // Splits `text` into raw fragments and matched tokens, in order. Empty raw fragments are
    // dropped; an empty text gives no fragments. Views point into `text`.
    std::vector<TextFragment> partition(const Vocab& vocab, std::string_view text, bool parse_special) const;
};

}  // namespace rocmforge::tokenizer
