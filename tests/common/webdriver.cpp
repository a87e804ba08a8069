#include "common/webdriver.h"

#include "common/server_process.h"
#include "common/test_paths.h"

#include <gtest/gtest.h>

#include <netinet/in.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <fstream>
#include <thread>

namespace rocmforge::test {
namespace {

constexpr const char* kChromium = "/usr/bin/chromium";
constexpr const char* kChromedriver = "/usr/bin/chromedriver";
constexpr const char* kElementKey = "element-6066-11e4-a52e-4f735466cecf";

// A loopback port that was free a moment ago (chromedriver takes no port 0).
int free_port() {
    const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof addr;
    int port = 0;
    if (::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0 &&
        ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) == 0)
        port = ntohs(addr.sin_port);
    ::close(fd);
    return port;
}

}  // namespace

bool WebDriver::available() { return ::access(kChromium, X_OK) == 0 && ::access(kChromedriver, X_OK) == 0; }

WebDriver::WebDriver(int width, int height) { start(width, height); }

void WebDriver::start(int width, int height) {
    port_ = free_port();
    const pid_t parent = ::getpid();
    pid_ = ::fork();
    if (pid_ == 0) {
        ::prctl(PR_SET_PDEATHSIG, SIGTERM);  // chromedriver stops when the test process dies
        if (::getppid() != parent) ::_exit(127);
        const std::string port = "--port=" + std::to_string(port_);
        ::execl(kChromedriver, kChromedriver, port.c_str(), "--log-level=SEVERE", static_cast<char*>(nullptr));
        ::_exit(127);
    }
    ASSERT_GT(pid_, 0) << "fork failed";
    const std::string base = "http://127.0.0.1:" + std::to_string(port_);
    bool ready = false;
    for (int i = 0; i < 200 && !ready; ++i) {
        ready = http_request("GET", base + "/status").status == 200;
        if (!ready) std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    ASSERT_TRUE(ready) << "chromedriver did not answer on port " << port_;
    const nlohmann::json caps = {
        {"capabilities",
         {{"alwaysMatch",
           {{"browserName", "chrome"},
            {"goog:chromeOptions",
             {{"binary", kChromium},
              {"args",
               {"--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                "--window-size=" + std::to_string(width) + "," + std::to_string(height)}}}}}}}}};
    const auto r = http_request("POST", base + "/session", caps.dump());
    const auto reply = nlohmann::json::parse(r.body, nullptr, false);
    ASSERT_EQ(r.status, 200) << r.body;
    session_ = reply["value"]["sessionId"].get<std::string>();
}

WebDriver::~WebDriver() {
    if (!session_.empty()) http_request("DELETE", "http://127.0.0.1:" + std::to_string(port_) + "/session/" + session_);
    if (pid_ > 0) {
        ::kill(pid_, SIGTERM);
        int status = 0;
        ::waitpid(pid_, &status, 0);
    }
}

nlohmann::json WebDriver::command(const std::string& method, const std::string& path, const nlohmann::json& body) {
    const auto url = "http://127.0.0.1:" + std::to_string(port_) + "/session/" + session_ + path;
    const auto r = http_request(method, url, body.is_null() ? std::string(method == "POST" ? "{}" : "") : body.dump());
    const auto reply = nlohmann::json::parse(r.body, nullptr, false);
    EXPECT_EQ(r.status, 200) << method << " " << path << ": " << r.body;
    if (reply.is_discarded() || !reply.contains("value")) return nullptr;
    return reply["value"];
}

void WebDriver::navigate(const std::string& url) { command("POST", "/url", {{"url", url}}); }

std::string WebDriver::find(const std::string& css) {
    const auto v = command("POST", "/element", {{"using", "css selector"}, {"value", css}});
    return v.is_object() && v.contains(kElementKey) ? v[kElementKey].get<std::string>() : std::string();
}

void WebDriver::click(const std::string& element) { command("POST", "/element/" + element + "/click"); }

void WebDriver::clear(const std::string& element) { command("POST", "/element/" + element + "/clear"); }

void WebDriver::type(const std::string& element, const std::string& text) {
    std::string keys;
    for (const char c : text) keys += c == '\n' ? std::string("\xEE\x80\x87") : std::string(1, c);  // U+E007 Enter
    command("POST", "/element/" + element + "/value", {{"text", keys}});
}

nlohmann::json WebDriver::script(const std::string& body) {
    return command("POST", "/execute/sync", {{"script", body}, {"args", nlohmann::json::array()}});
}

void WebDriver::screenshot(const std::filesystem::path& png) {
    const auto v = command("GET", "/screenshot");
    ASSERT_TRUE(v.is_string());
    const auto b64 = png.string() + ".b64";
    std::ofstream(b64) << v.get<std::string>();
    const auto r = run_command("base64 -d " + shell_quoted(b64) + " > " + shell_quoted(png.string()));
    std::filesystem::remove(b64);
    ASSERT_EQ(r.exit_code, 0);
}

}  // namespace rocmforge::test
