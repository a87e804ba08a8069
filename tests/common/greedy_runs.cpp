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

std::vector<int32_t> generate_alone(const std::string& model, const std::string& prompt, int n_gen,
                                    const std::string& flags) {
    const auto r = run_or_throw(rocmforge_binary() + " generate -m " + model + " -p " + shell_quoted(prompt) +
                                " --temp 0 -n " + std::to_string(n_gen) + " -t 2 --json " + flags);
    return nlohmann::json::parse(r.output).at("tokens").get<std::vector<int32_t>>();
}

std::vector<std::string> validation_prompts() {
    const std::string text = read_file_bytes(shared_file("models/wp-val.txt"));
    std::vector<std::string> prompts;
    size_t at = 0;
    for (int i = 0; i < 16; ++i) {
        at = text.find(' ', at + 997) + 1;
        const size_t length = 12 + static_cast<size_t>((i * 37) % 16) * 25;
        const size_t end = text.find(' ', at + length);
        std::string p = text.substr(at, end - at);
        for (auto& c : p)
            if (c == '\n' || c == '\r') c = ' ';
        prompts.push_back(p);
    }
    return prompts;
}

std::vector<nlohmann::json> batch_json_lines(const std::string& command) {
    const auto r = run_or_throw(command);
    std::vector<nlohmann::json> lines;
    std::istringstream out(r.output);
    for (std::string line; std::getline(out, line);) lines.push_back(nlohmann::json::parse(line));
    return lines;
}

}  // namespace rocmforge::test
