// rocmforge inspect MODEL [--json]: what a GGUF file holds, without reading tensor data.
#include "cli/commands.h"
#include "cli/inspect_report.h"
#include "gguf/gguf_file.h"

#include <cstdio>
#include <memory>

namespace rocmforge::cli {

void add_inspect_command(CLI::App& app) {
    struct Options {
        std::string model;
        bool json = false;
    };
    auto options = std::make_shared<Options>();
    CLI::App* cmd = app.add_subcommand("inspect", "Show a GGUF file's metadata, hyper-parameters, tokenizer and tensors");
    cmd->add_option("model", options->model, "GGUF file")->required();
    cmd->add_flag("--json", options->json, "Print one JSON document instead of text");
    cmd->callback([options] {
        const gguf::GgufFile file = gguf::GgufFile::open(options->model);
        const auto report = build_inspect_report(file);
        const std::string text = options->json
                                     ? report.dump(2, ' ', false, nlohmann::ordered_json::error_handler_t::replace) + "\n"
                                     : render_inspect_text(report);
        std::fwrite(text.data(), 1, text.size(), stdout);
    });
}

}  // namespace rocmforge::cli
