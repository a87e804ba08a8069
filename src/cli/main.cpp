// rocmforge: the command-line entry point. Exit codes: 0 success, 1 runtime error
// (bad file, bad value), 2 usage error (unknown flag, missing argument).
#include "cli/commands.h"
#include "util/error.h"
#include "util/log.h"

#include <CLI/CLI.hpp>

#include <cstdio>
#include <exception>
#include <string>

int main(int argc, char** argv) {
    rocmforge::init_logging();
    CLI::App app{"ROCmForge: LLM inference engine for GGUF models (CPU, CUDA, HIP)", "rocmforge"};
    app.set_version_flag("--version", std::string("rocmforge ") + ROCMFORGE_VERSION);
    app.require_subcommand(1);
    app.fallthrough();

    app.add_flag_callback("-v,--verbose", [] { rocmforge::set_log_level("debug"); },
                          "Verbose logging (same as --log-level debug)")
        ->trigger_on_parse();
    app.add_option_function<std::string>("--log-level", [](const std::string& level) { rocmforge::set_log_level(level); },
                                         "Log level: trace, debug, info, warn, error, off")
        ->check(CLI::IsMember({"trace", "debug", "info", "warn", "error", "off"}))
        ->trigger_on_parse();

    rocmforge::cli::add_inspect_command(app);
    rocmforge::cli::add_logits_command(app);
    rocmforge::cli::add_generate_command(app);
    rocmforge::cli::add_perplexity_command(app);
    rocmforge::cli::add_bench_command(app);
    rocmforge::cli::add_devices_command(app);
    rocmforge::cli::add_make_model_command(app);
    rocmforge::cli::add_chat_command(app);
    rocmforge::cli::add_batch_command(app);
    rocmforge::cli::add_serve_command(app);
    rocmforge::cli::add_bench_serve_command(app);
    rocmforge::cli::add_tokenize_command(app);
    rocmforge::cli::add_detokenize_command(app);
    rocmforge::cli::add_quantize_command(app);
    rocmforge::cli::add_chat_template_command(app);

    try {
        app.parse(argc, argv);
    } catch (const CLI::CallForHelp& e) {
        return app.exit(e);
    } catch (const CLI::CallForAllHelp& e) {
        return app.exit(e);
    } catch (const CLI::CallForVersion& e) {
        return app.exit(e);
    } catch (const CLI::ParseError& e) {
        app.exit(e);
        return 2;
    } catch (const rocmforge::Error& e) {
        std::fprintf(stderr, "error: %s\n", e.what());
        return 1;
    } catch (const std::exception& e) {
        std::fprintf(stderr, "error: %s\n", e.what());
        return 1;
    }
    return 0;
}
