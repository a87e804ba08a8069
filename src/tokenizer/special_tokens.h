#pragma once
// Splitting input text at special-token texts before SPM/BPE runs on the pieces in between.
#include "tokenizer/vocab.h"

#include <array>
#include <string_view>
#include <vector>

namespace rocmforge::tokenizer {

// One piece of the input: either raw text to tokenize, or an already-matched token.
struct TextFragment {
    std::string_view text;   // raw text (empty when token >= 0)
    TokenId token = -1;      // matched special token, or -1 for raw text
};

// Finds special-token texts in input, leftmost first and, at one position, longest first (as
// Hugging Face matches added tokens). User-defined tokens are always matched; control and
// unknown tokens only when `parse_special` is set.
class SpecialTokenMatcher {
public:
    explicit SpecialTokenMatcher(const Vocab& vocab);

    // Splits `text` into raw fragments and matched tokens, in order. Empty raw fragments are
    // dropped; an empty text gives no fragments. Views point into `text`.
    std::vector<TextFragment> partition(std::string_view text, bool parse_special) const;

private:
    struct Candidate {
        std::string_view text;  // points into the vocabulary
        TokenId id;
        bool always;            // user-defined (matched even without parse_special)
    };
    // Candidates bucketed by their first byte, longest first within a bucket.
    std::array<std::vector<Candidate>, 256> by_first_byte_;
    std::array<bool, 256> has_always_{};  // bucket holds a user-defined token
};

}  // namespace rocmforge::tokenizer
