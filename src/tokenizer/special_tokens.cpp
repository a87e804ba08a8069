#include "tokenizer/special_tokens.h"

#include <algorithm>

namespace rocmforge::tokenizer {

namespace {

void sort_longest_first(const Vocab& vocab, std::vector<TokenId>& ids) {
    std::stable_sort(ids.begin(), ids.end(), [&](TokenId a, TokenId b) {
        return vocab.tokens[static_cast<size_t>(a)].size() > vocab.tokens[static_cast<size_t>(b)].size();
    });
}

// Splits every raw fragment of `fragments` at each occurrence of token `id`'s text.
void split_at_token(const Vocab& vocab, TokenId id, std::vector<TextFragment>& fragments) {
    const std::string_view needle = vocab.tokens[static_cast<size_t>(id)];
    std::vector<TextFragment> result;
    bool changed = false;
    for (const TextFragment& fragment : fragments) {
        if (fragment.token >= 0 || fragment.text.find(needle) == std::string_view::npos) {
            result.push_back(fragment);
            continue;
        }
        changed = true;
        std::string_view rest = fragment.text;
        for (size_t at = rest.find(needle); at != std::string_view::npos; at = rest.find(needle)) {
            if (at > 0) result.push_back({rest.substr(0, at), -1});
            result.push_back({{}, id});
            rest.remove_prefix(at + needle.size());
        }
        if (!rest.empty()) result.push_back({rest, -1});
    }
    if (changed) fragments = std::move(result);
}

}  // namespace

SpecialTokenMatcher::SpecialTokenMatcher(const Vocab& vocab) {
    for (TokenId id = 0; id < vocab.size(); ++id) {
        if (vocab.tokens[static_cast<size_t>(id)].empty()) continue;
        switch (vocab.type(id)) {
            case TokenType::UserDefined: user_defined.push_back(id); break;
            case TokenType::Control:
            case TokenType::Unknown: control_or_unknown.push_back(id); break;
            default: break;
        }
    }
    sort_longest_first(vocab, user_defined);
    sort_longest_first(vocab, control_or_unknown);
    all = user_defined;
    all.insert(all.end(), control_or_unknown.begin(), control_or_unknown.end());
    sort_longest_first(vocab, all);
}

std::vector<TextFragment> SpecialTokenMatcher::partition(const Vocab& vocab, std::string_view text,
                                                         bool parse_special) const {
    std::vector<TextFragment> fragments;
    if (text.empty()) return fragments;
    fragments.push_back({text, -1});
    // Longest first across both groups, so "<|im_start|>" wins over a shorter prefix token.
    const std::vector<TokenId>& order = parse_special ? all : user_defined;
    for (TokenId id : order) split_at_token(vocab, id, fragments);
    return fragments;
}

}  // namespace rocmforge::tokenizer
