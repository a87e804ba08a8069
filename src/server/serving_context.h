#pragma once
// What the route handlers share once the model is loaded: the engine, the tokenizer and chat
// template, facts about the model for /model and /v1/models, and the registry of requests for
// /status and /cancel. Route files take a RouteContext, which answers 503 while loading.
#include "engine/engine_loop.h"
#include "server/request_fields.h"
#include "tokenizer/tokenizer.h"

#include <atomic>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>

namespace httplib {
class Server;
}

namespace rocmforge::server {

struct ModelInfo {
    std::string alias;          // --model-alias, or the file name
    std::string path;
    std::string architecture;
    uint64_t parameters = 0;
    std::string weight_type;    // the type holding most weight bytes
    int64_t n_vocab = 0;
    std::string device;         // the backend's description
    int64_t created = 0;        // unix seconds the server loaded it
};

// Requests by id: every running one, and the last finished ones (for /status after the end).
class RequestRegistry {
public:
    void add(std::shared_ptr<engine::RequestHandle> handle);
    std::shared_ptr<engine::RequestHandle> find(uint64_t id) const;

private:
    static constexpr size_t kKeepFinished = 1024;
    mutable std::mutex mutex_;
    std::map<uint64_t, std::shared_ptr<engine::RequestHandle>> by_id_;
};

struct ServingContext {
    engine::EngineLoop& engine;
    const tokenizer::Tokenizer& tokenizer;
    std::string chat_template;
    std::string bos_text, eos_text;
    ModelInfo model;
    RequestRegistry registry;

    // Submits a validated request; maps engine refusals to ApiError (400 naming `prompt_field`
    // for a prompt that does not fit, 429 when the queue is full, 503 while shutting down).
    // max_tokens -1 means up to the context.
    // stream: the caller reads the events (SSE); otherwise it only waits or polls the snapshot.
    std::shared_ptr<engine::RequestHandle> submit(std::vector<int32_t> prompt, SamplingFields fields,
                                                  const char* prompt_field, bool stream);
    // Prompt text → ids (BOS when the model asks for it; special tokens as text).
    std::vector<int32_t> encode_prompt(const std::string& text) const;
    // messages → the model's chat template → ids (special tokens parsed). ApiError 400 naming
    // "messages" when the template refuses them.
    std::vector<int32_t> encode_chat(const nlohmann::ordered_json& messages) const;
    // The bytes a generated token adds to the text ("" for control tokens).
    std::string token_piece(int32_t token) const;
};

// The loaded context, or nothing while loading (set once by the server).
class RouteContext {
public:
    void set(ServingContext* ctx) { ctx_.store(ctx); }
    bool ready() const { return ctx_.load() != nullptr; }
    // The context; ApiError 503 while the model loads.
    ServingContext& get() const;
    // Runs a handler, turning ApiError (and any other exception, as 500) into a JSON error.
    template <typename F>
    static void guard(httplib::Response& res, F&& f);

private:
    std::atomic<ServingContext*> ctx_{nullptr};
};

// Route groups (one file each).
void add_openai_routes(httplib::Server& server, RouteContext& routes);
void add_native_routes(httplib::Server& server, RouteContext& routes);
void add_metrics_route(httplib::Server& server, RouteContext& routes);

}  // namespace rocmforge::server

#include "server/route_guard.h"
