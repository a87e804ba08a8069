// The chat page at GET / in headless Chromium: type a message, press Enter, wait for the streamed
// answer (it must equal the API's non-streamed greedy answer), check the tokens/s line, stop a
// long reply with the Stop button, and save a screenshot (build/.../chat_page.png).
#include "common/serve_test_support.h"
#include "common/test_paths.h"
#include "common/webdriver.h"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <chrono>
#include <filesystem>
#include <iostream>
#include <thread>

namespace rocmforge::test {
namespace {

using nlohmann::json;
using namespace std::chrono_literals;

// Polls a script until it returns something other than null (at most `timeout`).
json wait_for(WebDriver& browser, const std::string& script, std::chrono::seconds timeout) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    for (;;) {
        auto v = browser.script(script);
        if (!v.is_null() || std::chrono::steady_clock::now() > deadline) return v;
        std::this_thread::sleep_for(100ms);
    }
}

void set_value(WebDriver& browser, const std::string& css, const std::string& value) {
    const auto e = browser.find(css);
    ASSERT_FALSE(e.empty()) << css;
    browser.clear(e);
    browser.type(e, value);
}

TEST(ChatPage, SendsAMessageAndStreamsTheAnswer) {
    if (!WebDriver::available()) {
        std::cout << "skipped: no chromium (install Debian chromium and chromium-driver: scripts/setup.sh)\n";
        GTEST_SKIP() << "skipped: no chromium";
    }
    ServerProcess server("-m " + wp25m_path() + " -t 2 --parallel 4 -c 512 --api-key page-test-key");
    ASSERT_TRUE(server.started());
    const std::string auth = "-H 'Authorization: Bearer page-test-key'";
    // The page itself is open (it asks for the key); it is one document with no external assets.
    const auto page = server.request("GET", "/");
    ASSERT_EQ(page.status, 200);
    EXPECT_NE(page.body.find("<title>ROCmForge chat</title>"), std::string::npos);
    for (const char* external : {"src=\"http", "href=\"http", "src=\"//", "href=\"//", "@import"})
        EXPECT_EQ(page.body.find(external), std::string::npos) << external;

    const std::string message = "Tell me about the old king.";
    const auto expected = server.request(
        "POST", "/v1/chat/completions",
        json({{"messages", {{{"role", "user"}, {"content", message}}}}, {"temperature", 0}, {"max_tokens", 24}}).dump(),
        auth);
    ASSERT_EQ(expected.status, 200) << expected.body;
    const auto expected_json = json::parse(expected.body);
    const auto expected_text = expected_json["choices"][0]["message"]["content"].get<std::string>();
    const auto expected_tokens = expected_json["usage"]["completion_tokens"].get<int64_t>();

    WebDriver browser(1000, 700);
    ASSERT_TRUE(browser.started());
    browser.navigate(server.url("/"));
    set_value(browser, "#temperature", "0");
    set_value(browser, "#max-tokens", "24");
    set_value(browser, "#api-key", "page-test-key");
    const auto input = browser.find("#input");
    ASSERT_FALSE(input.empty());
    browser.type(input, message + "\n");
    const auto answer = wait_for(
        browser, "const m = document.querySelector('.msg.assistant[data-done]'); return m ? m.textContent : null;",
        120s);
    ASSERT_TRUE(answer.is_string()) << "no finished answer on the page";
    EXPECT_EQ(answer.get<std::string>(), "assistant" + expected_text);
    EXPECT_EQ(browser.script("return document.querySelector('.msg.user .text').textContent;"), message);
    const auto stats = browser.script("return document.getElementById('stats').textContent;").get<std::string>();
    EXPECT_NE(stats.find("tokens/s"), std::string::npos) << stats;
    EXPECT_EQ(stats.rfind(std::to_string(expected_tokens) + " tokens, ", 0), 0u) << stats;  // the server's usage
    const auto png = std::filesystem::path(rocmforge_binary()).parent_path() / "chat_page.png";
    browser.screenshot(png);
    EXPECT_GT(std::filesystem::file_size(png), 1000u);
    std::cout << "screenshot: " << png.string() << "\n";

    // Stop: a long reply is cut short, and the server frees its KV blocks.
    set_value(browser, "#max-tokens", "400");
    browser.type(input, "Go on, at length.\n");
    ASSERT_FALSE(wait_for(browser,
                          "const m = document.querySelectorAll('.msg.assistant')[1];"
                          "return m && m.querySelector('.text').textContent.length > 0 ? true : null;",
                          60s)
                     .is_null());
    browser.click(browser.find("#stop"));
    const auto stopped = wait_for(
        browser, "const m = document.querySelectorAll('.msg.assistant[data-done]'); return m.length == 2 ? 1 : null;",
        30s);
    ASSERT_FALSE(stopped.is_null());
    EXPECT_NE(browser.script("return document.getElementById('stats').textContent;").get<std::string>().find("stopped"),
              std::string::npos);
    expect_kv_returns_to_idle(server, auth);
    EXPECT_EQ(server.stop(), 0);
}

}  // namespace
}  // namespace rocmforge::test
