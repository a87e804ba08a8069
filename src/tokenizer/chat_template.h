#pragma once
// Chat prompts from a model's Jinja chat template (`tokenizer.chat_template`), rendered the way
// Hugging Face transformers does: trim_blocks + lstrip_blocks, loop controls, variables
// `messages`, `add_generation_prompt`, `tools` (None when absent), `documents` (None),
// `bos_token`, `eos_token`, and functions raise_exception(), strftime_now(), range(),
// namespace(); `tojson` as HF defines it (json.dumps, ensure_ascii=False, keys unsorted).
#include "gguf/gguf_file.h"

#include <nlohmann/json.hpp>

#include <string>

namespace rocmforge::tokenizer {

// ChatML, the documented fallback when a model carries no template (HF's historical default).
extern const char* const kDefaultChatTemplate;

struct ChatTemplateInputs {
    nlohmann::ordered_json messages = nlohmann::ordered_json::array();  // [{"role": ..., "content": ...}, ...]
    bool add_generation_prompt = true;
    nlohmann::ordered_json tools;           // null → `tools` is None
    std::string bos_token;
    std::string eos_token;
    nlohmann::ordered_json extra_variables = nlohmann::ordered_json::object();  // e.g. {"enable_thinking": false}
};

// Renders `template_source`. Throws rocmforge::Error ("chat template: ...") on a syntax error, an
// unsupported construct, or raise_exception("msg") from the template (message = "msg").
std::string render_chat_template(const std::string& template_source, const ChatTemplateInputs& inputs);

// The model's template, or kDefaultChatTemplate (logging a warning) when it has none.
std::string chat_template_of(const gguf::GgufFile& file, bool* used_default = nullptr);

// Text of the token whose id is stored under `id_key` (e.g. "tokenizer.ggml.bos_token_id"), or "".
std::string special_token_text(const gguf::GgufFile& file, std::string_view id_key);

// Renders the model's template with bos_token/eos_token taken from its vocabulary.
std::string render_chat(const gguf::GgufFile& file, const nlohmann::ordered_json& messages, bool add_generation_prompt,
                        const nlohmann::ordered_json& tools = nullptr);

}  // namespace rocmforge::tokenizer
