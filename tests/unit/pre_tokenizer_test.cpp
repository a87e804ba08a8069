// Pre-tokenizer splits on hand-made strings, with expectations worked out from each family's
// published split pattern (not from our output). Families without shared test vectors rely on these.
#include "tokenizer/pre_tokenizer.h"
#include "util/error.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace rocmforge::tokenizer {
namespace {

std::vector<std::string> split(const std::string& pre, const std::string& text) {
    PreTokenizer tokenizer(pre_tokenizer_spec(pre), "test");
    std::vector<std::string> words;
    for (auto w : tokenizer.split(text)) words.emplace_back(w);
    return words;
}

using Words = std::vector<std::string>;

TEST(PreTokenizer, Gpt2) {
    // Contractions, optional leading space before letters/numbers/punctuation, whitespace runs
    // that leave the last space to the next word.
    EXPECT_EQ(split("gpt-2", "Hello world's 123 !!  x\n\n"),
              (Words{"Hello", " world", "'s", " 123", " !!", " ", " x", "\n\n"}));
}

TEST(PreTokenizer, Llama3GroupsDigitsByThreeAndIgnoresCase) {
    EXPECT_EQ(split("llama3", "1234567 I'LL go"), (Words{"123", "456", "7", " I", "'LL", " go"}));
    // A punctuation character may lead a letter run; newlines gather into their own words.
    EXPECT_EQ(split("llama-bpe", "(hi)\n\n  end"), (Words{"(hi", ")\n\n", " ", " end"}));
}

// GLM-4 (chatglm-bpe): the published tiktoken pattern, split by hand: case-insensitive
// contractions, a leading non-letter glued to letters, digits in threes, a lone space before a
// digit, punctuation keeping its trailing newlines, CJK letters as one word.
TEST(PreTokenizer, ChatglmBpeIsTheGlm4Pattern) {
    EXPECT_EQ(split("chatglm-bpe", "Hello world'S 12345 tests!\n\nOK 你好"),
              (Words{"Hello", " world", "'S", " ", "123", "45", " tests", "!\n\n", "OK", " 你好"}));
}

TEST(PreTokenizer, Qwen2SplitsSingleDigits) {
    EXPECT_EQ(split("qwen2", "abc 2024"), (Words{"abc", " ", "2", "0", "2", "4"}));
}

TEST(PreTokenizer, StarcoderFamiliesIsolateDigitsFirst) {
    for (const char* pre : {"starcoder", "refact", "command-r", "smollm"}) {
        EXPECT_EQ(split(pre, "x 42"), (Words{"x", " ", "4", "2"})) << pre;
    }
}

TEST(PreTokenizer, DeepseekCoderAndLlm) {
    EXPECT_EQ(split("deepseek-coder", "a1\nb"), (Words{"a", "1", "\n", "b"}));
    // deepseek-llm keeps digit runs together and splits CJK runs from Latin words.
    EXPECT_EQ(split("deepseek-llm", "ab 12 中文"), (Words{"ab", " ", "12", " ", "中文"}));
}

TEST(PreTokenizer, FalconGroupsThreeDigits) {
    EXPECT_EQ(split("falcon", "a 12345"), (Words{"a", " ", "123", "45"}));
}

TEST(PreTokenizer, Gpt4oAndTekkenAreCaseAware) {
    EXPECT_EQ(split("gpt-4o", "HelloWorld"), (Words{"Hello", "World"}));
    EXPECT_EQ(split("tekken", "HelloWorld 12"), (Words{"Hello", "World", " ", "1", "2"}));
}

TEST(PreTokenizer, InvalidUtf8StaysInThePieces) {
    const std::string text = std::string("ab\xFF\xFE cd");
    std::string joined;
    for (const auto& w : split("llama3", text)) joined += w;
    EXPECT_EQ(joined, text);
}

TEST(PreTokenizer, UnknownNameListsSupported) {
    try {
        pre_tokenizer_spec("made-up");
        FAIL() << "expected an error";
    } catch (const Error& e) {
        const std::string message = e.what();
        EXPECT_NE(message.find("made-up"), std::string::npos);
        EXPECT_NE(message.find("qwen2"), std::string::npos);
    }
}

}  // namespace
}  // namespace rocmforge::tokenizer
