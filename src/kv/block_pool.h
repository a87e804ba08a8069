#pragma once
// Bookkeeping of paged KV blocks: ids, reference counts and the prefix cache (hash -> block).
// Device-neutral: it holds no K/V data; a block id indexes whatever storage the backend owns
// (e.g. k: [n_blocks, block_size, n_kv_heads, head_dim] per layer).
#include <cstdint>
#include <span>
#include <unordered_map>
#include <vector>

namespace rocmforge::kv {

using BlockHash = uint64_t;

// Chained hash of one full block: the parent block's hash (0 for the first block of a sequence)
// mixed with the block's token ids. Deterministic across runs and machines:
//   h = mix64(parent); for each token t: h = mix64(h ^ uint32(t))
// with mix64 the splitmix64 finalizer. 64 bits: the prefix cache trusts equal hashes to mean
// equal prefixes (a collision among a million cached blocks has probability ~3e-8).
BlockHash hash_block(BlockHash parent, std::span<const int32_t> tokens);

// Copy-on-write work: the caller copies block src's K/V into dst (all layers) before the next
// forward pass, i.e. before any write into blocks handed out after the reserve that produced it.
struct BlockCopy {
    int32_t src = -1;
    int32_t dst = -1;
};

// Counted per block looked up (BlockPool::lookup); evictions per cached block handed out again.
struct PrefixCacheStats {
    int64_t queries = 0;
    int64_t hits = 0;
    int64_t evictions = 0;
};

// Fixed set of n_blocks blocks of block_size positions. A block is in exactly one state:
//   free                 on the free list, no hash;
//   referenced           ref count > 0 (with or without a hash);
//   cached-unreferenced  ref count 0 but registered in the prefix cache under its hash; evictable,
//                        kept in LRU order by the time it was last released.
// A block with a hash is immutable: its K/V content is the one its hash names. Writers only
// write blocks with ref count 1 and no hash (KvCacheManager copies the others first).
// Block ids out of range and ref-count misuse (retain of a free block, release at 0) throw
// rocmforge::Error with context "kv cache".
class BlockPool {
public:
    // Throws rocmforge::Error when either is < 1, n_blocks exceeds int32 ids, or
    // n_blocks * block_size overflows int64.
    BlockPool(int64_t n_blocks, int64_t block_size);

    int64_t n_blocks() const { return n_blocks_; }
    int64_t block_size() const { return block_size_; }
    // Blocks allocate() can still hand out: free list + cached-unreferenced.
    int64_t n_free() const { return static_cast<int64_t>(free_.size()) + n_lru_; }
    // Blocks with ref count > 0.
    int64_t n_referenced() const { return n_referenced_; }
    // Blocks registered in the prefix cache (referenced or not).
    int64_t n_cached() const { return static_cast<int64_t>(by_hash_.size()); }

    // A block with ref count 1: from the free list first (lowest ids first on a fresh pool);
    // otherwise evicts the least recently released cached-unreferenced block (dropping its hash).
    // Returns -1 when every block is referenced.
    int32_t allocate();
    // Ref + 1. The block must be referenced or cached-unreferenced (the latter leaves the LRU list).
    void retain(int32_t block);
    // Ref - 1 (ref must be > 0). At 0: to the back of the LRU list if it has a hash, else to the
    // free list.
    void release(int32_t block);
    int32_t ref_count(int32_t block) const;

    // Prefix cache: the block registered under h, retained (ref + 1), or -1.
    // Counts one query, and one hit when found.
    int32_t lookup(BlockHash h);
    // Registers a full, referenced block under h. No-op when h is already registered (to any
    // block) or the block already has a hash.
    void register_hash(int32_t block, BlockHash h);
    bool has_hash(int32_t block) const;
    // The hash a block is registered under; the block must have one.
    BlockHash block_hash(int32_t block) const;

    const PrefixCacheStats& stats() const { return stats_; }

private:
    void check_block(int32_t block) const;
    void lru_push_back(int32_t block);
    void lru_remove(int32_t block);

    int64_t n_blocks_ = 0;
    int64_t block_size_ = 0;
    int64_t n_referenced_ = 0;
    std::vector<int32_t> ref_;       // [n_blocks]
    std::vector<uint8_t> hashed_;    // [n_blocks] 1 when registered in by_hash_
    std::vector<BlockHash> hash_;    // [n_blocks] valid where hashed_
    std::vector<int32_t> free_;      // stack; back is handed out next
    std::unordered_map<BlockHash, int32_t> by_hash_;
    // Intrusive doubly linked LRU list of cached-unreferenced blocks, [n_blocks + 1] each; index
    // n_blocks is the sentinel (its next is the least recently released block).
    std::vector<int32_t> lru_prev_;
    std::vector<int32_t> lru_next_;
    int64_t n_lru_ = 0;
    PrefixCacheStats stats_;
};

}  // namespace rocmforge::kv
