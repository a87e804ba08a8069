// rocmforge quantize IN.gguf OUT.gguf TYPE [--allow-requantize] [--threads N]
#include "cli/commands.h"
#include "gguf/ggml_type.h"
#include "model/model_quantizer.h"
#include "util/error.h"
#include "util/timer.h"

#include <fmt/format.h>

#include <cstdio>
#include <memory>

namespace rocmforge::cli {

void add_quantize_command(CLI::App& app) {
    struct Options {
        std::string input, output, type;
        bool allow_requantize = false;
        bool pure = false;
        int threads = 0;
    };
    auto options = std::make_shared<Options>();
    std::string types;
    for (const auto& name : model::quantize_target_names()) types += (types.empty() ? "" : ", ") + name;
    CLI::App* cmd = app.add_subcommand("quantize", "Convert a GGUF model's weights to another block type");
    cmd->add_option("input", options->input, "Input GGUF file")->required();
    cmd->add_option("output", options->output, "Output GGUF file")->required();
    cmd->add_option("type", options->type, "Target type or mix: " + types)->required();
    cmd->add_flag("--allow-requantize", options->allow_requantize, "Accept input tensors that are already quantized");
    cmd->add_flag("--pure", options->pure,
                  "Every 2-D weight in TYPE's base type: no per-tensor mix, output projection not kept at q6_K");
    cmd->add_option("--threads", options->threads, "Worker threads (default: all cores)")->check(CLI::Range(1, 1024));
    cmd->callback([options] {
        auto target = model::parse_quantize_target(options->type);
        if (!target) throw_error("quantize", "unknown TYPE '{}' (see rocmforge quantize --help)", options->type);
        target->pure = options->pure;
        if (options->input == options->output) throw_error("quantize", "output path must differ from the input path");
        Timer timer;
        const auto summary = model::quantize_model(options->input, options->output, *target,
                                                   {options->allow_requantize, options->threads, true});
        size_t converted = 0;
        for (const auto& p : summary.plan) converted += p.from != p.to;
        std::printf("%s: %zu of %zu tensors converted to %s; tensor data %.2f MiB -> %.2f MiB in %.1f s\n",
                    options->output.c_str(), converted, summary.plan.size(), target->name.c_str(),
                    summary.input_bytes / 1048576.0, summary.output_bytes / 1048576.0, timer.seconds());
    });
}

}  // namespace rocmforge::cli
