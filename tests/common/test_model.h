#pragma once
// A model loaded on the CPU backend for tests, and whole-prompt logits through ModelRunner.
#include "backend/backend.h"
#include "engine/model_runner.h"
#include "model/model.h"

#include <memory>
#include <span>
#include <string>
#include <vector>

namespace rocmforge::test {

struct TestModel {
    std::unique_ptr<backend::Backend> backend;
    std::unique_ptr<model::Model> model;
    model::Model* operator->() const { return model.get(); }
    model::Model& operator*() const { return *model; }
};

TestModel load_cpu_model(const std::string& path, int n_threads = 2);

// Logits of every position of `tokens` run as one fresh sequence (prompt chunks of batch_tokens):
// [n_vocab, tokens.size()].
std::vector<float> prompt_logits(const model::Model& model, std::span<const int32_t> tokens,
                                 int64_t batch_tokens = 2048, gguf::GgmlType kv_type = gguf::GgmlType::F32);

}  // namespace rocmforge::test
