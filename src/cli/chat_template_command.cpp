// rocmforge chat-template -m MODEL --messages FILE.json [--no-generation-prompt] [--template FILE]
// [--tools FILE.json]: prints the rendered prompt exactly as the model would see it (no newline added).
#include "cli/commands.h"
#include "gguf/gguf_file.h"
#include "tokenizer/chat_template.h"
#include "util/error.h"

#include <nlohmann/json.hpp>

#include <cstdio>
#include <fstream>
#include <memory>
#include <sstream>

namespace rocmforge::cli {

namespace {

std::string read_text_file(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) throw_error(path, "cannot open file for reading");
    std::ostringstream bytes;
    bytes << in.rdbuf();
    return bytes.str();
}

nlohmann::ordered_json read_json_file(const std::string& path) {
    try {
        return nlohmann::ordered_json::parse(read_text_file(path));
    } catch (const nlohmann::json::exception& e) {
        throw_error(path, "invalid JSON: {}", e.what());
    }
}

}  // namespace

void add_chat_template_command(CLI::App& app) {
    struct Options {
        std::string model;
        std::string messages;
        std::string template_file;
        std::string tools;
        bool no_generation_prompt = false;
    };
    auto options = std::make_shared<Options>();
    CLI::App* cmd = app.add_subcommand("chat-template", "Render a model's chat template over a conversation (prints the prompt)");
    cmd->add_option("-m,--model", options->model, "GGUF file (a vocabulary-only GGUF is enough)")->required();
    cmd->add_option("--messages", options->messages, "JSON file: [{\"role\": \"user\", \"content\": \"...\"}, ...]")->required();
    cmd->add_flag("--no-generation-prompt", options->no_generation_prompt, "Do not append the assistant turn header");
    cmd->add_option("--template", options->template_file, "Jinja template file to use instead of the model's");
    cmd->add_option("--tools", options->tools, "JSON file with the tool definitions passed as `tools`");
    cmd->callback([options] {
        const auto messages = read_json_file(options->messages);
        if (!messages.is_array()) throw_error(options->messages, "messages must be a JSON array of {{role, content}} objects");
        for (size_t i = 0; i < messages.size(); ++i) {
            if (!messages[i].is_object() || !messages[i].contains("role")) {
                throw_error(options->messages, "message {} must be an object with a \"role\"", i);
            }
        }
        const gguf::GgufFile file = gguf::GgufFile::open(options->model);
        std::string text;
        if (options->template_file.empty() && options->tools.empty()) {
            text = tokenizer::render_chat(file, messages, !options->no_generation_prompt);
        } else {
            tokenizer::ChatTemplateInputs inputs;
            inputs.messages = messages;
            inputs.add_generation_prompt = !options->no_generation_prompt;
            if (!options->tools.empty()) inputs.tools = read_json_file(options->tools);
            const std::string source =
                options->template_file.empty() ? tokenizer::chat_template_of(file) : read_text_file(options->template_file);
            inputs.bos_token = tokenizer::special_token_text(file, "tokenizer.ggml.bos_token_id");
            inputs.eos_token = tokenizer::special_token_text(file, "tokenizer.ggml.eos_token_id");
            text = tokenizer::render_chat_template(source, inputs);
        }
        std::fwrite(text.data(), 1, text.size(), stdout);
    });
}

}  // namespace rocmforge::cli
