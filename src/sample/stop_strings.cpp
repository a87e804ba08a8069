#include "sample/stop_strings.h"

#include <algorithm>

namespace rocmforge::sample {

StopStringMatcher::StopStringMatcher(std::vector<std::string> stops) : stops_(std::move(stops)) {
    std::erase_if(stops_, [](const std::string& s) { return s.empty(); });
}

std::string StopStringMatcher::push(const std::string& piece) {
    if (stopped_) return {};
    pending_ += piece;
    size_t first_match = std::string::npos;
    for (const auto& stop : stops_) first_match = std::min(first_match, pending_.find(stop));
    if (first_match != std::string::npos) {
        stopped_ = true;
        std::string out = pending_.substr(0, first_match);
        pending_.clear();
        return out;
    }
    // Hold back the longest suffix of pending_ that is a prefix of some stop string.
    size_t hold = 0;
    for (const auto& stop : stops_)
        for (size_t len = std::min(stop.size() - 1, pending_.size()); len > hold; --len)
            if (pending_.compare(pending_.size() - len, len, stop, 0, len) == 0) {
                hold = len;
                break;
            }
    std::string out = pending_.substr(0, pending_.size() - hold);
    pending_.erase(0, pending_.size() - hold);
    return out;
}

std::string StopStringMatcher::flush() {
    std::string out;
    out.swap(pending_);
    return stopped_ ? std::string() : out;
}

}  // namespace rocmforge::sample
