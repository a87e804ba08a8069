#pragma once
// A loaded model: the GGUF mapping, hyper-parameters, weight views and the forward pass.
#include "gguf/gguf_file.h"
#include "kv/kv_cache.h"
#include "model/arch_table.h"
#include "model/hparams.h"
#include "model/model_weights.h"
#include "util/thread_pool.h"

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

namespace rocmforge::model {

class Model {
public:
    // Maps and validates `path`. Throws rocmforge::Error naming the file and the problem
    // (not a GGUF file, unsupported architecture, missing tensor with its expected shape, ...).
    static std::unique_ptr<Model> load(const std::string& path);

    const gguf::GgufFile& file() const { return file_; }
    const ArchSpec& spec() const { return *spec_; }
    const ModelHparams& hparams() const { return hparams_; }
    const ModelWeights& weights() const { return weights_; }

    // A KV cache for n_ctx positions (n_ctx <= 0: the training context, capped so the cache takes at
    // most half of the memory available now). An explicit n_ctx beyond that is a rocmforge::Error.
    kv::KvCache make_cache(int64_t n_ctx) const;

    // Runs `tokens` as one batch at positions cache.size() .. and appends them to the cache.
    // logits: [n_vocab, n_logit_rows] for the last n_logit_rows tokens (1: next-token logits,
    // tokens.size(): every position; values are clamped to [1, tokens.size()]).
    // Throws rocmforge::Error when the context would overflow or a token id is out of range.
    void forward(std::span<const int32_t> tokens, kv::KvCache& cache, ThreadPool& pool, int64_t n_logit_rows,
                 std::vector<float>& logits) const;

private:
    Model(gguf::GgufFile file) : file_(std::move(file)) {}

    gguf::GgufFile file_;
    const ArchSpec* spec_ = nullptr;
    ModelHparams hparams_;
    ModelWeights weights_;
};

}  // namespace rocmforge::model
