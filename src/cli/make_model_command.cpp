// `rocmforge make-model --shape SHAPE --type TYPE [--seed S]
//  [--vocab-from GGUF] -o FILE`: a synthetic random-weight model (model/synthetic_model.h).
#include "cli/commands.h"
#include "model/synthetic_model.h"
#include "util/error.h"
#include "util/log.h"

#include <memory>

namespace rocmforge::cli {

void add_make_model_command(CLI::App& app) {
    struct Options {
        model::SyntheticModelOptions model;
        std::string type_name = "f16";
        std::string output;
        int threads = 0;
    };
    auto o = std::make_shared<Options>();
    auto* cmd = app.add_subcommand("make-model", "Write a synthetic model with random weights (output is gibberish)");
    std::string shapes;
    for (const auto& name : model::synthetic_shape_names()) shapes += (shapes.empty() ? "" : ", ") + name;
    cmd->add_option("--shape", o->model.shape, "One of: " + shapes)->capture_default_str();
    cmd->add_option("--type", o->type_name, "Weight type of the matrices (f32, f16, q8_0, q4_0, q4_K, ...)")
        ->capture_default_str();
    cmd->add_option("--seed", o->model.seed, "Seed of the random weights")->capture_default_str();
    cmd->add_option("--vocab-from", o->model.vocab_from, "Copy the tokenizer from this GGUF (default: built-in byte vocab)");
    cmd->add_option("-o,--output", o->output, "Output GGUF file")->required();
    cmd->add_option("-t,--threads", o->threads, "Threads (default: all cores)");
    cmd->callback([o] {
        const auto type = gguf::ggml_type_from_name(o->type_name);
        if (!type) throw_error("--type", "unknown type '{}'", o->type_name);
        o->model.type = *type;
        ThreadPool pool(resolve_thread_count(o->threads));
        model::write_synthetic_model(o->model, o->output, pool);
        log::info("wrote {} (synthetic {} model, {} weights, seed {})", o->output, o->model.shape, o->type_name,
                  o->model.seed);
    });
}

}  // namespace rocmforge::cli
