#pragma once
// Runs forward steps of a model over many sequences: owns the paged KV storage (on the model's
// backend), its block bookkeeping (kv::KvCacheManager, with the prefix cache) and the workspace.
// A step is a list of chunks, one per sequence: a prompt chunk or one generated token.
//
//   ModelRunner runner(model, options);
//   const int32_t seq = runner.kv().create_sequence();
//   runner.eval(seq, prompt, RowClass::Prefill, 1, logits);   // logits: [n_vocab] of the last token
//   runner.eval(seq, {&next, 1}, RowClass::Decode, 1, logits);
#include "backend/batch.h"
#include "kv/kv_cache_manager.h"
#include "model/model.h"
#include "model/workspace.h"

#include <cstdint>
#include <span>
#include <vector>

namespace rocmforge::engine {

struct RunnerOptions {
    int64_t n_ctx = 0;           // positions per sequence; <= 0: the model's training context, capped by memory
    int64_t kv_size = 0;         // positions in the KV pool; <= 0: n_ctx * max_sequences, capped by memory
    int64_t max_sequences = 1;   // sequences expected to run together (sizes the defaults)
    int64_t batch_tokens = 2048; // most tokens in one step (workspace size)
    int64_t max_logit_rows = 0;  // most logit rows in one step; <= 0: max_sequences
    int64_t block_size = 16;     // positions per KV block
    gguf::GgmlType kv_type = gguf::GgmlType::F32;
    bool prefix_cache = true;
};

// One sequence's part of a step: `tokens` go to positions length(seq).. of the sequence.
struct StepChunk {
    int32_t seq = -1;
    std::span<const int32_t> tokens;
    backend::RowClass row_class = backend::RowClass::Prefill;
    int64_t n_logits = 0;  // logits of the last n_logits tokens (0 or 1 in serving, more for scoring)
    int64_t prompt_length = 0;  // the sequence's prompt length, 0: unknown (BatchSequence::prompt_length)
};

class ModelRunner {
public:
    // Allocates the KV storage and workspace. Throws rocmforge::Error when an explicit n_ctx or
    // kv_size does not fit in memory, or an option is out of range (naming the flag).
    ModelRunner(const model::Model& model, const RunnerOptions& options);

    const model::Model& model() const { return model_; }
    kv::KvCacheManager& kv() { return kv_; }
    int64_t n_ctx() const { return n_ctx_; }
    int64_t kv_size() const { return kv_.pool().n_blocks() * kv_.block_size(); }
    int64_t batch_tokens() const { return workspace_.max_tokens; }
    int64_t max_logit_rows() const { return workspace_.max_logit_rows; }
    size_t kv_bytes() const { return storage_.buffer.bytes(); }
    // Tokens run through the model since construction (prefix-cache hits are not run).
    int64_t tokens_computed() const { return tokens_computed_; }

    // Whether the pool can take the chunk sizes of a step (blocks free or evictable).
    bool can_reserve(std::span<const StepChunk> chunks) const;
    // The window after which blocks are released (every layer slides; KvCacheManager::
    // release_out_of_window), or 0 when some layer attends to the whole context.
    int64_t kv_release_window() const { return kv_release_window_; }

    // Runs one step: reserves blocks (copying shared blocks first), runs the forward pass, records
    // the tokens in each sequence and, with a release window, releases blocks no query sees any
    // more. logits (host): [n_vocab, sum of n_logits], chunks in order.
    // Throws rocmforge::Error when a sequence would pass n_ctx, the step exceeds batch_tokens or
    // max_logit_rows, or the pool is out of blocks (check can_reserve first).
    void step(std::span<const StepChunk> chunks, std::vector<float>& logits);
    // The same step for greedy decoding: ids (host)[r] = argmax of logit row r (Backend::
    // argmax_rows: the smallest index among equal maxima, -1 for a row with a NaN or an
    // infinity); the logits stay on the device.
    void step_argmax(std::span<const StepChunk> chunks, std::vector<int32_t>& ids);
    // step() returning each logit row's k best candidates (Backend::top_k_rows: ids and values,
    // [rows][k]) instead of the rows. PRECOND: 1 <= k <= min(n_vocab, backend::kMaxTopK).
    void step_top_k(std::span<const StepChunk> chunks, int64_t k, std::vector<int32_t>& ids,
                    std::vector<float>& values);

    // One sequence: runs `tokens` in steps of at most batch_tokens; logits of the last n_logits
    // tokens ([n_vocab, n_logits], n_logits <= max_logit_rows). With RowClass::Prefill the tokens
    // end the sequence's prompt (its prompt_length for LongRoPE).
    void eval(int32_t seq, std::span<const int32_t> tokens, backend::RowClass row_class, int64_t n_logits,
              std::vector<float>& logits);

private:
    // step's work up to the logits: [n_vocab, logit rows] on the backend's device (a view into the
    // workspace, valid until the next step).
    tensor::Tensor run(std::span<const StepChunk> chunks);

    const model::Model& model_;
    int64_t n_ctx_ = 0;
    kv::KvCacheManager kv_;
    backend::KvStorage storage_;
    model::Workspace workspace_;
    backend::Batch batch_;
    std::vector<kv::BlockCopy> copies_;
    int64_t tokens_computed_ = 0;
    int64_t kv_release_window_ = 0;
};

// True when every value is finite (logits of a healthy model).
bool all_finite(std::span<const float> values);

}  // namespace rocmforge::engine
