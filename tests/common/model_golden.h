#pragma once
// Reference outputs of ../shared/golden/model/<name>.json + .logits.f32 (see that README).
#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

namespace rocmforge::test {

struct ModelGolden {
    std::string prompt;
    std::vector<int32_t> prompt_tokens;   // BOS included
    std::vector<int32_t> greedy_tokens;
    std::string greedy_text;
    int64_t n_vocab = 0;
    std::vector<float> logits;            // rows of n_vocab; row r < prompt_tokens.size() follows prompt token r
    int64_t n_rows() const { return n_vocab == 0 ? 0 : static_cast<int64_t>(logits.size()) / n_vocab; }
};

// stem: path without extension, e.g. shared_dir()/"golden/model/wp-25M-f16.p0". Fails the test on error.
ModelGolden load_model_golden(const std::filesystem::path& stem);

// ‖a − b‖ / ‖b‖ over the first n values (double accumulation).
double relative_error(const float* a, const float* b, size_t n);
// Index of the largest value of row r (n values per row).
int64_t argmax_row(const float* data, int64_t n, int64_t r);

}  // namespace rocmforge::test
