// Per-tensor type choice of `rocmforge quantize` (plan_quantization) on a synthetic 8-layer file.
#include "gguf/gguf_file.h"
#include "gguf/gguf_writer.h"
#include "model/model_quantizer.h"

#include <gtest/gtest.h>

#include <map>

namespace rocmforge::model {
namespace {

using gguf::GgmlType;

// Serialized GGUF bytes of an 8-layer llama-like file (all F32, zero data).
std::vector<uint8_t> make_model() {
    gguf::GgufWriter w;
    w.set("general.architecture", gguf::Value(std::string("llama")));
    auto add = [&](const std::string& name, std::vector<int64_t> ne) {
        int64_t n = 1;
        for (auto d : ne) n *= d;
        w.add_tensor(name, GgmlType::F32, ne, std::vector<uint8_t>(n * 4, 0));
    };
    add("token_embd.weight", {256, 8});
    add("output.weight", {256, 8});
    add("output_norm.weight", {256});
    for (int l = 0; l < 8; ++l) {
        const std::string p = "blk." + std::to_string(l) + ".";
        add(p + "attn_v.weight", {256, 4});
        add(p + "ffn_down.weight", {256, 4});
        add(p + "attn_output.weight", {256, 4});
        add(p + "attn_norm.weight", {256});
    }
    add("blk.0.odd_rows.weight", {96, 2});   // 96: multiple of 32, not of 256
    add("blk.0.tiny_rows.weight", {100, 2}); // 100: not a multiple of 32
    return w.write_to_buffer();
}

std::map<std::string, GgmlType> plan_map(const std::string& type) {
    static const auto model = make_model();
    const auto file = gguf::GgufFile::parse(model, "synthetic.gguf");
    std::map<std::string, GgmlType> out;
    for (const auto& p : plan_quantization(file, *parse_quantize_target(type))) out[p.name] = p.to;
    return out;
}

TEST(QuantizePlan, Q4_K_M_GivesMoreBitsToSelectedLayers) {
    const auto plan = plan_map("q4_k_m");
    // use_more_bits(l, 8): l < 1, l >= 7, or (l - 1) % 3 == 2 -> layers 0, 3, 6, 7.
    const std::map<int, bool> more = {{0, true}, {1, false}, {2, false}, {3, true}, {4, false}, {5, false}, {6, true}, {7, true}};
    for (const auto& [layer, extra] : more) {
        const std::string p = "blk." + std::to_string(layer) + ".";
        EXPECT_EQ(plan.at(p + "attn_v.weight"), extra ? GgmlType::Q6_K : GgmlType::Q4_K) << layer;
        EXPECT_EQ(plan.at(p + "ffn_down.weight"), extra ? GgmlType::Q6_K : GgmlType::Q4_K) << layer;
        EXPECT_EQ(plan.at(p + "attn_output.weight"), GgmlType::Q4_K) << layer;
        EXPECT_EQ(plan.at(p + "attn_norm.weight"), GgmlType::F32) << layer;
    }
    EXPECT_EQ(plan.at("output.weight"), GgmlType::Q6_K);
    EXPECT_EQ(plan.at("token_embd.weight"), GgmlType::Q4_K);
    EXPECT_EQ(plan.at("blk.0.odd_rows.weight"), GgmlType::Q5_0);  // Q4_K fallback
    EXPECT_EQ(plan.at("blk.0.tiny_rows.weight"), GgmlType::F16);
}

TEST(QuantizePlan, Q3_K_M_Mix) {
    const auto plan = plan_map("Q3_K_M");
    EXPECT_EQ(plan.at("blk.0.attn_v.weight"), GgmlType::Q5_K);
    EXPECT_EQ(plan.at("blk.1.attn_v.weight"), GgmlType::Q5_K);
    EXPECT_EQ(plan.at("blk.2.attn_v.weight"), GgmlType::Q4_K);
    EXPECT_EQ(plan.at("blk.0.ffn_down.weight"), GgmlType::Q4_K);  // 0 < 8/16 is false
    EXPECT_EQ(plan.at("blk.5.attn_output.weight"), GgmlType::Q4_K);
    EXPECT_EQ(plan.at("token_embd.weight"), GgmlType::Q3_K);
    EXPECT_EQ(plan.at("blk.0.odd_rows.weight"), GgmlType::IQ4_NL);
}

// llama.cpp's Q2_K preset: attn_v, attn_output and ffn_down one step up (q3_K; attn_v q4_K when
// 4+ query heads share a KV head), output projection q6_K. This file has no head counts: n_gqa 1.
TEST(QuantizePlan, Q2_K_Mix) {
    const auto plan = plan_map("Q2_K");
    for (int layer : {0, 7}) {
        const std::string p = "blk." + std::to_string(layer) + ".";
        EXPECT_EQ(plan.at(p + "attn_v.weight"), GgmlType::Q3_K);
        EXPECT_EQ(plan.at(p + "ffn_down.weight"), GgmlType::Q3_K);
        EXPECT_EQ(plan.at(p + "attn_output.weight"), GgmlType::Q3_K);
    }
    EXPECT_EQ(plan.at("token_embd.weight"), GgmlType::Q2_K);
    EXPECT_EQ(plan.at("output.weight"), GgmlType::Q6_K);
}

TEST(QuantizePlan, PureTargetHasNoMix) {
    static const auto bytes = make_model();
    const auto file = gguf::GgufFile::parse(bytes, "pure");
    auto target = *parse_quantize_target("Q4_K_M");
    target.pure = true;
    for (const auto& p : plan_quantization(file, target)) {
        const bool weight_2d = file.find_tensor(p.name)->ne.size() == 2;
        if (weight_2d && p.name.find("rows") == std::string::npos) {
            EXPECT_EQ(p.to, GgmlType::Q4_K) << p.name;
        }
    }
}

TEST(QuantizePlan, PlainTypesKeepOutputRule) {
    EXPECT_EQ(plan_map("Q4_0").at("output.weight"), GgmlType::Q6_K);
    EXPECT_EQ(plan_map("Q8_0").at("output.weight"), GgmlType::Q8_0);
    EXPECT_EQ(plan_map("F16").at("output.weight"), GgmlType::F16);
    EXPECT_EQ(plan_map("Q4_0").at("blk.0.tiny_rows.weight"), GgmlType::F16);
    EXPECT_EQ(plan_map("Q6_K").at("blk.0.odd_rows.weight"), GgmlType::Q8_0);
}

TEST(QuantizePlan, TargetNamesAndFileTypes) {
    EXPECT_EQ(parse_quantize_target("q4_k_m")->file_type, 15u);
    EXPECT_EQ(parse_quantize_target("Q8_0")->file_type, 7u);
    EXPECT_EQ(parse_quantize_target("f16")->file_type, 1u);
    EXPECT_EQ(parse_quantize_target("Q5_K_M")->file_type, 17u);
    EXPECT_EQ(parse_quantize_target("Q3_K_M")->file_type, 12u);
    EXPECT_FALSE(parse_quantize_target("q8_k").has_value());
    EXPECT_FALSE(parse_quantize_target("Q4_K_L").has_value());
    EXPECT_EQ(quantize_target_names().size(), 21u);
}

}  // namespace
}  // namespace rocmforge::model
