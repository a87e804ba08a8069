// `rocmforge serve -m MODEL [--host H] [--port P] [--api-key K] [--parallel N] [--batch-tokens T]
// [--kv-size TOKENS] [-c CTX] [--max-body BYTES] [--max-queue N] [--model-alias NAME]`: the HTTP
// server (OpenAI-compatible and native API, docs/http-api.md). It listens before loading the
// model (/health says 503 "loading" meanwhile) and runs until SIGINT or SIGTERM, which stop
// accepting, cancel what is in flight and exit 0.
#include "cli/commands.h"
#include "cli/engine_options.h"
#include "engine/backend_select.h"
#include "engine/engine_loop.h"
#include "engine/tokenizer_text.h"
#include "model/model.h"
#include "server/http_server.h"
#include "tokenizer/chat_template.h"
#include "tokenizer/tokenizer.h"
#include "util/error.h"
#include "util/log.h"

#include <csignal>
#include <pthread.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <map>
#include <memory>

namespace rocmforge::cli {
namespace {

// The weight type holding the most bytes (e.g. Q8_0 for a Q8_0 file with F32 norms).
std::string dominant_weight_type(const gguf::GgufFile& file) {
    std::map<std::string, uint64_t> bytes;
    for (const auto& t : file.tensors())
        if (t.ne.size() >= 2) bytes[std::string(gguf::ggml_type_name(t.type))] += t.n_bytes;
    std::string best;
    uint64_t most = 0;
    for (const auto& [type, n] : bytes)
        if (n > most) best = type, most = n;
    return best;
}

}  // namespace

void add_serve_command(CLI::App& app) {
    struct Options {
        std::string model_path, model_alias, api_key;
        std::string host = "127.0.0.1";
        int port = 8080;
        int64_t parallel = 8;
        int64_t n_ctx = 0;
        int64_t kv_size = 0;
        int64_t batch_tokens = 2048;
        int64_t max_body = 1 << 20;
        int64_t max_queue = 256;
        std::string kv_type = "auto";
        std::string device = "auto";
        int threads = 0;
    };
    auto o = std::make_shared<Options>();
    auto* cmd = app.add_subcommand("serve", "HTTP server: OpenAI-compatible and native API (docs/http-api.md)");
    cmd->add_option("-m,--model", o->model_path, "GGUF model file")->required();
    cmd->add_option("--host", o->host, "Address to listen on")->capture_default_str();
    cmd->add_option("--port", o->port, "Port to listen on (0: any free port, printed at start)")->capture_default_str();
    cmd->add_option("--api-key", o->api_key, "Require 'Authorization: Bearer KEY' on every route but /health");
    cmd->add_option("--parallel", o->parallel, "Requests generated together")->capture_default_str();
    cmd->add_option("-c,--ctx-size", o->n_ctx, "Context per request (default: the model's, capped by memory)");
    cmd->add_option("--kv-size", o->kv_size,
                    "KV pool size in positions (default: parallel x context, capped by memory)");
    cmd->add_option("--max-body", o->max_body, "Largest request body in bytes (413 above)")->capture_default_str();
    cmd->add_option("--max-queue", o->max_queue, "Requests waiting for a slot before new ones get 429")
        ->capture_default_str();
    cmd->add_option("--model-alias", o->model_alias, "Model name in the API (default: the file name)");
    cmd->add_option("-t,--threads", o->threads, "Threads (default: all cores)");
    add_engine_options(*cmd, o->batch_tokens, o->kv_type);
    add_device_option(*cmd, o->device);
    cmd->callback([o] {
        if (o->parallel < 1) throw_error("--parallel", "must be >= 1, got {}", o->parallel);
        if (o->max_body < 1) throw_error("--max-body", "must be >= 1, got {}", o->max_body);
        if (o->max_queue < 0) throw_error("--max-queue", "must be >= 0, got {}", o->max_queue);
        // Signals go to the thread that waits for them below, never to a worker.
        sigset_t stop_signals;
        sigemptyset(&stop_signals);
        sigaddset(&stop_signals, SIGINT);
        sigaddset(&stop_signals, SIGTERM);
        pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);
        std::signal(SIGPIPE, SIG_IGN);

        server::HttpOptions ho;
        ho.host = o->host;
        ho.port = o->port;
        ho.api_key = o->api_key;
        ho.max_body = static_cast<size_t>(o->max_body);
        ho.threads = static_cast<int>(std::min<int64_t>(1024, 2 * o->parallel + o->max_queue / 4 + 16));
        server::HttpServer http(ho);
        const int port = http.bind();
        http.start();
        std::fprintf(stderr, "rocmforge serve: listening on http://%s:%d (loading %s)\n", o->host.c_str(), port,
                     o->model_path.c_str());

        auto loaded = engine::load_model(o->model_path, engine::parse_device(o->device), o->threads);
        auto& backend = loaded.backend;
        auto& model = loaded.model;
        auto tokenizer = tokenizer::Tokenizer::from_gguf(model->file());
        engine::TokenizerText text(*tokenizer);
        engine::EngineOptions eo;
        eo.runner.n_ctx = o->n_ctx;
        eo.runner.kv_size = o->kv_size;
        eo.runner.max_sequences = o->parallel;
        eo.runner.batch_tokens = o->batch_tokens;
        eo.runner.kv_type = parse_kv_type(o->kv_type, backend->device());
        eo.max_queue = o->max_queue;
        engine::EngineLoop engine(*model, text, eo);

        const auto& file = model->file();
        server::ServingContext ctx{engine, *tokenizer};
        ctx.chat_template = tokenizer::chat_template_of(file);
        ctx.bos_text = tokenizer::special_token_text(file, "tokenizer.ggml.bos_token_id");
        ctx.eos_text = tokenizer::special_token_text(file, "tokenizer.ggml.eos_token_id");
        auto& m = ctx.model;
        m.alias = o->model_alias.empty() ? std::filesystem::path(o->model_path).filename().string() : o->model_alias;
        m.path = o->model_path;
        m.architecture = model->hparams().arch;
        m.parameters = file.parameter_count();
        m.weight_type = dominant_weight_type(file);
        m.n_vocab = model->hparams().n_vocab;
        m.device = backend->description();
        m.created = std::chrono::duration_cast<std::chrono::seconds>(
                        std::chrono::system_clock::now().time_since_epoch()).count();
        http.attach(ctx);
        std::fprintf(stderr,
                     "rocmforge serve: ready: %s, context %lld, KV pool %lld positions, parallel %lld, %s\n",
                     m.alias.c_str(), static_cast<long long>(engine.max_positions()),
                     static_cast<long long>(engine.kv_size()), static_cast<long long>(o->parallel), m.device.c_str());

        int signal_number = 0;
        sigwait(&stop_signals, &signal_number);
        std::fprintf(stderr, "rocmforge serve: %s: cancelling %lld running and %lld waiting requests, stopping\n",
                     signal_number == SIGINT ? "SIGINT" : "SIGTERM", static_cast<long long>(engine.metrics().running),
                     static_cast<long long>(engine.metrics().waiting));
        engine.shutdown();  // every stream gets its final event
        http.stop();        // stops accepting and joins the HTTP workers
    });
}

}  // namespace rocmforge::cli
