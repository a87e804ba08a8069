#include "tokenizer/special_tokens.h"

#include <algorithm>

namespace rocmforge::tokenizer {

SpecialTokenMatcher::SpecialTokenMatcher(const Vocab& vocab) {
    for (TokenId id = 0; id < vocab.size(); ++id) {
        const std::string& text = vocab.tokens[static_cast<size_t>(id)];
        if (text.empty()) continue;
        const TokenType type = vocab.type(id);
        const bool user_defined = type == TokenType::UserDefined;
        if (!user_defined && type != TokenType::Control && type != TokenType::Unknown) continue;
        const auto first = static_cast<uint8_t>(text[0]);
        by_first_byte_[first].push_back({text, id, user_defined});
        has_always_[first] = has_always_[first] || user_defined;
    }
    for (auto& bucket : by_first_byte_) {
        std::stable_sort(bucket.begin(), bucket.end(),
                         [](const Candidate& a, const Candidate& b) { return a.text.size() > b.text.size(); });
    }
}

std::vector<TextFragment> SpecialTokenMatcher::partition(std::string_view text, bool parse_special) const {
    std::vector<TextFragment> fragments;
    size_t raw_start = 0;
    size_t pos = 0;
    while (pos < text.size()) {
        const auto byte = static_cast<uint8_t>(text[pos]);
        const auto& bucket = by_first_byte_[byte];
        const Candidate* match = nullptr;
        if (!bucket.empty() && (parse_special || has_always_[byte])) {
            const std::string_view rest = text.substr(pos);
            for (const Candidate& candidate : bucket) {
                if ((parse_special || candidate.always) && rest.starts_with(candidate.text)) {
                    match = &candidate;
                    break;
                }
            }
        }
        if (match == nullptr) {
            ++pos;
            continue;
        }
        if (pos > raw_start) fragments.push_back({text.substr(raw_start, pos - raw_start), -1});
        fragments.push_back({{}, match->id});
        pos += match->text.size();
        raw_start = pos;
    }
    if (raw_start < text.size()) fragments.push_back({text.substr(raw_start), -1});
    return fragments;
}

}  // namespace rocmforge::tokenizer
