// Golden checks of every block format against ../shared/golden/quant (made by ggml, see README there):
//  - dequantizing tensor `q` reproduces tensor `deq` bit-exactly (reference and dispatched kernels);
//  - quantizing `input` with our from_float has relative error ||deq-input||/||input|| at most
//    1.03x the figure ggml reached (manifest.json, quant_rel_error).
#include "gguf/gguf_file.h"
#include "quant/quant_traits.h"
#include "common/test_paths.h"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <cmath>
#include <cstring>
#include <fstream>
#include <vector>

namespace rocmforge::quant {
namespace {

struct GoldenCase {
    std::string type_name;
    uint32_t type_id = 0;
    std::string file;
    double ggml_rel_error = 0;
};

std::vector<GoldenCase> load_manifest() {
    std::vector<GoldenCase> cases;
    const auto path = test::shared_file("golden/quant/manifest.json");
    std::ifstream in(path);
    if (!in) return cases;
    const auto json = nlohmann::json::parse(in);
    for (const auto& e : json) {
        cases.push_back({e.at("type").get<std::string>(), e.at("id").get<uint32_t>(), e.at("file").get<std::string>(),
                         e.at("quant_rel_error").get<double>()});
    }
    return cases;
}

class QuantGolden : public ::testing::TestWithParam<std::string> {};

const GoldenCase* find_case(const std::vector<GoldenCase>& cases, const std::string& name) {
    for (const auto& c : cases) if (c.type_name == name) return &c;
    return nullptr;
}

TEST(QuantGoldenManifest, CoversEveryGoldenFileType) {
    const auto cases = load_manifest();
    ASSERT_EQ(cases.size(), 16u) << "manifest.json should list the 16 golden types";
    for (const auto& c : cases) {
        EXPECT_TRUE(is_supported(static_cast<gguf::GgmlType>(c.type_id))) << c.type_name;
    }
}

TEST_P(QuantGolden, DequantizeIsBitExact) {
    const auto cases = load_manifest();
    const GoldenCase* c = find_case(cases, GetParam());
    ASSERT_NE(c, nullptr) << "no manifest entry for " << GetParam();
    auto file = gguf::GgufFile::open(test::shared_file("golden/quant/" + c->file).string());
    const auto* q = file.find_tensor("q");
    const auto* deq = file.find_tensor("deq");
    ASSERT_NE(q, nullptr);
    ASSERT_NE(deq, nullptr);
    ASSERT_EQ(static_cast<uint32_t>(q->type), c->type_id);
    ASSERT_EQ(deq->type, gguf::GgmlType::F32);
    ASSERT_EQ(q->n_elements, deq->n_elements);
    const int64_t n = static_cast<int64_t>(q->n_elements);
    std::vector<float> expected(n);
    std::memcpy(expected.data(), deq->data, n * sizeof(float));

    for (const QuantTraits* traits : {&reference_quant_traits(q->type), &quant_traits(q->type)}) {
        std::vector<float> got(n, std::nanf(""));
        ASSERT_EQ(row_size(*traits, n), q->n_bytes);
        traits->to_float(q->data, got.data(), n);
        int64_t mismatches = 0, first = -1;
        for (int64_t i = 0; i < n; ++i) {
            if (std::memcmp(&got[i], &expected[i], sizeof(float)) != 0) {
                if (first < 0) first = i;
                ++mismatches;
            }
        }
        EXPECT_EQ(mismatches, 0) << c->type_name << ": first mismatch at " << first << " got "
                                 << (first >= 0 ? got[first] : 0) << " expected " << (first >= 0 ? expected[first] : 0);
    }
}

// Quantizer quality: every type with a from_float (all golden types except the ternary TQ1_0/TQ2_0).
class QuantGoldenQuantize : public ::testing::TestWithParam<std::string> {};

TEST_P(QuantGoldenQuantize, ErrorWithinThreePercentOfGgml) {
    const auto cases = load_manifest();
    const GoldenCase* c = find_case(cases, GetParam());
    ASSERT_NE(c, nullptr);
    const auto type = static_cast<gguf::GgmlType>(c->type_id);
    const QuantTraits& traits = quant_traits(type);
    ASSERT_NE(traits.from_float, nullptr) << c->type_name;
    auto file = gguf::GgufFile::open(test::shared_file("golden/quant/" + c->file).string());
    const auto* input = file.find_tensor("input");
    ASSERT_NE(input, nullptr);
    const int64_t n = static_cast<int64_t>(input->n_elements);
    const int64_t row = input->row_length();
    std::vector<float> x(n);
    std::memcpy(x.data(), input->data, n * sizeof(float));
    std::vector<uint8_t> blocks(row_size(traits, row) * (n / row));
    std::vector<float> back(n);
    for (int64_t r = 0; r < n / row; ++r) {
        traits.from_float(x.data() + r * row, blocks.data() + r * row_size(traits, row), row);
        traits.to_float(blocks.data() + r * row_size(traits, row), back.data() + r * row, row);
    }
    double err = 0, norm = 0;
    for (int64_t i = 0; i < n; ++i) {
        err += (double(back[i]) - x[i]) * (double(back[i]) - x[i]);
        norm += double(x[i]) * x[i];
    }
    const double rel = std::sqrt(err / norm);
    RecordProperty("rel_error", std::to_string(rel));
    EXPECT_LE(rel, 1.03 * c->ggml_rel_error) << c->type_name << ": ours " << rel << " vs ggml " << c->ggml_rel_error;
    std::printf("[ rel error ] %-7s ours %.6f ggml %.6f (ratio %.3f)\n", c->type_name.c_str(), rel, c->ggml_rel_error,
                rel / c->ggml_rel_error);
}

INSTANTIATE_TEST_SUITE_P(AllTypes, QuantGolden,
                         ::testing::Values("f16", "bf16", "q4_0", "q4_1", "q5_0", "q5_1", "q8_0", "q2_K", "q3_K", "q4_K",
                                           "q5_K", "q6_K", "iq4_nl", "iq4_xs", "tq1_0", "tq2_0"),
                         [](const auto& info) { return info.param; });
INSTANTIATE_TEST_SUITE_P(QuantizableTypes, QuantGoldenQuantize,
                         ::testing::Values("f16", "bf16", "q4_0", "q4_1", "q5_0", "q5_1", "q8_0", "q2_K", "q3_K", "q4_K",
                                           "q5_K", "q6_K", "iq4_nl", "iq4_xs"),
                         [](const auto& info) { return info.param; });

}  // namespace
}  // namespace rocmforge::quant
