#pragma once
// A loaded model: the GGUF mapping, hyper-parameters, weights on the backend's device and the
// forward pass, written once for every backend (forward.cpp).
#include "backend/backend.h"
#include "backend/batch.h"
#include "gguf/gguf_file.h"
#include "model/arch_table.h"
#include "model/hparams.h"
#include "model/model_weights.h"
#include "model/workspace.h"

#include <cstdint>
#include <memory>
#include <string>

namespace rocmforge::model {

class Model {
public:
    // Maps and validates `path` and uploads the weights to `backend` (which must outlive the
    // model). Throws rocmforge::Error naming the file and the problem (not a GGUF file,
    // unsupported architecture, missing tensor with its expected shape, a weight type the
    // backend cannot run: "op matmul does not support type q4_0 on cpu", ...).
    static std::unique_ptr<Model> load(const std::string& path, backend::Backend& backend);

    const gguf::GgufFile& file() const { return file_; }
    const ArchSpec& spec() const { return *spec_; }
    const ModelHparams& hparams() const { return hparams_; }
    const ModelWeights& weights() const { return weights_; }
    backend::Backend& backend() const { return *backend_; }

    // Shape of a paged KV storage of n_blocks blocks for this model.
    backend::KvStorageShape kv_shape(int64_t n_blocks, int64_t block_size, gguf::GgmlType kv_type) const;
    // Bytes one position takes in the KV storage over all layers (K and V).
    size_t kv_bytes_per_position(gguf::GgmlType kv_type) const;
    Workspace make_workspace(int64_t max_tokens, int64_t max_logit_rows) const {
        return model::make_workspace(hparams_, *backend_, max_tokens, max_logit_rows);
    }

    // Runs one batch: writes the K/V of its tokens into `kv` (at the slots of their block tables)
    // and returns the logits of its logit rows, [n_vocab, batch.n_logit_rows()] f32, a view into
    // ws.logits on the backend's device (valid until the next forward with ws).
    // Throws rocmforge::Error when the batch does not fit ws or is inconsistent, or a token id is
    // outside the vocabulary.
    tensor::Tensor forward(const backend::Batch& batch, backend::KvStorage& kv, Workspace& ws) const;

private:
    Model(gguf::GgufFile file) : file_(std::move(file)) {}

    gguf::GgufFile file_;
    const ArchSpec* spec_ = nullptr;
    ModelHparams hparams_;
    ModelWeights weights_;
    backend::Backend* backend_ = nullptr;
};

}  // namespace rocmforge::model
