#pragma once
// A `rocmforge serve` process on a free loopback port for end-to-end tests: started with
// --port 0 (the port is read from its first stderr line), ready once GET /health answers 200,
// stopped with SIGTERM (SIGKILL after a bounded wait). curl does the HTTP.
#include <sys/types.h>

#include <filesystem>
#include <string>

namespace rocmforge::test {

struct HttpResult {
    int status = 0;      // HTTP status; 0 when curl failed
    std::string body;
};

// curl: method, full URL, optional JSON body and extra curl arguments; bounded to 120 s.
HttpResult http_request(const std::string& method, const std::string& url, const std::string& body = "",
                        const std::string& extra_args = "");

class ServerProcess {
public:
    // Starts `rocmforge serve <args> --port 0`; adds a test failure (with the server's log) when
    // it does not become ready within ready_timeout_s. Check started() after constructing.
    explicit ServerProcess(const std::string& args, int ready_timeout_s = 60);
    ~ServerProcess();
    ServerProcess(const ServerProcess&) = delete;
    ServerProcess& operator=(const ServerProcess&) = delete;

    bool started() const { return port_ > 0; }
    int port() const { return port_; }
    std::string url(const std::string& path) const;
    // Sends SIGTERM and waits up to timeout_s; returns the exit code (-1: killed after the timeout).
    int stop(int timeout_s = 20);
    // Everything the server wrote to stderr so far.
    std::string log() const;

    // curl: method, path, optional JSON body and extra curl arguments (e.g. -H 'Authorization: ...').
    HttpResult request(const std::string& method, const std::string& path, const std::string& body = "",
                       const std::string& extra_args = "") const;

private:
    pid_t pid_ = -1;
    int port_ = 0;
    std::filesystem::path log_path_;
};

}  // namespace rocmforge::test
