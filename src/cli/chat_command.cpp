// `rocmforge chat -m MODEL [-c CTX] [-n N] [--system TEXT] [sampler flags]`: interactive chat.
// Each line read from stdin is a user turn; the whole conversation is rendered with the model's
// chat template (tokenizer/chat_template.h); the KV pool's prefix cache supplies the full blocks
// of the conversation computed in earlier turns, and only the tokens after them are run.
// "/exit" or end of input ends the session.
#include "cli/commands.h"
#include "cli/engine_options.h"
#include "cli/sampler_options.h"
#include "engine/tokenizer_text.h"
#include "engine/backend_select.h"
#include "engine/generator.h"
#include "model/model.h"
#include "tokenizer/chat_template.h"
#include "tokenizer/tokenizer.h"
#include "util/error.h"

#include <unistd.h>

#include <cstdio>
#include <iostream>
#include <memory>

namespace rocmforge::cli {
void add_chat_command(CLI::App& app) {
    struct Options {
        std::string model_path, system;
        int64_t max_tokens = 512;
        int64_t n_ctx = 0;
        int64_t batch_tokens = 2048;
        std::string kv_type = "auto";
        int threads = 0;
        std::string device = "auto";
        SamplerOptions sampler;
    };
    auto o = std::make_shared<Options>();
    auto* cmd = app.add_subcommand("chat", "Interactive chat using the model's chat template (/exit to quit)");
    cmd->add_option("-m,--model", o->model_path, "GGUF model file")->required();
    cmd->add_option("--system", o->system, "System message");
    cmd->add_option("-n,--max-tokens", o->max_tokens, "Maximum tokens per reply")->capture_default_str();
    cmd->add_option("-c,--ctx-size", o->n_ctx, "Context length (default: the model's, capped by available memory)");
    cmd->add_option("-t,--threads", o->threads, "Threads (default: all cores)");
    add_device_option(*cmd, o->device);
    add_engine_options(*cmd, o->batch_tokens, o->kv_type);
    add_sampler_options(*cmd, o->sampler);
    cmd->callback([o] {
        engine::GenerationOptions gen;
        gen.max_tokens = o->max_tokens;
        gen.sampler = resolve_sampler_params(o->sampler);
        auto loaded = engine::load_model(o->model_path, engine::parse_device(o->device), o->threads);
        auto& backend = loaded.backend;
        auto& model = loaded.model;
        auto tokenizer = tokenizer::Tokenizer::from_gguf(model->file());
        const std::string template_source = tokenizer::chat_template_of(model->file());
        tokenizer::ChatTemplateInputs inputs;
        inputs.bos_token = tokenizer::special_token_text(model->file(), "tokenizer.ggml.bos_token_id");
        inputs.eos_token = tokenizer::special_token_text(model->file(), "tokenizer.ggml.eos_token_id");
        if (!o->system.empty()) inputs.messages.push_back({{"role", "system"}, {"content", o->system}});
        engine::RunnerOptions ro;
        ro.n_ctx = o->n_ctx;
        ro.batch_tokens = o->batch_tokens;
        ro.kv_type = parse_kv_type(o->kv_type, backend->device());
        engine::ModelRunner runner(*model, ro);
        auto& kv = runner.kv();
        engine::TokenizerText text(*tokenizer);
        int32_t seq = -1;
        const bool interactive = ::isatty(STDIN_FILENO);

        for (std::string line;;) {
            if (interactive) std::fprintf(stderr, "> ");
            if (!std::getline(std::cin, line) || line == "/exit") break;
            if (line.empty()) continue;
            inputs.messages.push_back({{"role", "user"}, {"content", line}});
            inputs.add_generation_prompt = true;
            const std::string rendered = tokenizer::render_chat_template(template_source, inputs);
            const bool has_bos_text = !inputs.bos_token.empty() && rendered.rfind(inputs.bos_token, 0) == 0;
            const auto tokens = tokenizer->encode(rendered, /*add_bos=*/!has_bos_text, /*parse_special=*/true);
            // The previous turn's blocks stay in the prefix cache; the new sequence picks them up.
            if (seq >= 0) kv.free_sequence(seq);
            seq = kv.create_sequence();
            const int64_t reuse = kv.attach_cached_prefix(seq, tokens);
            const std::span<const int32_t> suffix = std::span(tokens).subspan(static_cast<size_t>(reuse));
            const auto result = engine::generate(runner, seq, suffix, gen, text, [](const std::string& s) {
                std::fwrite(s.data(), 1, s.size(), stdout);
                std::fflush(stdout);
            });
            std::printf("\n");
            std::fflush(stdout);
            inputs.messages.push_back({{"role", "assistant"}, {"content", result.text}});
            if (result.finish_reason == "context") {
                std::fprintf(stderr, "context full (%lld tokens): raise -c to continue\n",
                             static_cast<long long>(runner.n_ctx()));
                break;
            }
        }
    });
}

}  // namespace rocmforge::cli
