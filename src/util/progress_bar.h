#pragma once
// A one-line progress bar on stderr for long operations. Draws only when stderr is a TTY,
// so logs and pipes stay clean. Thread-safe advance().
#include <atomic>
#include <chrono>
#include <cstdint>
#include <mutex>
#include <string>

namespace rocmforge {

class ProgressBar {
public:
    // total: units of work (bytes, tensors, ...); label: shown before the bar.
    ProgressBar(std::string label, uint64_t total);
    ~ProgressBar();

    void advance(uint64_t units);
    // Draws the final state and moves to a new line (no-op when not drawing).
    void finish();

    bool enabled() const { return enabled_; }

private:
    void draw(uint64_t done, bool final_draw);

    std::string label_;
    uint64_t total_;
    std::atomic<uint64_t> done_{0};
    bool enabled_;
    bool finished_ = false;
    std::mutex draw_mutex_;
    std::chrono::steady_clock::time_point start_;
    std::chrono::steady_clock::time_point last_draw_;
};

}  // namespace rocmforge
