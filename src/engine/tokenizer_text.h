#pragma once
// engine::TokenText over the model's tokenizer: pieces for output, EOG tokens end generation.
// Control tokens (BOS, EOS, ...) add no text.
#include "engine/generator.h"
#include "tokenizer/tokenizer.h"

namespace rocmforge::engine {

class TokenizerText final : public TokenText {
public:
    explicit TokenizerText(const tokenizer::Tokenizer& tokenizer) : tokenizer_(tokenizer) {}
    std::string piece(int32_t token) const override {
        return tokenizer_.is_control(token) ? std::string() : tokenizer_.token_to_piece(token);
    }
    bool is_end_of_generation(int32_t token) const override { return tokenizer_.is_end_of_generation(token); }

private:
    const tokenizer::Tokenizer& tokenizer_;
};

}  // namespace rocmforge::engine
