#pragma once
// Headless Chromium driven through chromedriver's W3C WebDriver API (JSON over HTTP on a loopback
// port, spoken with curl). available() is false when Debian's chromium or chromium-driver is
// missing; tests then GTEST_SKIP with "skipped: no chromium".
#include <nlohmann/json.hpp>

#include <sys/types.h>

#include <filesystem>
#include <string>

namespace rocmforge::test {

class WebDriver {
public:
    static bool available();
    // Starts chromedriver and one headless session (window width x height); adds a test failure
    // when either does not come up. Check started().
    WebDriver(int width, int height);
    ~WebDriver();  // ends the session, stops chromedriver
    WebDriver(const WebDriver&) = delete;
    WebDriver& operator=(const WebDriver&) = delete;

    bool started() const { return !session_.empty(); }
    void navigate(const std::string& url);
    // The WebDriver element id of the first element matching a CSS selector ("" when none).
    std::string find(const std::string& css);
    void click(const std::string& element);
    void clear(const std::string& element);
    void type(const std::string& element, const std::string& text);  // "\n" presses Enter
    // Runs a script (`return ...;` gives the value) in the page.
    nlohmann::json script(const std::string& body);
    void screenshot(const std::filesystem::path& png);

private:
    void start(int width, int height);  // the constructor's work (gtest ASSERTs need a void function)
    // One WebDriver command on the session; adds a test failure on an error reply.
    nlohmann::json command(const std::string& method, const std::string& path, const nlohmann::json& body = nullptr);

    pid_t pid_ = -1;
    int port_ = 0;
    std::string session_;
};

}  // namespace rocmforge::test
