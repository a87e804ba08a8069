#pragma once
// Text ↔ token ids for a GGUF model, loaded from its `tokenizer.ggml.*` metadata.
// SPM (`llama`) and byte-level BPE (`gpt2`) models; see docs/tokenizers.md.
#include "gguf/gguf_file.h"

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace rocmforge::tokenizer {

using TokenId = int32_t;

struct DecodeOptions {
    bool skip_special = false;  // drop control/unknown/unused tokens (BOS, EOS, <|im_end|>, ...)
};

class Tokenizer {
public:
    // Throws rocmforge::Error naming the key and value on missing/invalid tokenizer metadata
    // (including an unknown `tokenizer.ggml.pre`). The result copies what it needs: `file` may be
    // closed afterwards.
    static std::unique_ptr<Tokenizer> from_gguf(const gguf::GgufFile& file);
    virtual ~Tokenizer() = default;

    // add_bos: add the special tokens the model asks for: BOS (`add_bos_token`, default true for
    // SPM) and, when `add_eos_token` is set, EOS at the end.
    // parse_special: match control/unknown token texts (e.g. "<|im_start|>") as single tokens;
    // user-defined (added) tokens are always matched. Off for user text, on for rendered chat
    // templates. Any bytes are accepted (invalid UTF-8 becomes byte tokens). Thread-safe (const).
    virtual std::vector<TokenId> encode(std::string_view text, bool add_bos, bool parse_special) const = 0;
    // The bytes of one token as they appear in decoded text (SPM "▁" → " ", byte tokens → that byte,
    // BPE byte-level characters → bytes). Control tokens render as their text (e.g. "</s>").
    // Throws rocmforge::Error naming the id when it is out of range. May be an incomplete UTF-8
    // sequence: stream through StreamingDecoder (tokenizer/streaming_decoder.h) for display.
    virtual std::string token_to_piece(TokenId id) const = 0;
    // Concatenated pieces; skips a leading BOS the model adds, and strips the leading space the SPM
    // prefix adds when the model adds one. Throws rocmforge::Error naming an out-of-range id.
    virtual std::string decode(const std::vector<TokenId>& ids) const = 0;
    virtual std::string decode(const std::vector<TokenId>& ids, const DecodeOptions& options) const = 0;

    virtual int32_t vocab_size() const = 0;
    virtual std::optional<TokenId> bos_id() const = 0;
    virtual std::optional<TokenId> eos_id() const = 0;
    // End of generation: EOS, EOT, EOM and other tokens the model marks as ending a turn.
    virtual bool is_end_of_generation(TokenId id) const = 0;

    // Whether encode(text, add_bos=true, ...) prepends BOS (`add_bos_token` and a BOS id exist).
    virtual bool adds_bos() const = 0;
    // Whether SPM's "▁" space prefix is added before the first fragment (`add_space_prefix`).
    virtual bool adds_space_prefix() const = 0;
    // The raw vocabulary text of a token (e.g. "▁Hello", "<0x0A>", "Ġworld"). Throws on a bad id.
    virtual const std::string& token_text(TokenId id) const = 0;
    // Control, unknown or unused token (not plain text). Throws on a bad id.
    virtual bool is_control(TokenId id) const = 0;
};

}  // namespace rocmforge::tokenizer
