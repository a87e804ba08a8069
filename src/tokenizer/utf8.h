#pragma once
// UTF-8 helpers shared by the tokenizers and the streaming decoder. Invalid input is never an
// error here: a byte that does not start a valid sequence is treated as a one-byte unit.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace rocmforge::tokenizer {

// Length of the sequence a lead byte announces (1..4), or 1 for a continuation/invalid byte.
inline size_t utf8_sequence_length(uint8_t lead) {
    if (lead < 0x80) return 1;
    if ((lead & 0xE0) == 0xC0) return 2;
    if ((lead & 0xF0) == 0xE0) return 3;
    if ((lead & 0xF8) == 0xF0) return 4;
    return 1;
}

// Length of the character unit starting at text[pos]: the announced length when all continuation
// bytes are present and well-formed, otherwise 1 (the lone byte). Precondition: pos < text.size().
size_t utf8_unit_length(std::string_view text, size_t pos);

// Number of bytes at the end of `text` that form an incomplete (but so far valid) multi-byte
// sequence, i.e. bytes a streaming decoder must hold back until more input arrives (0..3).
size_t utf8_incomplete_tail(std::string_view text);

// Appends the UTF-8 encoding of a code point (U+0000..U+10FFFF).
void append_utf8(std::string& out, uint32_t code_point);

// Decodes the code point of a well-formed sequence at text[pos] (length from utf8_unit_length);
// a lone invalid byte decodes to its byte value.
uint32_t decode_utf8_at(std::string_view text, size_t pos, size_t length);

}  // namespace rocmforge::tokenizer
