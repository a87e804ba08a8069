// Whole-model logits vs references from other engines (../shared/golden/model):
// llama.cpp for stories260K / wp-25M (all types), HF transformers f32 for wp-25M-f16.
#include "common/model_golden.h"
#include "common/test_model.h"
#include "common/test_paths.h"
#include "model/model.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdio>
#include <string>

namespace rocmforge::test {
namespace {

struct LogitsCase {
    std::string model;        // file under models/
    std::string golden;       // stem under golden/model/, without ".pN"
    double tolerance;         // on ‖ours − ref‖ / ‖ref‖ over all prompt rows
    bool check_argmax;        // identical argmax on every prompt row
};

void PrintTo(const LogitsCase& c, std::ostream* os) { *os << c.golden << " (tolerance " << c.tolerance << ")"; }

std::string case_name(const testing::TestParamInfo<LogitsCase>& info) {
    std::string name = info.param.golden;
    for (auto& c : name)
        if (!std::isalnum(static_cast<unsigned char>(c))) c = '_';
    return name;
}

class ModelLogitsTest : public testing::TestWithParam<LogitsCase> {};

TEST_P(ModelLogitsTest, PromptRowsMatchReference) {
    const auto& c = GetParam();
    auto model = load_cpu_model(shared_file("models/" + c.model).string());
    for (int p = 0; p < 3; ++p) {
        const auto stem = shared_dir() / "golden/model" / (c.golden + ".p" + std::to_string(p));
        const auto golden = load_model_golden(stem);
        ASSERT_EQ(golden.n_vocab, model->hparams().n_vocab);
        const auto logits = prompt_logits(*model, golden.prompt_tokens);
        const size_t n = golden.prompt_tokens.size() * static_cast<size_t>(golden.n_vocab);
        ASSERT_EQ(logits.size(), n);
        const double err = relative_error(logits.data(), golden.logits.data(), n);
        EXPECT_LE(err, c.tolerance) << stem;
        std::printf("%s: rel err %.3g (tolerance %.0e)\n", stem.filename().c_str(), err, c.tolerance);
        RecordProperty("rel_err_p" + std::to_string(p), std::to_string(err));
        // The same backend again with F16 KV (gathered rows instead of paged f32 ones): within the
        // golden's tolerance too.
        const auto f16_kv = prompt_logits(*model, golden.prompt_tokens, 2048, gguf::GgmlType::F16);
        const double err_f16 = relative_error(f16_kv.data(), golden.logits.data(), n);
        std::printf("%s, f16 KV: rel err %.3g\n", stem.filename().c_str(), err_f16);
        EXPECT_LE(err_f16, std::max(c.tolerance, 1e-3)) << stem << " f16 KV";
        if (c.check_argmax) {
            for (size_t r = 0; r < golden.prompt_tokens.size(); ++r)
                EXPECT_EQ(argmax_row(logits.data(), golden.n_vocab, r), argmax_row(golden.logits.data(), golden.n_vocab, r))
                    << stem << " row " << r;
        }
    }
}

INSTANTIATE_TEST_SUITE_P(Golden, ModelLogitsTest,
                         testing::Values(LogitsCase{"stories260K.gguf", "stories260K", 1e-3, true},
                                         LogitsCase{"wp-25M-f16.gguf", "wp-25M-f16", 1e-3, true},
                                         LogitsCase{"wp-25M-f16.gguf", "hf/wp-25M-f16", 1e-4, true},
                                         LogitsCase{"wp-25M-Q8_0.gguf", "wp-25M-Q8_0", 1e-2, true},
                                         LogitsCase{"wp-25M-Q4_0.gguf", "wp-25M-Q4_0", 1e-2, true},
                                         LogitsCase{"wp-25M-Q4_K_M.gguf", "wp-25M-Q4_K_M", 1e-2, true}),
                         case_name);

}  // namespace
}  // namespace rocmforge::test
