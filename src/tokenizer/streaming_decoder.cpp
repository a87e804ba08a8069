#include "tokenizer/streaming_decoder.h"

#include "tokenizer/utf8.h"

namespace rocmforge::tokenizer {

StreamingDecoder::StreamingDecoder(const Tokenizer& tokenizer, bool skip_special)
    : tokenizer_(tokenizer), skip_special_(skip_special) {}

std::string StreamingDecoder::push(TokenId id) {
    // Same rules as Tokenizer::decode: validate, skip the BOS encode() adds, skip specials on request,
    // strip the SPM prefix space from the first piece.
    const bool is_control = tokenizer_.is_control(id);  // throws on a bad id
    const bool first_token = tokens_seen_++ == 0;
    const bool first = at_start_;
    at_start_ = false;
    if (first_token && tokenizer_.adds_bos() && id == tokenizer_.bos_id()) {
        at_start_ = true;
        return {};
    }
    if (skip_special_ && is_control) {
        at_start_ = first;
        return {};
    }
    std::string piece = tokenizer_.token_to_piece(id);
    if (first && tokenizer_.adds_space_prefix() && !piece.empty() && piece[0] == ' ') piece.erase(0, 1);
    pending_ += piece;
    const size_t hold = utf8_incomplete_tail(pending_);
    std::string ready = pending_.substr(0, pending_.size() - hold);
    pending_.erase(0, pending_.size() - hold);
    return ready;
}

std::string StreamingDecoder::finish() {
    std::string rest;
    rest.swap(pending_);
    return rest;
}

void StreamingDecoder::reset() {
    at_start_ = true;
    tokens_seen_ = 0;
    pending_.clear();
}

}  // namespace rocmforge::tokenizer
