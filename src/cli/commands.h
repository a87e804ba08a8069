#pragma once
// Each subcommand registers itself on the root CLI11 app; its callback throws
// rocmforge::Error on bad input (main prints it and exits 1).
#include <CLI/CLI.hpp>

namespace rocmforge::cli {

void add_inspect_command(CLI::App& app);
void add_logits_command(CLI::App& app);
void add_generate_command(CLI::App& app);
void add_perplexity_command(CLI::App& app);
void add_bench_command(CLI::App& app);
void add_make_model_command(CLI::App& app);
void add_chat_command(CLI::App& app);
void add_tokenize_command(CLI::App& app);
void add_detokenize_command(CLI::App& app);
void add_quantize_command(CLI::App& app);
void add_chat_template_command(CLI::App& app);
void add_batch_command(CLI::App& app);
void add_serve_command(CLI::App& app);
void add_devices_command(CLI::App& app);
void add_bench_serve_command(CLI::App& app);

}  // namespace rocmforge::cli
