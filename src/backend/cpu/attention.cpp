#include "backend/cpu/attention.h"

#include "backend/cpu/attention_decode.h"
#include "util/fast_exp.h"
#include "backend/cpu/gemm_tile.h"

#include <algorithm>
#include <atomic>
#include <cmath>
#include <vector>


namespace rocmforge::backend::cpu {
namespace {

// K and V of one KV head, packed for the GEMM tile kernel over keys [0, n_keys):
//   k_t: [n_keys_padded / 16][hd][16]  (K^T, 16 keys per block)
//   v:   [ceil(hd / 16)][n_keys_padded][16]  (16 dims per block; zero rows past n_keys)
struct PackedKv {
    std::vector<float> k_t, v;
    int64_t n_keys = 0, n_keys_padded = 0;
};

// Keys before key_begin (seen by no query: sliding window) are left zero.
void pack_kv(const KvRows& kv, const AttentionShape& s, int64_t kv_head, int64_t key_begin, int64_t n_keys,
             PackedKv& p) {
    const int64_t hd = s.head_dim;
    const int64_t n_dim_blocks = (hd + kTileCols - 1) / kTileCols;
    p.n_keys = n_keys;
    p.n_keys_padded = (n_keys + kTileCols - 1) / kTileCols * kTileCols;
    p.k_t.assign(static_cast<size_t>(p.n_keys_padded * hd), 0.0f);
    p.v.assign(static_cast<size_t>(n_dim_blocks * p.n_keys_padded * kTileCols), 0.0f);
    for (int64_t j = key_begin; j < n_keys; ++j) {
        const float* k_row = kv.k_row(j) + kv_head * hd;
        const float* v_row = kv.v_row(j) + kv_head * hd;
        float* k_block = p.k_t.data() + (j / kTileCols) * hd * kTileCols + j % kTileCols;
        for (int64_t d = 0; d < hd; ++d) k_block[d * kTileCols] = k_row[d];
        for (int64_t d = 0; d < hd; ++d)
            p.v[static_cast<size_t>(((d / kTileCols) * p.n_keys_padded + j) * kTileCols + d % kTileCols)] = v_row[d];
    }
}

// Up to 6 query tokens [t0, t0 + n_q) of head h at once, as two small GEMMs on the tile kernel:
// scores = Q_blk · K^T over the keys the last of them sees, causal mask + softmax per row,
// out = P · V. Scratch: q rows [n_q][hd], scores [n_q][keys rounded up to 16].
void attend_block(const float* q, const PackedKv& kv, float* out, const AttentionShape& s, int64_t h, int64_t t0,
                  int64_t n_q, int64_t n_past, std::vector<float>& scratch) {
    const int64_t hd = s.head_dim;
    const int64_t n_keys = n_past + t0 + n_q;
    const int64_t n_keys_padded = (n_keys + kTileCols - 1) / kTileCols * kTileCols;
    // Keys [key_begin, n_keys_padded): from the 16-key block holding the first key the block's
    // first query sees (all keys without a sliding window). Skipped keys would weigh exactly 0,
    // and the tile kernel sums keys in order, so a query's result does not depend on key_begin.
    const int64_t key_begin = first_visible_key(n_past + t0 + 1, s) / kTileCols * kTileCols;
    const int64_t width = n_keys_padded - key_begin;  // scores row stride
    scratch.resize(static_cast<size_t>(kTileRows * hd + kTileRows * width));
    float* q_rows = scratch.data();
    float* scores = q_rows + kTileRows * hd;  // scores[i * width + (j - key_begin)]
    for (int64_t i = 0; i < n_q; ++i) std::copy_n(q + ((t0 + i) * s.n_heads + h) * hd, hd, q_rows + i * hd);

    for (int64_t j0 = key_begin; j0 < n_keys; j0 += kTileCols)
        gemm_tile(kv.k_t.data() + (j0 / kTileCols) * hd * kTileCols, q_rows, hd, n_q, std::min(kTileCols, n_keys - j0),
                  scores + (j0 - key_begin), width);
    for (int64_t i = 0; i < n_q; ++i) {
        float* row = scores + i * width;  // row[j - key_begin] for key j
        const int64_t n_visible = n_past + t0 + i + 1;
        const int64_t first = first_visible_key(n_visible, s) - key_begin, last = n_visible - key_begin;
        float max_score = -INFINITY;
        for (int64_t j = first; j < last; ++j) max_score = std::max(max_score, row[j] = attention_score(row[j], s));
        float sum = 0.0f;
        exp_shifted(row + first, max_score, row + first, last - first);
        for (int64_t j = first; j < last; ++j) sum += row[j];
        const float inv_sum = 1.0f / sum;
        for (int64_t j = first; j < last; ++j) row[j] *= inv_sum;
        // Masked keys (before the window, after the query) weigh nothing.
        std::fill(row, row + first, 0.0f);
        std::fill(row + last, row + width, 0.0f);
    }
    // P rows (stride width) times V from key_begin; output rows of consecutive tokens are n_heads * hd apart.
    for (int64_t d0 = 0; d0 < hd; d0 += kTileCols)
        gemm_tile(kv.v.data() + ((d0 / kTileCols) * kv.n_keys_padded + key_begin) * kTileCols, scores, width, n_q,
                  std::min(kTileCols, hd - d0), out + (t0 * s.n_heads + h) * hd + d0, s.n_heads * hd);
}

// From this many decode sequences per thread on, a decode item covers all KV heads of a sequence.
constexpr int64_t kWholeSequenceItemsPerThread = 4;

}  // namespace

void attention_batch(const float* q, float* out, const AttentionShape& shape, std::span<const AttentionSequence> seqs,
                     ThreadPool& pool, const std::function<void(int, int)>& prologue) {
    const int64_t group = shape.n_heads / shape.n_kv_heads;
    const int64_t q_row = shape.n_heads * shape.head_dim;  // floats per token in q and out
    // Work items: a prefill sequence has one per query head (K/V packed per item). A decode
    // sequence has one per KV head (the group's query heads share each K/V row) when there are
    // few decode sequences, else one for all its heads (whole K/V rows, contiguous in memory, are
    // read once; enough items remain to keep every thread busy). item_end[s]: one past sequence
    // s's last item. Threads take items in order from a shared counter, so a thread that runs
    // slow (a shared machine) leaves its share to the others; which thread runs an item, and how
    // a sequence's heads are split into items, never changes a result.
    int64_t n_decode = 0;
    for (const auto& seq : seqs) n_decode += seq.row_class == RowClass::Decode;
    const int64_t kv_heads_per_item = n_decode >= kWholeSequenceItemsPerThread * pool.size() ? shape.n_kv_heads : 1;
    thread_local std::vector<int64_t> item_end;
    item_end.resize(seqs.size());
    int64_t n_items = 0;
    for (size_t i = 0; i < seqs.size(); ++i)
        item_end[i] = n_items +=
            seqs[i].row_class == RowClass::Prefill ? shape.n_heads : shape.n_kv_heads / kv_heads_per_item;
    std::atomic<int64_t> next_item{0};
    const int64_t* const ends = item_end.data();
    SpinBarrier prologue_done(pool.size());
    pool.run([&](int thread_index, int n_threads) {
        if (prologue) {
            prologue(thread_index, n_threads);
            prologue_done.arrive_and_wait();
        }
        thread_local std::vector<float> scratch;
        thread_local PackedKv packed;
        thread_local DecodeScratch decode;
        size_t s = 0;  // items are taken in increasing order: the sequence index only moves forward
        for (int64_t item = next_item.fetch_add(1, std::memory_order_relaxed); item < n_items;
             item = next_item.fetch_add(1, std::memory_order_relaxed)) {
            while (ends[s] <= item) ++s;
            const auto& seq = seqs[s];
            const int64_t head = item - (s == 0 ? 0 : ends[s - 1]);
            const float* q_seq = q + seq.token_begin * q_row;
            float* out_seq = out + seq.token_begin * q_row;
            if (seq.row_class == RowClass::Prefill) {
                // K/V of the head packed once, reused by every block of up to 6 queries.
                pack_kv(seq.kv, shape, head / group, first_visible_key(seq.n_past + 1, shape),
                        seq.n_past + seq.n_tokens, packed);
                for (int64_t t0 = 0; t0 < seq.n_tokens; t0 += kTileRows)
                    attend_block(q_seq, packed, out_seq, shape, head, t0, std::min(kTileRows, seq.n_tokens - t0),
                                 seq.n_past, scratch);
                continue;
            }
            // Decode: KV heads [kv_head, + kv_heads_per_item), their query heads from kv_head * group.
            const int64_t kv_head = head * kv_heads_per_item;
            for (int64_t t = 0; t < seq.n_tokens; ++t) {
                const int64_t offset = t * q_row + kv_head * group * shape.head_dim;
                attend_decode(q_seq + offset, seq.kv, out_seq + offset, kv_head, kv_heads_per_item, group, shape,
                              seq.n_past + t + 1, decode);
            }
        }
    });
}

void attention(const float* q, const float* k, const float* v, float* out, const AttentionShape& shape,
               int64_t n_tokens, int64_t n_past, ThreadPool& pool) {
    AttentionSequence seq;
    seq.n_tokens = n_tokens;
    seq.n_past = n_past;
    seq.kv.k = k;
    seq.kv.v = v;
    seq.kv.row_stride = shape.n_kv_heads * shape.head_dim;
    seq.row_class = n_tokens > 1 ? RowClass::Prefill : RowClass::Decode;
    attention_batch(q, out, shape, std::span<const AttentionSequence>(&seq, 1), pool);
}

void attention_reference(const float* q, const float* k, const float* v, float* out, const AttentionShape& s,
                         int64_t n_tokens, int64_t n_past) {
    const int64_t group = s.n_heads / s.n_kv_heads;
    const int64_t kv_stride = s.n_kv_heads * s.head_dim;
    for (int64_t t = 0; t < n_tokens; ++t) {
        const int64_t n_keys = n_past + t + 1;
        const int64_t first = s.window > 0 ? std::max<int64_t>(0, n_keys - s.window) : 0;
        for (int64_t h = 0; h < s.n_heads; ++h) {
            const float* qh = q + (t * s.n_heads + h) * s.head_dim;
            const int64_t kvh = h / group;
            std::vector<double> w(static_cast<size_t>(n_keys), 0.0);
            double max_score = -INFINITY;
            for (int64_t p = first; p < n_keys; ++p) {
                double dot = 0.0;
                for (int64_t d = 0; d < s.head_dim; ++d) dot += double(qh[d]) * k[p * kv_stride + kvh * s.head_dim + d];
                w[p] = dot * s.scale;
                if (s.softcap > 0.0f) w[p] = s.softcap * std::tanh(w[p] / s.softcap);
                max_score = std::max(max_score, w[p]);
            }
            double sum = 0.0;
            for (int64_t p = first; p < n_keys; ++p) sum += (w[p] = std::exp(w[p] - max_score));
            float* oh = out + (t * s.n_heads + h) * s.head_dim;
            for (int64_t d = 0; d < s.head_dim; ++d) {
                double acc = 0.0;
                for (int64_t p = 0; p < n_keys; ++p) acc += w[p] / sum * v[p * kv_stride + kvh * s.head_dim + d];
                oh[d] = static_cast<float>(acc);
            }
        }
    }
}

}  // namespace rocmforge::backend::cpu
