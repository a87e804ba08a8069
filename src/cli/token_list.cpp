#include "cli/token_list.h"

#include "util/error.h"

#include <charconv>

namespace rocmforge::cli {

std::vector<int32_t> parse_token_list(const std::string& text) {
    std::vector<int32_t> ids;
    size_t i = 0;
    while (i < text.size()) {
        if (text[i] == ' ' || text[i] == ',' || text[i] == '\t' || text[i] == '\n') {
            ++i;
            continue;
        }
        size_t end = i;
        while (end < text.size() && text[end] != ' ' && text[end] != ',' && text[end] != '\t' && text[end] != '\n') ++end;
        int32_t id = 0;
        const auto [ptr, ec] = std::from_chars(text.data() + i, text.data() + end, id);
        if (ec != std::errc() || ptr != text.data() + end || id < 0)
            throw_error("--tokens", "'{}' is not a token id (non-negative integer)", text.substr(i, end - i));
        ids.push_back(id);
        i = end;
    }
    if (ids.empty()) throw_error("--tokens", "no token ids given");
    return ids;
}

}  // namespace rocmforge::cli
