#include "kv/block_pool.h"

#include "util/error.h"

#include <cassert>
#include <limits>

namespace rocmforge::kv {

namespace {

// splitmix64 finalizer (Steele, Lea, Flood 2014): bijective, every input bit flips each output
// bit with probability ~1/2.
constexpr uint64_t mix64(uint64_t x) {
    x += 0x9e3779b97f4a7c15ull;
    x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
    x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
    return x ^ (x >> 31);
}

}  // namespace

BlockHash hash_block(BlockHash parent, std::span<const int32_t> tokens) {
    uint64_t h = mix64(parent);
    for (int32_t t : tokens) h = mix64(h ^ static_cast<uint32_t>(t));
    return h;
}

BlockPool::BlockPool(int64_t n_blocks, int64_t block_size) : n_blocks_(n_blocks), block_size_(block_size) {
    if (n_blocks < 1 || block_size < 1)
        throw_error("kv cache", "invalid block pool: {} blocks of {} positions", n_blocks, block_size);
    if (n_blocks > std::numeric_limits<int32_t>::max() ||
        block_size > std::numeric_limits<int64_t>::max() / n_blocks)
        throw_error("kv cache", "block pool too large: {} blocks of {} positions", n_blocks, block_size);
    const auto n = static_cast<size_t>(n_blocks);
    ref_.assign(n, 0);
    hashed_.assign(n, 0);
    hash_.assign(n, 0);
    free_.reserve(n);
    for (int64_t b = n_blocks - 1; b >= 0; --b) free_.push_back(static_cast<int32_t>(b));
    const auto sentinel = static_cast<int32_t>(n_blocks);
    lru_prev_.assign(n + 1, -1);
    lru_next_.assign(n + 1, -1);
    lru_prev_[n] = lru_next_[n] = sentinel;
}

void BlockPool::check_block(int32_t block) const {
    if (block < 0 || block >= n_blocks_)
        throw_error("kv cache", "block {} out of range (pool of {} blocks)", block, n_blocks_);
}

void BlockPool::lru_push_back(int32_t block) {
    const auto sentinel = static_cast<int32_t>(n_blocks_);
    const int32_t last = lru_prev_[static_cast<size_t>(sentinel)];
    lru_next_[static_cast<size_t>(last)] = block;
    lru_prev_[static_cast<size_t>(block)] = last;
    lru_next_[static_cast<size_t>(block)] = sentinel;
    lru_prev_[static_cast<size_t>(sentinel)] = block;
    ++n_lru_;
}

void BlockPool::lru_remove(int32_t block) {
    const auto i = static_cast<size_t>(block);
    assert(lru_prev_[i] >= 0 && lru_next_[i] >= 0);
    lru_next_[static_cast<size_t>(lru_prev_[i])] = lru_next_[i];
    lru_prev_[static_cast<size_t>(lru_next_[i])] = lru_prev_[i];
    lru_prev_[i] = lru_next_[i] = -1;
    --n_lru_;
}

int32_t BlockPool::allocate() {
    int32_t block = -1;
    if (!free_.empty()) {
        block = free_.back();
        free_.pop_back();
        assert(!hashed_[static_cast<size_t>(block)]);
    } else if (n_lru_ > 0) {
        block = lru_next_[static_cast<size_t>(n_blocks_)];
        lru_remove(block);
        const auto i = static_cast<size_t>(block);
        assert(hashed_[i] && by_hash_.at(hash_[i]) == block);
        by_hash_.erase(hash_[i]);
        hashed_[i] = 0;
        ++stats_.evictions;
    } else {
        return -1;
    }
    assert(ref_[static_cast<size_t>(block)] == 0);
    ref_[static_cast<size_t>(block)] = 1;
    ++n_referenced_;
    return block;
}

void BlockPool::retain(int32_t block) {
    check_block(block);
    const auto i = static_cast<size_t>(block);
    if (ref_[i] == 0) {
        if (!hashed_[i]) throw_error("kv cache", "retain of free block {}", block);
        lru_remove(block);
        ++n_referenced_;
    }
    ++ref_[i];
}

void BlockPool::release(int32_t block) {
    check_block(block);
    const auto i = static_cast<size_t>(block);
    if (ref_[i] == 0) throw_error("kv cache", "release of unreferenced block {}", block);
    if (--ref_[i] > 0) return;
    --n_referenced_;
    if (hashed_[i]) {
        lru_push_back(block);
    } else {
        free_.push_back(block);
    }
}

int32_t BlockPool::ref_count(int32_t block) const {
    check_block(block);
    return ref_[static_cast<size_t>(block)];
}

int32_t BlockPool::lookup(BlockHash h) {
    ++stats_.queries;
    const auto it = by_hash_.find(h);
    if (it == by_hash_.end()) return -1;
    ++stats_.hits;
    retain(it->second);
    return it->second;
}

void BlockPool::register_hash(int32_t block, BlockHash h) {
    check_block(block);
    const auto i = static_cast<size_t>(block);
    if (ref_[i] == 0) throw_error("kv cache", "register_hash of unreferenced block {}", block);
    if (hashed_[i] || by_hash_.contains(h)) return;
    by_hash_.emplace(h, block);
    hashed_[i] = 1;
    hash_[i] = h;
}

bool BlockPool::has_hash(int32_t block) const {
    check_block(block);
    return hashed_[static_cast<size_t>(block)] != 0;
}

BlockHash BlockPool::block_hash(int32_t block) const {
    check_block(block);
    if (!hashed_[static_cast<size_t>(block)]) throw_error("kv cache", "block {} has no hash", block);
    return hash_[static_cast<size_t>(block)];
}

}  // namespace rocmforge::kv
