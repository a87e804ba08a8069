#pragma once
// How much memory the process can still use.
#include <cstdint>

namespace rocmforge {

// MemAvailable from /proc/meminfo in bytes; total physical memory when that cannot be read.
uint64_t available_memory_bytes();

}  // namespace rocmforge
