#include "tokenizer/pre_tokenizer.h"

#include "tokenizer/utf8.h"
#include "util/error.h"

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>

namespace rocmforge::tokenizer {

struct PreTokenizer::Compiled {
    pcre2_code* code = nullptr;
    ~Compiled() { pcre2_code_free(code); }
};

PreTokenizer::PreTokenizer(const PreTokenizerSpec& spec, const std::string& context) {
    // UTF + UCP: Unicode properties for \p, \s, \w; MATCH_INVALID_UTF: invalid bytes never match
    // instead of failing the whole match; DOLLAR_ENDONLY: "$" means the end of the piece only.
    const uint32_t options = PCRE2_UTF | PCRE2_UCP | PCRE2_MATCH_INVALID_UTF | PCRE2_DOLLAR_ENDONLY;
    for (const std::string& pattern : spec.regexes) {
        int error_code = 0;
        PCRE2_SIZE error_offset = 0;
        auto compiled = std::make_unique<Compiled>();
        compiled->code = pcre2_compile(reinterpret_cast<PCRE2_SPTR>(pattern.data()), pattern.size(), options,
                                       &error_code, &error_offset, nullptr);
        if (compiled->code == nullptr) {
            PCRE2_UCHAR message[256];
            pcre2_get_error_message(error_code, message, sizeof(message));
            throw_error(context, "pre-tokenizer regex does not compile at offset {}: {} (pattern: {})", error_offset,
                        reinterpret_cast<const char*>(message), pattern);
        }
        pcre2_jit_compile(compiled->code, PCRE2_JIT_COMPLETE);  // falls back to the interpreter on failure
        regexes_.push_back(std::move(compiled));
    }
}

PreTokenizer::~PreTokenizer() = default;

namespace {

// Appends the pieces of `text` split by `code`: every match and every non-empty gap, in order.
void split_isolated(const pcre2_code* code, pcre2_match_data* match_data, std::string_view text,
                    std::vector<std::string_view>& out) {
    const auto* subject = reinterpret_cast<PCRE2_SPTR>(text.data());
    size_t gap_start = 0;
    size_t pos = 0;
    while (pos < text.size()) {
        const int rc = pcre2_match(code, subject, text.size(), pos, 0, match_data, nullptr);
        if (rc < 0) break;  // PCRE2_ERROR_NOMATCH (or a resource limit): the rest is one gap
        const PCRE2_SIZE* ovector = pcre2_get_ovector_pointer(match_data);
        const size_t start = ovector[0];
        const size_t end = ovector[1];
        if (end <= start) {
            // Empty match: none of the family patterns produce one; step over one character.
            pos = start < text.size() ? start + utf8_unit_length(text, start) : text.size();
            continue;
        }
        if (start > gap_start) out.push_back(text.substr(gap_start, start - gap_start));
        out.push_back(text.substr(start, end - start));
        gap_start = pos = end;
    }
    if (gap_start < text.size()) out.push_back(text.substr(gap_start));
}

}  // namespace

std::vector<std::string_view> PreTokenizer::split(std::string_view text) const {
    std::vector<std::string_view> pieces;
    if (text.empty()) return pieces;
    pieces.push_back(text);
    pcre2_match_data* match_data = pcre2_match_data_create(1, nullptr);
    std::vector<std::string_view> next;
    for (const auto& regex : regexes_) {
        next.clear();
        next.reserve(pieces.size() * 2);
        for (std::string_view piece : pieces) split_isolated(regex->code, match_data, piece, next);
        pieces.swap(next);
    }
    pcre2_match_data_free(match_data);
    return pieces;
}

}  // namespace rocmforge::tokenizer
