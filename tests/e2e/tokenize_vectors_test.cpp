// Every .inp/.out pair in ../shared/tokenizer/ through the binary, exactly as the issue states:
// `rocmforge tokenize -m VOCAB --no-bos --ids -f FILE`. One test per vocabulary.
// Expected ids come from each model's Hugging Face tokenizer (see ../shared/tokenizer/README.md).
#include "common/test_paths.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

namespace rocmforge::test {
namespace {

constexpr std::string_view kSeparator = "\n__ggml_vocab_test__\n";

std::vector<std::string> parse_inputs(const std::string& bytes) {
    std::vector<std::string> tests;
    size_t pos = 0;
    for (size_t at = bytes.find(kSeparator, pos); at != std::string::npos; at = bytes.find(kSeparator, pos)) {
        tests.push_back(bytes.substr(pos, at - pos));
        pos = at + kSeparator.size();
    }
    return tests;
}

std::vector<std::string> split_words(const std::string& line) {
    std::vector<std::string> words;
    std::istringstream in(line);
    for (std::string word; in >> word;) words.push_back(word);
    return words;
}

std::vector<std::string> read_lines(const std::string& bytes) {
    std::vector<std::string> lines;
    std::istringstream in(bytes);
    for (std::string line; std::getline(in, line);) lines.push_back(line);
    return lines;
}

void check_vocab(const std::string& name) {
    const auto vocab = shared_file("tokenizer/ggml-vocab-" + name + ".gguf");
    const auto inputs = parse_inputs(read_file_bytes(vocab.string() + ".inp"));
    const auto expected = read_lines(read_file_bytes(vocab.string() + ".out"));
    ASSERT_FALSE(inputs.empty()) << "no tests parsed from " << vocab << ".inp";
    ASSERT_EQ(inputs.size(), expected.size()) << "test count mismatch between .inp and .out of " << vocab;

    const auto input_path = std::filesystem::temp_directory_path() /
                            ("rocmforge_tok_" + name + "_" + std::to_string(::getpid()) + ".txt");
    for (size_t i = 0; i < inputs.size(); ++i) {
        {
            std::ofstream out(input_path, std::ios::binary);
            out.write(inputs[i].data(), static_cast<std::streamsize>(inputs[i].size()));
        }
        const auto result = run_command(rocmforge_binary() + " tokenize -m '" + vocab.string() + "' --no-bos --ids -f '" +
                                        input_path.string() + "'");
        EXPECT_EQ(result.exit_code, 0) << "test " << i;
        EXPECT_EQ(split_words(result.output), split_words(expected[i]))
            << name << " test " << i << " input: '" << inputs[i] << "'";
    }
    std::filesystem::remove(input_path);
}

TEST(TokenizeVectors, LlamaSpm) { check_vocab("llama-spm"); }
TEST(TokenizeVectors, Phi3) { check_vocab("phi-3"); }
TEST(TokenizeVectors, Gpt2) { check_vocab("gpt-2"); }
TEST(TokenizeVectors, Mpt) { check_vocab("mpt"); }
TEST(TokenizeVectors, Refact) { check_vocab("refact"); }
TEST(TokenizeVectors, DeepseekLlm) { check_vocab("deepseek-llm"); }

}  // namespace
}  // namespace rocmforge::test
