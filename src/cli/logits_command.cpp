// `rocmforge logits -m MODEL --tokens "1 403 407" -o OUT.f32`: float32 logits for every position
// of the given token ids (no BOS added), rows of n_vocab, little-endian.
#include "cli/commands.h"
#include "cli/engine_options.h"
#include "cli/token_list.h"
#include "engine/backend_select.h"
#include "engine/model_runner.h"
#include "model/model.h"
#include "util/error.h"

#include <cstdio>
#include <memory>
#include <string>
#include <vector>

namespace rocmforge::cli {

void add_logits_command(CLI::App& app) {
    struct Options {
        std::string model_path, tokens_text, output_path;
        int threads = 0;
        std::string device = "auto";
    };
    auto opts = std::make_shared<Options>();
    auto* cmd = app.add_subcommand("logits", "Write float32 logits for every position of a token list");
    cmd->add_option("-m,--model", opts->model_path, "GGUF model file")->required();
    cmd->add_option("--tokens", opts->tokens_text, "Token ids separated by spaces or commas (no BOS added)")->required();
    cmd->add_option("-o,--output", opts->output_path, "Output file: n_tokens rows of n_vocab float32")->required();
    cmd->add_option("-t,--threads", opts->threads, "Threads (default: all cores)");
    add_device_option(*cmd, opts->device);
    cmd->callback([opts] {
        const auto tokens = parse_token_list(opts->tokens_text);
        auto loaded = engine::load_model(opts->model_path, engine::parse_device(opts->device), opts->threads);
        auto& model = loaded.model;
        const auto n = static_cast<int64_t>(tokens.size());
        engine::RunnerOptions ro;
        ro.n_ctx = n;
        ro.batch_tokens = n;
        ro.max_logit_rows = n;
        engine::ModelRunner runner(*model, ro);
        std::vector<float> logits;
        runner.eval(runner.kv().create_sequence(), tokens, backend::RowClass::Prefill, n, logits);
        std::FILE* out = std::fopen(opts->output_path.c_str(), "wb");
        if (out == nullptr) throw_error(opts->output_path, "cannot open output file for writing");
        const size_t written = std::fwrite(logits.data(), sizeof(float), logits.size(), out);
        if (std::fclose(out) != 0 || written != logits.size())
            throw_error(opts->output_path, "failed to write {} floats", logits.size());
    });
}

}  // namespace rocmforge::cli
