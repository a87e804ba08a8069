// logprobs / top_logprobs of `rocmforge serve` against independent math: the log-softmax of the
// raw logits that `rocmforge logits` writes for the same tokens, computed here in double. The
// model is wp-25M F16: its decode (GEMV) and prefill (GEMM) kernels agree to ~1e-5, where Q8_0's
// decode kernels quantize activations to 8 bits and move logprobs by up to ~0.04.
#include "common/serve_test_support.h"
#include "common/test_paths.h"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <functional>
#include <string>
#include <vector>

namespace rocmforge::test {
namespace {

using nlohmann::json;

// Log-softmax of every position's logits for `tokens` (rows of n_vocab), from `rocmforge logits`.
std::string f16_model_path() { return shared_file("models/wp-25M-f16.gguf").string(); }

std::vector<std::vector<double>> reference_logprobs(const std::vector<int32_t>& tokens) {
    const auto out = std::filesystem::path(testing::TempDir()) / "serve_logprobs_ref.f32";
    std::string ids;
    for (int32_t t : tokens) ids += std::to_string(t) + " ";
    const auto cmd = rocmforge_binary() + " logits -m " + f16_model_path() + " -t 2 --tokens " + shell_quoted(ids) +
                     " -o " + out.string() + " 2>&1";
    const auto r = run_command(cmd);
    EXPECT_EQ(r.exit_code, 0) << cmd << "\n" << r.output;
    const std::string bytes = read_file_bytes(out);
    const size_t n_vocab = bytes.size() / sizeof(float) / tokens.size();
    EXPECT_EQ(n_vocab * tokens.size() * sizeof(float), bytes.size());
    std::vector<std::vector<double>> rows;
    for (size_t p = 0; p < tokens.size(); ++p) {
        std::vector<double> x(n_vocab);
        for (size_t i = 0; i < n_vocab; ++i) {
            float f;
            std::memcpy(&f, bytes.data() + (p * n_vocab + i) * sizeof(float), sizeof(float));
            x[i] = f;
        }
        const double max = *std::max_element(x.begin(), x.end());
        double z = 0;
        for (double v : x) z += std::exp(v - max);
        for (double& v : x) v = v - max - std::log(z);
        rows.push_back(std::move(x));
    }
    return rows;
}

std::vector<double> descending(std::vector<double> v) {
    std::sort(v.begin(), v.end(), std::greater<>());
    return v;
}

class ServeLogprobsTest : public testing::Test {
protected:
    static void SetUpTestSuite() { server_ = new ServerProcess("-m " + f16_model_path() + " -t 2 --parallel 4 -c 256"); }
    static void TearDownTestSuite() {
        if (server_->started()) {
            EXPECT_EQ(server_->stop(), 0) << server_->log();
        }
        delete server_;
        server_ = nullptr;
    }
    void SetUp() override { ASSERT_TRUE(server_->started()); }
    static ServerProcess* server_;
};
ServerProcess* ServeLogprobsTest::server_ = nullptr;

// Server logits come from decode kernels (one logits row), `logits` rows from the GEMM.
constexpr double kTolerance = 1e-3;

TEST_F(ServeLogprobsTest, CompletionLogprobsAreLogSoftmaxOfTheLogits) {
    const int n = 4, n_top = 5;
    const auto alone = generate_alone("The king said", n, f16_model_path());
    const auto prompt = alone["prompt_tokens"].get<std::vector<int32_t>>();
    const auto generated = alone["tokens"].get<std::vector<int32_t>>();
    ASSERT_EQ(generated.size(), static_cast<size_t>(n));
    const json request = {{"prompt", prompt}, {"max_tokens", n}, {"temperature", 0}, {"logprobs", n_top}};
    const auto r = server_->request("POST", "/v1/completions", request.dump());
    ASSERT_EQ(r.status, 200) << r.body;
    const auto choice = json::parse(r.body)["choices"][0];
    const auto& lp = choice["logprobs"];
    ASSERT_TRUE(lp.is_object()) << r.body;
    ASSERT_EQ(lp["tokens"].size(), static_cast<size_t>(n));
    ASSERT_EQ(lp["token_logprobs"].size(), static_cast<size_t>(n));
    ASSERT_EQ(lp["top_logprobs"].size(), static_cast<size_t>(n));
    ASSERT_EQ(lp["text_offset"].size(), static_cast<size_t>(n));

    std::vector<int32_t> context = prompt;
    context.insert(context.end(), generated.begin(), generated.end() - 1);
    const auto ref = reference_logprobs(context);
    std::string joined;
    for (int k = 0; k < n; ++k) {
        const auto& row = ref[prompt.size() - 1 + static_cast<size_t>(k)];
        const double tol = kTolerance;
        EXPECT_NEAR(lp["token_logprobs"][k].get<double>(), row[static_cast<size_t>(generated[k])], tol) << "token " << k;
        // The n_top alternatives (the map also holds the chosen token; greedy chose the top one).
        std::vector<double> got;
        for (const auto& [piece, value] : lp["top_logprobs"][k].items()) got.push_back(value.get<double>());
        ASSERT_GE(got.size(), static_cast<size_t>(n_top) - 1) << lp["top_logprobs"][k];  // equal pieces merge
        got = descending(got);
        const auto want = descending(row);
        for (size_t i = 0; i < got.size(); ++i) EXPECT_NEAR(got[i], want[i], tol) << "token " << k << " rank " << i;
        EXPECT_EQ(lp["text_offset"][k].get<size_t>(), joined.size());
        joined += lp["tokens"][k].get<std::string>();
    }
    EXPECT_EQ(joined, choice["text"].get<std::string>());

    // Streaming: the chunks' logprobs concatenate to the same lists.
    auto streamed_request = request;
    streamed_request["stream"] = true;
    const auto s = server_->request("POST", "/v1/completions", streamed_request.dump());
    ASSERT_EQ(s.status, 200) << s.body;
    json merged = {{"tokens", json::array()}, {"token_logprobs", json::array()}, {"top_logprobs", json::array()},
                   {"text_offset", json::array()}};
    for (const auto& payload : sse_payloads(s.body)) {
        if (payload == "[DONE]") continue;
        const auto c = json::parse(payload)["choices"][0];
        if (c["logprobs"].is_null()) continue;
        for (const char* field : {"tokens", "token_logprobs", "top_logprobs", "text_offset"})
            for (const auto& v : c["logprobs"][field]) merged[field].push_back(v);
    }
    EXPECT_EQ(merged, lp);
}

TEST_F(ServeLogprobsTest, ChatLogprobsHaveOpenAiShapeStreamedOrNot) {
    const json request = {{"messages", {{{"role", "user"}, {"content", "Tell me about the war."}}}},
                          {"max_tokens", 6},
                          {"temperature", 0},
                          {"logprobs", true},
                          {"top_logprobs", 3}};
    const auto r = server_->request("POST", "/v1/chat/completions", request.dump());
    ASSERT_EQ(r.status, 200) << r.body;
    const auto reply = json::parse(r.body);
    const auto& content = reply["choices"][0]["logprobs"]["content"];
    ASSERT_EQ(content.size(), reply["usage"]["completion_tokens"].get<size_t>()) << r.body;
    std::string joined;
    for (const auto& t : content) {
        ASSERT_EQ(t["top_logprobs"].size(), 3u) << t;
        // Greedy picks the most likely token; the alternatives descend; probabilities sum below 1.
        EXPECT_EQ(t["top_logprobs"][0]["logprob"], t["logprob"]);
        EXPECT_EQ(t["top_logprobs"][0]["bytes"], t["bytes"]);
        double mass = 0;
        for (size_t i = 0; i < 3; ++i) {
            const double v = t["top_logprobs"][i]["logprob"].get<double>();
            EXPECT_LE(v, 0.0);
            if (i > 0) {
                EXPECT_LE(v, t["top_logprobs"][i - 1]["logprob"].get<double>());
            }
            mass += std::exp(v);
        }
        EXPECT_LE(mass, 1.0 + 1e-6);
        std::string bytes;
        for (const auto& b : t["bytes"]) bytes += static_cast<char>(b.get<int>());
        joined += bytes;
    }
    EXPECT_EQ(joined, reply["choices"][0]["message"]["content"].get<std::string>());

    auto streamed_request = request;
    streamed_request["stream"] = true;
    const auto s = server_->request("POST", "/v1/chat/completions", streamed_request.dump());
    ASSERT_EQ(s.status, 200) << s.body;
    json merged = json::array();
    for (const auto& payload : sse_payloads(s.body)) {
        if (payload == "[DONE]") continue;
        const auto c = json::parse(payload)["choices"][0];
        if (!c["logprobs"].is_null())
            for (const auto& v : c["logprobs"]["content"]) merged.push_back(v);
    }
    EXPECT_EQ(merged, content);
}

TEST_F(ServeLogprobsTest, BadLogprobsFieldsAre400NamingTheField) {
    expect_error(server_->request("POST", "/v1/completions", R"({"prompt":"a","logprobs":21})"), 400, "logprobs");
    expect_error(server_->request("POST", "/v1/completions", R"({"prompt":"a","logprobs":true})"), 400, "logprobs");
    expect_error(server_->request("POST", "/v1/completions", R"({"prompt":"a","top_logprobs":2})"), 400,
                 "top_logprobs");
    const std::string messages = R"("messages":[{"role":"user","content":"hi"}])";
    expect_error(server_->request("POST", "/v1/chat/completions", "{" + messages + R"(,"logprobs":3})"), 400,
                 "logprobs");
    expect_error(server_->request("POST", "/v1/chat/completions", "{" + messages + R"(,"top_logprobs":2})"), 400,
                 "top_logprobs", "needs logprobs: true");
    expect_error(server_->request("POST", "/v1/chat/completions",
                                  "{" + messages + R"(,"logprobs":true,"top_logprobs":-1})"),
                 400, "top_logprobs");
    expect_error(server_->request("POST", "/generate", R"({"prompt":"a","logprobs":1})"), 400, "logprobs");
    // Without logprobs the field is null.
    const auto r = server_->request("POST", "/v1/completions", R"({"prompt":"a","max_tokens":1,"logprobs":null})");
    ASSERT_EQ(r.status, 200) << r.body;
    EXPECT_TRUE(json::parse(r.body)["choices"][0]["logprobs"].is_null());
}

}  // namespace
}  // namespace rocmforge::test
