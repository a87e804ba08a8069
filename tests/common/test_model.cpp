#include "common/test_model.h"

#include "backend/cpu/cpu_backend.h"

namespace rocmforge::test {

TestModel load_cpu_model(const std::string& path, int n_threads) {
    TestModel m;
    m.backend = std::make_unique<backend::cpu::CpuBackend>(n_threads);
    m.model = model::Model::load(path, *m.backend);
    return m;
}

std::vector<float> prompt_logits(const model::Model& model, std::span<const int32_t> tokens, int64_t batch_tokens,
                                 gguf::GgmlType kv_type) {
    const auto n = static_cast<int64_t>(tokens.size());
    engine::RunnerOptions o;
    o.kv_type = kv_type;
    o.n_ctx = n;
    o.batch_tokens = batch_tokens;
    o.max_logit_rows = n;
    engine::ModelRunner runner(model, o);
    std::vector<float> logits;
    runner.eval(runner.kv().create_sequence(), tokens, backend::RowClass::Prefill, n, logits);
    return logits;
}

}  // namespace rocmforge::test
