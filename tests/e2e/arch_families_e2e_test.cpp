// The families added after llama/qwen (make-model shapes tiny-gemma2, tiny-gemma3, tiny-phi3,
// tiny-mixtral, tiny-qwen2moe, tiny-qwen3moe) through the binary: greedy `generate` alone equals
// the same prompt inside `batch` at several --batch-tokens (batch invariance with sliding windows,
// soft-caps, LongRoPE and expert routing; prompts longer than the windows), on quantized and F16
// weights; `inspect` reports their hyper-parameters.
#include "common/greedy_runs.h"
#include "common/test_paths.h"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>


#include <filesystem>
#include <fstream>

namespace rocmforge::test {
namespace {

struct FamilyCase {
    std::string shape, type;
};

void PrintTo(const FamilyCase& c, std::ostream* os) { *os << c.shape << "_" << c.type; }

class ArchFamilyTest : public testing::TestWithParam<FamilyCase> {};

TEST_P(ArchFamilyTest, GreedyBatchEqualsGenerateAlone) {
    const auto& c = GetParam();
    const auto model = temp_path(c.shape + "-" + c.type + ".gguf");
    const auto made = run_command(rocmforge_binary() + " make-model --shape " + c.shape + " --type " + c.type +
                                  " --seed 5 -o " + model, true);
    ASSERT_EQ(made.exit_code, 0) << made.output;
    // From 2 to ~40 tokens: shorter and longer than the 8-position sliding window.
    const std::vector<std::string> prompts{"Hi", "The quick brown fox", "Once upon a time there was a dog.",
                                           "A longer prompt, with punctuation; and numbers 12345 and more words.",
                                           "x y z"};
    const int n_gen = 12;
    std::vector<std::vector<int32_t>> alone;
    for (const auto& p : prompts) {
        alone.push_back(generate_alone(model, p, n_gen));
        ASSERT_EQ(alone.back().size(), static_cast<size_t>(n_gen)) << p;
    }
    std::string file_text;
    for (const auto& p : prompts) file_text += p + "\n";
    const auto file = temp_path(c.shape + "_prompts.txt");
    std::ofstream(file) << file_text;
    for (int batch_tokens : {5, 16, 2048}) {
        const auto cmd = rocmforge_binary() + " batch -m " + model + " -f " + file + " --temp 0 -n " +
                         std::to_string(n_gen) + " --parallel 5 --batch-tokens " + std::to_string(batch_tokens) +
                         " -t 2 --json";
        const auto lines = batch_json_lines(cmd);
        ASSERT_EQ(lines.size(), prompts.size()) << cmd;
        for (size_t index = 0; index < lines.size(); ++index)
            EXPECT_EQ(lines[index].at("tokens").get<std::vector<int32_t>>(), alone[index])
                << c.shape << " " << c.type << " prompt " << index << ", --batch-tokens " << batch_tokens;
    }
    std::filesystem::remove(file);
    std::filesystem::remove(model);
}

INSTANTIATE_TEST_SUITE_P(Families, ArchFamilyTest,
                         testing::Values(FamilyCase{"tiny-gemma2", "q8_0"}, FamilyCase{"tiny-gemma2", "f16"},
                                         FamilyCase{"tiny-gemma3", "q4_K"}, FamilyCase{"tiny-phi3", "q8_0"},
                                         FamilyCase{"tiny-mixtral", "q4_0"}, FamilyCase{"tiny-qwen2moe", "q8_0"},
                                         FamilyCase{"tiny-qwen3moe", "f16"}),
                         [](const auto& info) { return test_name_from(info.param.shape + "_" + info.param.type); });

// tiny-phi3 slides on every layer (window 12): KV blocks that no later query sees are released,
// so two 244-position generations run through a 144-position pool (which could not hold even
// one of them whole; without the release `batch` refuses them) and give the tokens of
// `generate` with the default pool.
TEST(ArchFamilySlidingWindow, KvBlocksOutsideEveryWindowAreReleased) {
    const auto model = temp_path("release-phi3.gguf");
    ASSERT_EQ(run_command(rocmforge_binary() + " make-model --shape tiny-phi3 --type f16 --seed 5 -o " + model).exit_code,
              0);
    const std::vector<std::string> prompts{"Hi", "x y z"};
    const int n_gen = 240;
    std::vector<std::vector<int32_t>> alone;
    for (const auto& p : prompts) {
        alone.push_back(generate_alone(model, p, n_gen));
        ASSERT_EQ(alone.back().size(), static_cast<size_t>(n_gen)) << "the test needs generations past the pool size";
    }
    const auto file = temp_path("release_prompts.txt");
    std::ofstream(file) << prompts[0] << "\n" << prompts[1] << "\n";
    const auto lines = batch_json_lines(rocmforge_binary() + " batch -m " + model + " -f " + file + " --temp 0 -n " +
                                        std::to_string(n_gen) +
                                        " -t 2 --json --kv-size 144 --batch-tokens 4 --parallel 2");
    ASSERT_EQ(lines.size(), prompts.size());
    for (size_t index = 0; index < lines.size(); ++index)
        EXPECT_EQ(lines[index].at("tokens").get<std::vector<int32_t>>(), alone[index]) << lines[index].dump();
    std::filesystem::remove(file);
    std::filesystem::remove(model);
}

// inspect shows the keys that change the graph: window and soft-caps.
TEST(ArchFamilyInspect, GemmaReportsWindowAndSoftcaps) {
    const auto model = temp_path("inspect-gemma2.gguf");
    ASSERT_EQ(run_command(rocmforge_binary() + " make-model --shape tiny-gemma2 --type f16 -o " + model).exit_code, 0);
    const auto r = run_command(rocmforge_binary() + " inspect " + model + " --json");
    ASSERT_EQ(r.exit_code, 0) << r.output;
    const auto j = nlohmann::json::parse(r.output);
    EXPECT_EQ(j.at("architecture"), "gemma2");
    const auto& hp = j.at("hyperparameters");
    EXPECT_EQ(hp.at("attention.sliding_window"), 8);
    EXPECT_EQ(hp.at("attn_logit_softcapping"), 50.0);
    EXPECT_EQ(hp.at("final_logit_softcapping"), 30.0);
    std::filesystem::remove(model);
}

TEST(ArchFamilyInspect, MoeReportsExperts) {
    const auto model = temp_path("inspect-qwen2moe.gguf");
    ASSERT_EQ(run_command(rocmforge_binary() + " make-model --shape tiny-qwen2moe --type f16 -o " + model).exit_code, 0);
    const auto r = run_command(rocmforge_binary() + " inspect " + model + " --json");
    ASSERT_EQ(r.exit_code, 0) << r.output;
    const auto j = nlohmann::json::parse(r.output);
    const auto& hp = j.at("hyperparameters");
    EXPECT_EQ(hp.at("expert_count"), 4);
    EXPECT_EQ(hp.at("expert_used_count"), 2);
    EXPECT_EQ(hp.at("expert_shared_feed_forward_length"), 512);
    std::filesystem::remove(model);
}

}  // namespace
}  // namespace rocmforge::test
