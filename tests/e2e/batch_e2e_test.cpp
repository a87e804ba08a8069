// `rocmforge batch` through the binary: batch invariance against `generate` run alone, input
// validation with line-numbered errors, and the JSON output contract.
#include "common/greedy_runs.h"
#include "common/test_paths.h"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>

namespace rocmforge::test {
namespace {

std::filesystem::path temp_file(const std::string& name, const std::string& contents) {
    const auto path = std::filesystem::temp_directory_path() / ("rocmforge_" + std::to_string(::getpid()) + "_" + name);
    std::ofstream(path, std::ios::binary) << contents;
    return path;
}

class BatchInvarianceTest : public testing::TestWithParam<std::string> {};

// Greedy `batch --parallel 16` gives every prompt exactly the tokens `generate --temp 0` gives it
// alone, whatever --batch-tokens cuts the prompts into.
TEST_P(BatchInvarianceTest, BatchTokensEqualGenerateAlone) {
    const auto model = shared_file("models/" + GetParam() + ".gguf").string();
    const auto prompts = validation_prompts();
    const int n_gen = 24;
    std::vector<std::vector<int32_t>> alone;
    for (const auto& p : prompts) alone.push_back(generate_alone(model, p, n_gen));
    std::string file_text;
    for (const auto& p : prompts) file_text += p + "\n";
    const auto file = temp_file(GetParam() + "_prompts.txt", file_text);
    for (int batch_tokens : {16, 64, 2048}) {
        const auto cmd = rocmforge_binary() + " batch -m " + model + " -f " + file.string() + " --temp 0 -n " +
                         std::to_string(n_gen) + " --parallel 16 --batch-tokens " + std::to_string(batch_tokens) +
                         " -t 2 --json";
        const auto lines = batch_json_lines(cmd);
        ASSERT_EQ(lines.size(), prompts.size()) << "--batch-tokens " << batch_tokens;
        for (size_t index = 0; index < lines.size(); ++index) {
            const auto& j = lines[index];
            EXPECT_EQ(j.at("index").get<size_t>(), index);
            EXPECT_EQ(j.at("tokens").get<std::vector<int32_t>>(), alone[index])
                << "prompt " << index << ", --batch-tokens " << batch_tokens;
            EXPECT_TRUE(j.contains("prompt_tokens") && j.contains("text") && j.contains("finish_reason"));
        }
    }
    std::filesystem::remove(file);
}

INSTANTIATE_TEST_SUITE_P(WP25M, BatchInvarianceTest,
                         testing::Values("wp-25M-f16", "wp-25M-Q8_0", "wp-25M-Q4_0", "wp-25M-Q4_K_M"),
                         [](const auto& info) { return test_name_from(info.param); });

struct BadPrompts {
    std::string name, contents, expected;  // expected: a substring of the one-line error
};

void PrintTo(const BadPrompts& c, std::ostream* os) { *os << c.name; }

class BatchValidationTest : public testing::TestWithParam<BadPrompts> {};

// Bad input is refused before anything is generated: exit 1, one line naming line and field.
TEST_P(BatchValidationTest, RefusedWithLineAndField) {
    const auto& c = GetParam();
    const auto file = temp_file(c.name, c.contents);
    const auto cmd = rocmforge_binary() + " batch -m " + shared_file("models/wp-25M-Q8_0.gguf").string() + " -f " +
                     file.string() + " -n 4 -t 2";
    const auto r = run_command(cmd + " 2>&1 >/dev/null");
    EXPECT_EQ(r.exit_code, 1) << r.output;
    EXPECT_NE(r.output.find(c.expected), std::string::npos) << r.output;
    EXPECT_EQ(std::count(r.output.begin(), r.output.end(), '\n'), 1) << r.output;
    std::filesystem::remove(file);
}

INSTANTIATE_TEST_SUITE_P(
    Inputs, BatchValidationTest,
    testing::Values(BadPrompts{"empty.txt", "", "the prompts file is empty"},
                    BadPrompts{"blank.txt", "one\n\nthree\n", "blank.txt:2: empty line"},
                    BadPrompts{"json.jsonl", "{\"prompt\": \"a\"}\n{\"prompt\": \"b\",}\n", "json.jsonl:2: invalid JSON"},
                    BadPrompts{"unknown.jsonl", "{\"prompt\": \"a\", \"max_token\": 3}\n", "unknown.jsonl:1: unknown field 'max_token'"},
                    BadPrompts{"value.jsonl", "{\"prompt\": \"a\"}\n{\"prompt\": \"b\", \"temperature\": -1}\n",
                               "value.jsonl:2: field 'temperature': must be a finite number >= 0"},
                    BadPrompts{"type.jsonl", "{\"prompt\": \"a\", \"max_tokens\": \"4\"}\n",
                               "type.jsonl:1: field 'max_tokens': must be an integer"},
                    BadPrompts{"missing.jsonl", "{\"seed\": 3}\n", "missing.jsonl:1: missing field 'prompt'"},
                    BadPrompts{"array.jsonl", "[1, 2]\n", "array.jsonl:1: expected a JSON object"}),
    [](const auto& info) { return test_name_from(info.param.name); });

// Per-line overrides: max_tokens and seed apply to their line only; output stays in input order.
TEST(BatchCommand, JsonlOverridesPerPrompt) {
    const auto file = temp_file("overrides.jsonl",
                                "{\"prompt\": \"The king said\", \"max_tokens\": 3}\n"
                                "{\"prompt\": \"She walked\", \"max_tokens\": 7, \"temperature\": 0.9, \"seed\": 5}\n"
                                "{\"prompt\": \"It was\"}\n");
    const auto cmd = rocmforge_binary() + " batch -m " + shared_file("models/wp-25M-Q8_0.gguf").string() + " -f " +
                     file.string() + " -n 5 --temp 0 --parallel 2 -t 2 --json";
    const auto r = run_command(cmd);
    ASSERT_EQ(r.exit_code, 0) << r.output;
    std::istringstream out(r.output);
    std::vector<nlohmann::json> lines;
    for (std::string line; std::getline(out, line);) lines.push_back(nlohmann::json::parse(line));
    ASSERT_EQ(lines.size(), 3u);
    const size_t expected_lengths[] = {3, 7, 5};
    for (size_t i = 0; i < 3; ++i) {
        EXPECT_EQ(lines[i].at("index").get<size_t>(), i);
        EXPECT_EQ(lines[i].at("finish_reason").get<std::string>(), "length");
        EXPECT_EQ(lines[i].at("tokens").size(), expected_lengths[i]);
    }
    // The sampled line is reproducible: same seed, same tokens, alone through generate.
    const auto alone = run_command(rocmforge_binary() + " generate -m " +
                                   shared_file("models/wp-25M-Q8_0.gguf").string() +
                                   " -p 'She walked' -n 7 --temp 0.9 --seed 5 -t 2 --json");
    ASSERT_EQ(alone.exit_code, 0) << alone.output;
    EXPECT_EQ(nlohmann::json::parse(alone.output).at("tokens"), lines[1].at("tokens"));
    std::filesystem::remove(file);
}

}  // namespace
}  // namespace rocmforge::test
