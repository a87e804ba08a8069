#pragma once
// A per-call memo of word → token ids. Tokenizing a word is a pure function of its bytes, and
// natural text repeats words constantly, so one encode() call looks each distinct word up once.
// Views stored as keys point into the caller's text, which must outlive the cache.
#include "tokenizer/vocab.h"

#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

namespace rocmforge::tokenizer {

class WordCache {
public:
    static constexpr size_t kMaxWordBytes = 64;
    static constexpr size_t kMaxEntries = 1 << 16;

    // Appends the ids of `word` to `out`, computing them with encode(word, out) on a miss.
    template <typename EncodeFn>
    void encode(std::string_view word, std::vector<TokenId>& out, EncodeFn&& encode_word) {
        if (word.size() > kMaxWordBytes) {
            encode_word(word, out);
            return;
        }
        if (const auto it = entries_.find(word); it != entries_.end()) {
            out.insert(out.end(), ids_.begin() + static_cast<std::ptrdiff_t>(it->second.first),
                       ids_.begin() + static_cast<std::ptrdiff_t>(it->second.second));
            return;
        }
        const size_t begin = out.size();
        encode_word(word, out);
        if (entries_.size() < kMaxEntries) {
            const size_t cached_begin = ids_.size();
            ids_.insert(ids_.end(), out.begin() + static_cast<std::ptrdiff_t>(begin), out.end());
            entries_.emplace(word, std::make_pair(cached_begin, ids_.size()));
        }
    }

private:
    std::unordered_map<std::string_view, std::pair<size_t, size_t>> entries_;  // word → [begin, end) in ids_
    std::vector<TokenId> ids_;
};

}  // namespace rocmforge::tokenizer
