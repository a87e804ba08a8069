// Float hyper-parameters read from GGUF metadata: NaN, ±inf and non-positive values of keys that
// must be positive are load errors naming the full key and the value, on a tiny synthetic model
// with one metadata key overridden.
#include "common/test_paths.h"
#include "common/test_model.h"
#include "gguf/gguf_file.h"
#include "gguf/gguf_writer.h"
#include "model/model.h"
#include "model/synthetic_model.h"
#include "util/error.h"
#include "util/thread_pool.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <limits>
#include <optional>
#include <ostream>
#include <string>
#include <utility>
#include <vector>

namespace rocmforge::model {
namespace {

constexpr float kNan = std::numeric_limits<float>::quiet_NaN();
constexpr float kInf = std::numeric_limits<float>::infinity();

std::string temp_path(const std::string& name) { return test::temp_path("hparams_" + name + ".gguf"); }

// The synthetic "tiny" llama model (F32), written once per test process and removed at exit.
const std::string& base_model_path() {
    struct TempFile {
        std::string path;
        ~TempFile() { std::filesystem::remove(path); }
    };
    static const TempFile file{[] {
        const std::string p = temp_path("base");
        ThreadPool pool(1);
        SyntheticModelOptions options;
        options.shape = "tiny";
        options.type = gguf::GgmlType::F32;
        write_synthetic_model(options, p, pool);
        return p;
    }()};
    return file.path;
}

// The base model with metadata `overrides` set (float32 values, as converters write them).
std::string write_variant(const std::string& name, const std::vector<std::pair<std::string, gguf::Value>>& overrides) {
    const auto source = gguf::GgufFile::open(base_model_path());
    auto writer = gguf::GgufWriter::from_file(source);
    for (const auto& [key, value] : overrides) writer.set(key, value);
    const auto path = temp_path(name);
    writer.write(path);
    return path;
}

// The one place this file loads a model. Returns the error message, nullopt when loading succeeds.
std::optional<std::string> load_error(const std::string& path) {
    try {
        test::load_cpu_model(path, 1);
    } catch (const Error& e) {
        return std::string(e.what());
    }
    return std::nullopt;
}

struct BadFloatCase {
    std::string label;  // test-name suffix
    std::string key;
    gguf::Value value;
    std::string printed;  // the value as the message prints it
};

void PrintTo(const BadFloatCase& c, std::ostream* os) { *os << c.key << " = " << c.printed; }

class BadFloatHparamTest : public testing::TestWithParam<BadFloatCase> {};

TEST_P(BadFloatHparamTest, LoadFailsNamingKeyAndValue) {
    const auto& c = GetParam();
    std::vector<std::pair<std::string, gguf::Value>> overrides{{c.key, c.value}};
    if (c.key == "llama.rope.scaling.factor") overrides.emplace_back("llama.rope.scaling.type", gguf::Value(std::string("linear")));
    const auto path = write_variant(c.label, overrides);
    const auto error = load_error(path);
    std::filesystem::remove(path);
    ASSERT_TRUE(error.has_value()) << c.key << " = " << c.printed << " loaded without an error";
    EXPECT_NE(error->find(c.key + " is " + c.printed), std::string::npos) << *error;
    EXPECT_NE(error->find("finite positive number"), std::string::npos) << *error;
}

INSTANTIATE_TEST_SUITE_P(
    Keys, BadFloatHparamTest,
    testing::Values(
        BadFloatCase{"EpsNan", "llama.attention.layer_norm_rms_epsilon", gguf::Value(kNan), "nan"},
        BadFloatCase{"EpsPosInf", "llama.attention.layer_norm_rms_epsilon", gguf::Value(kInf), "inf"},
        BadFloatCase{"EpsNegInf", "llama.attention.layer_norm_rms_epsilon", gguf::Value(-kInf), "-inf"},
        BadFloatCase{"EpsZero", "llama.attention.layer_norm_rms_epsilon", gguf::Value(0.0f), "0"},
        BadFloatCase{"EpsNegative", "llama.attention.layer_norm_rms_epsilon", gguf::Value(-0.25f), "-0.25"},
        BadFloatCase{"EpsNanFloat64", "llama.attention.layer_norm_rms_epsilon",
                     gguf::Value(std::numeric_limits<double>::quiet_NaN()), "nan"},
        BadFloatCase{"FreqBaseNan", "llama.rope.freq_base", gguf::Value(kNan), "nan"},
        BadFloatCase{"FreqBaseInf", "llama.rope.freq_base", gguf::Value(kInf), "inf"},
        BadFloatCase{"FreqBaseZero", "llama.rope.freq_base", gguf::Value(0.0f), "0"},
        BadFloatCase{"FreqBaseNegative", "llama.rope.freq_base", gguf::Value(-10000.0f), "-10000"},
        BadFloatCase{"LinearScalingNan", "llama.rope.scaling.factor", gguf::Value(kNan), "nan"},
        BadFloatCase{"LinearScalingInf", "llama.rope.scaling.factor", gguf::Value(kInf), "inf"},
        BadFloatCase{"LinearScalingZero", "llama.rope.scaling.factor", gguf::Value(0.0f), "0"},
        BadFloatCase{"LinearScalingNegative", "llama.rope.scaling.factor", gguf::Value(-2.0f), "-2"},
        BadFloatCase{"AttnSoftcapNan", "llama.attn_logit_softcapping", gguf::Value(kNan), "nan"},
        BadFloatCase{"AttnSoftcapZero", "llama.attn_logit_softcapping", gguf::Value(0.0f), "0"},
        BadFloatCase{"FinalSoftcapNegative", "llama.final_logit_softcapping", gguf::Value(-30.0f), "-30"},
        BadFloatCase{"RopeAttnFactorInf", "llama.rope.scaling.attn_factor", gguf::Value(kInf), "inf"}),
    [](const testing::TestParamInfo<BadFloatCase>& info) { return info.param.label; });

// Without linear scaling the factor is unused: it must be finite, and 0 (llama.cpp's "not set") loads.
TEST(FloatHparams, UnusedScalingFactorMustBeFiniteOnly) {
    const auto nan_path = write_variant("unused_nan", {{"llama.rope.scaling.factor", gguf::Value(kNan)}});
    const auto nan_error = load_error(nan_path);
    std::filesystem::remove(nan_path);
    ASSERT_TRUE(nan_error.has_value());
    EXPECT_NE(nan_error->find("llama.rope.scaling.factor is nan"), std::string::npos) << *nan_error;

    const auto zero_path = write_variant("unused_zero", {{"llama.rope.scaling.factor", gguf::Value(0.0f)}});
    const auto zero_error = load_error(zero_path);
    std::filesystem::remove(zero_path);
    EXPECT_FALSE(zero_error.has_value()) << *zero_error;
}

// The checks must not reject ordinary values: the unmodified model and a valid override load.
TEST(FloatHparams, FiniteValuesLoad) {
    EXPECT_FALSE(load_error(base_model_path()).has_value());
    const auto path = write_variant("valid", {{"llama.attention.layer_norm_rms_epsilon", gguf::Value(1e-6f)},
                                              {"llama.rope.freq_base", gguf::Value(500000.0f)},
                                              {"llama.rope.scaling.type", gguf::Value(std::string("linear"))},
                                              {"llama.rope.scaling.factor", gguf::Value(4.0f)}});
    const auto error = load_error(path);
    std::filesystem::remove(path);
    EXPECT_FALSE(error.has_value()) << *error;
}

}  // namespace
}  // namespace rocmforge::model

namespace rocmforge::model {
namespace {

// Expert metadata: more experts per token than experts, or experts without their tensors, are
// load errors naming the key or the missing tensor.
TEST(ExpertHparams, BadCountsAndMissingTensorsAreNamed) {
    const auto too_many = write_variant("experts_used", {{"llama.expert_count", gguf::Value(uint32_t{4})},
                                                         {"llama.expert_used_count", gguf::Value(uint32_t{8})}});
    auto error = load_error(too_many);
    std::filesystem::remove(too_many);
    ASSERT_TRUE(error.has_value());
    EXPECT_NE(error->find("'llama.expert_used_count' (8) exceeds expert_count (4)"), std::string::npos) << *error;

    const auto no_used = write_variant("experts_no_used", {{"llama.expert_count", gguf::Value(uint32_t{4})}});
    error = load_error(no_used);
    std::filesystem::remove(no_used);
    ASSERT_TRUE(error.has_value());
    EXPECT_NE(error->find("missing required metadata key 'llama.expert_used_count'"), std::string::npos) << *error;

    const auto no_tensors = write_variant("experts_no_tensors", {{"llama.expert_count", gguf::Value(uint32_t{4})},
                                                                 {"llama.expert_used_count", gguf::Value(uint32_t{2})}});
    error = load_error(no_tensors);
    std::filesystem::remove(no_tensors);
    ASSERT_TRUE(error.has_value());
    EXPECT_NE(error->find("missing tensor 'blk.0.ffn_gate_inp.weight'"), std::string::npos) << *error;
}

}  // namespace
}  // namespace rocmforge::model
