#include "tokenizer/vocab_tokenizer.h"

#include "util/error.h"

#include <algorithm>

namespace rocmforge::tokenizer {

namespace {

// Control-token texts that end a turn in common chat formats (Llama-3, ChatML, Phi-3, Gemma, ...).
constexpr std::string_view kEndOfTurnTexts[] = {
    "<|eot_id|>", "<|eom_id|>", "<|im_end|>", "<|end|>", "<end_of_turn>", "<|endoftext|>",
    "<|end_of_text|>", "<EOT>", "<|return|>", "<|call|>", "<｜end▁of▁sentence｜>", "<|END_OF_TURN_TOKEN|>",
};

}  // namespace

VocabTokenizer::VocabTokenizer(Vocab vocab) : vocab_(std::move(vocab)), specials_(vocab_) {
    for (const auto& id : {vocab_.eos, vocab_.eot, vocab_.eom}) {
        if (id) end_of_generation_.push_back(*id);
    }
    for (TokenId id = 0; id < vocab_.size(); ++id) {
        if (vocab_.type(id) != TokenType::Control) continue;
        const std::string& text = vocab_.tokens[static_cast<size_t>(id)];
        for (std::string_view end_text : kEndOfTurnTexts) {
            if (text == end_text) end_of_generation_.push_back(id);
        }
    }
    std::sort(end_of_generation_.begin(), end_of_generation_.end());
    end_of_generation_.erase(std::unique(end_of_generation_.begin(), end_of_generation_.end()), end_of_generation_.end());
}

std::vector<TokenId> VocabTokenizer::encode(std::string_view text, bool add_bos, bool parse_special) const {
    std::vector<TokenId> out;
    out.reserve(text.size() / 3 + 2);
    if (add_bos && adds_bos()) out.push_back(*vocab_.bos);
    bool starts_segment = true;
    for (const TextFragment& fragment : specials_.partition(text, parse_special)) {
        if (fragment.token >= 0) {
            out.push_back(fragment.token);
            starts_segment = true;
        } else {
            encode_fragment(fragment.text, starts_segment, out);
            starts_segment = false;
        }
    }
    if (add_bos && vocab_.add_eos && vocab_.eos) out.push_back(*vocab_.eos);
    return out;
}

void VocabTokenizer::check_id(TokenId id) const {
    if (!vocab_.valid_id(id)) {
        throw_error("detokenize", "token id {} is out of range (vocabulary size {})", id, vocab_.size());
    }
}

const std::string& VocabTokenizer::token_text(TokenId id) const {
    check_id(id);
    return vocab_.tokens[static_cast<size_t>(id)];
}

bool VocabTokenizer::is_control(TokenId id) const {
    check_id(id);
    const TokenType type = vocab_.type(id);
    return type == TokenType::Control || type == TokenType::Unknown || type == TokenType::Unused;
}

std::string VocabTokenizer::token_to_piece(TokenId id) const {
    check_id(id);
    switch (vocab_.type(id)) {
        case TokenType::Control:
        case TokenType::Unknown:
        case TokenType::Unused:
            return vocab_.tokens[static_cast<size_t>(id)];
        default:
            return text_piece(id);
    }
}

std::string VocabTokenizer::decode(const std::vector<TokenId>& ids) const { return decode(ids, DecodeOptions{}); }

std::string VocabTokenizer::decode(const std::vector<TokenId>& ids, const DecodeOptions& options) const {
    std::string text;
    bool first = true;
    for (size_t i = 0; i < ids.size(); ++i) {
        const TokenId id = ids[i];
        check_id(id);
        if (i == 0 && vocab_.bos && id == *vocab_.bos && adds_bos()) continue;  // the BOS encode() adds
        if (options.skip_special && is_control(id)) continue;
        std::string piece = token_to_piece(id);
        // SPM adds "▁" before the first fragment; the first decoded piece loses that space again.
        if (first && vocab_.add_space_prefix && !piece.empty() && piece[0] == ' ') piece.erase(0, 1);
        first = false;
        text += piece;
    }
    return text;
}

bool VocabTokenizer::is_end_of_generation(TokenId id) const {
    return std::binary_search(end_of_generation_.begin(), end_of_generation_.end(), id);
}

}  // namespace rocmforge::tokenizer
