// Perplexity on ../shared/models/wp-val.txt with -c 256 vs llama.cpp's llama-perplexity
// (../shared/golden/model/perplexity.json, same method: see engine/perplexity.h).
#include "common/test_model.h"
#include "common/test_paths.h"
#include "engine/perplexity.h"
#include "model/model.h"
#include "tokenizer/tokenizer.h"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <cmath>
#include <cstdio>

namespace rocmforge::test {
namespace {

struct PerplexityCase {
    std::string model;
    double relative_tolerance;  // |ours - ref| / ref
};

void PrintTo(const PerplexityCase& c, std::ostream* os) { *os << c.model; }

class PerplexityTest : public testing::TestWithParam<PerplexityCase> {};

TEST_P(PerplexityTest, MatchesLlamaCpp) {
    const auto& c = GetParam();
    const auto golden = nlohmann::json::parse(read_file_bytes(shared_file("golden/model/perplexity.json")));
    const double reference = golden.at("ppl").at(c.model).get<double>();
    auto model = load_cpu_model(shared_file("models/" + c.model).string());
    auto tokenizer = tokenizer::Tokenizer::from_gguf(model->file());
    const auto tokens = tokenizer->encode(read_file_bytes(shared_file("models/wp-val.txt")), true, false);
    engine::PerplexityOptions options;
    options.n_ctx = 256;
    options.bos_id = *tokenizer->bos_id();
    const auto r = engine::compute_perplexity(*model, tokens, options, nullptr);
    std::printf("%s: PPL %.4f +/- %.5f (llama.cpp %.4f, %lld chunks)\n", c.model.c_str(), r.ppl, r.ppl_stderr, reference,
                static_cast<long long>(r.n_chunks));
    EXPECT_LE(std::abs(r.ppl - reference) / reference, c.relative_tolerance);
    if (c.model == "wp-25M-f16.gguf") {
        EXPECT_NEAR(r.ppl_stderr, golden.at("ppl_stderr_f16").get<double>(), 0.01 * r.ppl_stderr);
    }
}

INSTANTIATE_TEST_SUITE_P(Golden, PerplexityTest,
                         testing::Values(PerplexityCase{"wp-25M-f16.gguf", 1e-3}, PerplexityCase{"wp-25M-Q8_0.gguf", 5e-3},
                                         PerplexityCase{"wp-25M-Q4_0.gguf", 5e-3},
                                         PerplexityCase{"wp-25M-Q4_K_M.gguf", 5e-3}),
                         [](const auto& info) {
                             std::string n = info.param.model.substr(0, info.param.model.size() - 5);
                             for (auto& ch : n)
                                 if (!std::isalnum(static_cast<unsigned char>(ch))) ch = '_';
                             return n;
                         });

}  // namespace
}  // namespace rocmforge::test
