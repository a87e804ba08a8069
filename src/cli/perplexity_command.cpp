// `rocmforge perplexity -m MODEL -f TEXT [-c 256] [-b N] [-t T] [--chunks N]`: prints
// "PPL = x +/- y" (method in engine/perplexity.h).
#include "cli/commands.h"
#include "cli/engine_options.h"
#include "engine/backend_select.h"
#include "engine/perplexity.h"
#include "model/model.h"
#include "tokenizer/tokenizer.h"
#include "util/error.h"
#include "util/log.h"

#include <chrono>
#include <cstdio>
#include <fstream>
#include <memory>
#include <sstream>

namespace rocmforge::cli {

void add_perplexity_command(CLI::App& app) {
    struct Options {
        std::string model_path, text_path;
        engine::PerplexityOptions ppl;
        int threads = 0;
        std::string device = "auto";
    };
    auto o = std::make_shared<Options>();
    auto* cmd = app.add_subcommand("perplexity", "Perplexity of a model on a text file");
    cmd->add_option("-m,--model", o->model_path, "GGUF model file")->required();
    cmd->add_option("-f,--file", o->text_path, "Text file")->required();
    cmd->add_option("-c,--ctx-size", o->ppl.n_ctx, "Chunk length in tokens")->capture_default_str();
    cmd->add_option("-b,--batch-size", o->ppl.n_batch, "Tokens per forward pass (default: the chunk length)");
    cmd->add_option("--chunks", o->ppl.max_chunks, "Score at most this many chunks (default: all)");
    cmd->add_option("-t,--threads", o->threads, "Threads (default: all cores)");
    add_device_option(*cmd, o->device);
    cmd->callback([o] {
        std::ifstream in(o->text_path, std::ios::binary);
        if (!in) throw_error(o->text_path, "cannot open text file");
        std::ostringstream text;
        text << in.rdbuf();
        auto loaded = engine::load_model(o->model_path, engine::parse_device(o->device), o->threads);
        auto& backend = loaded.backend;
        auto& model = loaded.model;
        auto tokenizer = tokenizer::Tokenizer::from_gguf(model->file());
        if (!tokenizer->bos_id()) throw_error(o->model_path, "the model has no BOS token, needed for perplexity");
        o->ppl.bos_id = *tokenizer->bos_id();
        const auto tokens = tokenizer->encode(text.str(), /*add_bos=*/true, /*parse_special=*/false);
        log::info("{} tokens, chunks of {}, {}", tokens.size(), o->ppl.n_ctx, backend->description());
        const auto start = std::chrono::steady_clock::now();
        const auto r = engine::compute_perplexity(*model, tokens, o->ppl, [](int64_t chunk, double ppl) {
            log::debug("chunk {}: running PPL {:.4f}", chunk + 1, ppl);
        });
        const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
        log::info("{} chunks, {} scored tokens in {:.2f} s", r.n_chunks, r.n_scored, seconds);
        std::printf("PPL = %.4f +/- %.5f\n", r.ppl, r.ppl_stderr);
    });
}

}  // namespace rocmforge::cli
