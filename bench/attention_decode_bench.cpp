// Decode attention bench: one decode step of S sequences (one query token each) over 8 layers of
// paged f32 K/V (blocks of 16 positions in shuffled order, as the KV pool hands them out), wp-25M's
// shape (head_dim 64, 4 query heads, 2 KV heads). Two work splits, alternating, best of R:
//   per-head: one item per (sequence, query head), threads take items interleaved, each item reads
//             its K/V rows itself (the GQA group's heads read the same rows twice);
//   grouped:  attention_batch (one item per (sequence, KV head), all query heads of the group from
//             each K/V row, items from a shared counter).
// Both give bit-identical outputs (checked). Prints µs per step and GB/s of K/V bytes read once.
// Runs the AVX2 kernel (8 lanes) and, where the CPU has AVX-512F, the 16-lane one.
// usage: rocmforge_attention_decode_bench [THREADS=2] [REPEATS=20] [SEQUENCES=16]
#include "backend/cpu/attention.h"
#include "backend/cpu/attention_decode.h"
#include "util/thread_pool.h"
#include "util/timer.h"

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <numeric>
#include <random>
#include <vector>

namespace {

namespace cpu = rocmforge::backend::cpu;
using rocmforge::backend::AttentionShape;
using rocmforge::backend::RowClass;

constexpr int64_t kLayers = 8, kBlockSize = 16;

struct Layer {
    std::vector<float> k, v;  // [n_blocks * kBlockSize][row]
};


void per_head_step(const float* q, float* out, const AttentionShape& s, const std::vector<cpu::AttentionSequence>& seqs,
                   rocmforge::ThreadPool& pool) {
    const int64_t group = s.n_heads / s.n_kv_heads, n_items = static_cast<int64_t>(seqs.size()) * s.n_heads;
    pool.run([&](int thread_index, int n_threads) {
        thread_local cpu::DecodeScratch scratch;
        for (int64_t item = thread_index; item < n_items; item += n_threads) {
            const auto& seq = seqs[static_cast<size_t>(item / s.n_heads)];
            const int64_t h = item % s.n_heads, offset = (seq.token_begin * s.n_heads + h) * s.head_dim;
            cpu::attend_decode(q + offset, seq.kv, out + offset, h / group, 1, 1, s, seq.n_past + 1, scratch);
        }
    });
}

// One item per (sequence, KV head): the group's query heads from half-rows of K/V.
void per_kv_head_step(const float* q, float* out, const AttentionShape& s,
                      const std::vector<cpu::AttentionSequence>& seqs, rocmforge::ThreadPool& pool) {
    const int64_t group = s.n_heads / s.n_kv_heads, n_items = static_cast<int64_t>(seqs.size()) * s.n_kv_heads;
    std::atomic<int64_t> next{0};
    pool.run([&](int, int) {
        thread_local cpu::DecodeScratch scratch;
        for (int64_t item = next.fetch_add(1); item < n_items; item = next.fetch_add(1)) {
            const auto& seq = seqs[static_cast<size_t>(item / s.n_kv_heads)];
            const int64_t kvh = item % s.n_kv_heads, offset = (seq.token_begin * s.n_heads + kvh * group) * s.head_dim;
            cpu::attend_decode(q + offset, seq.kv, out + offset, kvh, 1, group, s, seq.n_past + 1, scratch);
        }
    });
}

void run(int64_t context, int64_t n_seqs, rocmforge::ThreadPool& pool, int repeats) {
    const AttentionShape s{64, 4, 2, 0.125f};
    const int64_t row = s.n_kv_heads * s.head_dim, blocks_per_seq = (context + kBlockSize - 1) / kBlockSize;
    const int64_t n_blocks = blocks_per_seq * n_seqs;
    std::mt19937_64 rng(1);
    std::normal_distribution<float> normal(0.0f, 1.0f);
    std::vector<Layer> layers(kLayers);
    for (auto& l : layers) {
        l.k.resize(static_cast<size_t>(n_blocks * kBlockSize * row));
        l.v.resize(l.k.size());
        for (auto& x : l.k) x = normal(rng);
        for (auto& x : l.v) x = normal(rng);
    }
    std::vector<int32_t> blocks(static_cast<size_t>(n_blocks));
    std::iota(blocks.begin(), blocks.end(), 0);
    std::shuffle(blocks.begin(), blocks.end(), rng);
    std::vector<float> q(static_cast<size_t>(n_seqs * s.n_heads * s.head_dim));
    for (auto& x : q) x = normal(rng);
    std::vector<float> out_head(q.size()), out_group(q.size());
    std::vector<std::vector<cpu::AttentionSequence>> seqs(kLayers);
    for (int64_t l = 0; l < kLayers; ++l)
        for (int64_t i = 0; i < n_seqs; ++i) {
            cpu::AttentionSequence seq;
            seq.token_begin = i;
            seq.n_tokens = 1;
            seq.n_past = context - 1;
            seq.kv = {layers[l].k.data(), layers[l].v.data(), row, blocks.data() + i * blocks_per_seq, kBlockSize};
            seq.row_class = RowClass::Decode;
            seqs[static_cast<size_t>(l)].push_back(seq);
        }
    std::vector<float> out_kv_head(q.size());
    double best_head = 1e30, best_kv_head = 1e30, best_group = 1e30;
    for (int rep = 0; rep < repeats; ++rep) {
        rocmforge::Timer t0;
        for (int64_t l = 0; l < kLayers; ++l) per_head_step(q.data(), out_head.data(), s, seqs[l], pool);
        best_head = std::min(best_head, t0.seconds());
        rocmforge::Timer t2;
        for (int64_t l = 0; l < kLayers; ++l) per_kv_head_step(q.data(), out_kv_head.data(), s, seqs[l], pool);
        best_kv_head = std::min(best_kv_head, t2.seconds());
        rocmforge::Timer t1;
        for (int64_t l = 0; l < kLayers; ++l) cpu::attention_batch(q.data(), out_group.data(), s, seqs[l], pool);
        best_group = std::min(best_group, t1.seconds());
    }
    const bool same = std::memcmp(out_head.data(), out_group.data(), q.size() * sizeof(float)) == 0 &&
                      std::memcmp(out_kv_head.data(), out_group.data(), q.size() * sizeof(float)) == 0;
    const double bytes = 2.0 * static_cast<double>(n_seqs * context * row * kLayers) * sizeof(float);
    std::printf("context %4lld x %2lld seqs (%5.1f MiB K/V): per-head %7.0f us %5.1f GB/s | per-kv-head %7.0f us "
                "%5.1f GB/s | attention_batch %7.0f us %5.1f GB/s | %s\n",
                static_cast<long long>(context), static_cast<long long>(n_seqs), bytes / 1048576.0, best_head * 1e6,
                bytes / best_head / 1e9, best_kv_head * 1e6, bytes / best_kv_head / 1e9, best_group * 1e6,
                bytes / best_group / 1e9, same ? "bit-identical" : "OUTPUTS DIFFER");
}

}  // namespace

int main(int argc, char** argv) {
    const int threads = argc > 1 ? std::atoi(argv[1]) : 2;
    const int repeats = argc > 2 ? std::atoi(argv[2]) : 20;
    const int64_t n_seqs = argc > 3 ? std::atoll(argv[3]) : 16;
    rocmforge::ThreadPool pool(threads);
    // Each q·k lane count this CPU has (attention_decode.h): the AVX2 kernel, then the AVX-512 one.
    for (int lanes : {8, 16}) {
        cpu::force_decode_attention_lanes_for_test(lanes);
        if (cpu::decode_attention_lanes(AttentionShape{64, 4, 2, 0.125f}) != lanes) continue;
        std::printf("q.k in %d lanes:\n", lanes);
        for (int64_t context : {64, 160, 400, 1000}) run(context, n_seqs, pool, repeats);
    }
    return 0;
}
