#pragma once
// Server-Sent Events for one request: every engine event becomes zero or more `data: <json>`
// frames (each followed by a blank line), and the stream ends with `data: [DONE]`. A client that
// goes away (a failed write) cancels the request, which frees its KV blocks.
#include "engine/engine_loop.h"

#include <functional>
#include <memory>
#include <string>
#include <vector>

namespace httplib {
struct Response;
}

namespace rocmforge::server {

// Payloads (JSON text) to send for one event; called on the HTTP worker thread, in order.
using SseFormatter = std::function<std::vector<std::string>(const engine::RequestEvent&)>;

void stream_request_events(httplib::Response& res, engine::EngineLoop& engine,
                           std::shared_ptr<engine::RequestHandle> handle, SseFormatter format);

}  // namespace rocmforge::server
