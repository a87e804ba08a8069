#include "tokenizer/jinja/unicode_case.h"

#include "tokenizer/utf8.h"

#include <cstdint>

namespace rocmforge::tokenizer::jinja {

namespace {

// Simple (one-to-one) mappings; 0 when the code point has no such mapping.
uint32_t lower_of(uint32_t c) {
    if (c >= 'A' && c <= 'Z') return c + 32;
    if (c < 0x80) return 0;
    if ((c >= 0xC0 && c <= 0xDE) && c != 0xD7) return c + 32;
    if (c == 0x178) return 0xFF;
    if (c >= 0x100 && c <= 0x17F) {
        if ((c >= 0x139 && c <= 0x148) || (c >= 0x179 && c <= 0x17E)) return (c % 2 == 1) ? c + 1 : 0;
        if (c == 0x130 || c == 0x131 || c == 0x138 || c == 0x149 || c == 0x17F) return c == 0x130 ? 0x69 : 0;
        return (c % 2 == 0) ? c + 1 : 0;
    }
    if (c >= 0x391 && c <= 0x3A9 && c != 0x3A2) return c + 32;
    if (c >= 0x410 && c <= 0x42F) return c + 32;
    if (c >= 0x400 && c <= 0x40F) return c + 80;
    return 0;
}

uint32_t upper_of(uint32_t c) {
    if (c >= 'a' && c <= 'z') return c - 32;
    if (c < 0x80) return 0;
    if (c == 0xB5) return 0x39C;
    if ((c >= 0xE0 && c <= 0xFE) && c != 0xF7) return c - 32;
    if (c == 0xFF) return 0x178;
    if (c >= 0x100 && c <= 0x17F) {
        if ((c >= 0x139 && c <= 0x148) || (c >= 0x179 && c <= 0x17E)) return (c % 2 == 0) ? c - 1 : 0;
        if (c == 0x131) return 0x49;
        if (c == 0x17F) return 0x53;
        if (c == 0x130 || c == 0x138 || c == 0x149) return 0;
        return (c % 2 == 1) ? c - 1 : 0;
    }
    if (c == 0x3C2) return 0x3A3;
    if (c >= 0x3B1 && c <= 0x3C9) return c - 32;
    if (c >= 0x430 && c <= 0x44F) return c - 32;
    if (c >= 0x450 && c <= 0x45F) return c - 80;
    return 0;
}

bool is_cased(uint32_t c) { return lower_of(c) != 0 || upper_of(c) != 0 || c == 0xDF || c == 0x138 || c == 0x149; }

enum class Mode { Upper, Lower };

void append_mapped(std::string& out, uint32_t c, Mode mode) {
    if (mode == Mode::Upper && c == 0xDF) {  // ß → SS (Python's full mapping)
        out += "SS";
        return;
    }
    const uint32_t mapped = mode == Mode::Upper ? upper_of(c) : lower_of(c);
    append_utf8(out, mapped != 0 ? mapped : c);
}

// Calls fn(code_point, is_valid, byte_view) for each unit of s.
template <typename Fn>
void for_each_char(std::string_view s, Fn&& fn) {
    for (size_t pos = 0; pos < s.size();) {
        const size_t n = utf8_unit_length(s, pos);
        const bool valid = n > 1 || static_cast<unsigned char>(s[pos]) < 0x80;
        fn(valid ? decode_utf8_at(s, pos, n) : 0u, valid, s.substr(pos, n));
        pos += n;
    }
}

std::string map_all(std::string_view s, Mode mode) {
    std::string out;
    out.reserve(s.size());
    for_each_char(s, [&](uint32_t c, bool valid, std::string_view bytes) {
        if (valid) append_mapped(out, c, mode);
        else out.append(bytes);
    });
    return out;
}

}  // namespace

std::string unicode_upper(std::string_view s) { return map_all(s, Mode::Upper); }
std::string unicode_lower(std::string_view s) { return map_all(s, Mode::Lower); }

std::string unicode_title(std::string_view s) {
    std::string out;
    bool previous_cased = false;
    for_each_char(s, [&](uint32_t c, bool valid, std::string_view bytes) {
        if (!valid) {
            out.append(bytes);
            previous_cased = false;
            return;
        }
        append_mapped(out, c, previous_cased ? Mode::Lower : Mode::Upper);
        previous_cased = is_cased(c);
    });
    return out;
}

std::string unicode_capitalize(std::string_view s) {
    std::string out;
    bool first = true;
    for_each_char(s, [&](uint32_t c, bool valid, std::string_view bytes) {
        if (!valid) out.append(bytes);
        else append_mapped(out, c, first ? Mode::Upper : Mode::Lower);
        first = false;
    });
    return out;
}

}  // namespace rocmforge::tokenizer::jinja
