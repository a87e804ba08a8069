#include "common/serve_test_support.h"

#include "common/test_paths.h"

#include <gtest/gtest.h>

#include <chrono>
#include <sstream>
#include <thread>

namespace rocmforge::test {

using nlohmann::json;

std::string wp25m_path() { return shared_file("models/wp-25M-Q8_0.gguf").string(); }

json generate_alone(const std::string& prompt, int n, const std::string& model) {
    const auto cmd = rocmforge_binary() + " generate -m " + (model.empty() ? wp25m_path() : model) + " -p " + shell_quoted(prompt) +
                     " --temp 0 -n " + std::to_string(n) + " -t 2 --json 2>/dev/null";
    const auto r = run_command(cmd);
    EXPECT_EQ(r.exit_code, 0) << cmd;
    return json::parse(r.output);
}

std::vector<std::string> sse_payloads(const std::string& body) {
    std::vector<std::string> payloads;
    size_t at = 0;
    while (at < body.size()) {
        const size_t end = body.find("\n\n", at);
        EXPECT_NE(end, std::string::npos) << "unterminated event at byte " << at << ": " << body.substr(at);
        if (end == std::string::npos) break;
        const std::string event = body.substr(at, end - at);
        EXPECT_EQ(event.rfind("data: ", 0), 0u) << event;
        EXPECT_EQ(event.find('\n'), std::string::npos) << "one line per event: " << event;
        payloads.push_back(event.substr(6));
        at = end + 2;
    }
    EXPECT_FALSE(payloads.empty());
    if (!payloads.empty()) {
        EXPECT_EQ(payloads.back(), "[DONE]");
    }
    return payloads;
}

void expect_error(const HttpResult& r, int status, const std::string& param, const std::string& message_part) {
    EXPECT_EQ(r.status, status) << r.body;
    const auto j = json::parse(r.body, nullptr, false);
    ASSERT_TRUE(j.is_object() && j.contains("error")) << r.body;
    const auto& e = j["error"];
    EXPECT_TRUE(e.contains("message") && e.contains("type") && e.contains("param") && e.contains("code")) << r.body;
    if (param.empty())
        EXPECT_TRUE(e["param"].is_null()) << r.body;
    else
        EXPECT_EQ(e["param"], param) << r.body;
    if (!message_part.empty()) {
        EXPECT_NE(e["message"].get<std::string>().find(message_part), std::string::npos) << r.body;
    }
}

int64_t metric(const std::string& text, const std::string& name) {
    std::istringstream in(text);
    for (std::string line; std::getline(in, line);)
        if (line.rfind(name + " ", 0) == 0) return std::stoll(line.substr(name.size() + 1));
    ADD_FAILURE() << "no metric " << name;
    return -1;
}

void expect_kv_returns_to_idle(const ServerProcess& server, const std::string& extra_args) {
    int64_t used = -1, running = -1;
    for (int i = 0; i < 500 && (used != 0 || running != 0); ++i) {
        const auto m = server.request("GET", "/metrics", "", extra_args).body;
        used = metric(m, "rocmforge_kv_blocks_used");
        running = metric(m, "rocmforge_requests_running");
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    EXPECT_EQ(used, 0) << "KV blocks still used";
    EXPECT_EQ(running, 0) << "requests still running";
}

}  // namespace rocmforge::test
