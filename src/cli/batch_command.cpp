// `rocmforge batch -m MODEL -f PROMPTS [-n N] [--temp T] [--seed S] [--parallel P]
// [--batch-tokens T] [--json]`: offline generation for many prompts, up to P sequences per forward
// step. Prints one line per prompt in input order (its text, or with --json one object
// {"index", "prompt_tokens", "tokens", "text", "finish_reason"}), then a summary on stderr.
#include "cli/commands.h"
#include "cli/engine_options.h"
#include "cli/sampler_options.h"
#include "engine/tokenizer_text.h"
#include "engine/backend_select.h"
#include "engine/batch_generator.h"
#include "engine/batch_prompts.h"
#include "model/model.h"
#include "tokenizer/tokenizer.h"
#include "util/error.h"
#include "util/log.h"

#include <nlohmann/json.hpp>

#include <cstdio>
#include <memory>

namespace rocmforge::cli {

void add_batch_command(CLI::App& app) {
    struct Options {
        std::string model_path, prompts_path;
        int64_t max_tokens = 128;
        int64_t n_ctx = 0;
        int64_t parallel = 16;
        int64_t kv_size = 0;
        int64_t batch_tokens = 2048;
        std::string kv_type = "auto";
        int threads = 0;
        std::string device = "auto";
        bool json = false;
        SamplerOptions sampler;
    };
    auto o = std::make_shared<Options>();
    auto* cmd = app.add_subcommand("batch", "Generate for every prompt of a file, many sequences per forward step");
    cmd->add_option("-m,--model", o->model_path, "GGUF model file")->required();
    cmd->add_option("-f,--file", o->prompts_path,
                    "Prompts: one per line, or a .jsonl file of "
                    "{\"prompt\", \"max_tokens\", \"temperature\", \"seed\"}")
        ->required();
    cmd->add_option("-n,--max-tokens", o->max_tokens, "Maximum tokens per prompt (a .jsonl line may override)")
        ->capture_default_str();
    cmd->add_option("--parallel", o->parallel, "Sequences generated together")->capture_default_str();
    cmd->add_option("-c,--ctx-size", o->n_ctx, "Context per sequence (default: the model's, capped by memory)");
    cmd->add_option("--kv-size", o->kv_size,
                    "KV pool size in positions (default: parallel x context, capped by memory)");
    cmd->add_option("-t,--threads", o->threads, "Threads (default: all cores)");
    add_device_option(*cmd, o->device);
    cmd->add_flag("--json", o->json, "One JSON object per prompt instead of its text");
    add_engine_options(*cmd, o->batch_tokens, o->kv_type);
    add_sampler_options(*cmd, o->sampler);
    cmd->callback([o] {
        if (o->max_tokens < 0) throw_error("-n", "max tokens must be >= 0, got {}", o->max_tokens);
        if (o->parallel < 1) throw_error("--parallel", "must be >= 1, got {}", o->parallel);
        const auto prompts = engine::read_batch_prompts(o->prompts_path);
        const auto sampler = resolve_sampler_params(o->sampler);

        auto loaded = engine::load_model(o->model_path, engine::parse_device(o->device), o->threads);
        auto& backend = loaded.backend;
        auto& model = loaded.model;
        auto tokenizer = tokenizer::Tokenizer::from_gguf(model->file());
        std::vector<engine::BatchRequest> requests(prompts.size());
        for (size_t i = 0; i < prompts.size(); ++i) {
            auto& r = requests[i];
            r.prompt = tokenizer->encode(prompts[i].prompt, true, false);
            r.options.max_tokens = prompts[i].max_tokens.value_or(o->max_tokens);
            r.options.sampler = sampler;
            if (prompts[i].temperature) r.options.sampler.temperature = *prompts[i].temperature;
            if (prompts[i].seed) r.options.sampler.seed = *prompts[i].seed;
        }
        engine::RunnerOptions ro;
        ro.n_ctx = o->n_ctx;
        ro.kv_size = o->kv_size;
        ro.max_sequences = o->parallel;
        ro.batch_tokens = o->batch_tokens;
        ro.kv_type = parse_kv_type(o->kv_type, backend->device());
        engine::ModelRunner runner(*model, ro);
        log::debug("{} prompts, parallel {}, context {}, KV pool {} positions, {}", prompts.size(), o->parallel,
                   runner.n_ctx(), runner.kv_size(), backend->description());

        engine::TokenizerText text(*tokenizer);
        const auto stats = engine::run_batch(runner, requests, o->parallel, text, [&](size_t i, const auto& r) {
            if (!r.error.empty()) log::error("{}: {}", o->prompts_path, r.error);
            if (o->json) {
                nlohmann::ordered_json j;
                j["index"] = i;
                j["prompt_tokens"] = requests[i].prompt.size();
                j["tokens"] = r.tokens;
                j["text"] = r.text;
                j["finish_reason"] = r.finish_reason;
                if (!r.error.empty()) j["error"] = r.error;
                std::printf("%s\n", j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace).c_str());
            } else {
                std::string line = r.text;
                for (auto& c : line)
                    if (c == '\n') c = ' ';
                std::printf("%s\n", line.c_str());
            }
            std::fflush(stdout);
        });
        std::fprintf(stderr,
                     "batch: %zu prompts, %lld prompt + %lld generated tokens in %.2f s: %.1f tok/s generated, "
                     "%.1f tok/s run through the model (%lld tokens, %lld steps)\n",
                     prompts.size(), static_cast<long long>(stats.prompt_tokens),
                     static_cast<long long>(stats.generated_tokens), stats.seconds,
                     static_cast<double>(stats.generated_tokens) / stats.seconds,
                     static_cast<double>(stats.computed_tokens) / stats.seconds,
                     static_cast<long long>(stats.computed_tokens), static_cast<long long>(stats.steps));
        if (stats.failed > 0) throw_error("batch", "{} of {} prompts failed (see above)", stats.failed, prompts.size());
    });
}

}  // namespace rocmforge::cli
