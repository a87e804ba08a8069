#pragma once
// A seed for a test's random inputs, fresh on every run (tests print it with a failure, so the
// failing inputs can be made again).
#include <chrono>
#include <cstdint>

namespace rocmforge::test {

inline uint64_t fresh_seed() {
    return static_cast<uint64_t>(std::chrono::steady_clock::now().time_since_epoch().count());
}

}  // namespace rocmforge::test
