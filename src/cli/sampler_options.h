#pragma once
// The sampler flags shared by generate and chat.
#include "sample/sampler.h"

#include <CLI/CLI.hpp>

#include <optional>

namespace rocmforge::cli {

struct SamplerOptions {
    sample::SamplerParams params;
    std::optional<uint64_t> seed;  // absent: a random seed (reported with --json and -v)
};

void add_sampler_options(CLI::App& cmd, SamplerOptions& options);
// Validates and fills params.seed. Throws rocmforge::Error naming the bad flag.
sample::SamplerParams resolve_sampler_params(const SamplerOptions& options);

}  // namespace rocmforge::cli
