#include "server/load_generator.h"

#include "util/error.h"

#include <httplib.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <mutex>
#include <thread>

namespace rocmforge::server {
namespace {

using Clock = std::chrono::steady_clock;

double seconds(Clock::time_point a, Clock::time_point b) { return std::chrono::duration<double>(b - a).count(); }

struct RequestTimes {
    bool ok = false;
    std::string error;
    int64_t prompt_tokens = 0, output_tokens = 0;
    double ttft = 0, latency = 0;
    std::vector<double> inter_token;
};

// One streaming request; parses the SSE frames as they arrive.
RequestTimes run_request(httplib::Client& client, const LoadOptions& o, const std::vector<int32_t>& prompt,
                         int64_t index) {
    RequestTimes t;
    nlohmann::json body = {{"prompt", prompt},          {"max_tokens", o.max_tokens},
                           {"temperature", o.temperature}, {"ignore_eos", true},
                           {"stream", true},            {"stream_options", {{"include_usage", true}}}};
    if (o.temperature > 0) body["seed"] = index;
    httplib::Request req;
    req.method = "POST";
    req.path = "/v1/completions";
    req.body = body.dump();
    req.set_header("Content-Type", "application/json");
    if (!o.api_key.empty()) req.set_header("Authorization", "Bearer " + o.api_key);
    std::string buffer;
    const auto sent = Clock::now();
    auto last = sent;
    int64_t seen_tokens = 0;
    req.content_receiver = [&](const char* data, size_t n, uint64_t, uint64_t) {
        buffer.append(data, n);
        for (size_t end; (end = buffer.find("\n\n")) != std::string::npos; buffer.erase(0, end + 2)) {
            const std::string event = buffer.substr(0, end);
            if (event.rfind("data: ", 0) != 0 || event == "data: [DONE]") continue;
            const auto j = nlohmann::json::parse(event.substr(6), nullptr, false);
            if (j.is_discarded()) continue;
            if (j.contains("error")) t.error = j["error"].value("message", "error event");
            if (j.contains("usage") && j["usage"].is_object()) {
                t.prompt_tokens = j["usage"].value("prompt_tokens", int64_t{0});
                t.output_tokens = j["usage"].value("completion_tokens", int64_t{0});
            }
            if (!j.contains("choices") || j["choices"].empty()) continue;
            const auto& text = j["choices"][0]["text"];
            if (!text.is_string() || text.get_ref<const std::string&>().empty()) continue;
            const auto now = Clock::now();
            if (seen_tokens == 0)
                t.ttft = seconds(sent, now);
            else
                t.inter_token.push_back(seconds(last, now));
            ++seen_tokens;
            last = now;
        }
        return true;
    };
    httplib::Response res;
    httplib::Error err = httplib::Error::Success;
    if (!client.send(req, res, err)) {
        t.error = "HTTP: " + httplib::to_string(err) + " after " + std::to_string(seconds(sent, Clock::now())) +
                  " s and " + std::to_string(seen_tokens) + " text chunks";
        return t;
    }
    t.latency = seconds(sent, Clock::now());
    if (res.status != 200) {
        t.error = "HTTP " + std::to_string(res.status) + ": " + buffer.substr(0, 200);
        return t;
    }
    if (t.error.empty() && t.output_tokens != o.max_tokens)
        t.error = "got " + std::to_string(t.output_tokens) + " tokens, asked for " + std::to_string(o.max_tokens);
    t.ok = t.error.empty();
    return t;
}

}  // namespace

double percentile(std::vector<double> values, double p) {
    if (values.empty()) return 0.0;
    std::sort(values.begin(), values.end());
    const double rank = std::ceil(p / 100.0 * static_cast<double>(values.size()));
    const auto index = static_cast<size_t>(std::clamp(rank, 1.0, static_cast<double>(values.size()))) - 1;
    return values[index];
}

LoadResult run_load(const LoadOptions& o) {
    if (o.prompts.empty()) throw_error("--prompts", "no prompts");
    if (o.concurrency < 1) throw_error("--concurrency", "must be >= 1, got {}", o.concurrency);
    if (o.requests < o.concurrency)
        throw_error("--requests", "must be >= the concurrency ({}), got {}", o.concurrency, o.requests);
    if (o.max_tokens < 1) throw_error("-n", "must be >= 1, got {}", o.max_tokens);

    std::atomic<int64_t> next{0};
    std::mutex mutex;
    std::vector<RequestTimes> done;
    const auto start = Clock::now();
    std::vector<std::thread> clients;
    for (int64_t c = 0; c < o.concurrency; ++c)
        clients.emplace_back([&] {
            httplib::Client client(o.host, o.port);
            client.set_read_timeout(o.timeout_s, 0);
            client.set_write_timeout(o.timeout_s, 0);
            for (int64_t i; (i = next.fetch_add(1)) < o.requests;) {
                auto t = run_request(client, o, o.prompts[static_cast<size_t>(i) % o.prompts.size()], i);
                std::lock_guard lock(mutex);
                done.push_back(std::move(t));
            }
        });
    for (auto& t : clients) t.join();

    LoadResult r;
    r.concurrency = o.concurrency;
    r.requests = o.requests;
    r.wall_s = seconds(start, Clock::now());
    std::vector<double> ttft, itl, latency;
    for (const auto& t : done) {
        if (!t.ok) {
            if (r.errors++ == 0) r.first_error = t.error;
            continue;
        }
        r.prompt_tokens += t.prompt_tokens;
        r.output_tokens += t.output_tokens;
        ttft.push_back(t.ttft);
        latency.push_back(t.latency);
        itl.insert(itl.end(), t.inter_token.begin(), t.inter_token.end());
    }
    r.output_tok_s = r.wall_s > 0 ? static_cast<double>(r.output_tokens) / r.wall_s : 0.0;
    r.ttft_p50_s = percentile(ttft, 50);
    r.ttft_p99_s = percentile(ttft, 99);
    r.itl_p50_s = percentile(itl, 50);
    r.itl_p99_s = percentile(itl, 99);
    r.latency_p50_s = percentile(latency, 50);
    return r;
}

}  // namespace rocmforge::server
