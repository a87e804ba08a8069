#include "server/logprobs_json.h"

namespace rocmforge::server {
namespace {

using OJson = nlohmann::ordered_json;

OJson bytes_json(const std::string& s) {
    OJson bytes = OJson::array();
    for (const char c : s) bytes.push_back(static_cast<uint8_t>(c));
    return bytes;
}

OJson chat_token_json(const sample::TokenLogprob& t, const TokenPiece& piece) {
    const std::string p = piece(t.token);
    return {{"token", p}, {"logprob", t.logprob}, {"bytes", bytes_json(p)}};
}

}  // namespace

OJson completion_logprobs_json(std::span<const sample::PositionLogprobs> logprobs, const TokenPiece& piece,
                               int64_t& text_offset) {
    OJson tokens = OJson::array(), token_logprobs = OJson::array(), top = OJson::array(), offsets = OJson::array();
    for (const auto& pos : logprobs) {
        const std::string p = piece(pos.chosen.token);
        tokens.push_back(p);
        token_logprobs.push_back(pos.chosen.logprob);
        OJson alternatives = OJson::object();
        for (const auto& t : pos.top) {
            const std::string key = piece(t.token);
            if (!alternatives.contains(key)) alternatives[key] = t.logprob;
        }
        if (!alternatives.contains(p)) alternatives[p] = pos.chosen.logprob;
        top.push_back(std::move(alternatives));
        offsets.push_back(text_offset);
        text_offset += static_cast<int64_t>(p.size());
    }
    return {{"tokens", tokens}, {"token_logprobs", token_logprobs}, {"top_logprobs", top}, {"text_offset", offsets}};
}

OJson chat_logprobs_json(std::span<const sample::PositionLogprobs> logprobs, const TokenPiece& piece) {
    OJson content = OJson::array();
    for (const auto& pos : logprobs) {
        OJson entry = chat_token_json(pos.chosen, piece);
        OJson top = OJson::array();
        for (const auto& t : pos.top) top.push_back(chat_token_json(t, piece));
        entry["top_logprobs"] = std::move(top);
        content.push_back(std::move(entry));
    }
    return {{"content", content}};
}

}  // namespace rocmforge::server
