// `rocmforge generate` and `rocmforge logits` through the binary, against llama.cpp goldens.
#include "common/model_golden.h"
#include "common/test_paths.h"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <unistd.h>

#include <cstring>
#include <filesystem>

namespace rocmforge::test {
namespace {

// Greedy generation from the golden's prompt text reproduces every greedy token (and the
// prompt tokenization). The goldens stop early at EOS, so -n is the golden's length.
class GreedyGoldenTest : public testing::TestWithParam<std::string> {};

TEST_P(GreedyGoldenTest, TempZeroReproducesGreedyTokens) {
    const auto stem = shared_dir() / "golden/model" / GetParam();
    const auto golden = load_model_golden(stem);
    const std::string model = GetParam().substr(0, GetParam().find(".p"));
    const auto cmd = rocmforge_binary() + " generate -m " + shared_file("models/" + model + ".gguf").string() +
                     " -p " + shell_quoted(golden.prompt) + " --temp 0 -n " + std::to_string(golden.greedy_tokens.size()) +
                     " -t 2 --json";
    const auto r = run_command(cmd);
    ASSERT_EQ(r.exit_code, 0) << cmd << "\n" << r.output;
    const auto j = nlohmann::json::parse(r.output);
    EXPECT_EQ(j.at("prompt_tokens").get<std::vector<int32_t>>(), golden.prompt_tokens);
    EXPECT_EQ(j.at("tokens").get<std::vector<int32_t>>(), golden.greedy_tokens);
    // The golden text renders generated control tokens (BOS) as "<s>"; generate prints no text for them.
    std::string expected_text = golden.greedy_text;
    for (size_t at; (at = expected_text.find("<s>")) != std::string::npos;) expected_text.erase(at, 3);
    if (!golden.greedy_text.empty()) {
        EXPECT_EQ(j.at("text").get<std::string>(), expected_text);
    }
    EXPECT_TRUE(j.at("timings").contains("predicted_tok_s"));
}

INSTANTIATE_TEST_SUITE_P(Golden, GreedyGoldenTest,
                         testing::Values("stories260K.p0", "stories260K.p1", "stories260K.p2", "wp-25M-f16.p0",
                                         "wp-25M-f16.p1", "wp-25M-f16.p2"),
                         [](const auto& info) { return test_name_from(info.param); });

TEST(LogitsCommand, WritesEveryPromptRowMatchingHf) {
    const auto golden = load_model_golden(shared_dir() / "golden/model/hf/wp-25M-f16.p1");
    const auto out = std::filesystem::temp_directory_path() / ("rocmforge_logits_" + std::to_string(::getpid()) + ".f32");
    std::string ids;
    for (int32_t t : golden.prompt_tokens) ids += std::to_string(t) + " ";
    const auto cmd = rocmforge_binary() + " logits -m " + shared_file("models/wp-25M-f16.gguf").string() +
                     " --tokens '" + ids + "' -o " + out.string() + " -t 2";
    const auto r = run_command(cmd, true);
    ASSERT_EQ(r.exit_code, 0) << r.output;
    const auto bytes = read_file_bytes(out);
    std::filesystem::remove(out);
    const size_t n = golden.prompt_tokens.size() * static_cast<size_t>(golden.n_vocab);
    ASSERT_EQ(bytes.size(), n * sizeof(float));
    std::vector<float> logits(n);
    std::memcpy(logits.data(), bytes.data(), bytes.size());
    EXPECT_LE(relative_error(logits.data(), golden.logits.data(), n), 1e-4);
}

TEST(GenerateCommand, SeededSamplingIsReproducibleAndStopStringsCut) {
    const auto base = rocmforge_binary() + " generate -m " + shared_file("models/stories260K.gguf").string() +
                      " -p 'Once upon a time' -n 40 --temp 0.9 --top-k 50 --top-p 0.9 --min-p 0.02 --seed 1234 --json";
    const auto a = run_command(base), b = run_command(base);
    ASSERT_EQ(a.exit_code, 0) << a.output;
    ASSERT_EQ(b.exit_code, 0) << b.output;
    const auto ja = nlohmann::json::parse(a.output), jb = nlohmann::json::parse(b.output);
    EXPECT_EQ(ja.at("tokens"), jb.at("tokens"));
    EXPECT_EQ(ja.at("seed").get<uint64_t>(), 1234u);
    const auto text = ja.at("text").get<std::string>();
    ASSERT_GT(text.size(), 10u);
    const std::string stop = text.substr(5, 3);
    const auto c = run_command(base + " --stop " + shell_quoted(stop));
    ASSERT_EQ(c.exit_code, 0) << c.output;
    const auto cut = nlohmann::json::parse(c.output);
    EXPECT_EQ(cut.at("text").get<std::string>(), text.substr(0, text.find(stop)));
    EXPECT_EQ(cut.at("finish_reason").get<std::string>(), "stop");
}

}  // namespace
}  // namespace rocmforge::test
