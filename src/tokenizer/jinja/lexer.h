#pragma once
// Jinja lexer: splits a template into text and tag tokens, applying whitespace control
// ("{%-", "-%}", ...), trim_blocks (drop the first newline after a block or comment tag),
// lstrip_blocks (drop spaces/tabs before a block or comment tag that starts a line) and
// keep_trailing_newline=False (drop one final newline), as Hugging Face configures Jinja.
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace rocmforge::tokenizer::jinja {

enum class TokenKind {
    Text,           // literal output
    VariableBegin,  // {{
    VariableEnd,    // }}
    BlockBegin,     // {%
    BlockEnd,       // %}
    Name,           // identifier or keyword
    String,         // string literal (unescaped value in `text`)
    Integer,
    Float,
    Operator,       // + - * / // % ** ~ == != < > <= >= ( ) [ ] { } , : . | =
    End,
};

struct Token {
    TokenKind kind;
    std::string text;
    int64_t int_value = 0;
    double float_value = 0.0;
    size_t line = 1;  // 1-based line of the token's start in the template
};

struct LexerOptions {
    bool trim_blocks = true;
    bool lstrip_blocks = true;
    bool keep_trailing_newline = false;
};

// Throws rocmforge::Error ("chat template: line N: ...") on an unterminated tag or string.
std::vector<Token> lex(std::string_view source, const LexerOptions& options = {});

}  // namespace rocmforge::tokenizer::jinja
