#pragma once
// Stop strings for streamed generation: text is released only once it can no longer be the
// start of a stop string, so a stop string is never printed even when split across tokens.
#include <string>
#include <vector>

namespace rocmforge::sample {

class StopStringMatcher {
public:
    explicit StopStringMatcher(std::vector<std::string> stops);

    // Appends a decoded piece. Returns the text that is now safe to emit; sets stopped() once a
    // stop string appeared (the stop string and everything after it is dropped).
    std::string push(const std::string& piece);
    // Text held back at the end of generation (no stop string matched).
    std::string flush();
    bool stopped() const { return stopped_; }

private:
    std::vector<std::string> stops_;
    std::string pending_;
    bool stopped_ = false;
};

}  // namespace rocmforge::sample
