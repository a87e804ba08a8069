#pragma once
// Behaviour shared by the SPM and BPE tokenizers: special-token partitioning, BOS/EOS,
// decoding and end-of-generation ids. Subclasses tokenize raw text and render pieces.
#include "tokenizer/special_tokens.h"
#include "tokenizer/tokenizer.h"
#include "tokenizer/vocab.h"

#include <string>
#include <vector>

namespace rocmforge::tokenizer {

class VocabTokenizer : public Tokenizer {
public:
    std::vector<TokenId> encode(std::string_view text, bool add_bos, bool parse_special) const override;
    std::string token_to_piece(TokenId id) const override;
    std::string decode(const std::vector<TokenId>& ids) const override;
    std::string decode(const std::vector<TokenId>& ids, const DecodeOptions& options) const override;

    int32_t vocab_size() const override { return vocab_.size(); }
    std::optional<TokenId> bos_id() const override { return vocab_.bos; }
    std::optional<TokenId> eos_id() const override { return vocab_.eos; }
    bool is_end_of_generation(TokenId id) const override;
    bool adds_bos() const override { return vocab_.add_bos && vocab_.bos.has_value(); }
    bool adds_space_prefix() const override { return vocab_.add_space_prefix; }
    const std::string& token_text(TokenId id) const override;
    bool is_control(TokenId id) const override;
    const Vocab& vocab() const { return vocab_; }

protected:
    explicit VocabTokenizer(Vocab vocab);

    // Tokenizes one raw fragment (no special texts inside). `starts_segment` is true for the first
    // fragment and for fragments right after a matched special token (SPM adds its space prefix there).
    virtual void encode_fragment(std::string_view text, bool starts_segment, std::vector<TokenId>& out) const = 0;
    // Bytes of a normal/user-defined token in decoded text.
    virtual std::string text_piece(TokenId id) const = 0;

    // Throws rocmforge::Error naming the id when it is outside the vocabulary.
    void check_id(TokenId id) const;

    Vocab vocab_;

private:
    SpecialTokenMatcher specials_;
    std::vector<TokenId> end_of_generation_;  // sorted
};

}  // namespace rocmforge::tokenizer
