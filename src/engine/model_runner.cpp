#include "engine/model_runner.h"

#include "util/error.h"
#include "util/log.h"
#include "util/system_memory.h"

#include <algorithm>
#include <cmath>
#include <limits>

namespace rocmforge::engine {
namespace {

struct KvSizing {
    int64_t n_ctx = 0;
    int64_t n_blocks = 0;
};

// The KV pool may take at most half of the memory available now (weights are mapped beside it).
KvSizing size_kv(const model::Model& model, const RunnerOptions& o) {
    if (o.block_size < 1) throw_error("--block-size", "must be >= 1, got {}", o.block_size);
    if (o.max_sequences < 1) throw_error("--parallel", "must be >= 1, got {}", o.max_sequences);
    const size_t per_position = model.kv_bytes_per_position(o.kv_type);
    const uint64_t available = available_memory_bytes();
    const auto fitting = static_cast<int64_t>(std::max<uint64_t>(1, available / 2 / per_position));
    const auto gib = [](double bytes) { return bytes / (1ull << 30); };
    const int64_t n_ctx_train = model.hparams().n_ctx_train;
    KvSizing s;
    if (o.n_ctx <= 0) {
        s.n_ctx = std::min<int64_t>(n_ctx_train, fitting);
        if (s.n_ctx < n_ctx_train)
            log::warn("context capped at {} positions by memory (the model was trained for {}; {:.1f} GiB available)",
                      s.n_ctx, n_ctx_train, gib(static_cast<double>(available)));
    } else if (o.n_ctx > fitting) {
        throw_error("-c", "a context of {} positions needs {:.2f} GiB of KV cache, more than half of the {:.2f} GiB "
                    "of memory available (at most {} fit)", o.n_ctx,
                    gib(static_cast<double>(per_position) * static_cast<double>(o.n_ctx)),
                    gib(static_cast<double>(available)), fitting);
    } else {
        s.n_ctx = o.n_ctx;
    }
    int64_t kv_size = o.kv_size;
    if (kv_size <= 0) {
        kv_size = std::min<int64_t>(s.n_ctx * o.max_sequences, std::max(fitting, s.n_ctx));
    } else if (kv_size > fitting) {
        throw_error("--kv-size", "{} positions need {:.2f} GiB of KV cache, more than half of the {:.2f} GiB of memory "
                    "available (at most {} fit)", kv_size,
                    gib(static_cast<double>(per_position) * static_cast<double>(kv_size)),
                    gib(static_cast<double>(available)), fitting);
    }
    s.n_blocks = (kv_size + o.block_size - 1) / o.block_size;
    return s;
}

// Attention kernels start their key loop at the first visible key rounded down to their key
// tile (CPU 16, GPU 32 keys) and read, without using, the keys before it: blocks are released
// only this many positions past the window, so every row a kernel reads is still held.
constexpr int64_t kKeyTileMargin = 64;

// Blocks can leave the pool early only when no layer needs them: every layer slides.
int64_t release_window(const model::ModelHparams& h) {
    if (h.sliding_window <= 0 || h.n_layers < 1) return 0;
    for (int64_t layer = 0; layer < h.n_layers; ++layer)
        if (!h.is_sliding(layer)) return 0;
    return h.sliding_window + kKeyTileMargin;
}

}  // namespace

ModelRunner::ModelRunner(const model::Model& model, const RunnerOptions& o)
    : model_(model), kv_(1, 1, false) {
    if (o.batch_tokens < 1) throw_error("--batch-tokens", "must be >= 1, got {}", o.batch_tokens);
    const auto sizing = size_kv(model, o);
    n_ctx_ = sizing.n_ctx;
    kv_ = kv::KvCacheManager(sizing.n_blocks, o.block_size, o.prefix_cache);
    kv_release_window_ = release_window(model.hparams());
    storage_ = model.backend().alloc_kv_storage(model.kv_shape(sizing.n_blocks, o.block_size, o.kv_type));
    workspace_ = model.make_workspace(o.batch_tokens, o.max_logit_rows > 0 ? o.max_logit_rows : o.max_sequences);
    log::debug("KV pool: {} blocks of {} positions ({} positions, {:.1f} MiB {}), context {} per sequence; workspace "
               "{} tokens ({:.1f} MiB)", sizing.n_blocks, o.block_size, sizing.n_blocks * o.block_size,
               static_cast<double>(storage_.buffer.bytes()) / 1048576.0, gguf::ggml_type_name(o.kv_type), n_ctx_,
               workspace_.max_tokens, static_cast<double>(workspace_.bytes()) / 1048576.0);
}

bool ModelRunner::can_reserve(std::span<const StepChunk> chunks) const {
    int64_t needed = 0;
    for (const auto& c : chunks) needed += kv_.blocks_needed(c.seq, static_cast<int64_t>(c.tokens.size()));
    return needed <= kv_.pool().n_free();
}

void ModelRunner::step(std::span<const StepChunk> chunks, std::vector<float>& logits) {
    const auto out = run(chunks);
    logits.resize(static_cast<size_t>(out.n_elements()));
    if (!logits.empty()) model_.backend().copy_to_host(out, logits.data());
}

void ModelRunner::step_argmax(std::span<const StepChunk> chunks, std::vector<int32_t>& ids) {
    const auto out = run(chunks);
    ids.resize(static_cast<size_t>(out.ne[1]));
    if (!ids.empty()) model_.backend().argmax_rows(out, ids);
}

void ModelRunner::step_top_k(std::span<const StepChunk> chunks, int64_t k, std::vector<int32_t>& ids,
                             std::vector<float>& values) {
    const auto out = run(chunks);
    ids.resize(static_cast<size_t>(out.ne[1] * k));
    values.resize(ids.size());
    if (!ids.empty()) model_.backend().top_k_rows(out, k, ids, values);
}

tensor::Tensor ModelRunner::run(std::span<const StepChunk> chunks) {
    int64_t n_tokens = 0, n_logits = 0;
    for (size_t i = 0; i < chunks.size(); ++i)
        for (size_t j = 0; j < i; ++j)
            if (chunks[i].seq == chunks[j].seq)
                throw_error("batch", "sequence {} appears twice in one step (chunks {} and {})", chunks[i].seq, j, i);
    for (const auto& c : chunks) {
        const auto n = static_cast<int64_t>(c.tokens.size());
        if (kv_.length(c.seq) + n > n_ctx_)
            throw_error("context", "context length exceeded: sequence {} needs {} positions but the context holds {} "
                        "(raise -c)", c.seq, kv_.length(c.seq) + n, n_ctx_);
        n_tokens += n;
        n_logits += std::min(c.n_logits, n);
    }
    if (n_tokens > workspace_.max_tokens || n_logits > workspace_.max_logit_rows)
        throw_error("batch", "a step of {} tokens and {} logit rows exceeds --batch-tokens {} / {} logit rows",
                    n_tokens, n_logits, workspace_.max_tokens, workspace_.max_logit_rows);
    if (!can_reserve(chunks))
        throw_error("kv cache", "out of KV blocks: the step needs more than the {} free of {} (raise --kv-size)",
                    kv_.pool().n_free(), kv_.pool().n_blocks());
    batch_.clear();
    for (const auto& c : chunks) {
        copies_.clear();
        if (!kv_.reserve(c.seq, static_cast<int64_t>(c.tokens.size()), copies_))
            throw_error("kv cache", "out of KV blocks for sequence {}", c.seq);
        for (const auto& copy : copies_) model_.backend().copy_kv_block(storage_, copy.src, copy.dst);
        batch_.add_sequence(c.tokens, kv_.length(c.seq), kv_.block_table(c.seq), c.row_class, c.n_logits,
                            c.prompt_length);
    }
    const auto out = model_.forward(batch_, storage_, workspace_);
    for (const auto& c : chunks) {
        kv_.append(c.seq, c.tokens);
        if (kv_release_window_ > 0) kv_.release_out_of_window(c.seq, kv_release_window_);
    }
    tokens_computed_ += n_tokens;
    return out;
}

void ModelRunner::eval(int32_t seq, std::span<const int32_t> tokens, backend::RowClass row_class, int64_t n_logits,
                       std::vector<float>& logits) {
    const auto total = static_cast<int64_t>(tokens.size());
    n_logits = std::clamp<int64_t>(n_logits, 0, total);
    if (n_logits > workspace_.max_logit_rows)
        throw_error("batch", "{} logit rows requested, the workspace holds {}", n_logits, workspace_.max_logit_rows);
    if (kv_.length(seq) + total > n_ctx_)
        throw_error("context", "context length exceeded: {} tokens needed but the context holds {} (raise -c)",
                    kv_.length(seq) + total, n_ctx_);
    logits.clear();
    std::vector<float> part;
    // Prefill: the tokens end the sequence's prompt (LongRoPE picks its factors by the prompt's length).
    const int64_t prompt_length = row_class == backend::RowClass::Prefill ? kv_.length(seq) + total : 0;
    for (int64_t begin = 0; begin < total; begin += workspace_.max_tokens) {
        const int64_t n = std::min(workspace_.max_tokens, total - begin);
        // Rows of this chunk among the last n_logits tokens: a suffix of the chunk.
        const int64_t chunk_logits = std::clamp<int64_t>(begin + n - (total - n_logits), 0, n);
        const StepChunk chunk{seq, tokens.subspan(static_cast<size_t>(begin), static_cast<size_t>(n)), row_class,
                              chunk_logits, prompt_length};
        step(std::span<const StepChunk>(&chunk, 1), part);
        logits.insert(logits.end(), part.begin(), part.end());
    }
}

bool all_finite(std::span<const float> values) {
    // One branch-free pass (vectorized by the compiler): |v| <= FLT_MAX is false for NaN and ±inf.
    unsigned finite = 1;
    for (const float v : values) finite &= static_cast<unsigned>(std::fabs(v) <= std::numeric_limits<float>::max());
    return finite != 0;
}

}  // namespace rocmforge::engine
