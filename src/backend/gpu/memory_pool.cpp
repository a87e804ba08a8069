#include "backend/gpu/memory_pool.h"

#include "backend/gpu/device.h"

#include <algorithm>
#include <cassert>
#include <map>
#include <mutex>
#include <vector>

namespace rocmforge::backend::gpu {
namespace {

struct Arena {
    uint8_t* base = nullptr;
    size_t bytes = 0;
    std::map<size_t, size_t> free_ranges;  // offset -> length, coalesced
};

class Pool {
public:
    void* alloc(size_t bytes) {
        bytes = (std::max<size_t>(bytes, 1) + kPoolAlignment - 1) / kPoolAlignment * kPoolAlignment;
        std::lock_guard lock(mutex_);
        for (auto& arena : arenas_)
            if (void* p = take(arena, bytes)) return p;
        Arena arena;
        arena.bytes = std::max(bytes, kArenaBytes);
        arena.base = static_cast<uint8_t*>(device_malloc(arena.bytes));
        arena.free_ranges[0] = arena.bytes;
        reserved_ += arena.bytes;
        arenas_.push_back(std::move(arena));
        return take(arenas_.back(), bytes);
    }

    void release(void* ptr) {
        std::lock_guard lock(mutex_);
        const auto it = sizes_.find(ptr);
        assert(it != sizes_.end());
        const size_t bytes = it->second;
        sizes_.erase(it);
        used_ -= bytes;
        for (auto& arena : arenas_) {
            auto* p = static_cast<uint8_t*>(ptr);
            if (p < arena.base || p >= arena.base + arena.bytes) continue;
            size_t offset = static_cast<size_t>(p - arena.base), length = bytes;
            auto next = arena.free_ranges.lower_bound(offset);
            if (next != arena.free_ranges.end() && next->first == offset + length) {
                length += next->second;
                next = arena.free_ranges.erase(next);
            }
            if (next != arena.free_ranges.begin()) {
                auto prev = std::prev(next);
                if (prev->first + prev->second == offset) {
                    prev->second += length;
                    return;
                }
            }
            arena.free_ranges[offset] = length;
            return;
        }
    }

    size_t reserved() {
        std::lock_guard lock(mutex_);
        return reserved_;
    }
    size_t used() {
        std::lock_guard lock(mutex_);
        return used_;
    }
    size_t peak_used() {
        std::lock_guard lock(mutex_);
        return peak_used_;
    }

private:
    void* take(Arena& arena, size_t bytes) {
        for (auto it = arena.free_ranges.begin(); it != arena.free_ranges.end(); ++it) {
            if (it->second < bytes) continue;
            const size_t offset = it->first, left = it->second - bytes;
            arena.free_ranges.erase(it);
            if (left > 0) arena.free_ranges[offset + bytes] = left;
            void* p = arena.base + offset;
            sizes_[p] = bytes;
            used_ += bytes;
            peak_used_ = std::max(peak_used_, used_);
            return p;
        }
        return nullptr;
    }

    std::mutex mutex_;
    std::vector<Arena> arenas_;  // never freed: the process keeps its device memory until exit
    std::map<void*, size_t> sizes_;
    size_t reserved_ = 0, used_ = 0, peak_used_ = 0;
};

Pool& pool() {
    static Pool* p = new Pool();  // leaked on purpose: buffers may be released during static destruction
    return *p;
}

}  // namespace

tensor::Buffer pool_alloc(size_t bytes) {
    void* p = pool().alloc(bytes);
    return tensor::Buffer(tensor::Device::Gpu, p, bytes, [](void* data) { pool().release(data); });
}

size_t pool_reserved_bytes() { return pool().reserved(); }
size_t pool_used_bytes() { return pool().used(); }
size_t pool_peak_used_bytes() { return pool().peak_used(); }

}  // namespace rocmforge::backend::gpu
