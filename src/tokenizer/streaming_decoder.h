#pragma once
// Incremental detokenization for streaming output: feed generated ids one at a time and get back
// only complete UTF-8 text. Bytes of a multi-byte character split across tokens (byte-fallback
// or byte-level pieces) are held until the character is complete.
#include "tokenizer/tokenizer.h"

#include <string>

namespace rocmforge::tokenizer {

class StreamingDecoder {
public:
    // `tokenizer` must outlive the decoder. `skip_special`: control tokens produce no text.
    explicit StreamingDecoder(const Tokenizer& tokenizer, bool skip_special = true);

    // Appends one token; returns the text that became complete (possibly empty). The concatenation
    // of every push() and finish() equals tokenizer.decode(all ids, {skip_special}).
    // Throws rocmforge::Error naming the id when it is out of range.
    std::string push(TokenId id);
    // Flushes held bytes of an incomplete character at the end of the stream (as they are).
    std::string finish();
    // Forget everything (new stream).
    void reset();

private:
    const Tokenizer& tokenizer_;
    bool skip_special_;
    size_t tokens_seen_ = 0; // a BOS as the very first token is skipped
    bool at_start_ = true;   // no text piece yet: the SPM prefix space is stripped from the first
    std::string pending_;    // bytes of an incomplete trailing UTF-8 character
};

}  // namespace rocmforge::tokenizer
