// `rocmforge serve` as a real process on a loopback port, driven with curl: every route, SSE
// framing, the JSON errors, greedy results equal to `generate --temp 0` run alone (also with 32
// requests at once), dropped streams freeing their KV blocks, and SIGTERM exiting 0.
#include "common/serve_test_support.h"
#include "common/test_paths.h"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <chrono>
#include <future>
#include <sstream>
#include <thread>

namespace rocmforge::test {
namespace {

using nlohmann::json;
using namespace std::chrono_literals;

std::string model_path() { return wp25m_path(); }

class ServeTest : public testing::Test {
protected:
    static void SetUpTestSuite() {
        server_ = new ServerProcess("-m " + model_path() + " -t 2 --parallel 32 -c 256 --batch-tokens 512 "
                                    "--max-body 4096 --model-alias wp25m");
    }
    static void TearDownTestSuite() {
        if (server_->started()) {
            EXPECT_EQ(server_->stop(), 0) << "SIGTERM must exit 0\n" << server_->log();
        }
        delete server_;
        server_ = nullptr;
    }
    void SetUp() override { ASSERT_TRUE(server_->started()); }
    static ServerProcess* server_;
};
ServerProcess* ServeTest::server_ = nullptr;

TEST_F(ServeTest, HealthModelAndModels) {
    auto r = server_->request("GET", "/health");
    EXPECT_EQ(r.status, 200);
    EXPECT_EQ(json::parse(r.body), json({{"status", "ok"}}));
    r = server_->request("GET", "/model");
    ASSERT_EQ(r.status, 200) << r.body;
    const auto m = json::parse(r.body);
    EXPECT_EQ(m["architecture"], "llama");
    EXPECT_EQ(m["weight_type"], "q8_0");
    EXPECT_EQ(m["context"], 256);
    EXPECT_GT(m["parameters"].get<int64_t>(), 20000000);
    EXPECT_GT(m["kv_pool"]["positions"].get<int64_t>(), 0);
    EXPECT_TRUE(m.contains("device"));
    r = server_->request("GET", "/v1/models");
    ASSERT_EQ(r.status, 200);
    const auto models = json::parse(r.body);
    EXPECT_EQ(models["object"], "list");
    EXPECT_EQ(models["data"][0]["id"], "wp25m");
}

TEST_F(ServeTest, CompletionEqualsGenerateAlone) {
    const auto expected = generate_alone("The king said", 12);
    const auto r = server_->request("POST", "/v1/completions",
                                    R"({"model":"wp25m","prompt":"The king said","max_tokens":12,"temperature":0})");
    ASSERT_EQ(r.status, 200) << r.body;
    const auto j = json::parse(r.body);
    EXPECT_EQ(j["object"], "text_completion");
    EXPECT_EQ(j["model"], "wp25m");
    EXPECT_TRUE(j["id"].get<std::string>().rfind("cmpl-", 0) == 0);
    EXPECT_TRUE(j["created"].is_number_integer());
    EXPECT_EQ(j["choices"][0]["text"], expected["text"]);
    EXPECT_EQ(j["choices"][0]["finish_reason"], "length");
    EXPECT_EQ(j["usage"]["prompt_tokens"], expected["prompt_tokens"].size());
    EXPECT_EQ(j["usage"]["completion_tokens"], 12);
    EXPECT_EQ(j["usage"]["total_tokens"], expected["prompt_tokens"].size() + 12);
}

TEST_F(ServeTest, StreamedCompletionIsFramedAndEqualsTheWholeText) {
    const auto expected = generate_alone("It was", 16);
    const auto r = server_->request(
        "POST", "/v1/completions",
        R"({"prompt":"It was","max_tokens":16,"temperature":0,"stream":true,"stream_options":{"include_usage":true}})");
    ASSERT_EQ(r.status, 200) << r.body;
    const auto payloads = sse_payloads(r.body);
    ASSERT_GE(payloads.size(), 3u);
    std::string text;
    for (size_t i = 0; i + 3 < payloads.size(); ++i) {  // text chunks: all but finish, usage, [DONE]
        const auto j = json::parse(payloads[i]);
        EXPECT_EQ(j["object"], "text_completion");
        EXPECT_TRUE(j["choices"][0]["finish_reason"].is_null());
        text += j["choices"][0]["text"].get<std::string>();
    }
    // The last chunk before the usage chunk carries the finish reason.
    const auto last = json::parse(payloads[payloads.size() - 3]);
    EXPECT_EQ(last["choices"][0]["finish_reason"], "length");
    const auto usage = json::parse(payloads[payloads.size() - 2]);
    EXPECT_TRUE(usage["choices"].empty());
    EXPECT_EQ(usage["usage"]["completion_tokens"], 16);
    EXPECT_EQ(text, expected["text"]);
}

TEST_F(ServeTest, ChatCompletionAndStream) {
    const std::string messages =
        R"("messages":[{"role":"system","content":"Be brief."},{"role":"user","content":"Hello"}])";
    auto r = server_->request("POST", "/v1/chat/completions", "{" + messages + R"(,"max_tokens":8,"temperature":0})");
    ASSERT_EQ(r.status, 200) << r.body;
    const auto j = json::parse(r.body);
    EXPECT_EQ(j["object"], "chat.completion");
    EXPECT_EQ(j["choices"][0]["message"]["role"], "assistant");
    const std::string whole = j["choices"][0]["message"]["content"];
    EXPECT_FALSE(whole.empty());
    r = server_->request("POST", "/v1/chat/completions",
                         "{" + messages + R"(,"max_tokens":8,"temperature":0,"stream":true})");
    ASSERT_EQ(r.status, 200) << r.body;
    const auto payloads = sse_payloads(r.body);
    std::string text;
    for (size_t i = 0; i + 1 < payloads.size(); ++i) {
        const auto c = json::parse(payloads[i]);
        EXPECT_EQ(c["object"], "chat.completion.chunk");
        if (i == 0) {
            EXPECT_EQ(c["choices"][0]["delta"]["role"], "assistant");
        }
        text += c["choices"][0]["delta"].value("content", "");
    }
    EXPECT_EQ(text, whole);
    EXPECT_FALSE(json::parse(payloads[payloads.size() - 2])["choices"][0]["finish_reason"].is_null());
}

TEST_F(ServeTest, NativeGenerateStatusAndCancel) {
    const auto expected = generate_alone("The king said", 10);
    auto r = server_->request("POST", "/generate",
                              R"({"prompt":"The king said","max_tokens":10,"temperature":0,"wait":true})");
    ASSERT_EQ(r.status, 200) << r.body;
    auto j = json::parse(r.body);
    EXPECT_EQ(j["state"], "finished");
    EXPECT_EQ(j["tokens"], expected["tokens"]);
    EXPECT_EQ(j["text"], expected["text"]);
    EXPECT_EQ(j["finish_reason"], "length");
    r = server_->request("GET", "/status/" + j["id"].get<std::string>());
    ASSERT_EQ(r.status, 200);
    EXPECT_EQ(json::parse(r.body)["tokens"], expected["tokens"]);

    // Fire and forget, then cancel: the status says cancelled.
    r = server_->request("POST", "/generate", R"({"prompt":"Once","max_tokens":200,"ignore_eos":true})");
    ASSERT_EQ(r.status, 200) << r.body;
    const std::string id = json::parse(r.body)["id"];
    r = server_->request("POST", "/cancel/" + id);
    ASSERT_EQ(r.status, 200) << r.body;
    std::string state;
    for (int i = 0; i < 200 && state != "cancelled"; ++i) {
        state = json::parse(server_->request("GET", "/status/" + id).body)["state"];
        std::this_thread::sleep_for(10ms);
    }
    EXPECT_EQ(state, "cancelled");

    // Streamed: token events then a finish event, [DONE] last.
    r = server_->request("POST", "/generate",
                         R"({"prompt":"The king said","max_tokens":10,"temperature":0,"stream":true})");
    ASSERT_EQ(r.status, 200) << r.body;
    const auto payloads = sse_payloads(r.body);
    std::vector<int32_t> tokens;
    for (size_t i = 0; i + 2 < payloads.size(); ++i) {
        const auto event = json::parse(payloads[i]);
        for (int32_t t : event.at("tokens")) tokens.push_back(t);
    }
    EXPECT_EQ(json(tokens), expected["tokens"]);
    EXPECT_EQ(json::parse(payloads[payloads.size() - 2])["finish_reason"], "length");
}

TEST_F(ServeTest, ErrorsAreOpenAiJsonNamingTheField) {
    expect_error(server_->request("POST", "/v1/completions", "{bad json"), 400, "", "malformed JSON");
    expect_error(server_->request("POST", "/v1/completions", "[1,2]"), 400, "");
    expect_error(server_->request("POST", "/v1/completions", R"({"max_tokens":3})"), 400, "prompt");
    expect_error(server_->request("POST", "/v1/completions", R"({"prompt":"a","temperature":"hot"})"), 400,
                 "temperature");
    expect_error(server_->request("POST", "/v1/completions", R"({"prompt":"a","temperature":3})"), 400, "temperature");
    expect_error(server_->request("POST", "/v1/completions", R"({"prompt":"a","max_tokens":-1})"), 400, "max_tokens");
    expect_error(server_->request("POST", "/v1/completions", R"({"prompt":"a","top_p":0})"), 400, "top_p");
    expect_error(server_->request("POST", "/v1/completions", R"({"prompt":"a","n":2})"), 400, "n");
    expect_error(server_->request("POST", "/v1/completions", R"({"prompt":"a","stop":[1]})"), 400, "stop");
    expect_error(server_->request("POST", "/v1/completions", R"({"prompt":"a","stream":"yes"})"), 400, "stream");
    expect_error(server_->request("POST", "/v1/completions", R"({"prompt":[1, 99999]})"), 400, "prompt");
    expect_error(server_->request("POST", "/v1/chat/completions", R"({"messages":[]})"), 400, "messages");
    expect_error(server_->request("POST", "/v1/chat/completions", R"({"messages":[{"content":"hi"}]})"), 400,
                 "messages[0].role");
    // Longer than the context (256): refused before anything runs.
    std::string long_prompt;
    for (int i = 0; i < 300; ++i) long_prompt += "war ";
    const auto too_long = server_->request("POST", "/v1/completions", json({{"prompt", long_prompt}}).dump());
    expect_error(too_long, 400, "prompt", "context");
    EXPECT_EQ(json::parse(too_long.body)["error"]["code"], "context_length_exceeded");
    // Over --max-body 4096.
    expect_error(server_->request("POST", "/v1/completions", json({{"prompt", std::string(5000, 'a')}}).dump()), 413,
                 "");
    expect_error(server_->request("GET", "/no/such/route"), 404, "");
    expect_error(server_->request("GET", "/status/999999"), 404, "id");
    expect_error(server_->request("POST", "/cancel/abc"), 404, "id");
    // The server is still healthy after all that.
    EXPECT_EQ(server_->request("GET", "/health").status, 200);
}

TEST_F(ServeTest, ThirtyTwoConcurrentGreedyRequestsEqualGenerateAlone) {
    const std::string val = read_file_bytes(shared_file("models/wp-val.txt"));
    std::vector<std::string> prompts;
    size_t at = 0;
    for (int i = 0; i < 32; ++i) {
        at = val.find(' ', at + 503) + 1;
        const size_t end = val.find(' ', at + 10 + static_cast<size_t>((i * 41) % 200));
        std::string p = val.substr(at, end - at);
        for (auto& c : p)
            if (c == '\n' || c == '\r') c = ' ';
        prompts.push_back(p);
    }
    std::vector<std::future<HttpResult>> replies;
    for (const auto& p : prompts)
        replies.push_back(std::async(std::launch::async, [&, p] {
            return server_->request(
                "POST", "/generate",
                json({{"prompt", p}, {"max_tokens", 8}, {"temperature", 0}, {"wait", true}}).dump());
        }));
    std::vector<json> got;
    for (auto& f : replies) got.push_back(json::parse(f.get().body, nullptr, false));
    for (size_t i = 0; i < prompts.size(); ++i) {
        ASSERT_TRUE(got[i].is_object()) << "prompt " << i;
        EXPECT_EQ(got[i]["tokens"], generate_alone(prompts[i], 8)["tokens"]) << "prompt " << i << ": " << prompts[i];
    }
}

TEST_F(ServeTest, DroppedStreamsReturnKvUsageToIdle) {
    std::vector<std::future<void>> clients;
    for (int i = 0; i < 16; ++i)
        clients.push_back(std::async(std::launch::async, [&] {
            // curl gives up after 1 s: the connection drops mid-stream.
            run_command("curl -s -N --max-time 1 -o /dev/null -H 'Content-Type: application/json' --data-binary "
                        "'{\"prompt\":\"The war\",\"max_tokens\":2000,\"ignore_eos\":true,\"stream\":true}' " +
                        server_->url("/v1/completions"));
        }));
    for (auto& c : clients) c.get();
    expect_kv_returns_to_idle(*server_);
    const auto m = server_->request("GET", "/metrics").body;
    EXPECT_GE(metric(m, "rocmforge_requests_total{status=\"cancelled\"}"), 16);
    EXPECT_NE(m.find("# TYPE rocmforge_time_to_first_token_seconds histogram"), std::string::npos);
    EXPECT_NE(m.find("rocmforge_inter_token_latency_seconds_bucket{le=\"+Inf\"}"), std::string::npos);
    EXPECT_NE(m.find("rocmforge_request_latency_seconds_count"), std::string::npos);
}

TEST_F(ServeTest, DroppedNonStreamingRequestsAreCancelledAndFreeKv) {
    const auto cancelled = [&] {
        return metric(server_->request("GET", "/metrics").body, "rocmforge_requests_total{status=\"cancelled\"}");
    };
    const int64_t before = cancelled();
    std::vector<std::future<void>> clients;
    for (int i = 0; i < 16; ++i) {
        // Non-streaming: nothing is written until the end, so only the closed socket tells.
        const std::string route = i % 2 == 0 ? "/v1/completions" : "/generate";
        const std::string extra = i % 2 == 0 ? "" : ",\"wait\":true";
        clients.push_back(std::async(std::launch::async, [&, route, extra] {
            run_command("curl -s --max-time 1 -o /dev/null -H 'Content-Type: application/json' --data-binary "
                        "'{\"prompt\":\"The war\",\"max_tokens\":2000,\"ignore_eos\":true" + extra + "}' " +
                        server_->url(route));
        }));
    }
    for (auto& c : clients) c.get();
    expect_kv_returns_to_idle(*server_);
    EXPECT_EQ(cancelled() - before, 16) << "every dropped request is cancelled, none runs to its end";
}

TEST_F(ServeTest, SharedPrefixShowsPrefixCacheHits) {
    std::string prefix;
    for (int i = 0; i < 40; ++i) prefix += "The army marched. ";  // about 200 tokens
    const auto before = metric(server_->request("GET", "/metrics").body, "rocmforge_prefix_cache_hits_total");
    for (const char* tail : {"Then", "Later"}) {
        const auto r = server_->request(
            "POST", "/v1/completions", json({{"prompt", prefix + tail}, {"max_tokens", 2}, {"temperature", 0}}).dump());
        ASSERT_EQ(r.status, 200) << r.body;
    }
    const auto after = metric(server_->request("GET", "/metrics").body, "rocmforge_prefix_cache_hits_total");
    EXPECT_GE(after - before, 10);  // the second request reuses the shared full blocks
}

// A KV pool of 160 positions for 12 requests of up to ~80 positions each: the server preempts,
// and every request still gets exactly the tokens `generate --temp 0` gives it alone.
TEST(ServeTinyKv, PreemptsAndEveryRequestGetsTheTokensAlone) {
    ServerProcess server("-m " + model_path() + " -t 2 --parallel 12 -c 256 --kv-size 160 --batch-tokens 64");
    ASSERT_TRUE(server.started());
    const std::string val = read_file_bytes(shared_file("models/wp-val.txt"));
    std::vector<std::string> prompts;
    size_t at = 0;
    for (int i = 0; i < 12; ++i) {
        at = val.find(' ', at + 701) + 1;
        std::string p = val.substr(at, val.find(' ', at + 60 + static_cast<size_t>(i * 7)) - at);
        for (auto& c : p)
            if (c == '\n' || c == '\r') c = ' ';
        prompts.push_back(p);
    }
    std::vector<std::future<HttpResult>> replies;
    for (const auto& p : prompts)
        replies.push_back(std::async(std::launch::async, [&, p] {
            return server.request("POST", "/v1/completions",
                                  json({{"prompt", p}, {"max_tokens", 40}, {"temperature", 0}}).dump());
        }));
    for (size_t i = 0; i < prompts.size(); ++i) {
        const auto r = replies[i].get();
        ASSERT_EQ(r.status, 200) << r.body;
        EXPECT_EQ(json::parse(r.body)["choices"][0]["text"], generate_alone(prompts[i], 40)["text"]) << "prompt " << i;
    }
    const auto m = server.request("GET", "/metrics").body;
    EXPECT_GT(metric(m, "rocmforge_preemptions_total"), 0);
    EXPECT_EQ(metric(m, "rocmforge_requests_total{status=\"error\"}"), 0);
    EXPECT_EQ(server.stop(), 0) << server.log();
}

TEST(ServeAuth, ApiKeyRequiredExceptOnHealthAndQueueLimit) {
    ServerProcess server("-m " + model_path() + " -t 2 --parallel 2 -c 128 --api-key s3cret --max-queue 0");
    ASSERT_TRUE(server.started());
    EXPECT_EQ(server.request("GET", "/health").status, 200);
    expect_error(server.request("GET", "/v1/models"), 401, "");
    expect_error(server.request("GET", "/v1/models", "", "-H 'Authorization: Bearer wrong'"), 401, "");
    expect_error(server.request("GET", "/metrics", "", "-H 'Authorization: Bearer s3cre'"), 401, "");
    EXPECT_EQ(server.request("GET", "/v1/models", "", "-H 'Authorization: Bearer s3cret'").status, 200);
    // --max-queue 0: every generation request is refused as overloaded.
    const auto r = server.request("POST", "/v1/completions", R"({"prompt":"a","max_tokens":2})",
                                  "-H 'Authorization: Bearer s3cret'");
    expect_error(r, 429, "");
    EXPECT_EQ(server.stop(), 0) << server.log();
}

}  // namespace
}  // namespace rocmforge::test
