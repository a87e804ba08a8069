#include "tokenizer/utf8.h"

namespace rocmforge::tokenizer {

namespace {
bool is_continuation(uint8_t byte) { return (byte & 0xC0) == 0x80; }
}  // namespace

size_t utf8_unit_length(std::string_view text, size_t pos) {
    const auto lead = static_cast<uint8_t>(text[pos]);
    const size_t length = utf8_sequence_length(lead);
    if (length == 1 || pos + length > text.size()) return 1;
    for (size_t i = 1; i < length; ++i) {
        if (!is_continuation(static_cast<uint8_t>(text[pos + i]))) return 1;
    }
    return length;
}

size_t utf8_incomplete_tail(std::string_view text) {
    // Look back at most 3 bytes for a lead byte whose sequence runs past the end.
    const size_t n = text.size();
    for (size_t back = 1; back <= 3 && back <= n; ++back) {
        const auto byte = static_cast<uint8_t>(text[n - back]);
        if (is_continuation(byte)) continue;
        const size_t length = utf8_sequence_length(byte);
        return length > back ? back : 0;
    }
    return 0;
}

void append_utf8(std::string& out, uint32_t cp) {
    if (cp < 0x80) {
        out += static_cast<char>(cp);
    } else if (cp < 0x800) {
        out += static_cast<char>(0xC0 | (cp >> 6));
        out += static_cast<char>(0x80 | (cp & 0x3F));
    } else if (cp < 0x10000) {
        out += static_cast<char>(0xE0 | (cp >> 12));
        out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
        out += static_cast<char>(0x80 | (cp & 0x3F));
    } else {
        out += static_cast<char>(0xF0 | (cp >> 18));
        out += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
        out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
        out += static_cast<char>(0x80 | (cp & 0x3F));
    }
}

uint32_t decode_utf8_at(std::string_view text, size_t pos, size_t length) {
    const auto b0 = static_cast<uint8_t>(text[pos]);
    if (length == 1) return b0;
    uint32_t cp = length == 2 ? (b0 & 0x1F) : length == 3 ? (b0 & 0x0F) : (b0 & 0x07);
    for (size_t i = 1; i < length; ++i) cp = (cp << 6) | (static_cast<uint8_t>(text[pos + i]) & 0x3F);
    return cp;
}

}  // namespace rocmforge::tokenizer
