// Attention through KV block tables (paged storage) vs the contiguous reference, on fresh random
// inputs (seed printed on failure): block sizes 1, 16, 32, sequences crossing block boundaries,
// GQA, both kernel classes, several sequences in one call, and f16/bf16 storage via CpuBackend.
#include "backend/cpu/attention.h"
#include "backend/cpu/cpu_backend.h"
#include "common/fresh_seed.h"
#include "quant/float_bits.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <numeric>
#include <random>
#include <vector>

namespace rocmforge::backend::cpu {
namespace {

using test::fresh_seed;

std::vector<float> random_vector(std::mt19937_64& rng, size_t n) {
    std::normal_distribution<float> dist(0.0f, 1.0f);
    std::vector<float> v(n);
    for (auto& x : v) x = dist(rng);
    return v;
}

double max_relative_error(const std::vector<float>& a, const std::vector<float>& ref) {
    double worst = 0.0, scale = 0.0;
    for (float r : ref) scale = std::max(scale, static_cast<double>(std::abs(r)));
    for (size_t i = 0; i < a.size(); ++i) worst = std::max(worst, std::abs(static_cast<double>(a[i]) - ref[i]) / scale);
    return worst;
}

// One sequence's contiguous K/V rows scattered into a pool whose blocks are in shuffled order.
struct PagedCopy {
    std::vector<float> k, v;            // [row, n_blocks * block_size]
    std::vector<int32_t> block_table;
};

PagedCopy scatter(const std::vector<float>& k, const std::vector<float>& v, int64_t row, int64_t n_pos,
                  int64_t block_size, std::mt19937_64& rng) {
    const int64_t n_used = (n_pos + block_size - 1) / block_size;
    const int64_t n_blocks = n_used + 3;  // spare blocks hold garbage that must never be read
    std::vector<int32_t> order(static_cast<size_t>(n_blocks));
    std::iota(order.begin(), order.end(), 0);
    std::shuffle(order.begin(), order.end(), rng);
    PagedCopy p;
    p.block_table.assign(order.begin(), order.begin() + n_used);
    p.k.assign(static_cast<size_t>(n_blocks * block_size * row), NAN);
    p.v = p.k;
    for (int64_t pos = 0; pos < n_pos; ++pos) {
        const int64_t slot = p.block_table[static_cast<size_t>(pos / block_size)] * block_size + pos % block_size;
        std::copy_n(k.begin() + pos * row, row, p.k.begin() + slot * row);
        std::copy_n(v.begin() + pos * row, row, p.v.begin() + slot * row);
    }
    return p;
}

TEST(PagedAttention, EqualsContiguousAttentionBitForBit) {
    const uint64_t seed = fresh_seed();
    std::mt19937_64 rng(seed);
    ThreadPool pool(2);
    for (const AttentionShape s : {AttentionShape{16, 8, 2, 0.25f}, AttentionShape{12, 6, 3, 0.29f}}) {
        for (int64_t block_size : {1, 16, 32}) {
            for (auto [n_past, n_tokens] : {std::pair{0, 37}, {29, 1}, {40, 7}, {15, 2}, {0, 1}}) {
                for (RowClass rc : {RowClass::Prefill, RowClass::Decode}) {
                    const int64_t row = s.n_kv_heads * s.head_dim, n_pos = n_past + n_tokens;
                    const auto q = random_vector(rng, static_cast<size_t>(s.head_dim * s.n_heads * n_tokens));
                    const auto k = random_vector(rng, static_cast<size_t>(row * n_pos));
                    const auto v = random_vector(rng, static_cast<size_t>(row * n_pos));
                    const auto paged = scatter(k, v, row, n_pos, block_size, rng);
                    AttentionSequence seq{0, n_tokens, n_past, {k.data(), v.data(), row}, rc};
                    std::vector<float> contiguous(q.size(), NAN), through_blocks(q.size(), NAN), ref(q.size());
                    attention_batch(q.data(), contiguous.data(), s, std::span(&seq, 1), pool);
                    seq.kv = {paged.k.data(), paged.v.data(), row, paged.block_table.data(), block_size};
                    attention_batch(q.data(), through_blocks.data(), s, std::span(&seq, 1), pool);
                    attention_reference(q.data(), k.data(), v.data(), ref.data(), s, n_tokens, n_past);
                    const auto where = testing::Message() << "seed " << seed << " head_dim " << s.head_dim
                                                          << " block " << block_size << " past " << n_past
                                                          << " tokens " << n_tokens << " class " << int(rc);
                    EXPECT_EQ(std::memcmp(contiguous.data(), through_blocks.data(), q.size() * sizeof(float)), 0)
                        << where;
                    EXPECT_LE(max_relative_error(through_blocks, ref), 1e-5) << where;
                }
            }
        }
    }
}

// Several sequences in one call: each gets exactly what it gets alone.
TEST(PagedAttention, BatchOfSequencesEqualsEachAlone) {
    const uint64_t seed = fresh_seed();
    std::mt19937_64 rng(seed);
    ThreadPool pool(2);
    const AttentionShape s{16, 4, 2, 0.25f};
    const int64_t row = s.n_kv_heads * s.head_dim, q_row = s.n_heads * s.head_dim;
    struct Case {
        int64_t n_past, n_tokens;
        RowClass rc;
    };
    const Case cases[] = {{0, 9, RowClass::Prefill}, {33, 1, RowClass::Decode}, {16, 5, RowClass::Prefill},
                          {7, 1, RowClass::Decode}};
    std::vector<std::vector<float>> ks, vs;
    std::vector<AttentionSequence> seqs;
    int64_t n_tokens = 0;
    for (const auto& c : cases) {
        ks.push_back(random_vector(rng, static_cast<size_t>(row * (c.n_past + c.n_tokens))));
        vs.push_back(random_vector(rng, ks.back().size()));
        seqs.push_back({n_tokens, c.n_tokens, c.n_past, {ks.back().data(), vs.back().data(), row}, c.rc});
        n_tokens += c.n_tokens;
    }
    for (size_t i = 0; i < seqs.size(); ++i) seqs[i].kv = {ks[i].data(), vs[i].data(), row};
    const auto q = random_vector(rng, static_cast<size_t>(q_row * n_tokens));
    std::vector<float> together(q.size(), NAN);
    attention_batch(q.data(), together.data(), s, seqs, pool);
    for (const auto& seq : seqs) {
        auto alone_seq = seq;
        alone_seq.token_begin = 0;
        std::vector<float> alone(static_cast<size_t>(q_row * seq.n_tokens), NAN);
        attention_batch(q.data() + seq.token_begin * q_row, alone.data(), s, std::span(&alone_seq, 1), pool);
        EXPECT_EQ(std::memcmp(alone.data(), together.data() + seq.token_begin * q_row, alone.size() * sizeof(float)), 0)
            << "seed " << seed << " sequence at token " << seq.token_begin;
    }
}

// kv_store + attention through the backend with 16-bit storage: equals the reference run on the
// K/V values rounded to the storage type (rounding written here, independently).
TEST(PagedAttention, BackendSixteenBitStorage) {
    const uint64_t seed = fresh_seed();
    std::mt19937_64 rng(seed);
    CpuBackend backend(2);
    const AttentionShape s{16, 4, 2, 0.25f};
    const int64_t row = s.n_kv_heads * s.head_dim, n_tokens = 21, block_size = 4;
    for (auto type : {gguf::GgmlType::F16, gguf::GgmlType::BF16, gguf::GgmlType::F32}) {
        KvStorageShape shape{1, 8, block_size, row, type};
        auto kv = backend.alloc_kv_storage(shape);
        Batch batch;
        const std::vector<int32_t> ids(static_cast<size_t>(n_tokens), 0), table{5, 0, 7, 2, 3, 6};
        batch.add_sequence(ids, 0, table, RowClass::Prefill, 1);
        backend.begin_batch(batch);
        auto k = random_vector(rng, static_cast<size_t>(row * n_tokens));
        auto v = random_vector(rng, k.size());
        auto q = random_vector(rng, static_cast<size_t>(s.n_heads * s.head_dim * n_tokens));
        std::vector<float> out(q.size(), NAN), ref(q.size());
        auto kt = tensor::make_tensor(gguf::GgmlType::F32, {row, n_tokens, 1, 1}, k.data());
        auto vt = tensor::make_tensor(gguf::GgmlType::F32, {row, n_tokens, 1, 1}, v.data());
        auto qt = tensor::make_tensor(gguf::GgmlType::F32, {s.head_dim, s.n_heads, n_tokens, 1}, q.data());
        auto ot = tensor::make_tensor(gguf::GgmlType::F32, {s.head_dim, s.n_heads, n_tokens, 1}, out.data());
        backend.kv_store(kv, 0, kt, vt);
        backend.attention(kv, 0, qt, ot, s);
        for (auto* values : {&k, &v})
            for (auto& x : *values) {
                uint32_t bits;
                std::memcpy(&bits, &x, 4);
                if (type == gguf::GgmlType::BF16) {
                    bits = (bits + 0x7fffu + ((bits >> 16) & 1u)) & 0xffff0000u;
                    std::memcpy(&x, &bits, 4);
                } else if (type == gguf::GgmlType::F16) {
                    // 11 significant bits; below 2^-14 (subnormal halves) a fixed quantum of 2^-24.
                    const int e = std::abs(x) < 0x1p-14f ? -14 : std::ilogb(x);
                    x = std::ldexp(std::nearbyint(std::ldexp(x, 10 - e)), e - 10);
                }
            }
        attention_reference(q.data(), k.data(), v.data(), ref.data(), s, n_tokens, 0);
        EXPECT_LE(max_relative_error(out, ref), 1e-5) << "seed " << seed << " type " << gguf::ggml_type_name(type);
    }
}

// The CPU backend's fused rope_kv_store_attention (one dispatch, the threads rotating and storing
// shares of the tokens) against the separate ops (rope, kv_store, attention), bit for bit: a
// prefill chunk and decode tokens of three sequences with K/V already in the storage, f32 storage
// (the fused path) and f16 (the fallback to the separate ops).
TEST(PagedAttention, BackendFusedRopeStoreAttentionEqualsSeparateOps) {
    const uint64_t seed = fresh_seed();
    std::mt19937_64 rng(seed);
    CpuBackend backend(2);
    const AttentionShape s{16, 4, 2, 0.25f};
    const int64_t row = s.n_kv_heads * s.head_dim, block_size = 4;
    RopeParams rope;
    rope.n_rot = s.head_dim;
    const tensor::Tensor no_freq_factors;
    for (auto type : {gguf::GgmlType::F32, gguf::GgmlType::F16}) {
        KvStorageShape shape{1, 16, block_size, row, type};
        auto separate_kv = backend.alloc_kv_storage(shape);
        auto fused_kv = backend.alloc_kv_storage(shape);
        // Earlier positions of every sequence, the same in both storages.
        for (auto* kv : {&separate_kv, &fused_kv}) {
            auto* k0 = kv->k[0].data_as<uint8_t>();
            auto* v0 = kv->v[0].data_as<uint8_t>();
            std::mt19937_64 fill(seed + 1);
            const size_t bytes = kv->k[0].nb[1] * 16 * block_size;
            for (size_t i = 0; i < bytes; ++i) k0[i] = static_cast<uint8_t>(fill() % 61);
            for (size_t i = 0; i < bytes; ++i) v0[i] = static_cast<uint8_t>(fill() % 61);
        }
        Batch batch;
        const std::vector<int32_t> prompt(7, 0), one(1, 0);
        const std::vector<int32_t> table_a{3, 9, 11}, table_b{1, 4, 12, 6}, table_c{0, 15};
        batch.add_sequence(prompt, 2, table_a, RowClass::Prefill, 1);
        batch.add_sequence(one, 13, table_b, RowClass::Decode, 1);
        batch.add_sequence(one, 5, table_c, RowClass::Decode, 1);
        const int64_t n_tokens = batch.n_tokens();
        backend.begin_batch(batch);
        const auto q = random_vector(rng, static_cast<size_t>(s.n_heads * s.head_dim * n_tokens));
        const auto k = random_vector(rng, static_cast<size_t>(row * n_tokens));
        const auto v = random_vector(rng, k.size());
        std::vector<float> out_separate(q.size(), NAN), out_fused(q.size(), NAN);
        auto run = [&](bool fused, KvStorage& kv, std::vector<float>& out) {
            auto q_copy = q, k_copy = k;
            auto qt = tensor::make_tensor(gguf::GgmlType::F32, {s.head_dim, s.n_heads, n_tokens, 1}, q_copy.data());
            auto kt = tensor::make_tensor(gguf::GgmlType::F32, {s.head_dim, s.n_kv_heads, n_tokens, 1}, k_copy.data());
            auto vt = tensor::make_tensor(gguf::GgmlType::F32, {row, n_tokens, 1, 1}, const_cast<float*>(v.data()));
            auto ot = tensor::make_tensor(gguf::GgmlType::F32, {s.head_dim, s.n_heads, n_tokens, 1}, out.data());
            if (fused) {
                backend.rope_kv_store_attention(qt, kt, vt, rope, no_freq_factors, kv, 0, ot, s);
            } else {
                backend.rope(qt, rope, no_freq_factors);
                backend.rope(kt, rope, no_freq_factors);
                backend.kv_store(kv, 0, kt.reshaped({row, n_tokens, 1, 1}), vt);
                backend.attention(kv, 0, qt, ot, s);
            }
        };
        run(false, separate_kv, out_separate);
        run(true, fused_kv, out_fused);
        const auto where = testing::Message() << "seed " << seed << " type " << gguf::ggml_type_name(type);
        EXPECT_EQ(std::memcmp(out_separate.data(), out_fused.data(), q.size() * sizeof(float)), 0) << where;
        const size_t storage_bytes = static_cast<size_t>(separate_kv.k[0].nb[1] * 16 * block_size);
        EXPECT_EQ(std::memcmp(separate_kv.k[0].data, fused_kv.k[0].data, storage_bytes), 0) << where;
        EXPECT_EQ(std::memcmp(separate_kv.v[0].data, fused_kv.v[0].data, storage_bytes), 0) << where;
    }
}

}  // namespace
}  // namespace rocmforge::backend::cpu
