#pragma once
// Per-sequence block tables over one BlockPool, with copy-on-write for shared or cached blocks
// and prefix caching of full blocks. Holds block ids and token ids only; the caller owns the K/V
// storage, runs the BlockCopy work, and writes K/V at the positions it reserved.
//
// Step of one sequence: reserve(seq, n) -> run copies -> forward writes positions
// [length, length + n) into block_table(seq) -> append(seq, tokens).
#include "kv/block_pool.h"

#include <cstdint>
#include <span>
#include <vector>

namespace rocmforge::kv {

// Sequence ids are small non-negative ints; the lowest free id is reused after free_sequence.
// Unknown sequence ids and out-of-range counts throw rocmforge::Error with context "kv cache".
// Spans returned by block_table() and tokens() are invalidated by any call that changes that
// sequence or creates one.
class KvCacheManager {
public:
    // Throws rocmforge::Error when n_blocks or block_size is < 1 (see BlockPool).
    KvCacheManager(int64_t n_blocks, int64_t block_size, bool prefix_cache = true);

    BlockPool& pool() { return pool_; }
    const BlockPool& pool() const { return pool_; }
    int64_t block_size() const { return pool_.block_size(); }
    bool prefix_cache() const { return prefix_cache_; }

    // A new empty sequence.
    int32_t create_sequence();
    // Releases all its blocks, last block first, so that under LRU eviction a cached prefix loses
    // its tail before its head. Full hashed blocks stay cached until evicted.
    void free_sequence(int32_t seq);
    // A new sequence sharing seq's blocks that hold positions [0, length) (ref + 1 each, except
    // blocks released out of the window, which the child does not hold either) and its token
    // list. Blocks reserved beyond ceil(length / block_size) are not shared.
    int32_t fork(int32_t seq);

    // For an empty sequence (length 0, no blocks): attaches cached full blocks matching the
    // chained hashes of tokens' full blocks (retained through BlockPool::lookup), stopping at the
    // first miss and never covering all of `tokens` (at least one token must still be computed
    // to produce logits: at most (tokens.size() - 1) / block_size blocks). Returns the positions
    // reused (a multiple of block_size); the sequence's length and token list become that
    // prefix. With prefix_cache false returns 0 and looks nothing up.
    int64_t attach_cached_prefix(int32_t seq, std::span<const int32_t> tokens);

    // Blocks reserve(seq, n_new) takes from the pool (allocate calls): new blocks, plus one when
    // the block holding position length must be copied (see reserve).
    int64_t blocks_needed(int32_t seq, int64_t n_new) const;
    // Makes room for positions [length, length + n_new). When n_new > 0 and the block holding
    // position length is partial and shared (ref > 1) or hashed, replaces it in this sequence's
    // table by a fresh block, appends {old, new} to copies and releases old; then allocates the
    // further blocks needed. Returns false and changes nothing when the pool cannot supply
    // blocks_needed(seq, n_new) blocks.
    bool reserve(int32_t seq, int64_t n_new, std::vector<BlockCopy>& copies);
    // Records the ids of tokens written at positions [length, length + tokens.size()) (after
    // reserve); every block that becomes full gets its chained hash registered (when
    // prefix_cache). Throws rocmforge::Error when the reserved blocks do not cover the tokens or
    // a block to be written is shared or hashed (reserve was skipped).
    void append(int32_t seq, std::span<const int32_t> tokens);
    // Forgets positions >= n (0 <= n <= length) and releases the blocks past
    // ceil(n / block_size), last first. A kept partial block that is hashed or shared is copied
    // by the next reserve. Throws rocmforge::Error when the blocks a query at position n would
    // read were released by release_out_of_window (n = 0 is always allowed).
    void truncate(int32_t seq, int64_t n);

    // Sliding window on every layer (a query at position q sees keys (q - window, q]): releases
    // the sequence's blocks that hold only positions no later query sees, i.e. positions
    // < length + 1 - window, oldest first, and returns how many it released. Their block-table
    // entries keep the old ids (in range, but the block may be handed to another sequence):
    // readers must not use positions before length(seq) + 1 - window, which attention with that
    // window never does. A model with any global (full-attention) layer must not call this.
    // Throws rocmforge::Error when window < 1.
    int64_t release_out_of_window(int32_t seq, int64_t window);
    // Leading block-table entries released by release_out_of_window.
    int64_t n_released_blocks(int32_t seq) const;

    // Positions written.
    int64_t length(int32_t seq) const;
    // Block ids; position p is in block_table[p / block_size]. May hold reserved blocks past
    // length.
    std::span<const int32_t> block_table(int32_t seq) const;
    // Token ids of positions [0, length).
    std::span<const int32_t> tokens(int32_t seq) const;
    // Chained hashes of the sequence's full blocks ([length / block_size]), registered or not.
    std::span<const BlockHash> block_hashes(int32_t seq) const;
    // Live sequences.
    int64_t n_sequences() const { return n_live_; }

private:
    struct Sequence {
        bool live = false;
        std::vector<int32_t> blocks;     // block table
        std::vector<int32_t> tokens;     // [length]
        std::vector<BlockHash> hashes;   // [length / block_size]
        size_t n_released = 0;           // leading blocks released out of the sliding window
        int64_t window = 0;              // the window they were released for
    };

    Sequence& get(int32_t seq);
    const Sequence& get(int32_t seq) const;
    int32_t new_sequence_slot();
    // Index of the block that must be copied before position length is written, or -1.
    int64_t block_to_copy(const Sequence& s, int64_t n_new) const;
    int64_t new_blocks_needed(const Sequence& s, int64_t n_new) const;
    // Releases the held blocks of s past index first, last first; drops released entries too.
    void release_blocks_from(Sequence& s, size_t first);

    BlockPool pool_;
    bool prefix_cache_ = true;
    std::vector<Sequence> sequences_;  // indexed by sequence id
    int64_t n_live_ = 0;
};

}  // namespace rocmforge::kv
