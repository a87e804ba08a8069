#pragma once
// The machine's measured memory read bandwidth: the ceiling of memory-bound decode on the CPU.
#include "util/thread_pool.h"

#include <cstddef>

namespace rocmforge {

// Best of `repeats` passes in which every pool thread sums its contiguous slice of a buffer of
// `bytes` (f32 values, wide loads); returns GB/s (1e9 bytes/s). A buffer far larger than the
// last-level cache measures DRAM. Allocates and touches the buffer first (not timed).
double measure_read_bandwidth(ThreadPool& pool, size_t bytes, int repeats);

}  // namespace rocmforge
