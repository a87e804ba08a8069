#include "tokenizer/chat_template.h"

#include "tokenizer/jinja/ast.h"
#include "tokenizer/jinja/builtins.h"
#include "tokenizer/jinja/interpreter.h"
#include "util/error.h"
#include "util/log.h"

namespace rocmforge::tokenizer {

const char* const kDefaultChatTemplate =
    "{% for message in messages %}{{'<|im_start|>' + message['role'] + '\\n' + message['content'] + '<|im_end|>' + "
    "'\\n'}}{% endfor %}{% if add_generation_prompt %}{{ '<|im_start|>assistant\\n' }}{% endif %}";

std::string render_chat_template(const std::string& template_source, const ChatTemplateInputs& inputs) {
    if (!inputs.messages.is_array()) throw_error("chat template", "messages must be a JSON array");
    const jinja::Body body = jinja::parse_template(template_source);
    jinja::ValueDict globals;
    jinja::add_global_functions(globals);
    globals.set("messages", jinja::Value::from_json(inputs.messages));
    globals.set("add_generation_prompt", jinja::Value(inputs.add_generation_prompt));
    globals.set("tools", jinja::Value::from_json(inputs.tools));
    globals.set("documents", jinja::Value::none());
    globals.set("bos_token", jinja::Value(inputs.bos_token));
    globals.set("eos_token", jinja::Value(inputs.eos_token));
    if (inputs.extra_variables.is_object()) {
        for (const auto& [key, value] : inputs.extra_variables.items()) globals.set(key, jinja::Value::from_json(value));
    }
    jinja::Interpreter interpreter(std::move(globals));
    return interpreter.render(body);
}

std::string chat_template_of(const gguf::GgufFile& file, bool* used_default) {
    const auto text = file.get_string("tokenizer.chat_template");
    if (used_default != nullptr) *used_default = !text.has_value();
    if (text) return *text;
    log::warn("{}: no tokenizer.chat_template; using the default ChatML template", file.name());
    return kDefaultChatTemplate;
}

std::string special_token_text(const gguf::GgufFile& file, std::string_view id_key) {
    const auto id = file.get_int(id_key);
    const gguf::Array* tokens = file.get_array("tokenizer.ggml.tokens");
    if (!id || tokens == nullptr || *id < 0 || static_cast<size_t>(*id) >= tokens->items.size()) return {};
    const std::string* text = tokens->items[static_cast<size_t>(*id)].as_string();
    return text ? *text : std::string();
}

std::string render_chat(const gguf::GgufFile& file, const nlohmann::ordered_json& messages, bool add_generation_prompt,
                        const nlohmann::ordered_json& tools) {
    ChatTemplateInputs inputs;
    inputs.messages = messages;
    inputs.add_generation_prompt = add_generation_prompt;
    inputs.tools = tools;
    inputs.bos_token = special_token_text(file, "tokenizer.ggml.bos_token_id");
    inputs.eos_token = special_token_text(file, "tokenizer.ggml.eos_token_id");
    return render_chat_template(chat_template_of(file), inputs);
}

}  // namespace rocmforge::tokenizer
