#include "common/server_process.h"

#include "common/test_paths.h"

#include <gtest/gtest.h>

#include <csignal>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <fstream>
#include <regex>
#include <thread>

namespace rocmforge::test {

ServerProcess::ServerProcess(const std::string& args, int ready_timeout_s) {
    static int counter = 0;
    log_path_ = std::filesystem::temp_directory_path() /
                ("rocmforge_serve_" + std::to_string(::getpid()) + "_" + std::to_string(counter++) + ".log");
    const std::string command = "exec " + rocmforge_binary() + " serve " + args + " --port 0 2>" +
                                shell_quoted(log_path_.string()) + " >/dev/null";
    const pid_t parent = ::getpid();
    pid_ = ::fork();
    if (pid_ == 0) {
        // The server gets SIGTERM (a graceful stop) when the test process dies, so a killed test
        // run leaves no server behind (the setting survives the exec of sh and of rocmforge).
        ::prctl(PR_SET_PDEATHSIG, SIGTERM);
        if (::getppid() != parent) ::_exit(127);  // the parent died before prctl
        ::execl("/bin/sh", "sh", "-c", command.c_str(), static_cast<char*>(nullptr));
        ::_exit(127);
    }
    if (pid_ <= 0) {
        ADD_FAILURE() << "fork failed";
        return;
    }
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(ready_timeout_s);
    const std::regex listening(R"(listening on http://[^:]+:(\d+))");
    while (std::chrono::steady_clock::now() < deadline) {
        int status = 0;
        if (::waitpid(pid_, &status, WNOHANG) == pid_) {
            pid_ = -1;
            port_ = 0;
            ADD_FAILURE() << "rocmforge serve " << args << " exited early:\n" << log();
            return;
        }
        std::smatch m;
        const std::string text = log();
        if (port_ == 0 && std::regex_search(text, m, listening)) port_ = std::stoi(m[1]);
        if (port_ > 0 && request("GET", "/health").status == 200) return;
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    const int port = port_;
    port_ = 0;
    ADD_FAILURE() << "rocmforge serve " << args << " not ready after " << ready_timeout_s << " s (port " << port
           << "):\n" << log();
}

ServerProcess::~ServerProcess() {
    if (pid_ > 0) stop(5);
    std::filesystem::remove(log_path_);
}

std::string ServerProcess::url(const std::string& path) const {
    return "http://127.0.0.1:" + std::to_string(port_) + path;
}

std::string ServerProcess::log() const { return read_file_bytes(log_path_); }

int ServerProcess::stop(int timeout_s) {
    if (pid_ <= 0) return -1;
    ::kill(pid_, SIGTERM);
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(timeout_s);
    int status = 0;
    while (std::chrono::steady_clock::now() < deadline) {
        if (::waitpid(pid_, &status, WNOHANG) == pid_) {
            pid_ = -1;
            return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    ::kill(pid_, SIGKILL);
    ::waitpid(pid_, &status, 0);
    pid_ = -1;
    return -1;
}

HttpResult ServerProcess::request(const std::string& method, const std::string& path, const std::string& body,
                                  const std::string& extra_args) const {
    return http_request(method, url(path), body, extra_args);
}

HttpResult http_request(const std::string& method, const std::string& url, const std::string& body,
                        const std::string& extra_args) {
    std::string cmd = "curl -s -N --max-time 120 -o - -w '\\n%{http_code}' -X " + method + " " + extra_args + " ";
    if (!body.empty())
        cmd += "-H 'Content-Type: application/json' --data-binary " + shell_quoted(body) + " ";
    else if (method == "POST")
        cmd += "-d '' ";  // Content-Length: 0, as HTTP clients send for an empty POST
    cmd += shell_quoted(url);
    const auto r = run_command(cmd);
    HttpResult h;
    const size_t nl = r.output.rfind('\n');
    if (nl == std::string::npos) return h;
    h.status = std::atoi(r.output.c_str() + nl + 1);
    h.body = r.output.substr(0, nl);
    return h;
}

}  // namespace rocmforge::test
