// The native API: POST /generate, GET /status/{id}, POST /cancel/{id}, GET /health, GET /model.
#include "server/peer_watch.h"
#include "server/serving_context.h"
#include "server/sse_stream.h"

#include <httplib.h>

#include <charconv>

namespace rocmforge::server {
namespace {

using OJson = nlohmann::ordered_json;
using engine::RequestEvent;

// {id} of /status/{id} and /cancel/{id}: the decimal id /generate returned; 404 otherwise.
std::shared_ptr<engine::RequestHandle> find_request(ServingContext& ctx, const std::string& text) {
    uint64_t id = 0;
    const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), id);
    std::shared_ptr<engine::RequestHandle> h;
    if (ec == std::errc() && end == text.data() + text.size()) h = ctx.registry.find(id);
    if (!h) throw ApiError(404, "no request with id '" + text + "'", "id", "not_found");
    return h;
}

OJson status_json(const engine::RequestHandle& h) {
    const auto s = h.snapshot();
    OJson j;
    j["id"] = std::to_string(h.id());
    j["state"] = s.state;
    j["tokens"] = s.tokens;
    j["text"] = s.text;
    j["finish_reason"] = s.finish_reason.empty() ? OJson(nullptr) : OJson(s.finish_reason);
    if (!s.error.empty()) j["error"] = s.error;
    j["usage"] = {{"prompt_tokens", s.prompt_tokens}, {"completion_tokens", s.tokens.size()}};
    return j;
}

void handle_generate(const httplib::Request& req, httplib::Response& res, RouteContext& routes) {
    auto& ctx = routes.get();
    const Json body = parse_json_object(req.body);
    auto p = parse_prompt_field(body, ctx.model.n_vocab);
    std::vector<int32_t> prompt = p.text ? ctx.encode_prompt(*p.text) : std::move(p.ids);
    const bool stream = optional_bool(body, "stream").value_or(false);
    const bool wait = optional_bool(body, "wait").value_or(false);
    if (stream && wait) throw ApiError(400, "stream and wait cannot both be true", "wait");
    auto fields = parse_sampling_fields(body, native_defaults());
    const uint64_t seed = fields.options.sampler.seed;
    auto handle = ctx.submit(std::move(prompt), std::move(fields), "prompt", stream);
    const std::string id = std::to_string(handle->id());
    if (stream) {
        stream_request_events(res, ctx.engine, handle, [id](const RequestEvent& e) {
            OJson j;
            j["id"] = id;
            if (e.kind == RequestEvent::Kind::Tokens) {
                j["tokens"] = e.tokens;
                j["text"] = e.text;
            } else if (e.kind == RequestEvent::Kind::Finish) {
                j["finish_reason"] = e.finish_reason;
                j["usage"] = {{"prompt_tokens", e.prompt_tokens}, {"completion_tokens", e.completion_tokens}};
            } else {
                j = error_json(500, e.error);
            }
            return std::vector<std::string>{dump_json(j)};
        });
        return;
    }
    if (wait) {
        // The client went away: the request is cancelled; nobody reads this reply.
        if (!wait_or_cancel(ctx.engine, *handle, req)) return send_error(res, 499, "client closed the connection");
        OJson j = status_json(*handle);
        j["seed"] = seed;
        send_json(res, j);
        return;
    }
    send_json(res, {{"id", id}, {"seed", seed}});
}

}  // namespace

void add_native_routes(httplib::Server& server, RouteContext& routes) {
    server.Post("/generate", [&routes](const httplib::Request& req, httplib::Response& res) {
        RouteContext::guard(res, [&] { handle_generate(req, res, routes); });
    });
    server.Get(R"(/status/([^/]+))", [&routes](const httplib::Request& req, httplib::Response& res) {
        RouteContext::guard(res, [&] { send_json(res, status_json(*find_request(routes.get(), req.matches[1]))); });
    });
    server.Post(R"(/cancel/([^/]+))", [&routes](const httplib::Request& req, httplib::Response& res) {
        RouteContext::guard(res, [&] {
            auto& ctx = routes.get();
            auto h = find_request(ctx, req.matches[1]);
            const bool was_running = !h->done();
            ctx.engine.cancel(*h);
            send_json(res, {{"id", std::to_string(h->id())}, {"cancelled", was_running}});
        });
    });
    server.Get("/health", [&routes](const httplib::Request&, httplib::Response& res) {
        if (routes.ready())
            send_json(res, {{"status", "ok"}});
        else
            send_json(res, {{"status", "loading"}}, 503);
    });
    server.Get("/model", [&routes](const httplib::Request&, httplib::Response& res) {
        RouteContext::guard(res, [&] {
            auto& ctx = routes.get();
            const auto& m = ctx.model;
            const auto& e = ctx.engine;
            const auto metrics = e.metrics();
            OJson j;
            j["id"] = m.alias;
            j["path"] = m.path;
            j["architecture"] = m.architecture;
            j["parameters"] = m.parameters;
            j["weight_type"] = m.weight_type;
            j["vocab_size"] = m.n_vocab;
            j["context"] = e.max_positions();
            j["device"] = m.device;
            j["parallel"] = e.parallel();
            j["batch_tokens"] = e.batch_tokens();
            j["kv_pool"] = {{"positions", e.kv_size()},
                            {"blocks", metrics.kv_blocks_total},
                            {"block_size", metrics.kv_block_size},
                            {"bytes", e.kv_bytes()}};
            send_json(res, j);
        });
    });
}

}  // namespace rocmforge::server
