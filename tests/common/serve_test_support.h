#pragma once
// Helpers shared by the `rocmforge serve` end-to-end tests: the wp-25M model, the
// `generate --temp 0` oracle, SSE framing checks, OpenAI error checks and /metrics values.
#include "common/server_process.h"

#include <nlohmann/json.hpp>

#include <cstdint>
#include <string>
#include <vector>

namespace rocmforge::test {

// ../shared/models/wp-25M-Q8_0.gguf.
std::string wp25m_path();
// `generate --temp 0 -n n --json` alone on `model` (default wp-25M Q8_0):
// {"prompt_tokens": [...], "tokens": [...], "text"...}.
nlohmann::json generate_alone(const std::string& prompt, int n, const std::string& model = "");
// The payloads of an SSE body; checks the framing: every event is one `data: ` line followed by
// a blank line, and the last is `data: [DONE]`.
std::vector<std::string> sse_payloads(const std::string& body);
// An OpenAI error body with this status; param "" means null. message_part: a substring of message.
void expect_error(const HttpResult& r, int status, const std::string& param, const std::string& message_part = "");
// The value of an unlabelled (or fully labelled) metric line "NAME VALUE" in Prometheus text.
int64_t metric(const std::string& text, const std::string& name);
// Polls /metrics (up to 10 s) until no request runs and no KV block is used; a failure otherwise.
// extra_args: curl arguments, e.g. the API key header.
void expect_kv_returns_to_idle(const ServerProcess& server, const std::string& extra_args = "");

}  // namespace rocmforge::test
