#include "server/serving_context.h"

#include "tokenizer/chat_template.h"

namespace rocmforge::server {

void RequestRegistry::add(std::shared_ptr<engine::RequestHandle> handle) {
    std::lock_guard lock(mutex_);
    const uint64_t id = handle->id();
    by_id_[id] = std::move(handle);
    if (by_id_.size() <= kKeepFinished) return;
    // Forget the oldest finished requests; running ones stay whatever their number.
    for (auto it = by_id_.begin(); it != by_id_.end() && by_id_.size() > kKeepFinished;)
        it = it->second->done() ? by_id_.erase(it) : std::next(it);
}

std::shared_ptr<engine::RequestHandle> RequestRegistry::find(uint64_t id) const {
    std::lock_guard lock(mutex_);
    const auto it = by_id_.find(id);
    return it == by_id_.end() ? nullptr : it->second;
}

ServingContext& RouteContext::get() const {
    ServingContext* ctx = ctx_.load();
    if (!ctx) throw ApiError(503, "the model is still loading", "", "loading");
    return *ctx;
}

std::shared_ptr<engine::RequestHandle> ServingContext::submit(std::vector<int32_t> prompt, SamplingFields fields,
                                                               const char* prompt_field, bool stream) {
    const auto n_prompt = static_cast<int64_t>(prompt.size());
    if (n_prompt > engine.max_positions())
        throw ApiError(400, fmt::format("the prompt is {} tokens but the context holds {}", n_prompt,
                                        engine.max_positions()), prompt_field, "context_length_exceeded");
    if (fields.options.max_tokens < 0) fields.options.max_tokens = engine.max_positions();
    engine::RequestParams params{std::move(prompt), std::move(fields.options), fields.ignore_eos, stream,
                                 fields.top_logprobs};
    std::shared_ptr<engine::RequestHandle> handle;
    try {
        handle = engine.submit(std::move(params));
    } catch (const engine::EngineOverloaded& e) {
        throw ApiError(429, e.message(), "", "overloaded");
    } catch (const Error& e) {
        if (e.context() == "engine") throw ApiError(503, e.message(), "", "shutting_down");
        const std::string param = e.context() == "prompt" ? prompt_field : e.context();
        throw ApiError(400, fmt::format("{}: {}", param, e.message()), param);
    }
    registry.add(handle);
    return handle;
}

std::string ServingContext::token_piece(int32_t token) const {
    return tokenizer.is_control(token) ? std::string() : tokenizer.token_to_piece(token);
}

std::vector<int32_t> ServingContext::encode_prompt(const std::string& text) const {
    return tokenizer.encode(text, /*add_bos=*/true, /*parse_special=*/false);
}

std::vector<int32_t> ServingContext::encode_chat(const nlohmann::ordered_json& messages) const {
    tokenizer::ChatTemplateInputs inputs;
    inputs.messages = messages;
    inputs.add_generation_prompt = true;
    inputs.bos_token = bos_text;
    inputs.eos_token = eos_text;
    std::string rendered;
    try {
        rendered = tokenizer::render_chat_template(chat_template, inputs);
    } catch (const Error& e) {
        throw ApiError(400, fmt::format("messages: the chat template refused them: {}", e.what()), "messages");
    }
    const bool has_bos_text = !bos_text.empty() && rendered.rfind(bos_text, 0) == 0;
    return tokenizer.encode(rendered, /*add_bos=*/!has_bos_text, /*parse_special=*/true);
}

}  // namespace rocmforge::server
