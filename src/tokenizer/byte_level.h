#pragma once
// GPT-2's reversible byte ↔ printable-character mapping used by byte-level BPE vocabularies:
// bytes 0x21-0x7E, 0xA1-0xAC and 0xAE-0xFF map to the same code point; the other 68 bytes map, in
// increasing order, to U+0100, U+0101, ... (so " " becomes "Ġ" U+0120 and "\n" becomes "Ċ" U+010A).
#include <array>
#include <cstdint>
#include <string>
#include <string_view>

namespace rocmforge::tokenizer {

// Code point of each byte.
const std::array<uint32_t, 256>& byte_to_code_point();
// UTF-8 text of the character each byte maps to.
const std::array<std::string, 256>& byte_to_utf8();
// Inverse: the byte a code point stands for, or -1 when the code point is not in the mapping.
int code_point_to_byte(uint32_t code_point);

// Maps every byte of `bytes` to its character (the form vocabulary tokens are stored in).
std::string bytes_to_byte_level(std::string_view bytes);
// Inverse of bytes_to_byte_level; characters outside the mapping are copied through unchanged.
std::string byte_level_to_bytes(std::string_view text);

}  // namespace rocmforge::tokenizer
