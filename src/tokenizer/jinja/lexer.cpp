#include "tokenizer/jinja/lexer.h"

#include "tokenizer/utf8.h"
#include "util/error.h"

#include <algorithm>
#include <cctype>
#include <charconv>

namespace rocmforge::tokenizer::jinja {

namespace {

[[noreturn]] void lex_error(size_t line, const std::string& message) {
    throw_error("chat template", "line {}: {}", line, message);
}

bool is_space(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f'; }

class Lexer {
public:
    Lexer(std::string_view source, const LexerOptions& options) : src_(source), options_(options) {}

    std::vector<Token> run() {
        size_t pos = 0;
        bool strip_next_leading = false;  // previous tag ended with "-"
        bool trim_next_newline = false;   // previous block/comment tag with trim_blocks
        while (pos <= src_.size()) {
            const size_t tag = find_tag(pos);
            std::string text(src_.substr(pos, (tag == std::string_view::npos ? src_.size() : tag) - pos));
            if (strip_next_leading) {
                text.erase(0, std::find_if_not(text.begin(), text.end(), is_space) - text.begin());
            } else if (trim_next_newline) {
                if (text.rfind("\r\n", 0) == 0) text.erase(0, 2);
                else if (!text.empty() && text[0] == '\n') text.erase(0, 1);
            }
            if (tag == std::string_view::npos) {
                if (!options_.keep_trailing_newline && !text.empty() && text.back() == '\n') {
                    text.pop_back();
                    if (!text.empty() && text.back() == '\r') text.pop_back();
                }
                emit_text(std::move(text), line_at(pos));
                break;
            }
            const char kind = src_[tag + 1];  // '{', '%' or '#'
            const char modifier = tag + 2 < src_.size() ? src_[tag + 2] : '\0';
            if (modifier == '-') {
                while (!text.empty() && is_space(text.back())) text.pop_back();
            } else if (options_.lstrip_blocks && modifier != '+' && (kind == '%' || kind == '#')) {
                // Strip spaces/tabs back to the start of the line, if only those precede the tag
                // in the source (a newline removed by trim_blocks still counts as a line start).
                size_t start = tag;
                while (start > pos && (src_[start - 1] == ' ' || src_[start - 1] == '\t')) --start;
                if (start == 0 || src_[start - 1] == '\n') {
                    while (!text.empty() && (text.back() == ' ' || text.back() == '\t')) text.pop_back();
                }
            }
            emit_text(std::move(text), line_at(pos));

            size_t body = tag + 2 + ((modifier == '-' || modifier == '+') ? 1 : 0);
            const size_t line = line_at(tag);
            if (kind == '#') {
                const size_t close = src_.find("#}", body);
                if (close == std::string_view::npos) lex_error(line, "unterminated comment");
                strip_next_leading = close > body && src_[close - 1] == '-';
                trim_next_newline = options_.trim_blocks;
                pos = close + 2;
                continue;
            }
            const bool is_block = kind == '%';
            const std::string_view closer = is_block ? "%}" : "}}";
            tokens_.push_back({is_block ? TokenKind::BlockBegin : TokenKind::VariableBegin, "", 0, 0.0, line});
            const size_t close = lex_tag_body(body, closer, line);
            strip_next_leading = src_[close - 1] == '-' && close - 1 >= body;
            tokens_.push_back({is_block ? TokenKind::BlockEnd : TokenKind::VariableEnd, "", 0, 0.0, line_at(close)});
            trim_next_newline = is_block && options_.trim_blocks;
            pos = close + 2;
            if (is_block && is_raw_block()) pos = lex_raw(pos, line, strip_next_leading, trim_next_newline);
        }
        tokens_.push_back({TokenKind::End, "", 0, 0.0, line_at(src_.size())});
        return std::move(tokens_);
    }

private:
    size_t find_tag(size_t from) const {
        for (size_t p = src_.find('{', from); p != std::string_view::npos; p = src_.find('{', p + 1)) {
            if (p + 1 < src_.size() && (src_[p + 1] == '{' || src_[p + 1] == '%' || src_[p + 1] == '#')) return p;
        }
        return std::string_view::npos;
    }

    size_t line_at(size_t pos) {
        // Incremental line counting (positions only move forward, except for error paths).
        if (pos < line_pos_) {
            line_pos_ = 0;
            line_ = 1;
        }
        for (; line_pos_ < pos && line_pos_ < src_.size(); ++line_pos_) {
            if (src_[line_pos_] == '\n') ++line_;
        }
        return line_;
    }

    void emit_text(std::string text, size_t line) {
        if (!text.empty()) tokens_.push_back({TokenKind::Text, std::move(text), 0, 0.0, line});
    }

    // The tokens just emitted are "{% raw %}".
    bool is_raw_block() const {
        const size_t n = tokens_.size();
        return n >= 3 && tokens_[n - 2].kind == TokenKind::Name && tokens_[n - 2].text == "raw" &&
               tokens_[n - 3].kind == TokenKind::BlockBegin;
    }

    // After "{% raw %}": everything up to "{% endraw %}" is text. Returns the position after it.
    size_t lex_raw(size_t pos, size_t line, bool& strip_next_leading, bool& trim_next_newline) {
        tokens_.resize(tokens_.size() - 3);  // drop the raw tag itself
        size_t search = pos;
        while (true) {
            const size_t open = src_.find("{%", search);
            if (open == std::string_view::npos) lex_error(line, "unterminated {% raw %} block");
            size_t p = open + 2;
            const bool strip_before = p < src_.size() && src_[p] == '-';
            if (p < src_.size() && (src_[p] == '-' || src_[p] == '+')) ++p;
            while (p < src_.size() && is_space(src_[p])) ++p;
            if (src_.compare(p, 6, "endraw") != 0) {
                search = open + 2;
                continue;
            }
            p += 6;
            while (p < src_.size() && is_space(src_[p])) ++p;
            const bool strip_after = p < src_.size() && src_[p] == '-';
            if (strip_after) ++p;
            if (src_.compare(p, 2, "%}") != 0) lex_error(line, "malformed {% endraw %}");
            std::string text(src_.substr(pos, open - pos));
            if (strip_next_leading) text.erase(0, std::find_if_not(text.begin(), text.end(), is_space) - text.begin());
            else if (trim_next_newline && !text.empty() && text[0] == '\n') text.erase(0, 1);
            if (strip_before) {
                while (!text.empty() && is_space(text.back())) text.pop_back();
            }
            emit_text(std::move(text), line);
            strip_next_leading = strip_after;
            trim_next_newline = options_.trim_blocks;
            return p + 2;
        }
    }

    // Tokenizes a tag's inside from `pos` up to `closer` (optionally preceded by "-").
    // Returns the position of the closer.
    size_t lex_tag_body(size_t pos, std::string_view closer, size_t line) {
        while (true) {
            while (pos < src_.size() && is_space(src_[pos])) ++pos;
            if (pos >= src_.size()) lex_error(line, "unterminated tag (missing " + std::string(closer) + ")");
            if (src_.compare(pos, 2, closer) == 0) return pos;
            if (src_[pos] == '-' && src_.compare(pos + 1, 2, closer) == 0) return pos + 1;
            const char c = src_[pos];
            const size_t token_line = line_at(pos);
            if (std::isalpha(static_cast<unsigned char>(c)) || c == '_') {
                size_t end = pos;
                while (end < src_.size() && (std::isalnum(static_cast<unsigned char>(src_[end])) || src_[end] == '_')) ++end;
                tokens_.push_back({TokenKind::Name, std::string(src_.substr(pos, end - pos)), 0, 0.0, token_line});
                pos = end;
            } else if (std::isdigit(static_cast<unsigned char>(c))) {
                pos = lex_number(pos, token_line);
            } else if (c == '\'' || c == '"') {
                pos = lex_string(pos, token_line);
            } else {
                static constexpr std::string_view kTwoChar[] = {"//", "**", "==", "!=", "<=", ">="};
                std::string op(1, c);
                for (std::string_view two : kTwoChar) {
                    if (src_.compare(pos, 2, two) == 0) op = two;
                }
                if (op.size() == 1 && std::string_view("+-*/%~<>()[]{},:.|=!").find(c) == std::string_view::npos) {
                    lex_error(token_line, std::string("unexpected character '") + c + "' in tag");
                }
                tokens_.push_back({TokenKind::Operator, op, 0, 0.0, token_line});
                pos += op.size();
            }
        }
    }

    size_t lex_number(size_t pos, size_t line) {
        size_t end = pos;
        bool is_float = false;
        while (end < src_.size() && (std::isdigit(static_cast<unsigned char>(src_[end])) || src_[end] == '_')) ++end;
        if (end + 1 < src_.size() && src_[end] == '.' && std::isdigit(static_cast<unsigned char>(src_[end + 1]))) {
            is_float = true;
            ++end;
            while (end < src_.size() && std::isdigit(static_cast<unsigned char>(src_[end]))) ++end;
        }
        if (end < src_.size() && (src_[end] == 'e' || src_[end] == 'E')) {
            size_t e = end + 1;
            if (e < src_.size() && (src_[e] == '+' || src_[e] == '-')) ++e;
            if (e < src_.size() && std::isdigit(static_cast<unsigned char>(src_[e]))) {
                is_float = true;
                end = e;
                while (end < src_.size() && std::isdigit(static_cast<unsigned char>(src_[end]))) ++end;
            }
        }
        std::string text(src_.substr(pos, end - pos));
        text.erase(std::remove(text.begin(), text.end(), '_'), text.end());
        Token token{is_float ? TokenKind::Float : TokenKind::Integer, text, 0, 0.0, line};
        const char* first = text.data();
        const char* last = text.data() + text.size();
        const auto result = is_float ? std::from_chars(first, last, token.float_value)
                                     : std::from_chars(first, last, token.int_value);
        if (result.ec != std::errc() || result.ptr != last) lex_error(line, "number literal out of range: " + text);
        tokens_.push_back(std::move(token));
        return end;
    }

    size_t lex_string(size_t pos, size_t line) {
        const char quote = src_[pos];
        std::string value;
        size_t p = pos + 1;
        while (p < src_.size() && src_[p] != quote) {
            char c = src_[p];
            if (c == '\\' && p + 1 < src_.size()) {
                const char e = src_[++p];
                switch (e) {
                    case 'n': c = '\n'; break;
                    case 't': c = '\t'; break;
                    case 'r': c = '\r'; break;
                    case '\\': c = '\\'; break;
                    case '\'': c = '\''; break;
                    case '"': c = '"'; break;
                    case '\n': ++p; continue;  // line continuation
                    case 'x':
                    case 'u':
                    case 'U': {
                        // Python \xNN, \uNNNN, \UNNNNNNNN: a code point, appended as UTF-8.
                        const size_t digits = e == 'x' ? 2 : e == 'u' ? 4 : 8;
                        uint32_t cp = 0;
                        bool ok = p + digits < src_.size();
                        for (size_t k = 1; ok && k <= digits; ++k) {
                            const char h = src_[p + k];
                            ok = std::isxdigit(static_cast<unsigned char>(h)) != 0;
                            cp = cp * 16 + static_cast<uint32_t>(std::isdigit(static_cast<unsigned char>(h)) ? h - '0' : (std::tolower(h) - 'a' + 10));
                        }
                        if (!ok || cp > 0x10FFFF) lex_error(line, "invalid \\" + std::string(1, e) + " escape in string literal");
                        append_utf8(value, cp);
                        p += digits + 1;
                        continue;
                    }
                    default: value += '\\'; c = e; break;
                }
            }
            value += c;
            ++p;
        }
        if (p >= src_.size()) lex_error(line, "unterminated string literal");
        tokens_.push_back({TokenKind::String, std::move(value), 0, 0.0, line});
        return p + 1;
    }

    std::string_view src_;
    LexerOptions options_;
    std::vector<Token> tokens_;
    size_t line_pos_ = 0;
    size_t line_ = 1;
};

}  // namespace

std::vector<Token> lex(std::string_view source, const LexerOptions& options) {
    return Lexer(source, options).run();
}

}  // namespace rocmforge::tokenizer::jinja
