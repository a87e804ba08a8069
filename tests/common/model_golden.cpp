#include "common/model_golden.h"

#include "common/test_paths.h"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <cmath>
#include <cstring>

namespace rocmforge::test {

ModelGolden load_model_golden(const std::filesystem::path& stem) {
    ModelGolden g;
    const auto json_text = read_file_bytes(stem.string() + ".json");
    if (json_text.empty()) {
        ADD_FAILURE() << "missing golden " << stem << ".json";
        return g;
    }
    const auto j = nlohmann::json::parse(json_text);
    g.prompt = j.at("prompt").get<std::string>();
    g.prompt_tokens = j.at("prompt_tokens").get<std::vector<int32_t>>();
    if (j.contains("greedy_tokens")) g.greedy_tokens = j.at("greedy_tokens").get<std::vector<int32_t>>();
    if (j.contains("greedy_text") && j.at("greedy_text").is_string()) g.greedy_text = j.at("greedy_text").get<std::string>();
    g.n_vocab = j.at("n_vocab").get<int64_t>();
    const auto bytes = read_file_bytes(stem.string() + ".logits.f32");
    g.logits.resize(bytes.size() / sizeof(float));
    std::memcpy(g.logits.data(), bytes.data(), g.logits.size() * sizeof(float));
    EXPECT_EQ(g.logits.size() % static_cast<size_t>(g.n_vocab), 0u) << stem;
    return g;
}

double relative_error(const float* a, const float* b, size_t n) {
    double diff = 0.0, ref = 0.0;
    for (size_t i = 0; i < n; ++i) {
        diff += (double(a[i]) - b[i]) * (double(a[i]) - b[i]);
        ref += double(b[i]) * b[i];
    }
    return std::sqrt(diff / ref);
}

int64_t argmax_row(const float* data, int64_t n, int64_t r) {
    const float* row = data + r * n;
    int64_t best = 0;
    for (int64_t i = 1; i < n; ++i)
        if (row[i] > row[best]) best = i;
    return best;
}

}  // namespace rocmforge::test
