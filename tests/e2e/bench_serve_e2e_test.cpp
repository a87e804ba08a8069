// `rocmforge bench-serve` against a real server: 64 clients connecting at once (more than
// cpp-httplib's default listen backlog of 5, which once dropped connections) all get their
// tokens, and the report adds up (tokens, prompt sizes, ordered percentiles).
#include "common/serve_test_support.h"
#include "common/test_paths.h"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

namespace rocmforge::test {
namespace {

using nlohmann::json;

TEST(BenchServe, SixtyFourClientsAtOnceAllGetTheirTokens) {
    ServerProcess server("-m " + wp25m_path() + " -t 2 --parallel 64 -c 128");
    ASSERT_TRUE(server.started());
    const auto cmd = rocmforge_binary() + " bench-serve -m " + wp25m_path() + " --prompts " +
                     shared_file("models/wp-val.txt").string() + " --port " + std::to_string(server.port()) +
                     " --concurrency 64,8 --requests 128 -n 4 --prompt-tokens 24 --json 2>&1";
    const auto r = run_command(cmd);
    ASSERT_EQ(r.exit_code, 0) << cmd << "\n" << r.output;
    const auto report = json::parse(r.output, nullptr, false);
    ASSERT_TRUE(report.is_object()) << r.output;
    ASSERT_EQ(report["levels"].size(), 2u);
    for (const auto& level : report["levels"]) {
        SCOPED_TRACE(level.dump());
        EXPECT_EQ(level["requests"], 128);
        EXPECT_EQ(level["errors"], 0);
        EXPECT_EQ(level["output_tokens"], 128 * 4);
        EXPECT_EQ(level["prompt_tokens_mean"], 24.0);
        EXPECT_GT(level["output_tok_s"].get<double>(), 0.0);
        EXPECT_LE(level["ttft_p50_s"].get<double>(), level["ttft_p99_s"].get<double>());
        EXPECT_LE(level["itl_p50_s"].get<double>(), level["itl_p99_s"].get<double>());
    }
    EXPECT_EQ(report["levels"][0]["concurrency"], 64);
    const auto m = server.request("GET", "/metrics").body;
    EXPECT_EQ(metric(m, "rocmforge_requests_total{status=\"length\"}"), 256);
    EXPECT_EQ(metric(m, "rocmforge_kv_blocks_used"), 0);
    EXPECT_EQ(server.stop(), 0);
}

TEST(BenchServe, BadOptionsAreErrorsNamingTheFlag) {
    const auto r = run_command(rocmforge_binary() + " bench-serve -m " + wp25m_path() +
                                   " --prompts /nonexistent/file.txt --port 1 2>&1",
                               false);
    EXPECT_EQ(r.exit_code, 1) << r.output;
    EXPECT_NE(r.output.find("--prompts"), std::string::npos) << r.output;
}

}  // namespace
}  // namespace rocmforge::test
