#pragma once
// The HTTP front: cpp-httplib with the route groups, API-key check, body limit and JSON errors.
// It listens before the model is loaded (/health answers 503 "loading", other routes 503) and
// serves once attach() hands it the loaded context.
//
//   HttpServer http(options);
//   const int port = http.bind();      // throws rocmforge::Error naming --host / --port
//   http.start();                      // accepts connections on its own thread
//   http.attach(ctx);                  // model loaded: routes serve
//   http.stop();                       // stops accepting, joins
#include "server/serving_context.h"

#include <cstdint>
#include <memory>
#include <string>
#include <thread>

namespace httplib {
class Server;
}

namespace rocmforge::server {

struct HttpOptions {
    std::string host = "127.0.0.1";
    int port = 8080;              // 0: any free port (see bind())
    std::string api_key;          // empty: no authentication
    size_t max_body = 1 << 20;    // bytes of a request body (413 above)
    int threads = 64;             // HTTP worker threads (each streaming request holds one)
};

class HttpServer {
public:
    explicit HttpServer(const HttpOptions& options);
    ~HttpServer();
    // Binds the socket; returns the port (the chosen one when options.port is 0).
    int bind();
    void start();
    void attach(ServingContext& ctx) { routes_.set(&ctx); }
    void stop();

private:
    HttpOptions options_;
    std::unique_ptr<httplib::Server> server_;
    RouteContext routes_;
    std::thread thread_;
};

// Constant-time comparison of a presented key with the expected one (no early exit on the
// first differing byte; the length is not secret).
bool keys_equal(const std::string& presented, const std::string& expected);

}  // namespace rocmforge::server
