// `rocmforge bench-serve -m MODEL --prompts FILE [--host H] [--port P] [--api-key K]
// [--prompt-tokens 250] [-n 128] [--concurrency 1,8,32,64] [--requests R] [--json]`: drives a
// running `rocmforge serve` with N concurrent streaming requests per level (server/load_generator.h)
// and prints output tokens/s, TTFT and inter-token latency p50/p99 per level. The model file
// gives only the tokenizer: prompts are --prompt-tokens token ids cut from FILE, each starting
// with a request number so that no two share a prefix-cache block.
#include "cli/commands.h"
#include "gguf/gguf_file.h"
#include "server/load_generator.h"
#include "tokenizer/tokenizer.h"
#include "util/error.h"

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <cstdio>
#include <fstream>
#include <memory>
#include <sstream>

namespace rocmforge::cli {
namespace {

// Prompt `index`: BOS (when the model adds one), "Request <index>. ", then text tokens from a
// window of the file that moves with the index; n_tokens in all.
std::vector<int32_t> make_prompt(const tokenizer::Tokenizer& tok, const std::vector<int32_t>& text, int64_t index,
                                 int64_t n_tokens) {
    std::vector<int32_t> p;
    if (tok.adds_bos() && tok.bos_id()) p.push_back(*tok.bos_id());
    const auto tag = tok.encode(fmt::format("Request {}. ", index), false, false);
    p.insert(p.end(), tag.begin(), tag.end());
    const auto need = static_cast<size_t>(std::max<int64_t>(0, n_tokens - static_cast<int64_t>(p.size())));
    const size_t start = (static_cast<size_t>(index) * need) % text.size();
    for (size_t i = 0; i < need; ++i) p.push_back(text[(start + i) % text.size()]);
    p.resize(static_cast<size_t>(n_tokens));
    return p;
}

}  // namespace

void add_bench_serve_command(CLI::App& app) {
    struct Options {
        std::string model_path, prompts_path;
        server::LoadOptions load;
        int64_t prompt_tokens = 250;
        std::vector<int64_t> concurrency = {1, 8, 32, 64};
        int64_t requests = 0;
        bool json = false;
    };
    auto o = std::make_shared<Options>();
    auto* cmd = app.add_subcommand("bench-serve", "Load-test a running `rocmforge serve` (streaming completions)");
    cmd->add_option("-m,--model", o->model_path, "GGUF model file the server runs (for its tokenizer)")->required();
    cmd->add_option("--prompts", o->prompts_path, "Text file prompts are cut from (e.g. wp-val.txt)")->required();
    cmd->add_option("--host", o->load.host, "Server address")->capture_default_str();
    cmd->add_option("--port", o->load.port, "Server port")->capture_default_str();
    cmd->add_option("--api-key", o->load.api_key, "API key of the server");
    cmd->add_option("--prompt-tokens", o->prompt_tokens, "Tokens per prompt")->capture_default_str();
    cmd->add_option("-n,--max-tokens", o->load.max_tokens, "Output tokens per request (end of generation ignored)")
        ->capture_default_str();
    cmd->add_option("--concurrency", o->concurrency, "Concurrent requests per level")->delimiter(',')
        ->capture_default_str();
    cmd->add_option("--temperature", o->load.temperature,
                    "Sampling temperature of the requests (0: greedy; > 0: the server's other sampling defaults, "
                    "seed = request index)")
        ->capture_default_str()
        ->check(CLI::NonNegativeNumber);
    cmd->add_option("--requests", o->requests, "Requests per level (default: max(4, 2 x concurrency))");
    cmd->add_flag("--json", o->json, "Print one JSON object instead of a table");
    cmd->callback([o] {
        if (o->prompt_tokens < 1) throw_error("--prompt-tokens", "must be >= 1, got {}", o->prompt_tokens);
        const auto file = gguf::GgufFile::open(o->model_path);
        const auto tok = tokenizer::Tokenizer::from_gguf(file);
        std::ifstream in(o->prompts_path, std::ios::binary);
        if (!in) throw_error("--prompts", "cannot read {}", o->prompts_path);
        std::stringstream ss;
        ss << in.rdbuf();
        const auto text = tok->encode(ss.str(), false, false);
        if (text.empty()) throw_error("--prompts", "{} has no text", o->prompts_path);

        nlohmann::ordered_json levels = nlohmann::ordered_json::array();
        if (!o->json)
            std::printf("| concurrency | requests | errors | prompt tok | output tok/s | TTFT p50 | TTFT p99 "
                        "| ITL p50 | ITL p99 | latency p50 |\n|---|---|---|---|---|---|---|---|---|---|\n");
        int64_t index = 0;
        for (const int64_t n : o->concurrency) {
            auto load = o->load;
            load.concurrency = n;
            load.requests = o->requests > 0 ? o->requests : std::max<int64_t>(4, 2 * n);
            load.prompts.clear();
            for (int64_t i = 0; i < load.requests; ++i)
                load.prompts.push_back(make_prompt(*tok, text, index++, o->prompt_tokens));
            const auto r = server::run_load(load);
            const int64_t n_ok = r.requests - r.errors;
            const double mean_prompt = n_ok > 0 ? static_cast<double>(r.prompt_tokens) / static_cast<double>(n_ok) : 0.0;
            if (o->json) {
                levels.push_back({{"concurrency", r.concurrency}, {"requests", r.requests}, {"errors", r.errors},
                                  {"first_error", r.first_error}, {"prompt_tokens_mean", mean_prompt},
                                  {"output_tokens", r.output_tokens}, {"wall_s", r.wall_s},
                                  {"output_tok_s", r.output_tok_s}, {"ttft_p50_s", r.ttft_p50_s},
                                  {"ttft_p99_s", r.ttft_p99_s}, {"itl_p50_s", r.itl_p50_s}, {"itl_p99_s", r.itl_p99_s},
                                  {"latency_p50_s", r.latency_p50_s}});
            } else {
                std::printf("| %lld | %lld | %lld | %.0f | %.1f | %.3f s | %.3f s | %.1f ms | %.1f ms | %.2f s |\n",
                            static_cast<long long>(r.concurrency), static_cast<long long>(r.requests),
                            static_cast<long long>(r.errors), mean_prompt, r.output_tok_s, r.ttft_p50_s, r.ttft_p99_s,
                            r.itl_p50_s * 1e3, r.itl_p99_s * 1e3, r.latency_p50_s);
                if (r.errors > 0) std::printf("first error: %s\n", r.first_error.c_str());
                std::fflush(stdout);
            }
        }
        if (o->json) std::printf("%s\n", nlohmann::ordered_json({{"levels", levels}}).dump().c_str());
    });
}

}  // namespace rocmforge::cli
