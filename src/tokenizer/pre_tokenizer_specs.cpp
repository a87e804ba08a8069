// The split regexes of each BPE family, keyed by `tokenizer.ggml.pre` names.
// Sources: the `pre_tokenizer` sections of each family's Hugging Face tokenizer.json (Split with
// "Isolated" behaviour, ByteLevel use_regex = the GPT-2 pattern, Digits individual_digits = \p{N},
// Punctuation contiguous); the "default" sequence is the one llama.cpp documents for that name.
#include "tokenizer/pre_tokenizer.h"

#include "util/error.h"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <utility>

namespace rocmforge::tokenizer {

namespace {

// GPT-2's ByteLevel pattern (openai/gpt-2 encoder.py; HF ByteLevel with use_regex=true).
constexpr const char* kGpt2 =
    R"('s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+)";
// Llama 3 (tiktoken cl100k style): case-insensitive contractions, numbers in groups of 1-3.
constexpr const char* kLlama3 =
    R"((?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+)";
// Qwen2 / StableLM2: as Llama 3 but single digits.
constexpr const char* kQwen2 =
    R"((?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+)";
// Mistral Tekken: case-aware words, single digits, "/" kept after punctuation.
constexpr const char* kTekken =
    R"([^\r\n\p{L}\p{N}]?[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]*[\p{Ll}\p{Lm}\p{Lo}\p{M}]+|[^\r\n\p{L}\p{N}]?[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]+[\p{Ll}\p{Lm}\p{Lo}\p{M}]*|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n/]*|\s*[\r\n]+|\s+(?!\S)|\s+)";
// GPT-4o (tiktoken o200k): case-aware words with contractions, numbers in groups of 1-3.
constexpr const char* kGpt4o =
    R"([^\r\n\p{L}\p{N}]?[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]*[\p{Ll}\p{Lm}\p{Lo}\p{M}]+(?i:'s|'t|'re|'ve|'m|'ll|'d)?|[^\r\n\p{L}\p{N}]?[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]+[\p{Ll}\p{Lm}\p{Lo}\p{M}]*(?i:'s|'t|'re|'ve|'m|'ll|'d)?|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n/]*|\s*[\r\n]+|\s+(?!\S)|\s+)";
// Digits(individual_digits=true).
constexpr const char* kSingleDigits = R"(\p{N})";
// CJK ideographs and Hangul blocks used by the DeepSeek splits.
constexpr const char* kDeepseekCjk = "[\u4E00-\u9FA5\u0800-\u4E00\uAC00-\uD7FF]+";
// DeepSeek LLM: the Latin/Greek/Cyrillic/... letter ranges of its tokenizer.json Split pattern.
constexpr const char* kDeepseekLetters =
    "\\s?[A-Za-z\u00B5\u00C0-\u00D6\u00D8-\u00F6\u00F8-\u01BA\u01BC-\u01BF\u01C4-\u0293\u0295-\u02AF"
    "\u0370-\u0373\u0376\u0377\u037B-\u037D\u037F\u0386\u0388-\u038A\u038C\u038E-\u03A1\u03A3-\u03F5"
    "\u03F7-\u0481\u048A-\u052F\u0531-\u0556\u10A0-\u10C5\u13A0-\u13F5\u13F8-\u13FD\u1C90-\u1CBA"
    "\u1CBD-\u1CBF\u1D00-\u1D2B\u1D6B-\u1D77\u1D79-\u1D9A\u1E00-\u1F15\u1F18-\u1F1D\u1F20-\u1F45"
    "\u1F48-\u1F4D\u1F50-\u1F57\u1F59\u1F5B\u1F5D\u1F5F-\u1F7D\u1F80-\u1FB4\u1FB6-\u1FBC\u1FBE"
    "\u1FC2-\u1FC4\u1FC6-\u1FCC\u1FD0-\u1FD3\u1FD6-\u1FDB\u1FE0-\u1FEC\u1FF2-\u1FF4\u1FF6-\u1FFC"
    "\u2102\u2107\u210A-\u2113\u2115\u2119-\u211D\u2124\u2126\u2128\u212A-\u212D\u212F-\u2134\u2139"
    "\u213C-\u213F\u2145-\u2149\u214E\u2183\u2184\u2C00-\u2C7B\u2C7E-\u2CE4\u2CEB-\u2CEE\u2CF2\u2CF3"
    "\uA640-\uA66D\uA680-\uA69B\uA722-\uA76F\uA771-\uA787\uA78B-\uA78E\uAB70-\uABBF\uFB00-\uFB06"
    "\uFB13-\uFB17\uFF21-\uFF3A\uFF41-\uFF5A\U00010400-\U0001044F\U000104B0-\U000104D3"
    "\U000104D8-\U000104FB\U00010C80-\U00010CB2\U00010CC0-\U00010CF2\U000118A0-\U000118DF"
    "\U0001E900-\U0001E943]+";
constexpr const char* kDeepseekPunct = "\\s?[!-/:-~\uFF01-\uFF0F\uFF1A-\uFF5E\u2018-\u201F\u3000-\u3002]+";

struct NamedSpec {
    std::string_view name;
    PreTokenizerSpec spec;
};

const std::vector<NamedSpec>& spec_table() {
    static const std::vector<NamedSpec> table = [] {
        const PreTokenizerSpec gpt2{{kGpt2}, false};
        const PreTokenizerSpec llama3{{kLlama3}, true};
        const PreTokenizerSpec qwen2{{kQwen2}, false};
        const PreTokenizerSpec digits_then_gpt2{{kSingleDigits, kGpt2}, false};
        std::vector<NamedSpec> t;
        t.push_back({"default", {{R"([\p{P}\$\+<=>\^~\|]+)", kGpt2, R"(\p{N}+)", "[0-9][0-9][0-9]"}, false}});
        for (auto name : {"llama-bpe", "llama3", "llama-v3"}) t.push_back({name, llama3});
        // GLM-4's tiktoken pattern (tokenization_chatglm.py pat_str) is cl100k's, as Llama 3's.
        for (auto name : {"dbrx", "smaug-bpe", "chatglm-bpe"}) t.push_back({name, {{kLlama3}, false}});
        for (auto name : {"qwen2", "deepseek-r1-qwen", "stablelm2"}) t.push_back({name, qwen2});
        for (auto name : {"gpt-2", "phi-2", "mpt", "olmo", "jina-es", "jina-de"}) t.push_back({name, gpt2});
        for (auto name : {"starcoder", "refact", "command-r", "smollm", "codeshell", "exaone", "minerva"}) {
            t.push_back({name, digits_then_gpt2});
        }
        t.push_back({"falcon", {{R"([\p{P}\$\+<=>\^~\|`]+)", kGpt2, "[0-9][0-9][0-9]"}, false}});
        t.push_back({"deepseek-llm", {{"[\r\n]", kDeepseekLetters, kDeepseekPunct, R"(\s+$)", kDeepseekCjk, R"(\p{N}+)"}, false}});
        t.push_back({"deepseek-coder", {{"[\r\n]", R"(\s?\p{L}+)", R"(\s?\p{P}+)", kDeepseekCjk, R"(\p{N})"}, false}});
        t.push_back({"tekken", {{kTekken}, true}});
        t.push_back({"gpt-4o", {{kGpt4o}, false}});
        return t;
    }();
    return table;
}

}  // namespace

PreTokenizerSpec pre_tokenizer_spec(std::string_view pre_name) {
    for (const NamedSpec& entry : spec_table()) {
        if (entry.name == pre_name) return entry.spec;
    }
    throw_error("tokenizer.ggml.pre", "unknown BPE pre-tokenizer '{}' (supported: {})", pre_name,
                fmt::join(supported_pre_tokenizer_names(), ", "));
}

std::vector<std::string_view> supported_pre_tokenizer_names() {
    std::vector<std::string_view> names;
    for (const NamedSpec& entry : spec_table()) names.push_back(entry.name);
    return names;
}

}  // namespace rocmforge::tokenizer
