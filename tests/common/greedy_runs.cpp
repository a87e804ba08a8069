#include "common/greedy_runs.h"

#include "common/test_paths.h"

#include <sstream>
#include <stdexcept>

namespace rocmforge::test {
namespace {

CommandResult run_or_throw(const std::string& command) {
    auto r = run_command(command);
    if (r.exit_code != 0)
        throw std::runtime_error(command + " exited with " + std::to_string(r.exit_code) + ":\n" + r.output);
    return r;
}

}  // namespace

std::vector<int32_t> generate_alone(const std::string& model, const std::string& prompt, int n_gen) {
    const auto r = run_or_throw(rocmforge_binary() + " generate -m " + model + " -p " + shell_quoted(prompt) +
                                " --temp 0 -n " + std::to_string(n_gen) + " -t 2 --json");
    return nlohmann::json::parse(r.output).at("tokens").get<std::vector<int32_t>>();
}

std::vector<nlohmann::json> batch_json_lines(const std::string& command) {
    const auto r = run_or_throw(command);
    std::vector<nlohmann::json> lines;
    std::istringstream out(r.output);
    for (std::string line; std::getline(out, line);) lines.push_back(nlohmann::json::parse(line));
    return lines;
}

}  // namespace rocmforge::test
