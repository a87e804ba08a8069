#include "server/http_server.h"

#include "server/api_error.h"
#include "util/error.h"
#include "util/log.h"

#include <httplib.h>
#include <sys/socket.h>

#include <cerrno>
#include <cstring>

namespace rocmforge::server {

bool keys_equal(const std::string& presented, const std::string& expected) {
    unsigned char diff = presented.size() == expected.size() ? 0 : 1;
    for (size_t i = 0; i < presented.size(); ++i)
        diff |= static_cast<unsigned char>(presented[i] ^ expected[expected.empty() ? 0 : i % expected.size()]);
    return diff == 0 && !expected.empty();
}

namespace {

// cpp-httplib 0.11 listens with a backlog of 5: more connections arriving at once than that are
// dropped by the kernel (a client sees its request fail). The listening socket is protected in
// httplib::Server, so this subclass reaches it to raise the backlog after binding.
class BackloggedServer final : public httplib::Server {
public:
    // Re-listens (Linux updates the backlog of a listening socket); false when that fails.
    bool raise_backlog(int backlog) { return ::listen(svr_sock_, backlog) == 0; }
};

// The key from "Authorization: Bearer K" or "X-Api-Key: K".
std::string presented_key(const httplib::Request& req) {
    const std::string auth = req.get_header_value("Authorization");
    if (auth.rfind("Bearer ", 0) == 0) return auth.substr(7);
    return req.get_header_value("X-Api-Key");
}

}  // namespace

HttpServer::HttpServer(const HttpOptions& options)
    : options_(options), server_(std::make_unique<BackloggedServer>()) {
    if (options.port < 0 || options.port > 65535) throw_error("--port", "must be in [0, 65535], got {}", options.port);
    if (options.max_body < 1) throw_error("--max-body", "must be >= 1 byte");
    auto& s = *server_;
    const int threads = std::max(4, options.threads);
    s.new_task_queue = [threads] { return new httplib::ThreadPool(static_cast<size_t>(threads)); };
    s.set_payload_max_length(options.max_body);
    s.set_keep_alive_max_count(1000);
    s.set_pre_routing_handler([this](const httplib::Request& req, httplib::Response& res) {
        // /health and the chat page (which asks for the key itself) stay open.
        const bool open = req.path == "/health" || (req.path == "/" && req.method == "GET");
        if (options_.api_key.empty() || open) return httplib::Server::HandlerResponse::Unhandled;
        if (keys_equal(presented_key(req), options_.api_key)) return httplib::Server::HandlerResponse::Unhandled;
        send_error(res, 401, "missing or wrong API key (send Authorization: Bearer <key>)", "", "invalid_api_key");
        return httplib::Server::HandlerResponse::Handled;
    });
    s.set_error_handler([this](const httplib::Request& req, httplib::Response& res) {
        if (!res.body.empty()) return;
        if (res.status == 404)
            send_error(res, 404, "no route for " + req.method + " " + req.path, "", "not_found");
        else if (res.status == 413)
            send_error(res, 413,
                       "the request body exceeds --max-body (" + std::to_string(options_.max_body) + " bytes)", "",
                       "body_too_large");
        else if (res.status == 400)
            send_error(res, 400, "malformed HTTP request (a POST needs Content-Length or chunked encoding)");
        else
            send_error(res, res.status, "HTTP error " + std::to_string(res.status));
    });
    add_openai_routes(s, routes_);
    add_native_routes(s, routes_);
    add_metrics_route(s, routes_);
}

HttpServer::~HttpServer() { stop(); }

int HttpServer::bind() {
    int port = options_.port;
    if (port == 0) {
        port = server_->bind_to_any_port(options_.host);
        if (port < 0) throw_error("--host", "cannot listen on {} (any port)", options_.host);
    } else if (!server_->bind_to_port(options_.host, port)) {
        throw_error("--port", "cannot listen on {}:{} (in use, or not a local address)", options_.host, port);
    }
    // As many pending connections as the kernel allows (net.core.somaxconn caps it).
    if (!static_cast<BackloggedServer&>(*server_).raise_backlog(SOMAXCONN))
        log::warn("http: could not raise the listen backlog: {}", std::strerror(errno));
    return port;
}

void HttpServer::start() {
    thread_ = std::thread([this] {
        if (!server_->listen_after_bind()) log::debug("http: listen ended");
    });
}

void HttpServer::stop() {
    if (server_) server_->stop();
    if (thread_.joinable()) thread_.join();
}

}  // namespace rocmforge::server
