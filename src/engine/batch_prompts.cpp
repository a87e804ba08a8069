#include "engine/batch_prompts.h"

#include "util/error.h"

#include <nlohmann/json.hpp>

#include <fstream>
#include <limits>
#include <sstream>

namespace rocmforge::engine {
namespace {

BatchPrompt parse_json_line(const std::string& where, const std::string& line) {
    nlohmann::json j;
    try {
        j = nlohmann::json::parse(line);
    } catch (const nlohmann::json::parse_error& e) {
        throw_error(where, "invalid JSON: {}", e.what());
    }
    if (!j.is_object()) throw_error(where, "expected a JSON object, got {}", j.type_name());
    BatchPrompt p;
    bool has_prompt = false;
    for (const auto& [key, value] : j.items()) {
        const std::string field = where + ": field '" + key + "'";
        if (key == "prompt") {
            if (!value.is_string()) throw_error(field, "must be a string, got {}", value.type_name());
            p.prompt = value.get<std::string>();
            if (p.prompt.empty()) throw_error(field, "must not be empty");
            has_prompt = true;
        } else if (key == "max_tokens") {
            if (!value.is_number_integer()) throw_error(field, "must be an integer, got {}", value.dump());
            if (value.is_number_unsigned() ? value.get<uint64_t>() > static_cast<uint64_t>(INT64_MAX)
                                           : value.get<int64_t>() < 0)
                throw_error(field, "must be >= 0, got {}", value.dump());
            p.max_tokens = value.get<int64_t>();
        } else if (key == "temperature") {
            if (!value.is_number()) throw_error(field, "must be a number, got {}", value.dump());
            const double t = value.get<double>();
            if (!(t >= 0.0) || t > std::numeric_limits<float>::max())
                throw_error(field, "must be a finite number >= 0, got {}", value.dump());
            p.temperature = static_cast<float>(t);
        } else if (key == "seed") {
            if (!value.is_number_unsigned()) throw_error(field, "must be an integer >= 0, got {}", value.dump());
            p.seed = value.get<uint64_t>();
        } else {
            throw_error(where, "unknown field '{}' (known: prompt, max_tokens, temperature, seed)", key);
        }
    }
    if (!has_prompt) throw_error(where, "missing field 'prompt'");
    return p;
}

}  // namespace

std::vector<BatchPrompt> parse_batch_prompts(const std::string& name, const std::string& contents, bool jsonl) {
    std::vector<BatchPrompt> prompts;
    std::istringstream in(contents);
    int64_t line_number = 0;
    for (std::string line; std::getline(in, line);) {
        ++line_number;
        if (!line.empty() && line.back() == '\r') line.pop_back();
        const std::string where = name + ":" + std::to_string(line_number);
        if (line.empty()) throw_error(where, "empty line (every line must hold a prompt)");
        if (jsonl) {
            prompts.push_back(parse_json_line(where, line));
        } else {
            prompts.push_back({line, std::nullopt, std::nullopt, std::nullopt});
        }
    }
    if (prompts.empty()) throw_error(name, "the prompts file is empty");
    return prompts;
}

std::vector<BatchPrompt> read_batch_prompts(const std::string& path) {
    std::ifstream file(path, std::ios::binary);
    if (!file) throw_error(path, "cannot open the prompts file");
    std::ostringstream contents;
    contents << file.rdbuf();
    const bool jsonl = path.size() >= 6 && path.compare(path.size() - 6, 6, ".jsonl") == 0;
    return parse_batch_prompts(path, contents.str(), jsonl);
}

}  // namespace rocmforge::engine
