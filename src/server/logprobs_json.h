#pragma once
// OpenAI's logprobs shapes for a run of generated tokens (one Tokens event, or the whole reply):
//   /v1/completions:      {"tokens": [piece], "token_logprobs": [lp], "top_logprobs": [{piece: lp}],
//                          "text_offset": [byte offset of the piece in the completion text]}
//                         (each top_logprobs map also holds the chosen token, as OpenAI's does)
//   /v1/chat/completions: {"content": [{"token", "logprob", "bytes": [uint8], "top_logprobs":
//                          [{"token", "logprob", "bytes"}]}]}
// Pieces are the tokens' bytes; invalid UTF-8 in them is replaced when serialised, `bytes` keeps it.
#include "sample/logprobs.h"

#include <nlohmann/json.hpp>

#include <cstdint>
#include <functional>
#include <span>
#include <string>

namespace rocmforge::server {

using TokenPiece = std::function<std::string(int32_t)>;

// text_offset: bytes of completion text before the first token; advanced past these tokens.
nlohmann::ordered_json completion_logprobs_json(std::span<const sample::PositionLogprobs> logprobs,
                                                const TokenPiece& piece, int64_t& text_offset);
nlohmann::ordered_json chat_logprobs_json(std::span<const sample::PositionLogprobs> logprobs,
                                          const TokenPiece& piece);

}  // namespace rocmforge::server
