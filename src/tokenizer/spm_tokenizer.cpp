#include "tokenizer/spm_tokenizer.h"

#include "tokenizer/utf8.h"
#include "tokenizer/word_cache.h"
#include "util/error.h"

#include <fmt/format.h>

#include <queue>

namespace rocmforge::tokenizer {

namespace {

constexpr std::string_view kSpaceMarker = "\xE2\x96\x81";  // "▁" U+2581

// A symbol is a byte range [start, start+length) of the escaped text, in a linked list.
struct Symbol {
    int32_t prev;
    int32_t next;
    uint32_t start;
    uint32_t length;  // 0 once merged into its left neighbour
};

struct Bigram {
    int32_t left;
    int32_t right;
    float score;
    uint32_t length;  // merged byte length, to detect stale entries

    // priority_queue pops the "largest": highest score, then leftmost.
    bool operator<(const Bigram& other) const {
        if (score != other.score) return score < other.score;
        return left > other.left;
    }
};

int parse_byte_token(std::string_view text) {
    // "<0xNN>" with two hex digits.
    if (text.size() != 6 || text.substr(0, 3) != "<0x" || text[5] != '>') return -1;
    int value = 0;
    for (char c : text.substr(3, 2)) {
        value <<= 4;
        if (c >= '0' && c <= '9') value |= c - '0';
        else if (c >= 'A' && c <= 'F') value |= c - 'A' + 10;
        else if (c >= 'a' && c <= 'f') value |= c - 'a' + 10;
        else return -1;
    }
    return value;
}

}  // namespace

SpmTokenizer::SpmTokenizer(Vocab vocab) : VocabTokenizer(std::move(vocab)) {
    byte_tokens_.fill(-1);
    byte_value_.assign(static_cast<size_t>(vocab_.size()), -1);
    for (TokenId id = 0; id < vocab_.size(); ++id) {
        if (vocab_.type(id) != TokenType::Byte) continue;
        const int value = parse_byte_token(vocab_.tokens[static_cast<size_t>(id)]);
        if (value < 0) continue;
        byte_value_[static_cast<size_t>(id)] = static_cast<int16_t>(value);
        if (byte_tokens_[static_cast<size_t>(value)] < 0) byte_tokens_[static_cast<size_t>(value)] = id;
    }
    words_are_independent_ = true;
    for (const std::string& token : vocab_.tokens) {
        for (size_t at = token.find(kSpaceMarker, 1); at != std::string::npos; at = token.find(kSpaceMarker, at + 1)) {
            if (at < kSpaceMarker.size() || token.compare(at - kSpaceMarker.size(), kSpaceMarker.size(), kSpaceMarker) != 0) {
                words_are_independent_ = false;
                break;
            }
        }
        if (!words_are_independent_) break;
    }
}

void SpmTokenizer::encode_fragment(std::string_view text, bool starts_segment, std::vector<TokenId>& out) const {
    std::string escaped;
    escaped.reserve(text.size() * 2 + 3);
    if (vocab_.add_space_prefix && starts_segment) escaped += kSpaceMarker;
    for (char c : text) {
        if (c == ' ') escaped += kSpaceMarker;
        else escaped += c;
    }
    encode_escaped(escaped, out);
}

void SpmTokenizer::append_bytes(std::string_view text, std::vector<TokenId>& out) const {
    for (char c : text) {
        const TokenId byte_token = byte_tokens_[static_cast<uint8_t>(c)];
        if (byte_token >= 0) out.push_back(byte_token);
        else if (vocab_.unk) out.push_back(*vocab_.unk);
        else throw_error("tokenize", "byte 0x{:02X} has no <0x{:02X}> token and the vocabulary has no UNK", static_cast<uint8_t>(c), static_cast<uint8_t>(c));
    }
}

void SpmTokenizer::encode_escaped(std::string_view text, std::vector<TokenId>& out) const {
    if (!words_are_independent_) {
        encode_segment(text, out);
        return;
    }
    // Cut before every "▁" that follows another character; see words_are_independent_.
    WordCache cache;
    auto encode_word = [this](std::string_view word, std::vector<TokenId>& ids) { encode_segment(word, ids); };
    size_t start = 0;
    for (size_t at = text.find(kSpaceMarker, 1); at != std::string_view::npos; at = text.find(kSpaceMarker, at + 1)) {
        if (at >= kSpaceMarker.size() && text.compare(at - kSpaceMarker.size(), kSpaceMarker.size(), kSpaceMarker) == 0) {
            continue;
        }
        cache.encode(text.substr(start, at - start), out, encode_word);
        start = at;
    }
    cache.encode(text.substr(start), out, encode_word);
}

void SpmTokenizer::encode_segment(std::string_view text, std::vector<TokenId>& out) const {
    if (text.empty()) return;
    if (text.size() > 0xFFFFFFF0u) throw_error("tokenize", "input of {} bytes is too large", text.size());
    std::vector<Symbol> symbols;
    symbols.reserve(text.size());
    for (size_t pos = 0; pos < text.size();) {
        const size_t length = utf8_unit_length(text, pos);
        const auto index = static_cast<int32_t>(symbols.size());
        symbols.push_back({index - 1, index + 1, static_cast<uint32_t>(pos), static_cast<uint32_t>(length)});
        pos += length;
    }
    symbols.back().next = -1;

    std::vector<Bigram> storage;
    storage.reserve(symbols.size());
    std::priority_queue<Bigram> queue(std::less<Bigram>{}, std::move(storage));
    auto try_add = [&](int32_t left, int32_t right) {
        if (left < 0 || right < 0) return;
        const Symbol& a = symbols[static_cast<size_t>(left)];
        const Symbol& b = symbols[static_cast<size_t>(right)];
        const std::string_view merged = text.substr(a.start, a.length + b.length);
        const auto id = vocab_.find(merged);
        if (!id) return;
        const TokenType type = vocab_.type(*id);
        if (type == TokenType::Unused || type == TokenType::Unknown) return;
        queue.push({left, right, vocab_.scores[static_cast<size_t>(*id)], a.length + b.length});
    };
    for (size_t i = 1; i < symbols.size(); ++i) try_add(static_cast<int32_t>(i - 1), static_cast<int32_t>(i));

    while (!queue.empty()) {
        const Bigram bigram = queue.top();
        queue.pop();
        Symbol& left = symbols[static_cast<size_t>(bigram.left)];
        Symbol& right = symbols[static_cast<size_t>(bigram.right)];
        if (left.length == 0 || right.length == 0 || left.length + right.length != bigram.length) continue;
        left.length += right.length;
        right.length = 0;
        left.next = right.next;
        if (right.next >= 0) symbols[static_cast<size_t>(right.next)].prev = bigram.left;
        try_add(left.prev, bigram.left);
        try_add(bigram.left, left.next);
    }

    for (int32_t i = 0; i >= 0; i = symbols[static_cast<size_t>(i)].next) {
        const Symbol& symbol = symbols[static_cast<size_t>(i)];
        const std::string_view piece = text.substr(symbol.start, symbol.length);
        const auto id = vocab_.find(piece);
        if (id && vocab_.type(*id) != TokenType::Unused) out.push_back(*id);
        else append_bytes(piece, out);
    }
}

std::string SpmTokenizer::text_piece(TokenId id) const {
    const int16_t byte = byte_value_[static_cast<size_t>(id)];
    if (byte >= 0) return std::string(1, static_cast<char>(byte));
    const std::string& text = vocab_.tokens[static_cast<size_t>(id)];
    std::string piece;
    piece.reserve(text.size());
    for (size_t pos = 0; pos < text.size();) {
        if (text.compare(pos, kSpaceMarker.size(), kSpaceMarker) == 0) {
            piece += ' ';
            pos += kSpaceMarker.size();
        } else {
            piece += text[pos++];
        }
    }
    return piece;
}

}  // namespace rocmforge::tokenizer
