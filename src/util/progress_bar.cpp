#include "util/progress_bar.h"

#include <fmt/format.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>

namespace rocmforge {

ProgressBar::ProgressBar(std::string label, uint64_t total)
    : label_(std::move(label)), total_(total), enabled_(::isatty(STDERR_FILENO) == 1),
      start_(std::chrono::steady_clock::now()), last_draw_(start_) {}

ProgressBar::~ProgressBar() { finish(); }

void ProgressBar::advance(uint64_t units) {
    const uint64_t done = done_.fetch_add(units) + units;
    if (!enabled_) return;
    const auto now = std::chrono::steady_clock::now();
    std::unique_lock lock(draw_mutex_, std::try_to_lock);
    if (!lock.owns_lock() || now - last_draw_ < std::chrono::milliseconds(100)) return;
    last_draw_ = now;
    draw(done, false);
}

void ProgressBar::finish() {
    if (!enabled_ || finished_) return;
    std::lock_guard lock(draw_mutex_);
    finished_ = true;
    draw(done_.load(), true);
}

void ProgressBar::draw(uint64_t done, bool final_draw) {
    constexpr int kWidth = 30;
    const double fraction = total_ == 0 ? 1.0 : std::min(1.0, static_cast<double>(done) / static_cast<double>(total_));
    const int filled = static_cast<int>(fraction * kWidth);
    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
    const std::string bar = std::string(static_cast<size_t>(filled), '#') + std::string(static_cast<size_t>(kWidth - filled), '.');
    std::fputs(fmt::format("\r{} [{}] {:5.1f}% {:.1f}s{}", label_, bar, fraction * 100.0, seconds, final_draw ? "\n" : "").c_str(), stderr);
    std::fflush(stderr);
}

}  // namespace rocmforge
