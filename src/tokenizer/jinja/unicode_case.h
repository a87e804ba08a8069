#pragma once
// Python-compatible case mapping for str.upper/lower/title/capitalize over UTF-8, covering ASCII,
// Latin-1, Latin Extended-A, Greek and Cyrillic (the scripts chat content commonly uses). Other
// characters are left unchanged and count as uncased. Invalid UTF-8 bytes are copied through.
#include <string>
#include <string_view>

namespace rocmforge::tokenizer::jinja {

std::string unicode_upper(std::string_view s);
std::string unicode_lower(std::string_view s);
std::string unicode_title(std::string_view s);       // Python str.title()
std::string unicode_capitalize(std::string_view s);  // Python str.capitalize()

}  // namespace rocmforge::tokenizer::jinja
