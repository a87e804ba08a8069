#include "cli/sampler_options.h"

#include <random>

namespace rocmforge::cli {

void add_sampler_options(CLI::App& cmd, SamplerOptions& o) {
    auto& p = o.params;
    cmd.add_option("--temp", p.temperature, "Temperature; 0 = greedy")->capture_default_str();
    cmd.add_option("--top-k", p.top_k, "Keep the k most likely tokens; <= 0 disables")->capture_default_str();
    cmd.add_option("--top-p", p.top_p, "Nucleus sampling mass in (0, 1]; 1 disables")->capture_default_str();
    cmd.add_option("--min-p", p.min_p, "Drop tokens below min-p times the top probability")->capture_default_str();
    cmd.add_option("--repeat-penalty", p.repeat_penalty, "Repetition penalty; 1 disables")->capture_default_str();
    cmd.add_option("--presence-penalty", p.presence_penalty, "Presence penalty; 0 disables")->capture_default_str();
    cmd.add_option("--frequency-penalty", p.frequency_penalty, "Frequency penalty; 0 disables")->capture_default_str();
    cmd.add_option("--repeat-last-n", p.penalty_last_n, "Penalty window in tokens; 0 disables")->capture_default_str();
    cmd.add_option("--seed", o.seed, "RNG seed (default: random)");
}

sample::SamplerParams resolve_sampler_params(const SamplerOptions& o) {
    sample::SamplerParams params = o.params;
    params.seed = o.seed ? *o.seed : std::random_device{}();
    sample::validate(params);
    return params;
}

}  // namespace rocmforge::cli
