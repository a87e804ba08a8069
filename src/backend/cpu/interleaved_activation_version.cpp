#include "backend/cpu/interleaved_gemv.h"

#include <atomic>

namespace rocmforge::backend::cpu {

namespace {
std::atomic<uint64_t> last_version{0};
thread_local uint64_t current_version = 0;
}  // namespace

uint64_t next_interleaved_activation_version() { return last_version.fetch_add(1, std::memory_order_relaxed) + 1; }

uint64_t interleaved_activation_version() { return current_version; }

InterleavedActivationScope::InterleavedActivationScope(uint64_t version) : previous_(current_version) {
    current_version = version;
}

InterleavedActivationScope::~InterleavedActivationScope() { current_version = previous_; }

}  // namespace rocmforge::backend::cpu
