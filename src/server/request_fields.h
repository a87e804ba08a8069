#pragma once
// Validation of request bodies (untrusted JSON) into engine parameters. Every failure is an
// ApiError 400 whose message and `param` name the field, e.g. "temperature must be a number in
// [0, 2], got \"hot\"". Unknown fields are ignored (clients send extras such as "user").
#include "engine/generator.h"
#include "server/api_error.h"

#include <nlohmann/json.hpp>

#include <optional>
#include <string>
#include <vector>

namespace rocmforge::server {

using Json = nlohmann::json;

// Parses a body that must be one JSON object (400 "malformed JSON" otherwise).
Json parse_json_object(const std::string& body);

// Defaults that differ between the OpenAI routes (OpenAI's) and the native API (the CLI's).
struct SamplingDefaults {
    float temperature = 1.0f;
    int32_t top_k = 0;
    float top_p = 1.0f;
    float min_p = 0.0f;
    int64_t max_tokens = -1;  // -1: up to the context
    // How the route spells logprobs: /v1/completions `logprobs: N` (top N), /v1/chat/completions
    // `logprobs: true` + `top_logprobs: N`; the native API has none (400 when asked).
    enum class Logprobs { None, Completions, Chat } logprobs = Logprobs::None;
};
SamplingDefaults openai_defaults(int64_t max_tokens, SamplingDefaults::Logprobs logprobs);
SamplingDefaults native_defaults();

struct SamplingFields {
    engine::GenerationOptions options;  // options.max_tokens is -1 for "up to the context"
    bool seed_given = false;            // options.sampler.seed is random otherwise
    bool ignore_eos = false;
    int32_t top_logprobs = -1;          // -1: no logprobs; n: each token's logprob and the n most likely
};

// max_tokens / max_completion_tokens, temperature, top_p, top_k, min_p, seed, stop (string or
// list), presence_penalty, frequency_penalty, repeat_penalty, n (must be 1), logprobs and
// top_logprobs (as defaults.logprobs says; at most 20 alternatives), ignore_eos.
SamplingFields parse_sampling_fields(const Json& body, const SamplingDefaults& defaults);

// "prompt": a string, or a list of token ids (not empty). Exactly one of text / ids is set.
struct PromptField {
    std::optional<std::string> text;
    std::vector<int32_t> ids;
};
PromptField parse_prompt_field(const Json& body, int64_t n_vocab);

// "messages": a non-empty list of {"role": string, "content": string | [{"type": "text", "text"}] | null}.
// Returns them as the chat template expects ({"role", "content": string}).
nlohmann::ordered_json parse_messages_field(const Json& body);

// Optional typed fields (absent or null → nullopt; wrong type → ApiError naming the field).
std::optional<bool> optional_bool(const Json& body, const char* field);
// "stream_options": {"include_usage": bool}.
bool parse_include_usage(const Json& body);

}  // namespace rocmforge::server
