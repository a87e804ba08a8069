// libFuzzer target for request bodies: the input is an HTTP body, validated as the OpenAI and
// native routes validate it (JSON object → sampling fields, prompt, messages, stream options).
// Every input must be accepted or refused with an ApiError 400 naming a field; accepted values
// must be in their documented ranges. Run with scripts/fuzz.sh request_body_fuzz SECONDS.
#include "server/api_error.h"
#include "server/request_fields.h"

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>

namespace {

using rocmforge::server::SamplingDefaults;

void check(bool ok) {
    if (!ok) std::abort();
}

void validate_fields(const rocmforge::server::Json& body, const SamplingDefaults& defaults) {
    try {
        const auto f = rocmforge::server::parse_sampling_fields(body, defaults);
        const auto& s = f.options.sampler;
        check(s.temperature >= 0.0f && s.temperature <= 2.0f);
        check(s.top_p > 0.0f && s.top_p <= 1.0f);
        check(s.min_p >= 0.0f && s.min_p <= 1.0f);
        check(std::isfinite(s.presence_penalty) && std::isfinite(s.frequency_penalty));
        check(f.options.max_tokens >= -1);
        check(f.top_logprobs >= -1 && f.top_logprobs <= 20);
        for (const auto& stop : f.options.stop_strings) check(!stop.empty() && stop.size() <= 256);
    } catch (const rocmforge::server::ApiError& e) {
        check(e.status() == 400);
    }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    using namespace rocmforge::server;
    rocmforge::server::Json body;
    try {
        body = parse_json_object(std::string(reinterpret_cast<const char*>(data), size));
    } catch (const ApiError& e) {
        check(e.status() == 400);
        return 0;
    }
    using L = SamplingDefaults::Logprobs;
    validate_fields(body, openai_defaults(16, L::Completions));
    validate_fields(body, openai_defaults(-1, L::Chat));
    validate_fields(body, native_defaults());
    try {
        const auto p = parse_prompt_field(body, 32000);
        check(p.text.has_value() != !p.ids.empty());
        for (const auto id : p.ids) check(id >= 0 && id < 32000);
    } catch (const ApiError& e) {
        check(e.status() == 400 && !e.param().empty());
    }
    try {
        const auto messages = parse_messages_field(body);
        check(messages.is_array() && !messages.empty());
        for (const auto& m : messages) check(m["role"].is_string() && m["content"].is_string());
    } catch (const ApiError& e) {
        check(e.status() == 400 && !e.param().empty());
    }
    for (const char* field : {"stream", "wait", "ignore_eos"}) {
        try {
            (void)optional_bool(body, field);
        } catch (const ApiError& e) {
            check(e.status() == 400 && e.param() == field);
        }
    }
    try {
        (void)parse_include_usage(body);
    } catch (const ApiError& e) {
        check(e.status() == 400);
    }
    return 0;
}
