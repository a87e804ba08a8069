// kv layer: paged block pool (ref counts, prefix cache, LRU eviction) and per-sequence block
// tables (fork, copy-on-write, prefix reuse, truncate). Expected ids and counts are worked out by
// hand from the documented allocation order: a fresh pool hands out 0, 1, 2, ...
#include "kv/block_pool.h"
#include "kv/kv_cache_manager.h"
#include "util/error.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <map>
#include <numeric>
#include <random>
#include <string>
#include <utility>
#include <vector>

namespace rocmforge::kv {
namespace {

std::vector<int32_t> iota_tokens(size_t n, int32_t first = 0) {
    std::vector<int32_t> t(n);
    std::iota(t.begin(), t.end(), first);
    return t;
}

std::vector<int32_t> to_vector(std::span<const int32_t> s) { return {s.begin(), s.end()}; }

// reserve + append in one step, as the engine does around a forward pass.
void reserve_and_append(KvCacheManager& m, int32_t seq, const std::vector<int32_t>& tokens) {
    std::vector<BlockCopy> copies;
    ASSERT_TRUE(m.reserve(seq, static_cast<int64_t>(tokens.size()), copies));
    m.append(seq, tokens);
}

template <typename F>
void expect_kv_error(F&& f, const std::string& needle) {
    try {
        f();
        ADD_FAILURE() << "no rocmforge::Error thrown (expected one naming '" << needle << "')";
    } catch (const Error& e) {
        EXPECT_EQ(e.context(), "kv cache");
        EXPECT_NE(e.message().find(needle), std::string::npos) << e.what();
    }
}

// ---------------------------------------------------------------------------------------------
// hash_block

TEST(BlockHash, MatchesDocumentedSplitmixChain) {
    // The first output of SplitMix64 seeded with 0 (published test vector) is mix64(0).
    EXPECT_EQ(hash_block(0, {}), 0xE220A8397B1DCDAFull);
    // h = mix64(parent); h = mix64(h ^ uint32(t)) per token, spelled out independently here.
    auto mix64 = [](uint64_t x) {
        x += 0x9e3779b97f4a7c15ull;
        x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
        x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
        return x ^ (x >> 31);
    };
    const std::vector<int32_t> tokens = {7, -1, 123456};
    uint64_t h = mix64(42);
    h = mix64(h ^ 7u);
    h = mix64(h ^ 0xFFFFFFFFu);
    h = mix64(h ^ 123456u);
    EXPECT_EQ(hash_block(42, tokens), h);
}

TEST(BlockHash, DependsOnParentTokensAndOrder) {
    const std::vector<int32_t> a = {1, 2, 3, 4};
    const std::vector<int32_t> swapped = {2, 1, 3, 4};
    const std::vector<int32_t> last_changed = {1, 2, 3, 5};
    const BlockHash h = hash_block(0, a);
    EXPECT_EQ(h, hash_block(0, a));
    EXPECT_NE(h, hash_block(1, a));
    EXPECT_NE(h, hash_block(0, swapped));
    EXPECT_NE(h, hash_block(0, last_changed));
    // The same block content after different prefixes hashes differently.
    EXPECT_NE(hash_block(h, a), hash_block(hash_block(0, last_changed), a));
}

// ---------------------------------------------------------------------------------------------
// BlockPool

TEST(BlockPool, RejectsInvalidSizes) {
    EXPECT_THROW(BlockPool(0, 16), Error);
    EXPECT_THROW(BlockPool(4, 0), Error);
    EXPECT_THROW(BlockPool(-1, 16), Error);
    EXPECT_THROW(BlockPool(int64_t{1} << 40, 16), Error);
    EXPECT_THROW(KvCacheManager(4, -3), Error);
}

TEST(BlockPool, AllocateRetainReleaseCountRefs) {
    BlockPool pool(4, 16);
    EXPECT_EQ(pool.n_blocks(), 4);
    EXPECT_EQ(pool.block_size(), 16);
    EXPECT_EQ(pool.n_free(), 4);
    EXPECT_EQ(pool.n_referenced(), 0);

    EXPECT_EQ(pool.allocate(), 0);
    EXPECT_EQ(pool.allocate(), 1);
    EXPECT_EQ(pool.ref_count(0), 1);
    EXPECT_EQ(pool.ref_count(2), 0);
    EXPECT_EQ(pool.n_free(), 2);
    EXPECT_EQ(pool.n_referenced(), 2);

    pool.retain(1);
    EXPECT_EQ(pool.ref_count(1), 2);
    EXPECT_EQ(pool.n_referenced(), 2);
    pool.release(1);
    EXPECT_EQ(pool.ref_count(1), 1);
    EXPECT_EQ(pool.n_free(), 2);
    pool.release(1);
    EXPECT_EQ(pool.ref_count(1), 0);
    EXPECT_EQ(pool.n_free(), 3);
    EXPECT_EQ(pool.n_referenced(), 1);
    // A released unhashed block goes back on the free list and is handed out next.
    EXPECT_EQ(pool.allocate(), 1);
}

TEST(BlockPool, ExhaustionReturnsMinusOneUntilARelease) {
    BlockPool pool(3, 8);
    EXPECT_EQ(pool.allocate(), 0);
    EXPECT_EQ(pool.allocate(), 1);
    EXPECT_EQ(pool.allocate(), 2);
    EXPECT_EQ(pool.n_free(), 0);
    EXPECT_EQ(pool.n_referenced(), 3);
    EXPECT_EQ(pool.allocate(), -1);
    EXPECT_EQ(pool.allocate(), -1);
    EXPECT_EQ(pool.n_free(), 0);
    pool.release(1);
    EXPECT_EQ(pool.n_free(), 1);
    EXPECT_EQ(pool.allocate(), 1);
    EXPECT_EQ(pool.allocate(), -1);
}

TEST(BlockPool, LookupRetainsCachedBlockAndCounts) {
    BlockPool pool(2, 4);
    const int32_t b = pool.allocate();
    EXPECT_FALSE(pool.has_hash(b));
    pool.register_hash(b, 1234);
    EXPECT_TRUE(pool.has_hash(b));
    EXPECT_EQ(pool.block_hash(b), 1234u);
    EXPECT_EQ(pool.n_cached(), 1);

    pool.release(b);  // cached-unreferenced: still allocatable, still cached
    EXPECT_EQ(pool.ref_count(b), 0);
    EXPECT_EQ(pool.n_free(), 2);
    EXPECT_EQ(pool.n_referenced(), 0);
    EXPECT_TRUE(pool.has_hash(b));

    EXPECT_EQ(pool.lookup(999), -1);
    EXPECT_EQ(pool.lookup(1234), b);
    EXPECT_EQ(pool.ref_count(b), 1);
    EXPECT_EQ(pool.n_free(), 1);
    EXPECT_EQ(pool.lookup(1234), b);  // a second user of a referenced cached block
    EXPECT_EQ(pool.ref_count(b), 2);
    EXPECT_EQ(pool.stats().queries, 3);
    EXPECT_EQ(pool.stats().hits, 2);
    EXPECT_EQ(pool.stats().evictions, 0);
}

TEST(BlockPool, RegisterHashIgnoresTakenHashesAndHashedBlocks) {
    BlockPool pool(3, 4);
    const int32_t a = pool.allocate();
    const int32_t b = pool.allocate();
    pool.register_hash(a, 10);
    pool.register_hash(b, 10);  // same content computed twice: b is simply not cached
    EXPECT_FALSE(pool.has_hash(b));
    pool.register_hash(a, 11);  // a keeps its first hash
    EXPECT_EQ(pool.block_hash(a), 10u);
    EXPECT_EQ(pool.lookup(11), -1);
    EXPECT_EQ(pool.n_cached(), 1);
    // b, unhashed, returns to the free list; a stays cached.
    pool.release(b);
    pool.release(a);
    EXPECT_EQ(pool.n_free(), 3);
    EXPECT_EQ(pool.allocate(), b);
    EXPECT_EQ(pool.allocate(), 2);
    EXPECT_EQ(pool.stats().evictions, 0);
    EXPECT_EQ(pool.allocate(), a);  // free list empty: evicts a
    EXPECT_EQ(pool.stats().evictions, 1);
    EXPECT_FALSE(pool.has_hash(a));
    EXPECT_EQ(pool.lookup(10), -1);
}

TEST(BlockPool, EvictsLeastRecentlyReleasedFirst) {
    BlockPool pool(5, 4);
    for (int32_t b = 0; b < 4; ++b) {
        ASSERT_EQ(pool.allocate(), b);
        pool.register_hash(b, 100 + static_cast<BlockHash>(b));
    }
    // Release order 2, 0, 3, 1: LRU order is the same.
    for (int32_t b : {2, 0, 3, 1}) pool.release(b);
    EXPECT_EQ(pool.n_free(), 5);
    EXPECT_EQ(pool.n_referenced(), 0);

    EXPECT_EQ(pool.allocate(), 4);  // the free list goes first
    EXPECT_EQ(pool.stats().evictions, 0);
    EXPECT_EQ(pool.allocate(), 2);
    EXPECT_EQ(pool.stats().evictions, 1);
    EXPECT_FALSE(pool.has_hash(2));
    EXPECT_EQ(pool.lookup(102), -1);  // the evicted hash no longer hits

    // A hit takes 3 off the LRU list; re-releasing puts it at the most recent end.
    EXPECT_EQ(pool.lookup(103), 3);
    pool.release(3);
    // LRU is now 0, 1, 3.
    EXPECT_EQ(pool.allocate(), 0);
    EXPECT_EQ(pool.allocate(), 1);
    EXPECT_EQ(pool.lookup(100), -1);
    EXPECT_EQ(pool.lookup(101), -1);
    EXPECT_EQ(pool.lookup(103), 3);
    EXPECT_EQ(pool.allocate(), -1);  // 3 is referenced again: nothing left
    EXPECT_EQ(pool.stats().evictions, 3);
    EXPECT_EQ(pool.n_free(), 0);
    EXPECT_EQ(pool.n_referenced(), 5);
}

TEST(BlockPool, MisuseThrows) {
    BlockPool pool(2, 4);
    expect_kv_error([&] { pool.release(0); }, "0");        // free block
    expect_kv_error([&] { pool.retain(1); }, "1");         // free block
    expect_kv_error([&] { pool.ref_count(2); }, "2");      // out of range
    expect_kv_error([&] { pool.has_hash(-1); }, "-1");
    expect_kv_error([&] { pool.register_hash(0, 5); }, "0");  // unreferenced
    const int32_t b = pool.allocate();
    pool.release(b);
    expect_kv_error([&] { pool.release(b); }, std::to_string(b));
}

// ---------------------------------------------------------------------------------------------
// KvCacheManager

TEST(KvCacheManager, SequenceIdsAreReusedLowestFirst) {
    KvCacheManager m(8, 4);
    EXPECT_EQ(m.create_sequence(), 0);
    EXPECT_EQ(m.create_sequence(), 1);
    EXPECT_EQ(m.create_sequence(), 2);
    EXPECT_EQ(m.n_sequences(), 3);
    m.free_sequence(1);
    m.free_sequence(0);
    EXPECT_EQ(m.n_sequences(), 1);
    EXPECT_EQ(m.create_sequence(), 0);
    EXPECT_EQ(m.create_sequence(), 1);
    EXPECT_EQ(m.create_sequence(), 3);
    EXPECT_EQ(m.length(3), 0);
    EXPECT_TRUE(m.block_table(3).empty());
}

TEST(KvCacheManager, ReserveAndAppendFillBlocksAndHashFullOnes) {
    KvCacheManager m(8, 4);
    const int32_t s = m.create_sequence();
    EXPECT_EQ(m.blocks_needed(s, 0), 0);
    EXPECT_EQ(m.blocks_needed(s, 1), 1);
    EXPECT_EQ(m.blocks_needed(s, 4), 1);
    EXPECT_EQ(m.blocks_needed(s, 10), 3);
    std::vector<BlockCopy> copies;
    ASSERT_TRUE(m.reserve(s, 10, copies));
    EXPECT_TRUE(copies.empty());
    EXPECT_EQ(to_vector(m.block_table(s)), (std::vector<int32_t>{0, 1, 2}));
    EXPECT_EQ(m.pool().n_free(), 5);
    EXPECT_EQ(m.length(s), 0);

    // Appending in pieces: 3 + 7 tokens.
    const auto t = iota_tokens(10, 50);
    m.append(s, std::span(t).first(3));
    EXPECT_EQ(m.length(s), 3);
    EXPECT_FALSE(m.pool().has_hash(0));
    m.append(s, std::span(t).subspan(3));
    EXPECT_EQ(m.length(s), 10);
    EXPECT_EQ(to_vector(m.tokens(s)), t);

    const BlockHash h0 = hash_block(0, std::span(t).first(4));
    const BlockHash h1 = hash_block(h0, std::span(t).subspan(4, 4));
    ASSERT_EQ(m.block_hashes(s).size(), 2u);
    EXPECT_EQ(m.block_hashes(s)[0], h0);
    EXPECT_EQ(m.block_hashes(s)[1], h1);
    EXPECT_TRUE(m.pool().has_hash(0));
    EXPECT_EQ(m.pool().block_hash(1), h1);
    EXPECT_FALSE(m.pool().has_hash(2));  // partial

    // 2 positions left in block 2; the third new one needs a block.
    EXPECT_EQ(m.blocks_needed(s, 2), 0);
    EXPECT_EQ(m.blocks_needed(s, 3), 1);
    EXPECT_EQ(m.blocks_needed(s, 7), 2);
}

TEST(KvCacheManager, PrefixCacheOffRegistersAndReusesNothing) {
    KvCacheManager m(8, 4, /*prefix_cache=*/false);
    const auto t = iota_tokens(12);
    const int32_t a = m.create_sequence();
    reserve_and_append(m, a, t);
    EXPECT_EQ(m.pool().n_cached(), 0);
    m.free_sequence(a);
    const int32_t b = m.create_sequence();
    EXPECT_EQ(m.attach_cached_prefix(b, t), 0);
    EXPECT_EQ(m.length(b), 0);
    EXPECT_EQ(m.pool().stats().queries, 0);
}

TEST(KvCacheManager, ForkSharesBlocksAndCopiesPartialLastBlockOnce) {
    KvCacheManager m(16, 16);
    const int32_t a = m.create_sequence();
    reserve_and_append(m, a, iota_tokens(20));  // block 0 full, block 1 holds 4 positions
    ASSERT_EQ(to_vector(m.block_table(a)), (std::vector<int32_t>{0, 1}));

    const int32_t b = m.fork(a);
    EXPECT_EQ(to_vector(m.block_table(b)), (std::vector<int32_t>{0, 1}));
    EXPECT_EQ(to_vector(m.tokens(b)), iota_tokens(20));
    EXPECT_EQ(m.length(b), 20);
    EXPECT_EQ(m.pool().ref_count(0), 2);
    EXPECT_EQ(m.pool().ref_count(1), 2);
    EXPECT_EQ(m.pool().n_referenced(), 2);

    EXPECT_EQ(m.blocks_needed(b, 1), 1);  // the copy only
    std::vector<BlockCopy> copies;
    ASSERT_TRUE(m.reserve(b, 1, copies));
    ASSERT_EQ(copies.size(), 1u);
    EXPECT_EQ(copies[0].src, 1);
    EXPECT_EQ(copies[0].dst, 2);
    EXPECT_EQ(to_vector(m.block_table(b)), (std::vector<int32_t>{0, 2}));
    EXPECT_EQ(m.pool().ref_count(0), 2);
    EXPECT_EQ(m.pool().ref_count(1), 1);
    EXPECT_EQ(m.pool().ref_count(2), 1);

    // a is now the only owner of block 1: it writes in place.
    copies.clear();
    EXPECT_EQ(m.blocks_needed(a, 1), 0);
    ASSERT_TRUE(m.reserve(a, 1, copies));
    EXPECT_TRUE(copies.empty());
    m.append(a, std::vector<int32_t>{1000});
    m.append(b, std::vector<int32_t>{2000});
    EXPECT_EQ(to_vector(m.block_table(a)), (std::vector<int32_t>{0, 1}));
    EXPECT_EQ(to_vector(m.block_table(b)), (std::vector<int32_t>{0, 2}));
    EXPECT_EQ(m.tokens(a)[20], 1000);
    EXPECT_EQ(m.tokens(b)[20], 2000);
}

TEST(KvCacheManager, ForkWithFullLastBlockDoesNotCopy) {
    KvCacheManager m(8, 16);
    const int32_t a = m.create_sequence();
    reserve_and_append(m, a, iota_tokens(32));
    const int32_t b = m.fork(a);
    EXPECT_EQ(m.blocks_needed(b, 1), 1);  // one new block, no copy
    std::vector<BlockCopy> copies;
    ASSERT_TRUE(m.reserve(b, 1, copies));
    EXPECT_TRUE(copies.empty());
    EXPECT_EQ(to_vector(m.block_table(b)), (std::vector<int32_t>{0, 1, 2}));
    EXPECT_EQ(m.pool().ref_count(0), 2);
    EXPECT_EQ(m.pool().ref_count(1), 2);
    EXPECT_EQ(m.pool().ref_count(2), 1);
}

TEST(KvCacheManager, ForkDoesNotShareBlocksReservedPastLength) {
    KvCacheManager m(8, 4);
    const int32_t a = m.create_sequence();
    std::vector<BlockCopy> copies;
    ASSERT_TRUE(m.reserve(a, 12, copies));  // blocks 0, 1, 2
    m.append(a, iota_tokens(5));            // positions 0..4: blocks 0 and 1
    const int32_t b = m.fork(a);
    EXPECT_EQ(to_vector(m.block_table(b)), (std::vector<int32_t>{0, 1}));
    EXPECT_EQ(m.pool().ref_count(2), 1);
}

TEST(KvCacheManager, PrefixHitReusesBlocksOfAFreedSequence) {
    KvCacheManager m(64, 16);
    const auto prompt = iota_tokens(200, 1);
    const int32_t a = m.create_sequence();
    reserve_and_append(m, a, prompt);
    const auto table_a = to_vector(m.block_table(a));
    ASSERT_EQ(table_a.size(), 13u);  // 12 full blocks + 8 positions
    m.free_sequence(a);
    EXPECT_EQ(m.pool().n_free(), 64);
    EXPECT_EQ(m.pool().n_cached(), 12);

    auto request = prompt;
    for (int32_t t : {900, 901, 902, 903, 904}) request.push_back(t);
    const int32_t b = m.create_sequence();
    EXPECT_EQ(m.attach_cached_prefix(b, request), 192);
    EXPECT_EQ(m.length(b), 192);
    EXPECT_EQ(to_vector(m.tokens(b)), std::vector<int32_t>(prompt.begin(), prompt.begin() + 192));
    EXPECT_EQ(to_vector(m.block_table(b)), std::vector<int32_t>(table_a.begin(), table_a.begin() + 12));
    EXPECT_EQ(m.pool().stats().hits, 12);
    EXPECT_EQ(m.pool().stats().queries, 12);  // (205 - 1) / 16 = 12 blocks looked up
    EXPECT_EQ(m.pool().n_referenced(), 12);
    for (int i = 0; i < 12; ++i) EXPECT_EQ(m.pool().ref_count(table_a[static_cast<size_t>(i)]), 1);

    // The 13 remaining positions fit one fresh block; nothing is copied.
    EXPECT_EQ(m.blocks_needed(b, 13), 1);
    std::vector<BlockCopy> copies;
    ASSERT_TRUE(m.reserve(b, 13, copies));
    EXPECT_TRUE(copies.empty());
    m.append(b, std::span(request).subspan(192));
    EXPECT_EQ(m.length(b), 205);
}

TEST(KvCacheManager, AttachNeverCoversAllTokensAndStopsAtFirstMiss) {
    KvCacheManager m(16, 16);
    const auto t32 = iota_tokens(32);
    const int32_t a = m.create_sequence();
    reserve_and_append(m, a, t32);  // blocks 0, 1 hashed; a stays alive (sharing)

    const int32_t b = m.create_sequence();
    EXPECT_EQ(m.attach_cached_prefix(b, t32), 16);  // 32 tokens: one must still be computed
    EXPECT_EQ(to_vector(m.block_table(b)), (std::vector<int32_t>{0}));
    EXPECT_EQ(m.pool().ref_count(0), 2);

    auto t33 = t32;
    t33.push_back(77);
    const int32_t c = m.create_sequence();
    EXPECT_EQ(m.attach_cached_prefix(c, t33), 32);

    const int32_t d = m.create_sequence();
    EXPECT_EQ(m.attach_cached_prefix(d, std::vector<int32_t>{}), 0);
    EXPECT_EQ(m.attach_cached_prefix(d, std::span(t32).first(16)), 0);

    auto first_changed = t33;
    first_changed[3] = -5;  // block 0 misses: block 1's chained hash differs too
    const int32_t e = m.create_sequence();
    const int64_t queries = m.pool().stats().queries;
    EXPECT_EQ(m.attach_cached_prefix(e, first_changed), 0);
    EXPECT_EQ(m.pool().stats().queries, queries + 1);
    EXPECT_EQ(m.length(e), 0);

    // Attaching to a sequence that is not empty is a caller error.
    expect_kv_error([&] { m.attach_cached_prefix(c, t33); }, "sequence 2");
}

TEST(KvCacheManager, FreedSequenceLosesItsTailBlocksFirst) {
    KvCacheManager m(4, 2);
    const auto t = iota_tokens(8);
    const int32_t a = m.create_sequence();
    reserve_and_append(m, a, t);  // 4 full hashed blocks 0..3
    m.free_sequence(a);
    EXPECT_EQ(m.pool().n_free(), 4);

    const int32_t b = m.create_sequence();
    std::vector<BlockCopy> copies;
    ASSERT_TRUE(m.reserve(b, 2, copies));
    EXPECT_EQ(to_vector(m.block_table(b)), (std::vector<int32_t>{3}));  // a's last block
    m.free_sequence(b);

    // Blocks 0..2 still hit; with 9 tokens up to 4 blocks could be reused.
    auto request = t;
    request.push_back(99);
    const int32_t c = m.create_sequence();
    EXPECT_EQ(m.attach_cached_prefix(c, request), 6);
    EXPECT_EQ(to_vector(m.block_table(c)), (std::vector<int32_t>{0, 1, 2}));
}

TEST(KvCacheManager, TruncateIntoHashedBlockCopiesOnReserve) {
    KvCacheManager m(8, 4);
    const int32_t a = m.create_sequence();
    reserve_and_append(m, a, iota_tokens(10));  // blocks 0, 1 hashed; 2 partial
    const BlockHash h1 = m.pool().block_hash(1);

    m.truncate(a, 6);  // keeps positions 0..5: block 1 now partial but still hashed
    EXPECT_EQ(m.length(a), 6);
    EXPECT_EQ(to_vector(m.block_table(a)), (std::vector<int32_t>{0, 1}));
    EXPECT_EQ(m.block_hashes(a).size(), 1u);
    EXPECT_EQ(m.pool().ref_count(2), 0);
    EXPECT_EQ(m.pool().n_free(), 6);

    // Writing position 6 into block 1 without a copy would break its hash.
    expect_kv_error([&] { m.append(a, std::vector<int32_t>{42}); }, "block 1");

    EXPECT_EQ(m.blocks_needed(a, 1), 1);
    std::vector<BlockCopy> copies;
    ASSERT_TRUE(m.reserve(a, 1, copies));
    ASSERT_EQ(copies.size(), 1u);
    EXPECT_EQ(copies[0].src, 1);
    EXPECT_EQ(copies[0].dst, 2);  // the free list (2 was released last) before eviction
    EXPECT_EQ(to_vector(m.block_table(a)), (std::vector<int32_t>{0, 2}));
    // The old block stays cached under its hash, unreferenced.
    EXPECT_EQ(m.pool().ref_count(1), 0);
    EXPECT_EQ(m.pool().block_hash(1), h1);
    EXPECT_EQ(m.pool().n_free(), 6);  // one taken, one released to the LRU list
    m.append(a, std::vector<int32_t>{42});
    EXPECT_EQ(m.tokens(a)[6], 42);

    // Truncating to a block boundary keeps only full blocks: no copy is needed.
    m.truncate(a, 4);
    EXPECT_EQ(to_vector(m.block_table(a)), (std::vector<int32_t>{0}));
    copies.clear();
    EXPECT_EQ(m.blocks_needed(a, 1), 1);
    ASSERT_TRUE(m.reserve(a, 1, copies));
    EXPECT_TRUE(copies.empty());
}

TEST(KvCacheManager, ReserveFailsWithoutChangingAnything) {
    KvCacheManager m(3, 4);
    const int32_t a = m.create_sequence();
    reserve_and_append(m, a, iota_tokens(6));  // blocks 0, 1
    const int32_t b = m.fork(a);
    // b needs a copy of block 1 plus 2 new blocks for positions 6..13; only 1 block is free.
    EXPECT_EQ(m.blocks_needed(b, 8), 3);
    std::vector<BlockCopy> copies = {{7, 8}};
    EXPECT_FALSE(m.reserve(b, 8, copies));
    EXPECT_EQ(copies.size(), 1u);
    EXPECT_EQ(to_vector(m.block_table(b)), (std::vector<int32_t>{0, 1}));
    EXPECT_EQ(m.pool().n_free(), 1);
    EXPECT_EQ(m.pool().ref_count(1), 2);
    EXPECT_FALSE(m.reserve(a, 1000000, copies));
    // Exactly what is free succeeds: copy (1 block) for 2 positions.
    EXPECT_EQ(m.blocks_needed(b, 2), 1);
    EXPECT_TRUE(m.reserve(b, 2, copies));
    EXPECT_EQ(m.pool().n_free(), 0);
    EXPECT_FALSE(m.reserve(a, 3, copies));
}

TEST(KvCacheManager, InvalidArgumentsThrow) {
    KvCacheManager m(4, 4);
    const int32_t a = m.create_sequence();
    const int32_t freed = m.create_sequence();
    m.free_sequence(freed);
    std::vector<BlockCopy> copies;
    const std::vector<int32_t> one = {1};
    for (int32_t bad : {-1, freed, 57}) {
        const std::string name = "sequence " + std::to_string(bad);
        expect_kv_error([&] { m.free_sequence(bad); }, name);
        expect_kv_error([&] { m.fork(bad); }, name);
        expect_kv_error([&] { m.attach_cached_prefix(bad, one); }, name);
        expect_kv_error([&] { m.blocks_needed(bad, 1); }, name);
        expect_kv_error([&] { m.reserve(bad, 1, copies); }, name);
        expect_kv_error([&] { m.append(bad, one); }, name);
        expect_kv_error([&] { m.truncate(bad, 0); }, name);
        expect_kv_error([&] { m.length(bad); }, name);
        expect_kv_error([&] { m.block_table(bad); }, name);
        expect_kv_error([&] { m.tokens(bad); }, name);
    }
    EXPECT_EQ(m.n_sequences(), 1);  // a failed fork takes no slot

    reserve_and_append(m, a, iota_tokens(3));
    expect_kv_error([&] { m.truncate(a, 4); }, "to 4");
    expect_kv_error([&] { m.truncate(a, -1); }, "to -1");
    expect_kv_error([&] { m.blocks_needed(a, -2); }, "-2");
    expect_kv_error([&] { m.reserve(a, -2, copies); }, "-2");
    // One position left in block 0: two tokens are not covered.
    expect_kv_error([&] { m.append(a, std::vector<int32_t>{5, 6}); }, "2 tokens at position 3");
    EXPECT_EQ(m.length(a), 3);
}

// Random create/attach/append/fork/truncate/free against a simulated device: each block holds the
// token ids written into it, copies are applied as the engine would, and every live sequence must
// read back its own tokens through its block table after every step.
// Sliding window 6 over blocks of 4: after `length` positions the next query (at position length)
// sees keys [length - 5, length], so blocks wholly before length - 5 are released.
TEST(KvCacheManager, ReleaseOutOfWindowFreesOnlyBlocksNoQuerySees) {
    KvCacheManager m(16, 4);
    const int32_t s = m.create_sequence();
    reserve_and_append(m, s, iota_tokens(10));  // blocks 0, 1, 2; first visible key 5
    EXPECT_EQ(m.pool().n_free(), 13);
    EXPECT_EQ(m.release_out_of_window(s, 6), 1);  // block 0 holds 0..3
    EXPECT_EQ(m.n_released_blocks(s), 1);
    EXPECT_EQ(m.pool().ref_count(0), 0);
    EXPECT_EQ(m.pool().n_free(), 14);
    EXPECT_EQ(to_vector(m.block_table(s)), (std::vector<int32_t>{0, 1, 2}));  // old ids stay, in range
    EXPECT_EQ(m.release_out_of_window(s, 6), 0);
    reserve_and_append(m, s, {10, 11});  // length 12, first visible 7: block 1 (4..7) still seen
    EXPECT_EQ(m.release_out_of_window(s, 6), 0);
    reserve_and_append(m, s, {12});  // length 13, first visible 8
    EXPECT_EQ(m.release_out_of_window(s, 6), 1);
    EXPECT_EQ(m.pool().ref_count(1), 0);
    EXPECT_EQ(m.pool().ref_count(2), 1);
    EXPECT_EQ(m.length(s), 13);
    // A window wider than the sequence releases nothing.
    const int32_t t = m.create_sequence();
    reserve_and_append(m, t, iota_tokens(9));
    EXPECT_EQ(m.release_out_of_window(t, 100), 0);
    m.free_sequence(s);
    m.free_sequence(t);
    EXPECT_EQ(m.pool().n_free(), 16);
    EXPECT_EQ(m.pool().n_referenced(), 0);
    expect_kv_error([&] { m.release_out_of_window(m.create_sequence(), 0); }, "window");
}

TEST(KvCacheManager, ForkTruncateAndFreeSkipReleasedBlocks) {
    KvCacheManager m(16, 4, /*prefix_cache=*/false);
    const int32_t s = m.create_sequence();
    reserve_and_append(m, s, iota_tokens(14));  // blocks 0..3; window 6: first visible 9
    EXPECT_EQ(m.release_out_of_window(s, 6), 2);
    const int32_t child = m.fork(s);
    EXPECT_EQ(m.n_released_blocks(child), 2);
    EXPECT_EQ(m.pool().ref_count(0), 0);
    EXPECT_EQ(m.pool().ref_count(2), 2);
    EXPECT_EQ(m.pool().ref_count(3), 2);
    // Position 13 needs keys from 8: block 2 on. Truncating to 12 would need key 7 (block 1, gone).
    expect_kv_error([&] { m.truncate(child, 12); }, "sliding window");
    m.truncate(child, 13);
    EXPECT_EQ(m.pool().ref_count(3), 2);  // still covers position 12
    m.truncate(child, 0);                 // always allowed: the sequence starts over
    EXPECT_EQ(m.n_released_blocks(child), 0);
    EXPECT_TRUE(m.block_table(child).empty());
    EXPECT_EQ(m.pool().ref_count(2), 1);
    m.free_sequence(s);
    m.free_sequence(child);
    EXPECT_EQ(m.pool().n_free(), 16);
    EXPECT_EQ(m.pool().n_referenced(), 0);
}

TEST(KvCacheManager, ReleasedFullBlocksStayInThePrefixCache) {
    KvCacheManager m(16, 4);
    const int32_t s = m.create_sequence();
    const auto tokens = iota_tokens(13, 100);
    reserve_and_append(m, s, tokens);
    EXPECT_EQ(m.release_out_of_window(s, 4), 2);  // first visible 10: blocks 0, 1
    EXPECT_TRUE(m.pool().has_hash(0));
    EXPECT_EQ(m.pool().ref_count(0), 0);
    // Another request with the same prompt reuses them (hashed content is immutable).
    const int32_t t = m.create_sequence();
    EXPECT_EQ(m.attach_cached_prefix(t, tokens), 12);
    EXPECT_EQ(to_vector(m.block_table(t)), (std::vector<int32_t>{0, 1, 2}));
    EXPECT_EQ(m.pool().ref_count(0), 1);
    EXPECT_EQ(m.pool().ref_count(2), 2);
}

TEST(KvCacheManager, RandomOperationsKeepInvariants) {
    constexpr int64_t kBlocks = 24;
    constexpr int64_t kBlockSize = 4;
    constexpr int kMaxSequences = 8;
    KvCacheManager m(kBlocks, kBlockSize);
    BlockPool& pool = m.pool();
    std::mt19937 rng(20240611);
    auto rand_below = [&](uint32_t n) { return static_cast<int64_t>(rng() % n); };

    std::vector<std::vector<int32_t>> device(kBlocks, std::vector<int32_t>(kBlockSize, -1));
    // The device cell of position p of a sequence whose table maps p to `block`.
    auto cell = [&](int32_t block, int64_t p) -> int32_t& {
        return device[static_cast<size_t>(block)][static_cast<size_t>(p % kBlockSize)];
    };
    std::map<int32_t, std::pair<BlockHash, std::vector<int32_t>>> hashed_snapshot;  // hash, content
    std::vector<int32_t> live;
    std::vector<std::vector<int32_t>> past_prompts;  // token lists of freed sequences
    int64_t n_reserve_failures = 0;
    int64_t n_copies = 0;

    auto check_invariants = [&](int step) {
        SCOPED_TRACE("step " + std::to_string(step));
        ASSERT_EQ(pool.n_free() + pool.n_referenced(), kBlocks);
        ASSERT_EQ(m.n_sequences(), static_cast<int64_t>(live.size()));
        std::vector<int32_t> uses(kBlocks, 0);
        std::vector<int32_t> owner(kBlocks, -1);
        int64_t table_entries = 0;
        for (int32_t s : live) {
            const auto table = m.block_table(s);
            const auto toks = m.tokens(s);
            const int64_t len = m.length(s);
            ASSERT_EQ(static_cast<int64_t>(toks.size()), len);
            ASSERT_GE(static_cast<int64_t>(table.size()) * kBlockSize, len);
            table_entries += static_cast<int64_t>(table.size());
            for (int32_t b : table) {
                ASSERT_TRUE(b >= 0 && b < kBlocks);
                ++uses[static_cast<size_t>(b)];
                if (owner[static_cast<size_t>(b)] >= 0 && owner[static_cast<size_t>(b)] != s) {
                    ASSERT_GE(pool.ref_count(b), 2) << "block " << b << " in two tables";
                }
                owner[static_cast<size_t>(b)] = s;
            }
            // The device content read through the table is the sequence's token list.
            for (int64_t p = 0; p < len; ++p) {
                const int32_t b = table[static_cast<size_t>(p / kBlockSize)];
                ASSERT_EQ(cell(b, p), toks[static_cast<size_t>(p)]) << "sequence " << s << " position " << p;
            }
            // Chained hashes of full blocks, recomputed here.
            const auto hashes = m.block_hashes(s);
            ASSERT_EQ(static_cast<int64_t>(hashes.size()), len / kBlockSize);
            BlockHash parent = 0;
            for (int64_t i = 0; i < len / kBlockSize; ++i) {
                parent = hash_block(parent, toks.subspan(static_cast<size_t>(i * kBlockSize), kBlockSize));
                ASSERT_EQ(hashes[static_cast<size_t>(i)], parent);
                const int32_t b = table[static_cast<size_t>(i)];
                if (pool.has_hash(b)) {
                    ASSERT_EQ(pool.block_hash(b), parent);
                }
            }
        }
        int64_t ref_sum = 0;
        for (int32_t b = 0; b < kBlocks; ++b) {
            ASSERT_EQ(pool.ref_count(b), uses[static_cast<size_t>(b)]) << "block " << b;
            ref_sum += pool.ref_count(b);
            // A hashed block never changes while it keeps its hash (within one step it may be
            // evicted, rewritten and hashed anew: then its hash differs).
            const auto it = hashed_snapshot.find(b);
            if (!pool.has_hash(b)) {
                if (it != hashed_snapshot.end()) hashed_snapshot.erase(it);
            } else if (it == hashed_snapshot.end() || it->second.first != pool.block_hash(b)) {
                hashed_snapshot[b] = {pool.block_hash(b), device[static_cast<size_t>(b)]};
            } else {
                ASSERT_EQ(it->second.second, device[static_cast<size_t>(b)]) << "hashed block " << b << " changed";
            }
        }
        ASSERT_EQ(ref_sum, table_entries);
    };

    // Few distinct tokens so that independent sequences produce equal blocks.
    auto random_tokens = [&](int64_t n) {
        std::vector<int32_t> t(static_cast<size_t>(n));
        for (auto& x : t) x = static_cast<int32_t>(rand_below(3));
        return t;
    };

    // Reserve (sometimes more positions than are then written, as a speculative step would) +
    // simulated forward + append; returns false when the pool is short.
    auto step_sequence = [&](int32_t s, const std::vector<int32_t>& toks) {
        const int64_t n = static_cast<int64_t>(toks.size());
        const int64_t n_reserved = n + (rand_below(4) == 0 ? rand_below(6) : 0);
        const int64_t needed = m.blocks_needed(s, n_reserved);
        const int64_t free_before = pool.n_free();
        const auto table_before = to_vector(m.block_table(s));
        std::vector<BlockCopy> copies;
        if (!m.reserve(s, n_reserved, copies)) {
            EXPECT_GT(needed, free_before);
            EXPECT_TRUE(copies.empty());
            EXPECT_EQ(to_vector(m.block_table(s)), table_before);
            EXPECT_EQ(pool.n_free(), free_before);
            ++n_reserve_failures;
            return false;
        }
        EXPECT_LE(needed, free_before);
        EXPECT_LE(copies.size(), 1u);
        // Consumption: `needed` allocations, minus a copied source that became allocatable.
        int64_t returned = 0;
        for (const BlockCopy& c : copies) {
            device[static_cast<size_t>(c.dst)] = device[static_cast<size_t>(c.src)];
            if (pool.ref_count(c.src) == 0) ++returned;
            ++n_copies;
        }
        EXPECT_EQ(pool.n_free(), free_before - needed + returned);
        const auto table = m.block_table(s);
        const int64_t len = m.length(s);
        for (int64_t i = 0; i < n; ++i) {
            const int64_t p = len + i;
            cell(table[static_cast<size_t>(p / kBlockSize)], p) = toks[static_cast<size_t>(i)];
        }
        m.append(s, toks);
        return true;
    };

    for (int step = 0; step < 6000; ++step) {
        const int64_t op = rand_below(100);
        if (live.empty() || (op < 12 && static_cast<int>(live.size()) < kMaxSequences)) {
            const int32_t s = m.create_sequence();
            live.push_back(s);
            if (!past_prompts.empty() && rand_below(2) == 0) {
                auto prompt = past_prompts[static_cast<size_t>(rand_below(static_cast<uint32_t>(past_prompts.size())))];
                prompt.resize(static_cast<size_t>(rand_below(static_cast<uint32_t>(prompt.size() + 1))));
                const auto extra = random_tokens(1 + rand_below(6));
                prompt.insert(prompt.end(), extra.begin(), extra.end());
                const int64_t reused = m.attach_cached_prefix(s, prompt);
                EXPECT_EQ(reused % kBlockSize, 0);
                EXPECT_LE(reused, static_cast<int64_t>((prompt.size() - 1) / kBlockSize) * kBlockSize);
                EXPECT_EQ(to_vector(m.tokens(s)), std::vector<int32_t>(prompt.begin(), prompt.begin() + reused));
                step_sequence(s, std::vector<int32_t>(prompt.begin() + reused, prompt.end()));
            }
        } else if (op < 60) {
            const int32_t s = live[static_cast<size_t>(rand_below(static_cast<uint32_t>(live.size())))];
            step_sequence(s, random_tokens(1 + rand_below(rand_below(4) == 0 ? 12 : 2)));
        } else if (op < 70 && static_cast<int>(live.size()) < kMaxSequences) {
            const int32_t s = live[static_cast<size_t>(rand_below(static_cast<uint32_t>(live.size())))];
            live.push_back(m.fork(s));
        } else if (op < 82) {
            const int32_t s = live[static_cast<size_t>(rand_below(static_cast<uint32_t>(live.size())))];
            m.truncate(s, rand_below(static_cast<uint32_t>(m.length(s) + 1)));
        } else {
            const size_t i = static_cast<size_t>(rand_below(static_cast<uint32_t>(live.size())));
            past_prompts.push_back(to_vector(m.tokens(live[i])));
            if (past_prompts.size() > 16) past_prompts.erase(past_prompts.begin());
            m.free_sequence(live[i]);
            live.erase(live.begin() + static_cast<std::ptrdiff_t>(i));
        }
        check_invariants(step);
        if (HasFailure()) return;
    }
    // The run must have exercised every path it checks.
    EXPECT_GT(pool.stats().hits, 100);
    EXPECT_GT(pool.stats().evictions, 100);
    EXPECT_GT(n_copies, 100);
    EXPECT_GT(n_reserve_failures, 10);
}

}  // namespace
}  // namespace rocmforge::kv
