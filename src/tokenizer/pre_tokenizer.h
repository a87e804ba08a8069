#pragma once
// BPE pre-tokenization: splitting text into words with a model family's published split regexes
// before byte-level BPE runs on each word. Regexes are compiled with PCRE2 in UTF + UCP mode
// (\p{L}, \s, ... follow Unicode properties) and JIT; invalid UTF-8 never matches and stays in the
// gaps, so it still reaches BPE as bytes.
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace rocmforge::tokenizer {

// How a family pre-tokenizes, as data: the split regexes applied in sequence (each one splits every
// piece the previous produced; matches and the gaps between them both become pieces, the
// Hugging Face "Isolated" behaviour), plus whether whole words found in the vocabulary skip merging.
struct PreTokenizerSpec {
    std::vector<std::string> regexes;
    bool ignore_merges = false;
};

// The spec for a `tokenizer.ggml.pre` name. Throws rocmforge::Error naming the value (and the
// supported names) when the name is unknown.
PreTokenizerSpec pre_tokenizer_spec(std::string_view pre_name);
// All names pre_tokenizer_spec accepts, for docs and error messages.
std::vector<std::string_view> supported_pre_tokenizer_names();

class PreTokenizer {
public:
    // Compiles the regexes; throws rocmforge::Error (naming `context`) if one does not compile.
    PreTokenizer(const PreTokenizerSpec& spec, const std::string& context);
    ~PreTokenizer();
    PreTokenizer(const PreTokenizer&) = delete;
    PreTokenizer& operator=(const PreTokenizer&) = delete;

    // Splits `text` into consecutive non-empty pieces whose concatenation is `text`.
    std::vector<std::string_view> split(std::string_view text) const;

private:
    struct Compiled;
    std::vector<std::unique_ptr<Compiled>> regexes_;
};

}  // namespace rocmforge::tokenizer
