// The official `openai` npm package (tests/node/openai_client.cjs, installed once into the build
// directory by tests/node/install-openai.sh) against `rocmforge serve` with wp-25M: a chat
// completion, a streaming chat completion and a completion, with the answers checked against
// `generate --temp 0` and against each other.
#include "common/serve_test_support.h"
#include "common/test_paths.h"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <filesystem>
#include <iostream>

namespace rocmforge::test {
namespace {

using nlohmann::json;

TEST(OpenAiNodeClient, ChatStreamingChatAndCompletion) {
    if (run_command("command -v node && command -v npm").exit_code != 0) {
        std::cout << "skipped: no node/npm (scripts/setup.sh installs them)\n";
        GTEST_SKIP() << "skipped: no node";
    }
    const auto modules = std::filesystem::path(rocmforge_binary()).parent_path() / "node-openai";
    const auto install = run_command((source_dir() / "tests/node/install-openai.sh").string() + " " +
                                         shell_quoted(modules.string()),
                                     /*merge_stderr=*/true);
    ASSERT_EQ(install.exit_code, 0) << "npm install openai failed:\n" << install.output;

    ServerProcess server("-m " + wp25m_path() + " -t 2 --parallel 4 -c 256 --api-key node-key --model-alias wp25m");
    ASSERT_TRUE(server.started());
    const auto cmd = "OPENAI_BASE_URL=" + shell_quoted(server.url("/v1")) +
                     " OPENAI_API_KEY=node-key ROCMFORGE_MODEL_ALIAS=wp25m NODE_PATH=" +
                     shell_quoted((modules / "node_modules").string()) + " timeout 300 node " +
                     shell_quoted((source_dir() / "tests/node/openai_client.cjs").string()) + " 2>&1";
    const auto r = run_command(cmd);
    ASSERT_EQ(r.exit_code, 0) << r.output << "\nserver log:\n" << server.log();
    const auto got = json::parse(r.output.substr(r.output.rfind("\n{") == std::string::npos ? 0 : r.output.rfind("\n{")),
                                 nullptr, false);
    ASSERT_TRUE(got.is_object()) << r.output;

    EXPECT_EQ(got["completion"], generate_alone("The king said", 12)["text"]);
    EXPECT_EQ(got["completion_finish"], "length");
    // Greedy: the streamed chat answer is the non-streamed one, and both are what curl gets.
    EXPECT_EQ(got["streamed"], got["chat"]);
    EXPECT_EQ(got["streamed_usage"]["completion_tokens"], got["chat_usage"]["completion_tokens"]);
    const auto curl = server.request(
        "POST", "/v1/chat/completions",
        R"({"messages":[{"role":"user","content":"Tell me about the old king."}],"temperature":0,"max_tokens":16})",
        "-H 'Authorization: Bearer node-key'");
    ASSERT_EQ(curl.status, 200) << curl.body;
    EXPECT_EQ(got["chat"], json::parse(curl.body)["choices"][0]["message"]["content"]);
    EXPECT_EQ(server.stop(), 0);
}

}  // namespace
}  // namespace rocmforge::test
