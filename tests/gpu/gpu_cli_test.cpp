// The binary on the GPU: greedy `batch --parallel 16 --device gpu` gives every prompt the tokens
// `generate --device gpu --temp 0` gives it alone (batch invariance on the GPU, through the CLI),
// for the types whose many-token decode products take another kernel than one token's
// (Q4_0/Q8_0: tensor cores from 8 tokens on) and F16; sampled rows likewise.
#include "common/greedy_runs.h"
#include "common/test_paths.h"
#include "engine/backend_select.h"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <unistd.h>

#include <filesystem>
#include <fstream>

namespace rocmforge::test {
namespace {

class GpuCliBatchTest : public testing::TestWithParam<std::string> {};

TEST_P(GpuCliBatchTest, BatchParallel16EqualsGenerateAlone) {
    std::string why;
    if (engine::make_gpu_backend(&why) == nullptr) GTEST_SKIP() << "skipped: no GPU (" << why << ")";
    const auto tmp = std::filesystem::temp_directory_path() / ("rocmforge_gpu_cli_" + std::to_string(::getpid()));
    std::filesystem::create_directories(tmp);
    const std::string f16 = shared_file("models/wp-25M-f16.gguf").string();
    std::string model = f16;
    if (GetParam() != "F16") {
        model = (tmp / ("wp-25M-" + GetParam() + ".gguf")).string();
        const auto q = run_command(rocmforge_binary() + " quantize " + f16 + " " + model + " " + GetParam(), true);
        ASSERT_EQ(q.exit_code, 0) << q.output;
    }
    const auto prompts = validation_prompts();
    const int n_gen = 24;
    std::string file_text;
    std::vector<std::vector<int32_t>> alone;
    for (const auto& p : prompts) {
        alone.push_back(generate_alone(model, p, n_gen, "--device gpu"));
        file_text += p + "\n";
    }
    const auto file = tmp / "prompts.txt";
    std::ofstream(file) << file_text;
    const auto lines = batch_json_lines(rocmforge_binary() + " batch --device gpu -m " + model + " -f " + file.string() +
                                        " --temp 0 -n " + std::to_string(n_gen) +
                                        " --parallel 16 --batch-tokens 64 --json");
    ASSERT_EQ(lines.size(), prompts.size());
    for (size_t i = 0; i < lines.size(); ++i)
        EXPECT_EQ(lines[i].at("tokens").get<std::vector<int32_t>>(), alone[i]) << GetParam() << " prompt " << i;
    std::filesystem::remove_all(tmp);
}

// Sampled rows on the GPU (temperature 0.9, top-k 40: only each row's 40 best candidates leave the
// device, Backend::top_k_rows): `batch` draws for every prompt the tokens `generate` draws alone
// with the same seed, whose sampler reads the whole row of logits on the host.
TEST(GpuCliSampledBatch, TopKCandidatesDrawWhatWholeRowsDraw) {
    std::string why;
    if (engine::make_gpu_backend(&why) == nullptr) GTEST_SKIP() << "skipped: no GPU (" << why << ")";
    const auto tmp = std::filesystem::temp_directory_path() / ("rocmforge_gpu_sampled_" + std::to_string(::getpid()));
    std::filesystem::create_directories(tmp);
    const std::string model = shared_file("models/wp-25M-f16.gguf").string();
    const std::string sampling = " --temp 0.9 --top-k 40 --seed 11 -n 24";
    auto prompts = validation_prompts();
    prompts.resize(6);
    std::string file_text;
    for (const auto& p : prompts) file_text += p + "\n";
    const auto file = tmp / "prompts.txt";
    std::ofstream(file) << file_text;
    const auto lines = batch_json_lines(rocmforge_binary() + " batch --device gpu -m " + model + " -f " + file.string() +
                                        sampling + " --parallel 6 --json");
    ASSERT_EQ(lines.size(), prompts.size());
    for (size_t i = 0; i < prompts.size(); ++i) {
        const auto r = run_command(rocmforge_binary() + " generate --device gpu -m " + model + " -p " +
                                   shell_quoted(prompts[i]) + sampling + " --json");
        ASSERT_EQ(r.exit_code, 0) << r.output;
        EXPECT_EQ(lines[i].at("tokens").get<std::vector<int32_t>>(),
                  nlohmann::json::parse(r.output).at("tokens").get<std::vector<int32_t>>())
            << "prompt " << i;
    }
    std::filesystem::remove_all(tmp);
}

INSTANTIATE_TEST_SUITE_P(WP25M, GpuCliBatchTest, testing::Values("F16", "Q4_0", "Q8_0"),
                         [](const auto& info) { return info.param; });

}  // namespace
}  // namespace rocmforge::test
