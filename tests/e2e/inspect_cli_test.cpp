// `rocmforge inspect` and the top-level CLI contract, run through the built binary.
#include "common/test_paths.h"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

namespace rocmforge {
namespace {

using test::run_command;

std::string quoted(const std::string& s) { return "'" + s + "'"; }

TEST(InspectCli, JsonMatchesAnIndependentHeaderReaderOnEverySharedFile) {
    const auto oracle = (test::source_dir() / "tests" / "tools" / "gguf_counts.py").string();
    for (const auto& path : test::all_shared_ggufs()) {
        SCOPED_TRACE(path.string());
        const auto ours = run_command(test::rocmforge_binary() + " inspect --json " + quoted(path.string()));
        ASSERT_EQ(ours.exit_code, 0) << ours.output;
        const auto report = nlohmann::json::parse(ours.output);
        const auto theirs = run_command("python3 " + quoted(oracle) + " " + quoted(path.string()));
        ASSERT_EQ(theirs.exit_code, 0) << theirs.output;
        const auto expected = nlohmann::json::parse(theirs.output);
        EXPECT_EQ(report["totals"]["tensor_count"], expected["tensor_count"]);
        EXPECT_EQ(report["totals"]["parameter_count"], expected["parameter_count"]);
        EXPECT_EQ(report["metadata"].size(), expected["kv_count"]);
        EXPECT_EQ(report["tensors"].size(), expected["tensor_count"]);
    }
}

TEST(InspectCli, ReportsModelFacts) {
    const auto path = test::shared_file("models/wp-25M-f16.gguf").string();
    const auto result = run_command(test::rocmforge_binary() + " inspect --json " + quoted(path));
    ASSERT_EQ(result.exit_code, 0);
    const auto report = nlohmann::json::parse(result.output);
    EXPECT_EQ(report["architecture"], "llama");
    EXPECT_EQ(report["totals"]["tensor_count"], 75);
    EXPECT_EQ(report["totals"]["parameter_count"], 22679808);
    EXPECT_EQ(report["hyperparameters"]["block_count"], 8);
    EXPECT_EQ(report["hyperparameters"]["embedding_length"], 256);
    EXPECT_EQ(report["tokenizer"]["model"], "llama");
    EXPECT_EQ(report["tokenizer"]["vocab_size"], 32000);
    EXPECT_EQ(report["tokenizer"]["special_ids"]["bos"], 1);
    EXPECT_EQ(report["tokenizer"]["special_ids"]["eos"], 2);
    // Long arrays are summarized, not dumped.
    EXPECT_EQ(report["metadata"]["tokenizer.ggml.tokens"]["length"], 32000);
    EXPECT_EQ(report["metadata"]["tokenizer.ggml.tokens"]["head"][1], "<s>");
    const auto& first = report["tensors"][0];
    EXPECT_TRUE(first.contains("name") && first.contains("type") && first.contains("shape") && first.contains("bytes") &&
                first.contains("offset"));

    const auto text = run_command(test::rocmforge_binary() + " inspect " + quoted(path));
    ASSERT_EQ(text.exit_code, 0);
    EXPECT_NE(text.output.find("tensors 75, parameters 22679808"), std::string::npos) << text.output;
    EXPECT_NE(text.output.find("blk.7.ffn_down.weight"), std::string::npos);
}

TEST(InspectCli, BadInputExitsNonZeroWithAMessage) {
    const auto bin = test::rocmforge_binary();
    const auto missing = run_command(bin + " inspect /nonexistent/model.gguf", true);
    EXPECT_EQ(missing.exit_code, 1);
    EXPECT_NE(missing.output.find("/nonexistent/model.gguf: cannot open file"), std::string::npos) << missing.output;

    const auto not_gguf = run_command(bin + " inspect " + quoted(test::shared_file("models/wp-val.txt").string()), true);
    EXPECT_EQ(not_gguf.exit_code, 1);
    EXPECT_NE(not_gguf.output.find("not a GGUF file"), std::string::npos) << not_gguf.output;

    const auto directory = run_command(bin + " inspect /tmp", true);
    EXPECT_EQ(directory.exit_code, 1);
    EXPECT_NE(directory.output.find("not a regular file"), std::string::npos) << directory.output;
}

TEST(RootCli, VersionHelpAndUsageErrors) {
    const auto bin = test::rocmforge_binary();
    const auto version = run_command(bin + " --version");
    EXPECT_EQ(version.exit_code, 0);
    EXPECT_EQ(version.output.rfind("rocmforge ", 0), 0u) << version.output;

    const auto help = run_command(bin + " --help");
    EXPECT_EQ(help.exit_code, 0);
    EXPECT_NE(help.output.find("inspect"), std::string::npos);

    EXPECT_EQ(run_command(bin + " --no-such-flag", true).exit_code, 2);
    EXPECT_EQ(run_command(bin + " inspect --no-such-flag x.gguf", true).exit_code, 2);
    EXPECT_EQ(run_command(bin + " inspect", true).exit_code, 2);
    EXPECT_EQ(run_command(bin + " no-such-command", true).exit_code, 2);
    EXPECT_EQ(run_command(bin, true).exit_code, 2);
    EXPECT_EQ(run_command(bin + " --log-level loud inspect x.gguf", true).exit_code, 2);
}

}  // namespace
}  // namespace rocmforge
