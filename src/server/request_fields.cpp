#include "server/request_fields.h"

#include <fmt/format.h>

#include <cmath>
#include <random>

namespace rocmforge::server {
namespace {

std::string shown(const Json& v) {
    std::string s = v.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
    if (s.size() > 40) s = s.substr(0, 37) + "...";
    return s;
}

[[noreturn]] void bad_field(const char* field, const std::string& message) {
    throw ApiError(400, fmt::format("{} {}", field, message), field);
}

const Json* present(const Json& body, const char* field) {
    const auto it = body.find(field);
    if (it == body.end() || it->is_null()) return nullptr;
    return &*it;
}

std::optional<double> optional_number(const Json& body, const char* field, double lo, double hi) {
    const Json* v = present(body, field);
    if (!v) return std::nullopt;
    const auto range = fmt::format("a number in [{}, {}]", lo, hi);
    if (!v->is_number()) bad_field(field, fmt::format("must be {}, got {}", range, shown(*v)));
    const double x = v->get<double>();
    if (!std::isfinite(x) || x < lo || x > hi) bad_field(field, fmt::format("must be {}, got {}", range, shown(*v)));
    return x;
}

std::optional<int64_t> optional_integer(const Json& body, const char* field, int64_t lo, int64_t hi) {
    const Json* v = present(body, field);
    if (!v) return std::nullopt;
    const auto range = fmt::format("an integer in [{}, {}]", lo, hi);
    if (v->is_number_unsigned()) {
        if (v->get<uint64_t>() > static_cast<uint64_t>(hi))
            bad_field(field, fmt::format("must be {}, got {}", range, shown(*v)));
        return static_cast<int64_t>(v->get<uint64_t>());
    }
    if (!v->is_number_integer()) bad_field(field, fmt::format("must be {}, got {}", range, shown(*v)));
    const int64_t x = v->get<int64_t>();
    if (x < lo || x > hi) bad_field(field, fmt::format("must be {}, got {}", range, shown(*v)));
    return x;
}

std::vector<std::string> parse_stop(const Json& body) {
    const Json* v = present(body, "stop");
    if (!v) return {};
    std::vector<std::string> stops;
    if (v->is_string()) {
        stops.push_back(v->get<std::string>());
    } else if (v->is_array()) {
        if (v->size() > 16) bad_field("stop", fmt::format("holds at most 16 strings, got {}", v->size()));
        for (const auto& s : *v) {
            if (!s.is_string())
                bad_field("stop", fmt::format("must be a string or a list of strings, got {}", shown(s)));
            stops.push_back(s.get<std::string>());
        }
    } else {
        bad_field("stop", fmt::format("must be a string or a list of strings, got {}", shown(*v)));
    }
    for (const auto& s : stops) {
        if (s.empty()) bad_field("stop", "strings must not be empty");
        if (s.size() > 256) bad_field("stop", "strings must be at most 256 bytes");
    }
    return stops;
}

constexpr int64_t kMaxTopLogprobs = 20;

// -1 when no logprobs are asked for, else the number of alternatives per position.
int32_t parse_logprobs(const Json& body, SamplingDefaults::Logprobs style) {
    using L = SamplingDefaults::Logprobs;
    switch (style) {
    case L::Completions: {
        const auto n = optional_integer(body, "logprobs", 0, kMaxTopLogprobs);
        if (present(body, "top_logprobs"))
            bad_field("top_logprobs", "belongs to /v1/chat/completions; here logprobs is the number of alternatives");
        return n ? static_cast<int32_t>(*n) : -1;
    }
    case L::Chat: {
        const bool wanted = optional_bool(body, "logprobs").value_or(false);
        const auto top = optional_integer(body, "top_logprobs", 0, kMaxTopLogprobs);
        if (top && !wanted) bad_field("top_logprobs", "needs logprobs: true");
        return wanted ? static_cast<int32_t>(top.value_or(0)) : -1;
    }
    case L::None:
        for (const char* field : {"logprobs", "top_logprobs"}) {
            const Json* v = present(body, field);
            const bool off = v && ((v->is_boolean() && !v->get<bool>()) || (v->is_number_integer() && *v == 0));
            if (v && !off) bad_field(field, "is not supported on this route; use /v1/completions");
        }
        return -1;
    }
    return -1;
}

}  // namespace

Json parse_json_object(const std::string& body) {
    Json j = Json::parse(body, nullptr, /*allow_exceptions=*/false);
    if (j.is_discarded()) throw ApiError(400, "malformed JSON in the request body", "", "invalid_json");
    if (!j.is_object()) throw ApiError(400, "the request body must be a JSON object", "", "invalid_json");
    return j;
}

SamplingDefaults openai_defaults(int64_t max_tokens, SamplingDefaults::Logprobs logprobs) {
    SamplingDefaults d;
    d.max_tokens = max_tokens;
    d.logprobs = logprobs;
    return d;
}

SamplingDefaults native_defaults() {
    SamplingDefaults d;
    const sample::SamplerParams cli;
    d.temperature = cli.temperature;
    d.top_k = cli.top_k;
    d.top_p = cli.top_p;
    d.min_p = cli.min_p;
    d.max_tokens = 128;
    return d;
}

std::optional<bool> optional_bool(const Json& body, const char* field) {
    const Json* v = present(body, field);
    if (!v) return std::nullopt;
    if (!v->is_boolean()) bad_field(field, fmt::format("must be true or false, got {}", shown(*v)));
    return v->get<bool>();
}

bool parse_include_usage(const Json& body) {
    const Json* v = present(body, "stream_options");
    if (!v) return false;
    if (!v->is_object()) bad_field("stream_options", fmt::format("must be an object, got {}", shown(*v)));
    const Json* u = present(*v, "include_usage");
    if (!u) return false;
    if (!u->is_boolean())
        bad_field("stream_options.include_usage", fmt::format("must be true or false, got {}", shown(*u)));
    return u->get<bool>();
}

SamplingFields parse_sampling_fields(const Json& body, const SamplingDefaults& d) {
    SamplingFields f;
    auto& o = f.options;
    auto& s = o.sampler;
    constexpr int64_t kMaxTokens = 1 << 20;
    const auto max_tokens = optional_integer(body, "max_tokens", 0, kMaxTokens);
    const auto max_completion = optional_integer(body, "max_completion_tokens", 0, kMaxTokens);
    o.max_tokens = max_completion ? *max_completion : max_tokens ? *max_tokens : d.max_tokens;
    s.temperature = static_cast<float>(optional_number(body, "temperature", 0.0, 2.0).value_or(d.temperature));
    s.top_p = static_cast<float>(optional_number(body, "top_p", 0.0, 1.0).value_or(d.top_p));
    if (s.top_p <= 0.0f) bad_field("top_p", "must be in (0, 1], got 0");
    s.top_k = static_cast<int32_t>(optional_integer(body, "top_k", -1, 1 << 20).value_or(d.top_k));
    s.min_p = static_cast<float>(optional_number(body, "min_p", 0.0, 1.0).value_or(d.min_p));
    s.presence_penalty = static_cast<float>(optional_number(body, "presence_penalty", -2.0, 2.0).value_or(0.0));
    s.frequency_penalty = static_cast<float>(optional_number(body, "frequency_penalty", -2.0, 2.0).value_or(0.0));
    s.repeat_penalty = static_cast<float>(optional_number(body, "repeat_penalty", 0.01, 10.0).value_or(1.0));
    if (const auto seed = optional_integer(body, "seed", INT64_MIN, INT64_MAX)) {
        s.seed = static_cast<uint64_t>(*seed);
        f.seed_given = true;
    } else {
        s.seed = std::random_device{}();
    }
    o.stop_strings = parse_stop(body);
    if (const auto n = optional_integer(body, "n", 1, 1 << 20); n && *n != 1)
        bad_field("n", fmt::format("must be 1 (one choice per request), got {}", *n));
    f.top_logprobs = parse_logprobs(body, d.logprobs);
    f.ignore_eos = optional_bool(body, "ignore_eos").value_or(false);
    return f;
}

PromptField parse_prompt_field(const Json& body, int64_t n_vocab) {
    const Json* v = present(body, "prompt");
    if (!v) throw ApiError(400, "missing field prompt", "prompt");
    PromptField p;
    if (v->is_string()) {
        p.text = v->get<std::string>();
        if (p.text->empty()) bad_field("prompt", "must not be empty");
        return p;
    }
    if (v->is_array() && !v->empty() && v->at(0).is_number()) {
        for (const auto& t : *v) {
            if (!t.is_number_integer() || t.get<int64_t>() < 0 || t.get<int64_t>() >= n_vocab)
                bad_field("prompt", fmt::format("token ids must be integers in [0, {}), got {}", n_vocab, shown(t)));
            p.ids.push_back(static_cast<int32_t>(t.get<int64_t>()));
        }
        return p;
    }
    if (v->is_array() && v->size() == 1 && v->at(0).is_string()) {  // ["text"]: one prompt
        p.text = v->at(0).get<std::string>();
        if (p.text->empty()) bad_field("prompt", "must not be empty");
        return p;
    }
    bad_field("prompt", fmt::format("must be a non-empty string or a list of token ids, got {}", shown(*v)));
}

nlohmann::ordered_json parse_messages_field(const Json& body) {
    const Json* v = present(body, "messages");
    if (!v) throw ApiError(400, "missing field messages", "messages");
    if (!v->is_array() || v->empty()) bad_field("messages", fmt::format("must be a non-empty list, got {}", shown(*v)));
    nlohmann::ordered_json out = nlohmann::ordered_json::array();
    for (size_t i = 0; i < v->size(); ++i) {
        const auto& m = (*v)[i];
        const auto field = fmt::format("messages[{}]", i);
        if (!m.is_object()) throw ApiError(400, fmt::format("{} must be an object, got {}", field, shown(m)), field);
        const Json* role = present(m, "role");
        if (!role || !role->is_string())
            throw ApiError(400, fmt::format("{}.role must be a string", field), field + ".role");
        std::string content;
        const Json* c = present(m, "content");
        if (c && c->is_string()) {
            content = c->get<std::string>();
        } else if (c && c->is_array()) {
            for (const auto& part : *c) {
                const Json* type = part.is_object() ? present(part, "type") : nullptr;
                const Json* text = part.is_object() ? present(part, "text") : nullptr;
                if (!type || *type != "text" || !text || !text->is_string())
                    throw ApiError(
                        400,
                        fmt::format("{}.content parts must be {{\"type\": \"text\", \"text\": string}}, got {}", field,
                                    shown(part)),
                        field + ".content");
                content += text->get<std::string>();
            }
        } else if (c) {
            throw ApiError(400,
                           fmt::format("{}.content must be a string or a list of text parts, got {}", field, shown(*c)),
                           field + ".content");
        }
        out.push_back({{"role", role->get<std::string>()}, {"content", content}});
    }
    return out;
}

}  // namespace rocmforge::server
