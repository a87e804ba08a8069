#include "tokenizer/byte_level.h"

#include "tokenizer/utf8.h"

namespace rocmforge::tokenizer {

namespace {

bool maps_to_itself(uint32_t byte) {
    return (byte >= 0x21 && byte <= 0x7E) || (byte >= 0xA1 && byte <= 0xAC) || (byte >= 0xAE && byte <= 0xFF);
}

}  // namespace

const std::array<uint32_t, 256>& byte_to_code_point() {
    static const std::array<uint32_t, 256> table = [] {
        std::array<uint32_t, 256> t{};
        uint32_t next_shifted = 0x100;
        for (uint32_t byte = 0; byte < 256; ++byte) t[byte] = maps_to_itself(byte) ? byte : next_shifted++;
        return t;
    }();
    return table;
}

const std::array<std::string, 256>& byte_to_utf8() {
    static const std::array<std::string, 256> table = [] {
        std::array<std::string, 256> t;
        for (size_t byte = 0; byte < 256; ++byte) append_utf8(t[byte], byte_to_code_point()[byte]);
        return t;
    }();
    return table;
}

int code_point_to_byte(uint32_t code_point) {
    // The mapping's image is U+0021..U+0143.
    static const std::array<int16_t, 0x144> inverse = [] {
        std::array<int16_t, 0x144> t;
        t.fill(-1);
        for (size_t byte = 0; byte < 256; ++byte) t[byte_to_code_point()[byte]] = static_cast<int16_t>(byte);
        return t;
    }();
    return code_point < inverse.size() ? inverse[code_point] : -1;
}

std::string bytes_to_byte_level(std::string_view bytes) {
    const auto& table = byte_to_utf8();
    std::string out;
    out.reserve(bytes.size() * 2);
    for (char c : bytes) out += table[static_cast<uint8_t>(c)];
    return out;
}

std::string byte_level_to_bytes(std::string_view text) {
    std::string out;
    out.reserve(text.size());
    for (size_t pos = 0; pos < text.size();) {
        const size_t length = utf8_unit_length(text, pos);
        const int byte = length == 1 && static_cast<uint8_t>(text[pos]) >= 0x80
                             ? -1  // a lone invalid byte is not a mapped character
                             : code_point_to_byte(decode_utf8_at(text, pos, length));
        if (byte >= 0) out += static_cast<char>(byte);
        else out.append(text.substr(pos, length));
        pos += length;
    }
    return out;
}

}  // namespace rocmforge::tokenizer
