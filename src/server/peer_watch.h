#pragma once
// Client liveness for handlers that wait without writing (non-streaming completions, /generate
// with "wait": true). cpp-httplib 0.11 gives handlers no socket and notices a closed peer only on
// a failed write, so PeerWatch finds the connection's socket among the process's descriptors by
// its local and remote address and port, and peeks at it: end of stream or a reset means the
// client has gone.
#include "engine/engine_loop.h"

#include <optional>

namespace httplib {
struct Request;
}

namespace rocmforge::server {

class PeerWatch {
public:
    // Looks the socket up once; when it cannot be found, gone() is always false.
    explicit PeerWatch(const httplib::Request& req);
    // True once the client closed or reset the connection. Never blocks.
    bool gone() const;

private:
    int fd_ = -1;
};

// Waits for the request to end; cancels it (its KV blocks are freed at once) and returns nothing
// when the client goes away first. Checks every `poll` milliseconds.
std::optional<engine::RequestSnapshot> wait_or_cancel(engine::EngineLoop& engine, engine::RequestHandle& handle,
                                                      const httplib::Request& req, int poll_ms = 100);

}  // namespace rocmforge::server
