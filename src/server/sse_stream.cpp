#include "server/sse_stream.h"

#include <httplib.h>

#include <chrono>

namespace rocmforge::server {

void stream_request_events(httplib::Response& res, engine::EngineLoop& engine,
                           std::shared_ptr<engine::RequestHandle> handle, SseFormatter format) {
    struct State {
        std::shared_ptr<engine::RequestHandle> handle;
        SseFormatter format;
        bool ended = false;
    };
    auto state = std::make_shared<State>(State{std::move(handle), std::move(format)});
    res.set_header("Cache-Control", "no-cache");
    res.set_header("X-Accel-Buffering", "no");
    res.set_chunked_content_provider(
        "text/event-stream",
        [state](size_t, httplib::DataSink& sink) {
            const auto event = state->handle->next_event(std::chrono::milliseconds(200));
            if (!event) return sink.is_writable();  // nothing yet; a closed peer ends the stream
            std::string frames;
            for (const auto& payload : state->format(*event)) frames += "data: " + payload + "\n\n";
            const bool last = event->kind != engine::RequestEvent::Kind::Tokens;
            if (last) frames += "data: [DONE]\n\n";
            if (!frames.empty() && !sink.write(frames.data(), frames.size())) return false;
            if (last) {
                state->ended = true;
                sink.done();
            }
            return true;
        },
        [state, &engine](bool success) {
            if (!success || !state->ended) engine.cancel(*state->handle);
        });
}

}  // namespace rocmforge::server
