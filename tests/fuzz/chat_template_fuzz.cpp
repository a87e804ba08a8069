// libFuzzer target for the chat-template engine: the input is a template (as a model file could
// carry), rendered with a small conversation. Any input must render or throw rocmforge::Error,
// within the render bounds (steps, string and list sizes) of tokenizer/jinja/interpreter.h.
// Run with scripts/fuzz.sh chat_template_fuzz SECONDS.
#include "tokenizer/chat_template.h"
#include "util/error.h"

#include <nlohmann/json.hpp>

#include <cstddef>
#include <cstdint>
#include <string>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    static const nlohmann::ordered_json messages = nlohmann::ordered_json::parse(R"([
        {"role": "system", "content": "Be brief."},
        {"role": "user", "content": "Hello <b>world</b>\u00e9\u4e16"},
        {"role": "assistant", "content": "Hi."},
        {"role": "user", "content": ""}
    ])");
    rocmforge::tokenizer::ChatTemplateInputs inputs;
    inputs.messages = messages;
    inputs.add_generation_prompt = true;
    inputs.bos_token = "<s>";
    inputs.eos_token = "</s>";
    try {
        (void)rocmforge::tokenizer::render_chat_template(std::string(reinterpret_cast<const char*>(data), size), inputs);
    } catch (const rocmforge::Error&) {
    }
    return 0;
}
