#include "kv/kv_cache_manager.h"

#include "util/error.h"

#include <algorithm>
#include <cassert>
#include <limits>

namespace rocmforge::kv {

KvCacheManager::KvCacheManager(int64_t n_blocks, int64_t block_size, bool prefix_cache)
    : pool_(n_blocks, block_size), prefix_cache_(prefix_cache) {}

KvCacheManager::Sequence& KvCacheManager::get(int32_t seq) {
    return const_cast<Sequence&>(static_cast<const KvCacheManager*>(this)->get(seq));
}

const KvCacheManager::Sequence& KvCacheManager::get(int32_t seq) const {
    if (seq < 0 || static_cast<size_t>(seq) >= sequences_.size() || !sequences_[static_cast<size_t>(seq)].live)
        throw_error("kv cache", "unknown sequence {}", seq);
    return sequences_[static_cast<size_t>(seq)];
}

int32_t KvCacheManager::new_sequence_slot() {
    for (size_t i = 0; i < sequences_.size(); ++i) {
        if (!sequences_[i].live) {
            sequences_[i].live = true;
            ++n_live_;
            return static_cast<int32_t>(i);
        }
    }
    if (sequences_.size() >= static_cast<size_t>(std::numeric_limits<int32_t>::max()))
        throw_error("kv cache", "too many sequences ({})", sequences_.size());
    sequences_.emplace_back().live = true;
    ++n_live_;
    return static_cast<int32_t>(sequences_.size() - 1);
}

int32_t KvCacheManager::create_sequence() { return new_sequence_slot(); }

void KvCacheManager::release_blocks_from(Sequence& s, size_t first) {
    while (s.blocks.size() > first) {
        if (s.blocks.size() > s.n_released) pool_.release(s.blocks.back());
        s.blocks.pop_back();
    }
    s.n_released = std::min(s.n_released, s.blocks.size());
}

void KvCacheManager::free_sequence(int32_t seq) {
    Sequence& s = get(seq);
    release_blocks_from(s, 0);
    s = Sequence{};
    --n_live_;
}

int32_t KvCacheManager::fork(int32_t seq) {
    get(seq);  // validates before a slot is taken
    const int32_t child = new_sequence_slot();
    // new_sequence_slot may grow sequences_: take references only now.
    const Sequence& parent = sequences_[static_cast<size_t>(seq)];
    Sequence& c = sequences_[static_cast<size_t>(child)];
    const auto bs = pool_.block_size();
    const auto n_used = static_cast<size_t>((static_cast<int64_t>(parent.tokens.size()) + bs - 1) / bs);
    assert(n_used <= parent.blocks.size());
    c.blocks.assign(parent.blocks.begin(), parent.blocks.begin() + static_cast<std::ptrdiff_t>(n_used));
    c.n_released = std::min(parent.n_released, n_used);
    c.window = parent.window;
    for (size_t i = c.n_released; i < c.blocks.size(); ++i) pool_.retain(c.blocks[i]);
    c.tokens = parent.tokens;
    c.hashes = parent.hashes;
    return child;
}

int64_t KvCacheManager::attach_cached_prefix(int32_t seq, std::span<const int32_t> tokens) {
    Sequence& s = get(seq);
    if (!s.tokens.empty() || !s.blocks.empty())
        throw_error("kv cache", "attach_cached_prefix on sequence {} that is not empty ({} positions, {} blocks)", seq,
                    s.tokens.size(), s.blocks.size());
    if (!prefix_cache_ || tokens.empty()) return 0;
    const auto bs = static_cast<size_t>(pool_.block_size());
    const size_t max_blocks = (tokens.size() - 1) / bs;
    BlockHash parent = 0;
    for (size_t i = 0; i < max_blocks; ++i) {
        const BlockHash h = hash_block(parent, tokens.subspan(i * bs, bs));
        const int32_t block = pool_.lookup(h);
        if (block < 0) break;
        s.blocks.push_back(block);
        s.hashes.push_back(h);
        parent = h;
    }
    const size_t n_reused = s.blocks.size() * bs;
    s.tokens.assign(tokens.begin(), tokens.begin() + static_cast<std::ptrdiff_t>(n_reused));
    return static_cast<int64_t>(n_reused);
}

int64_t KvCacheManager::block_to_copy(const Sequence& s, int64_t n_new) const {
    const int64_t length = static_cast<int64_t>(s.tokens.size());
    const int64_t bs = pool_.block_size();
    if (n_new == 0 || length % bs == 0) return -1;
    const int64_t index = length / bs;
    assert(index < static_cast<int64_t>(s.blocks.size()));
    const int32_t block = s.blocks[static_cast<size_t>(index)];
    return pool_.ref_count(block) > 1 || pool_.has_hash(block) ? index : -1;
}

int64_t KvCacheManager::new_blocks_needed(const Sequence& s, int64_t n_new) const {
    const int64_t bs = pool_.block_size();
    // Positions the table covers past length; the table always covers [0, length).
    const int64_t room = static_cast<int64_t>(s.blocks.size()) * bs - static_cast<int64_t>(s.tokens.size());
    assert(room >= 0);
    if (n_new <= room) return 0;
    const int64_t missing = n_new - room;
    return missing / bs + (missing % bs != 0 ? 1 : 0);
}

int64_t KvCacheManager::blocks_needed(int32_t seq, int64_t n_new) const {
    const Sequence& s = get(seq);
    if (n_new < 0) throw_error("kv cache", "cannot reserve {} positions for sequence {}", n_new, seq);
    return new_blocks_needed(s, n_new) + (block_to_copy(s, n_new) >= 0 ? 1 : 0);
}

bool KvCacheManager::reserve(int32_t seq, int64_t n_new, std::vector<BlockCopy>& copies) {
    Sequence& s = get(seq);
    if (n_new < 0) throw_error("kv cache", "cannot reserve {} positions for sequence {}", n_new, seq);
    const int64_t copy_index = block_to_copy(s, n_new);
    const int64_t n_new_blocks = new_blocks_needed(s, n_new);
    if (n_new_blocks + (copy_index >= 0 ? 1 : 0) > pool_.n_free()) return false;
    if (copy_index >= 0) {
        // Allocate before releasing: the source must not be handed out by this allocate.
        const int32_t old_block = s.blocks[static_cast<size_t>(copy_index)];
        const int32_t new_block = pool_.allocate();
        assert(new_block >= 0);
        s.blocks[static_cast<size_t>(copy_index)] = new_block;
        copies.push_back({old_block, new_block});
        pool_.release(old_block);
    }
    for (int64_t i = 0; i < n_new_blocks; ++i) {
        const int32_t block = pool_.allocate();
        assert(block >= 0);
        s.blocks.push_back(block);
    }
    return true;
}

void KvCacheManager::append(int32_t seq, std::span<const int32_t> tokens) {
    Sequence& s = get(seq);
    const int64_t bs = pool_.block_size();
    const int64_t length = static_cast<int64_t>(s.tokens.size());
    const int64_t capacity = static_cast<int64_t>(s.blocks.size()) * bs;
    if (static_cast<int64_t>(tokens.size()) > capacity - length)
        throw_error("kv cache", "sequence {}: {} tokens at position {} exceed the {} reserved positions", seq,
                    tokens.size(), length, capacity);
    if (tokens.empty()) return;
    const int64_t end = length + static_cast<int64_t>(tokens.size());
    for (int64_t index = length / bs; index * bs < end; ++index) {
        const int32_t block = s.blocks[static_cast<size_t>(index)];
        if (pool_.ref_count(block) != 1 || pool_.has_hash(block))
            throw_error("kv cache", "sequence {}: block {} at position {} is shared or cached (reserve first)", seq,
                        block, std::max(length, index * bs));
    }
    s.tokens.insert(s.tokens.end(), tokens.begin(), tokens.end());
    for (int64_t index = static_cast<int64_t>(s.hashes.size()); (index + 1) * bs <= end; ++index) {
        const BlockHash parent = s.hashes.empty() ? 0 : s.hashes.back();
        const auto first = s.tokens.begin() + static_cast<std::ptrdiff_t>(index * bs);
        const BlockHash h = hash_block(parent, std::span<const int32_t>(first, static_cast<size_t>(bs)));
        s.hashes.push_back(h);
        if (prefix_cache_) pool_.register_hash(s.blocks[static_cast<size_t>(index)], h);
    }
}

void KvCacheManager::truncate(int32_t seq, int64_t n) {
    Sequence& s = get(seq);
    const int64_t length = static_cast<int64_t>(s.tokens.size());
    if (n < 0 || n > length)
        throw_error("kv cache", "cannot truncate sequence {} of {} positions to {}", seq, length, n);
    const int64_t bs = pool_.block_size();
    if (n > 0 && n + 1 - s.window < static_cast<int64_t>(s.n_released) * bs)
        throw_error("kv cache", "cannot truncate sequence {} to {} positions: the blocks before position {} were "
                    "released out of the sliding window", seq, n, static_cast<int64_t>(s.n_released) * bs);
    s.tokens.resize(static_cast<size_t>(n));
    s.hashes.resize(static_cast<size_t>(n / bs));
    release_blocks_from(s, static_cast<size_t>((n + bs - 1) / bs));
}

int64_t KvCacheManager::release_out_of_window(int32_t seq, int64_t window) {
    Sequence& s = get(seq);
    if (window < 1) throw_error("kv cache", "sliding window must be >= 1, got {}", window);
    const int64_t first_visible = static_cast<int64_t>(s.tokens.size()) + 1 - window;
    s.window = window;
    if (first_visible <= 0) return 0;
    const auto n_dead = std::min(static_cast<size_t>(first_visible / pool_.block_size()), s.blocks.size());
    int64_t released = 0;
    for (; s.n_released < n_dead; ++s.n_released, ++released) pool_.release(s.blocks[s.n_released]);
    return released;
}

int64_t KvCacheManager::n_released_blocks(int32_t seq) const { return static_cast<int64_t>(get(seq).n_released); }

int64_t KvCacheManager::length(int32_t seq) const { return static_cast<int64_t>(get(seq).tokens.size()); }

std::span<const int32_t> KvCacheManager::block_table(int32_t seq) const { return get(seq).blocks; }

std::span<const int32_t> KvCacheManager::tokens(int32_t seq) const { return get(seq).tokens; }

std::span<const BlockHash> KvCacheManager::block_hashes(int32_t seq) const { return get(seq).hashes; }

}  // namespace rocmforge::kv
