#include "tokenizer/bpe_tokenizer.h"

#include "tokenizer/byte_level.h"
#include "tokenizer/word_cache.h"
#include "util/error.h"

#include <queue>

namespace rocmforge::tokenizer {

namespace {

// A symbol is one token id covering the byte range [start, start+length) of the word.
struct Symbol {
    int32_t prev;
    int32_t next;
    TokenId id;
    uint32_t length;  // 0 once merged into its left neighbour
};

struct Candidate {
    int32_t rank;
    int32_t left;
    int32_t right;
    TokenId left_id;
    TokenId right_id;

    // priority_queue pops the "largest": lowest rank, then leftmost.
    bool operator<(const Candidate& other) const {
        if (rank != other.rank) return rank > other.rank;
        return left > other.left;
    }
};

}  // namespace

BpeTokenizer::BpeTokenizer(Vocab vocab, const std::string& context)
    : VocabTokenizer(std::move(vocab)),
      spec_(pre_tokenizer_spec(vocab_.pre)),
      pre_tokenizer_(spec_, context) {
    const auto& byte_chars = byte_to_utf8();
    for (size_t byte = 0; byte < 256; ++byte) {
        // Some vocabularies omit bytes that never occur in valid UTF-8 (0xC0, 0xC1, 0xF5..0xFF).
        const auto id = vocab_.find(byte_chars[byte]);
        byte_tokens_[byte] = id ? *id : -1;
    }
    merges_.reserve(vocab_.merges.size() * 2);
    for (size_t rank = 0; rank < vocab_.merges.size(); ++rank) {
        const std::string& merge = vocab_.merges[rank];
        const size_t space = merge.find(' ', 1);
        if (space == std::string::npos) {
            throw_error(context, "tokenizer.ggml.merges[{}] = '{}' is not \"left right\"", rank, merge);
        }
        const std::string_view left(merge.data(), space);
        const std::string_view right(merge.data() + space + 1, merge.size() - space - 1);
        const auto left_id = vocab_.find(left);
        const auto right_id = vocab_.find(right);
        const auto result_id = vocab_.find(std::string(left) + std::string(right));
        if (!left_id || !right_id || !result_id) continue;  // unreachable merge: never applies
        merges_.emplace(pair_key(*left_id, *right_id), Merge{static_cast<int32_t>(rank), *result_id});
    }
}

void BpeTokenizer::encode_fragment(std::string_view text, bool /*starts_segment*/, std::vector<TokenId>& out) const {
    WordCache cache;
    auto encode = [this](std::string_view word, std::vector<TokenId>& ids) { encode_word(word, ids); };
    for (std::string_view word : pre_tokenizer_.split(text)) cache.encode(word, out, encode);
}

void BpeTokenizer::encode_word(std::string_view word, std::vector<TokenId>& out) const {
    if (spec_.ignore_merges) {
        if (const auto id = vocab_.find(bytes_to_byte_level(word)); id && vocab_.type(*id) == TokenType::Normal) {
            out.push_back(*id);
            return;
        }
    }
    std::vector<Symbol> symbols(word.size());
    for (size_t i = 0; i < word.size(); ++i) {
        const auto index = static_cast<int32_t>(i);
        symbols[i] = {index - 1, index + 1, byte_tokens_[static_cast<uint8_t>(word[i])], 1};
    }
    symbols.back().next = -1;

    std::priority_queue<Candidate> queue;
    auto try_add = [&](int32_t left, int32_t right) {
        if (left < 0 || right < 0) return;
        const TokenId left_id = symbols[static_cast<size_t>(left)].id;
        const TokenId right_id = symbols[static_cast<size_t>(right)].id;
        const auto it = merges_.find(pair_key(left_id, right_id));
        if (it != merges_.end()) queue.push({it->second.rank, left, right, left_id, right_id});
    };
    for (size_t i = 1; i < symbols.size(); ++i) try_add(static_cast<int32_t>(i - 1), static_cast<int32_t>(i));

    while (!queue.empty()) {
        const Candidate candidate = queue.top();
        queue.pop();
        Symbol& left = symbols[static_cast<size_t>(candidate.left)];
        Symbol& right = symbols[static_cast<size_t>(candidate.right)];
        // Stale when either side has merged since: lengths or ids no longer match, or not adjacent.
        if (left.length == 0 || right.length == 0 || left.next != candidate.right || left.id != candidate.left_id ||
            right.id != candidate.right_id) {
            continue;
        }
        left.id = merges_.at(pair_key(candidate.left_id, candidate.right_id)).result;
        left.length += right.length;
        right.length = 0;
        left.next = right.next;
        if (right.next >= 0) symbols[static_cast<size_t>(right.next)].prev = candidate.left;
        try_add(left.prev, candidate.left);
        try_add(candidate.left, left.next);
    }
    for (int32_t i = 0; i >= 0; i = symbols[static_cast<size_t>(i)].next) {
        const TokenId id = symbols[static_cast<size_t>(i)].id;
        if (id >= 0) {
            out.push_back(id);
        } else if (vocab_.unk) {
            out.push_back(*vocab_.unk);
        } else {
            throw_error("tokenize", "byte 0x{:02X} has no byte-level token and the vocabulary has no UNK",
                        static_cast<uint8_t>(word[static_cast<size_t>(i)]));
        }
    }
}

std::string BpeTokenizer::text_piece(TokenId id) const {
    const std::string& text = vocab_.tokens[static_cast<size_t>(id)];
    // User-defined (added) tokens are stored as plain text, not in byte-level form.
    if (vocab_.type(id) == TokenType::UserDefined) return text;
    return byte_level_to_bytes(text);
}

}  // namespace rocmforge::tokenizer
