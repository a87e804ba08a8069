// OpenAI-compatible routes: POST /v1/completions, POST /v1/chat/completions (JSON or SSE with
// stream: true), GET /v1/models, and GET / (the chat page that uses them).
#include "server/chat_page.h"
#include "server/logprobs_json.h"
#include "server/peer_watch.h"
#include "server/serving_context.h"
#include "server/sse_stream.h"

#include <httplib.h>

#include <chrono>

namespace rocmforge::server {
namespace {

using OJson = nlohmann::ordered_json;
using engine::RequestEvent;

int64_t unix_now() {
    return std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch())
        .count();
}

// Engine finish reasons → OpenAI's: "stop" (end-of-generation token or stop string), "length"
// (max_tokens or the context); "cancelled" passes through (server shutdown).
std::string openai_finish_reason(const std::string& reason) {
    if (reason == "eog" || reason == "stop") return "stop";
    if (reason == "length" || reason == "context") return "length";
    return reason;
}

OJson usage_json(int64_t prompt, int64_t completion) {
    return {{"prompt_tokens", prompt}, {"completion_tokens", completion}, {"total_tokens", prompt + completion}};
}

struct Kind {
    bool chat = false;
    const char* object() const { return chat ? "chat.completion" : "text_completion"; }
    const char* chunk_object() const { return chat ? "chat.completion.chunk" : "text_completion"; }
    const char* id_prefix() const { return chat ? "chatcmpl-" : "cmpl-"; }
};

OJson choice_chunk(Kind kind, const std::string& text, const OJson& finish_reason, bool first,
                   OJson logprobs = nullptr) {
    OJson c;
    c["index"] = 0;
    if (kind.chat) {
        OJson delta = OJson::object();
        if (first) delta["role"] = "assistant";
        if (!text.empty() || first) delta["content"] = text;
        c["delta"] = delta;
    } else {
        c["text"] = text;
    }
    c["logprobs"] = std::move(logprobs);
    c["finish_reason"] = finish_reason;
    return c;
}

void handle_completion(const httplib::Request& req, httplib::Response& res, RouteContext& routes, Kind kind) {
    auto& ctx = routes.get();
    const Json body = parse_json_object(req.body);
    std::vector<int32_t> prompt;
    const char* prompt_field = kind.chat ? "messages" : "prompt";
    if (kind.chat) {
        prompt = ctx.encode_chat(parse_messages_field(body));
    } else {
        auto p = parse_prompt_field(body, ctx.model.n_vocab);
        prompt = p.text ? ctx.encode_prompt(*p.text) : std::move(p.ids);
    }
    const bool stream = optional_bool(body, "stream").value_or(false);
    const bool include_usage = parse_include_usage(body);
    using L = SamplingDefaults::Logprobs;
    const auto defaults = openai_defaults(kind.chat ? -1 : 16, kind.chat ? L::Chat : L::Completions);
    auto fields = parse_sampling_fields(body, defaults);
    const bool want_logprobs = fields.top_logprobs >= 0;
    auto handle = ctx.submit(std::move(prompt), std::move(fields), prompt_field, stream);

    const std::string id = kind.id_prefix() + std::to_string(handle->id());
    const int64_t created = unix_now();
    const std::string model = ctx.model.alias;
    const TokenPiece piece = [&ctx](int32_t t) { return ctx.token_piece(t); };
    // Logprobs of a run of tokens in this route's shape; offset: completion text bytes so far.
    const auto logprobs_json = [kind, piece](std::span<const sample::PositionLogprobs> lp, int64_t& offset) {
        return kind.chat ? chat_logprobs_json(lp, piece) : completion_logprobs_json(lp, piece, offset);
    };
    const auto envelope = [=](const char* object) {
        OJson j;
        j["id"] = id;
        j["object"] = object;
        j["created"] = created;
        j["model"] = model;
        return j;
    };

    if (stream) {
        auto first = std::make_shared<bool>(true);
        auto offset = std::make_shared<int64_t>(0);
        stream_request_events(res, ctx.engine, handle, [=](const RequestEvent& e) {
            std::vector<std::string> out;
            if (e.kind == RequestEvent::Kind::Tokens) {
                const bool has_logprobs = want_logprobs && !e.logprobs.empty();
                if (e.text.empty() && !has_logprobs && !(kind.chat && *first)) return out;
                OJson j = envelope(kind.chunk_object());
                OJson lp = has_logprobs ? logprobs_json(e.logprobs, *offset) : OJson(nullptr);
                j["choices"] = OJson::array({choice_chunk(kind, e.text, nullptr, *first, std::move(lp))});
                *first = false;
                out.push_back(dump_json(j));
            } else if (e.kind == RequestEvent::Kind::Finish) {
                OJson j = envelope(kind.chunk_object());
                j["choices"] = OJson::array({choice_chunk(kind, "", openai_finish_reason(e.finish_reason), *first)});
                out.push_back(dump_json(j));
                if (include_usage) {
                    OJson u = envelope(kind.chunk_object());
                    u["choices"] = OJson::array();
                    u["usage"] = usage_json(e.prompt_tokens, e.completion_tokens);
                    out.push_back(dump_json(u));
                }
            } else {
                out.push_back(dump_json(error_json(500, e.error)));
            }
            return out;
        });
        return;
    }

    const auto waited = wait_or_cancel(ctx.engine, *handle, req);
    // The client went away: the request is cancelled; nobody reads this reply.
    if (!waited) return send_error(res, 499, "client closed the connection");
    const auto& s = *waited;
    if (s.state == "error") throw ApiError(500, s.error, "", "generation_failed");
    OJson j = envelope(kind.object());
    OJson choice;
    choice["index"] = 0;
    if (kind.chat)
        choice["message"] = {{"role", "assistant"}, {"content", s.text}};
    else
        choice["text"] = s.text;
    int64_t offset = 0;
    choice["logprobs"] = want_logprobs ? logprobs_json(s.logprobs, offset) : OJson(nullptr);
    choice["finish_reason"] = openai_finish_reason(s.finish_reason);
    j["choices"] = OJson::array({choice});
    j["usage"] = usage_json(s.prompt_tokens, static_cast<int64_t>(s.tokens.size()));
    send_json(res, j);
}

}  // namespace

void add_openai_routes(httplib::Server& server, RouteContext& routes) {
    server.Post("/v1/completions", [&routes](const httplib::Request& req, httplib::Response& res) {
        RouteContext::guard(res, [&] { handle_completion(req, res, routes, Kind{false}); });
    });
    server.Post("/v1/chat/completions", [&routes](const httplib::Request& req, httplib::Response& res) {
        RouteContext::guard(res, [&] { handle_completion(req, res, routes, Kind{true}); });
    });
    server.Get("/", [](const httplib::Request&, httplib::Response& res) {
        res.set_content(kChatPageHtml, "text/html; charset=utf-8");
    });
    server.Get("/v1/models", [&routes](const httplib::Request&, httplib::Response& res) {
        RouteContext::guard(res, [&] {
            const auto& m = routes.get().model;
            OJson model = {{"id", m.alias}, {"object", "model"}, {"created", m.created}, {"owned_by", "rocmforge"}};
            send_json(res, {{"object", "list"}, {"data", OJson::array({model})}});
        });
    });
}

}  // namespace rocmforge::server
