#include "engine/perplexity.h"

#include "engine/model_runner.h"
#include "util/error.h"

#include <algorithm>
#include <cmath>
#include <vector>

namespace rocmforge::engine {
namespace {

// -log softmax(row)[target], in double.
double negative_log_likelihood(const float* row, int64_t n_vocab, int32_t target) {
    const float max_logit = *std::max_element(row, row + n_vocab);
    double sum = 0.0;
    for (int64_t i = 0; i < n_vocab; ++i) sum += std::exp(static_cast<double>(row[i]) - max_logit);
    return std::log(sum) - (static_cast<double>(row[target]) - max_logit);
}

}  // namespace

PerplexityResult compute_perplexity(const model::Model& model, std::span<const int32_t> tokens,
                                    const PerplexityOptions& o, const std::function<void(int64_t, double)>& on_chunk) {
    if (o.n_ctx < 4) throw_error("-c", "context must be at least 4 tokens, got {}", o.n_ctx);
    const int64_t n_batch = o.n_batch <= 0 ? o.n_ctx : std::min(o.n_batch, o.n_ctx);
    int64_t n_chunks = static_cast<int64_t>(tokens.size()) / o.n_ctx;
    if (n_chunks == 0)
        throw_error("perplexity", "the text has {} tokens, fewer than one chunk of {} (-c)", tokens.size(), o.n_ctx);
    if (o.max_chunks > 0) n_chunks = std::min(n_chunks, o.max_chunks);

    const int64_t n_vocab = model.hparams().n_vocab;
    // Scored rows of one chunk: [n_ctx/2, n_ctx - 1); the batch holding them gets that many logit rows.
    RunnerOptions ro;
    ro.n_ctx = o.n_ctx;
    ro.batch_tokens = n_batch;
    ro.max_logit_rows = std::min(n_batch, o.n_ctx - o.n_ctx / 2);
    ro.prefix_cache = false;
    ModelRunner runner(model, ro);
    auto& kv = runner.kv();
    int32_t seq = kv.create_sequence();
    std::vector<int32_t> chunk(static_cast<size_t>(o.n_ctx));
    std::vector<float> logits, batch_logits;
    double nll_sum = 0.0, nll_sq_sum = 0.0;
    int64_t count = 0;
    for (int64_t c = 0; c < n_chunks; ++c) {
        std::copy_n(tokens.begin() + c * o.n_ctx, o.n_ctx, chunk.begin());
        chunk[0] = o.bos_id;
        kv.free_sequence(seq);
        seq = kv.create_sequence();
        // Logits only for the scored positions [first_scored, n_ctx - 1), kept from row first_scored on.
        const int64_t first_scored = o.n_ctx / 2;
        logits.clear();
        for (int64_t b = 0; b < o.n_ctx; b += n_batch) {
            const int64_t n = std::min(n_batch, o.n_ctx - b);
            const int64_t n_rows = std::max<int64_t>(0, std::min(n, b + n - first_scored));
            runner.eval(seq, std::span<const int32_t>(chunk.data() + b, static_cast<size_t>(n)),
                        backend::RowClass::Prefill, n_rows, batch_logits);
            logits.insert(logits.end(), batch_logits.begin(), batch_logits.end());
        }
        for (int64_t j = first_scored; j < o.n_ctx - 1; ++j) {
            const float* row = logits.data() + (j - first_scored) * n_vocab;
            const double nll = negative_log_likelihood(row, n_vocab, chunk[j + 1]);
            nll_sum += nll;
            nll_sq_sum += nll * nll;
            ++count;
        }
        if (on_chunk) on_chunk(c, std::exp(nll_sum / count));
    }
    PerplexityResult r;
    const double mean = nll_sum / count;
    const double variance = nll_sq_sum / count - mean * mean;
    r.ppl = std::exp(mean);
    r.ppl_stderr = count > 1 ? r.ppl * std::sqrt(std::max(0.0, variance) / (count - 1)) : 0.0;
    r.n_chunks = n_chunks;
    r.n_scored = count;
    return r;
}

}  // namespace rocmforge::engine
