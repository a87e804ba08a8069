// `rocmforge generate -m MODEL -p TEXT [-n N] [sampler flags] [-c CTX] [-t THREADS] [--json]`:
// streams the continuation of TEXT to stdout, or prints one JSON object with --json.
#include "cli/commands.h"
#include "cli/engine_options.h"
#include "cli/sampler_options.h"
#include "cli/token_list.h"
#include "engine/tokenizer_text.h"
#include "engine/backend_select.h"
#include "engine/generator.h"
#include "model/model.h"
#include "tokenizer/tokenizer.h"
#include "util/error.h"
#include "util/log.h"

#include <nlohmann/json.hpp>

#include <cstdio>
#include <memory>

namespace rocmforge::cli {

void add_generate_command(CLI::App& app) {
    struct Options {
        std::string model_path, prompt, prompt_tokens;
        int64_t max_tokens = 128;
        int64_t n_ctx = 0;
        int64_t batch_tokens = 2048;
        std::string kv_type = "auto";
        int threads = 0;
        std::string device = "auto";
        bool json = false;
        std::vector<std::string> stop;
        SamplerOptions sampler;
    };
    auto o = std::make_shared<Options>();
    auto* cmd = app.add_subcommand("generate", "Generate text from a prompt");
    cmd->add_option("-m,--model", o->model_path, "GGUF model file")->required();
    auto* prompt = cmd->add_option("-p,--prompt", o->prompt, "Prompt text (BOS added when the model asks for it)");
    auto* ids = cmd->add_option("--prompt-tokens", o->prompt_tokens, "Prompt as token ids instead of text (no BOS added)");
    prompt->excludes(ids);
    cmd->add_option("-n,--max-tokens", o->max_tokens, "Maximum tokens to generate")->capture_default_str();
    cmd->add_option("-c,--ctx-size", o->n_ctx, "Context length (default: the model's, capped by available memory)");
    cmd->add_option("-t,--threads", o->threads, "Threads (default: all cores)");
    add_device_option(*cmd, o->device);
    add_engine_options(*cmd, o->batch_tokens, o->kv_type);
    cmd->add_option("--stop", o->stop, "Stop string (repeatable); not included in the output");
    cmd->add_flag("--json", o->json, "Print one JSON object instead of streaming text");
    add_sampler_options(*cmd, o->sampler);
    cmd->callback([o, prompt, ids] {
        if (prompt->count() == 0 && ids->count() == 0) throw_error("generate", "give a prompt with -p TEXT");
        if (o->max_tokens < 0) throw_error("-n", "max tokens must be >= 0, got {}", o->max_tokens);
        engine::GenerationOptions gen;
        gen.max_tokens = o->max_tokens;
        gen.sampler = resolve_sampler_params(o->sampler);
        gen.stop_strings = o->stop;

        auto loaded = engine::load_model(o->model_path, engine::parse_device(o->device), o->threads);
        auto& backend = loaded.backend;
        auto& model = loaded.model;
        auto tokenizer = tokenizer::Tokenizer::from_gguf(model->file());
        const std::vector<int32_t> prompt_tokens = ids->count() > 0 ? parse_token_list(o->prompt_tokens)
                                                                    : tokenizer->encode(o->prompt, true, false);
        engine::RunnerOptions ro;
        ro.n_ctx = o->n_ctx;
        ro.batch_tokens = o->batch_tokens;
        ro.kv_type = parse_kv_type(o->kv_type, backend->device());
        engine::ModelRunner runner(*model, ro);
        engine::TokenizerText text(*tokenizer);
        log::debug("seed {}, context {}, {}", gen.sampler.seed, runner.n_ctx(), backend->description());

        std::function<void(const std::string&)> on_text;
        if (!o->json) {
            on_text = [](const std::string& s) {
                std::fwrite(s.data(), 1, s.size(), stdout);
                std::fflush(stdout);
            };
        }
        const int32_t seq = runner.kv().create_sequence();
        const auto result = engine::generate(runner, seq, prompt_tokens, gen, text, on_text);
        const auto& t = result.timings;
        if (o->json) {
            nlohmann::ordered_json j;
            j["prompt_tokens"] = prompt_tokens;
            j["tokens"] = result.tokens;
            j["text"] = result.text;
            j["finish_reason"] = result.finish_reason;
            j["seed"] = gen.sampler.seed;
            j["timings"] = {{"prompt_n", t.n_prompt},          {"prompt_ms", t.prompt_ms},
                            {"prompt_tok_s", t.prompt_tok_s()}, {"predicted_n", t.n_generated},
                            {"predicted_ms", t.generation_ms}, {"predicted_tok_s", t.generation_tok_s()}};
            std::printf("%s\n", j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace).c_str());
        } else {
            std::printf("\n");
            std::fflush(stdout);
            log::info("prompt {} tokens in {:.1f} ms ({:.1f} tok/s), generated {} tokens in {:.1f} ms ({:.1f} tok/s)",
                      t.n_prompt, t.prompt_ms, t.prompt_tok_s(), t.n_generated, t.generation_ms,
                      t.generation_tok_s());
        }
    });
}

}  // namespace rocmforge::cli
