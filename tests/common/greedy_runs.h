#pragma once
// The binary's greedy runs that batch-invariance tests compare: `generate` alone and `batch --json`.
#include <nlohmann/json.hpp>

#include <cstdint>
#include <string>
#include <vector>

namespace rocmforge::test {

// Token ids of `rocmforge generate -m model -p prompt --temp 0 -n n_gen -t 2 --json` plus `flags`
// (e.g. "--device gpu"). Throws std::runtime_error with the command and its output when it exits
// non-zero.
std::vector<int32_t> generate_alone(const std::string& model, const std::string& prompt, int n_gen,
                                    const std::string& flags = "");

// 16 prompts from ../shared/models/wp-val.txt of different lengths (about 3 to 90 tokens), cut at
// spaces, no newlines.
std::vector<std::string> validation_prompts();

// The output lines of `command` (a `rocmforge batch ... --json` command line), each parsed, in
// order. Throws std::runtime_error with the command and its output when it exits non-zero.
std::vector<nlohmann::json> batch_json_lines(const std::string& command);

}  // namespace rocmforge::test
