#pragma once
// One device memory pool per process: a few large device allocations (arenas, at least
// kArenaBytes each) carved into aligned ranges with a first-fit free list. Weights, KV storage,
// workspaces and scratch all come from here, so a run makes a handful of runtime allocations,
// none per token. Thread-safe.
#include "tensor/tensor.h"

#include <cstddef>

namespace rocmforge::backend::gpu {

constexpr size_t kArenaBytes = size_t{256} << 20;
constexpr size_t kPoolAlignment = 256;  // bytes; every range starts on a 256-byte boundary

// A Buffer (Device::Gpu) of `bytes` from the pool, not zeroed; its deleter returns the range.
tensor::Buffer pool_alloc(size_t bytes);
// Bytes the pool holds in arenas, of those in use now, and the most ever in use at once.
size_t pool_reserved_bytes();
size_t pool_used_bytes();
size_t pool_peak_used_bytes();

}  // namespace rocmforge::backend::gpu
