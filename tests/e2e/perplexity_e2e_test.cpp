// `rocmforge perplexity` output format and batch-size invariance through the binary (a few
// chunks only; the full-file comparison with llama.cpp is tests/golden/perplexity_test.cpp).
#include "common/test_paths.h"

#include <gtest/gtest.h>

#include <regex>

namespace rocmforge::test {
namespace {

double parse_ppl(const std::string& output) {
    std::smatch m;
    const std::regex pattern(R"(PPL = ([0-9.]+) \+/- ([0-9.]+))");
    EXPECT_TRUE(std::regex_search(output, m, pattern)) << output;
    return m.empty() ? 0.0 : std::stod(m[1]);
}

TEST(PerplexityCommand, PrintsPplAndIsIndependentOfBatchSize) {
    const auto base = rocmforge_binary() + " perplexity -m " + shared_file("models/wp-25M-f16.gguf").string() +
                      " -f " + shared_file("models/wp-val.txt").string() + " -c 128 --chunks 3 -t 2";
    const auto full = run_command(base);
    const auto batched = run_command(base + " -b 32");
    ASSERT_EQ(full.exit_code, 0) << full.output;
    ASSERT_EQ(batched.exit_code, 0) << batched.output;
    const double a = parse_ppl(full.output), b = parse_ppl(batched.output);
    EXPECT_GT(a, 1.0);
    EXPECT_NEAR(a, b, 1e-4 * a);
}

}  // namespace
}  // namespace rocmforge::test
