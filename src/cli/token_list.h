#pragma once
// Parsing of token id lists given on the command line ("1 403 407" or "1,403,407").
#include <cstdint>
#include <string>
#include <vector>

namespace rocmforge::cli {

// Throws rocmforge::Error naming the bad entry; an empty list is an error.
std::vector<int32_t> parse_token_list(const std::string& text);

}  // namespace rocmforge::cli
