// `rocmforge quantize` end to end on ../shared/models: every TYPE produces a file that loads and
// inspects, with the planned per-tensor types and general.file_type; weight error vs the F16
// source is no worse than llama.cpp's shipped quantized files (Q8_0, Q4_0, Q4_K_M) by > 3%;
// requantization is refused without --allow-requantize; bad TYPEs are usage errors.
#include "common/test_paths.h"
#include "gguf/gguf_file.h"
#include "model/model_quantizer.h"
#include "quant/quant_traits.h"

#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <map>
#include <system_error>
#include <vector>

namespace rocmforge {
namespace {

namespace fs = std::filesystem;
using gguf::GgmlType;

fs::path temp_dir_path() { return fs::temp_directory_path() / ("rocmforge-quantize-" + std::to_string(::getpid())); }

fs::path temp_dir() {
    const fs::path dir = temp_dir_path();
    fs::create_directories(dir);
    return dir;
}

// Removes this process's temporary directory when the test program ends.
class TempDirCleanup : public ::testing::Environment {
  public:
    void TearDown() override {
        std::error_code ignored;
        fs::remove_all(temp_dir_path(), ignored);
    }
};
[[maybe_unused]] ::testing::Environment* const kTempDirCleanup = ::testing::AddGlobalTestEnvironment(new TempDirCleanup);

std::string quote(const fs::path& p) {
    std::string quoted = "'";  // appended piece by piece: GCC 12 warns (-Wrestrict) on "'" + s + "'"
    quoted += p.string();
    quoted += '\'';
    return quoted;
}

test::CommandResult quantize(const fs::path& in, const fs::path& out, const std::string& type, const std::string& extra = "") {
    return test::run_command(test::rocmforge_binary() + " quantize " + quote(in) + " " + quote(out) + " " + type +
                                 " --threads 2 " + extra,
                             true);
}

std::vector<float> dequantize(const gguf::TensorInfo& t) {
    std::vector<float> out(t.n_elements);
    quant::quant_traits(t.type).to_float(t.data, out.data(), static_cast<int64_t>(t.n_elements));
    return out;
}

// Mean over the 2-D weights of ||deq(file) - deq(reference)|| / ||deq(reference)||.
double mean_weight_error(const gguf::GgufFile& file, const gguf::GgufFile& reference) {
    double sum = 0;
    int count = 0;
    for (const auto& ref : reference.tensors()) {
        if (ref.ne.size() < 2) continue;
        const auto* t = file.find_tensor(ref.name);
        EXPECT_NE(t, nullptr) << ref.name;
        if (!t) continue;
        const auto a = dequantize(*t), b = dequantize(ref);
        double err = 0, norm = 0;
        for (size_t i = 0; i < a.size(); ++i) {
            err += (double(a[i]) - b[i]) * (double(a[i]) - b[i]);
            norm += double(b[i]) * b[i];
        }
        sum += std::sqrt(err / norm);
        ++count;
    }
    return count ? sum / count : INFINITY;
}

class QuantizeCommand : public ::testing::TestWithParam<std::string> {};

TEST_P(QuantizeCommand, ProducesLoadableFileWithPlannedTypes) {
    const auto source_path = test::shared_file("models/wp-25M-f16.gguf");
    const auto out = temp_dir() / (GetParam() + ".gguf");
    const auto result = quantize(source_path, out, GetParam());
    ASSERT_EQ(result.exit_code, 0) << result.output;

    const auto target = model::parse_quantize_target(GetParam());
    ASSERT_TRUE(target.has_value());
    const auto source = gguf::GgufFile::open(source_path.string());
    const auto file = gguf::GgufFile::open(out.string());
    EXPECT_EQ(file.get_int("general.file_type"), static_cast<int64_t>(target->file_type));
    EXPECT_EQ(file.get_string("general.architecture"), source.get_string("general.architecture"));
    EXPECT_EQ(file.metadata().size(), source.metadata().size() + (file.find("general.quantization_version") && !source.find("general.quantization_version") ? 1 : 0));
    const auto plan = model::plan_quantization(source, *target);
    ASSERT_EQ(file.tensors().size(), plan.size());
    int base_typed = 0;
    for (const auto& p : plan) {
        const auto* t = file.find_tensor(p.name);
        ASSERT_NE(t, nullptr) << p.name;
        EXPECT_EQ(t->type, p.to) << p.name;
        if (t->ne.size() < 2) {
            EXPECT_EQ(t->type, GgmlType::F32) << p.name;
        }
        base_typed += t->type == target->base;
    }
    EXPECT_GE(base_typed, 32) << "most weights should have the base type (Q2_K mix: 32 of 57)";

    const auto inspect = test::run_command(test::rocmforge_binary() + " inspect " + quote(out), true);
    EXPECT_EQ(inspect.exit_code, 0) << inspect.output;
    fs::remove(out);
}

INSTANTIATE_TEST_SUITE_P(AllTypes, QuantizeCommand,
                         ::testing::Values("F32", "F16", "BF16", "Q4_0", "Q4_1", "Q5_0", "Q5_1", "Q8_0", "Q2_K", "Q3_K", "Q4_K",
                                           "Q5_K", "Q6_K", "IQ4_NL", "IQ4_XS", "TQ1_0", "TQ2_0", "MXFP4", "Q3_K_M", "Q4_K_M",
                                           "Q5_K_M"));

TEST(QuantizeCommandQuality, WeightErrorWithinThreePercentOfLlamaCpp) {
    const auto f16_path = test::shared_file("models/wp-25M-f16.gguf");
    const auto f16 = gguf::GgufFile::open(f16_path.string());
    for (const std::string type : {"Q8_0", "Q4_0", "Q4_K_M"}) {
        const auto out = temp_dir() / ("quality-" + type + ".gguf");
        const auto result = quantize(f16_path, out, type);
        ASSERT_EQ(result.exit_code, 0) << result.output;
        const auto ours = gguf::GgufFile::open(out.string());
        const auto theirs = gguf::GgufFile::open(test::shared_file("models/wp-25M-" + type + ".gguf").string());
        const double e_ours = mean_weight_error(ours, f16), e_theirs = mean_weight_error(theirs, f16);
        std::printf("[ weights ] %-6s mean rel error ours %.5f llama.cpp %.5f\n", type.c_str(), e_ours, e_theirs);
        EXPECT_LE(e_ours, 1.03 * e_theirs) << type;
        fs::remove(out);
    }
}

TEST(QuantizeCommandErrors, RefusesRequantizeWithoutFlag) {
    const auto in = test::shared_file("models/wp-25M-Q4_0.gguf");
    const auto out = temp_dir() / "requant.gguf";
    auto result = quantize(in, out, "Q8_0");
    EXPECT_EQ(result.exit_code, 1) << result.output;
    EXPECT_NE(result.output.find("already quantized"), std::string::npos) << result.output;
    EXPECT_NE(result.output.find("--allow-requantize"), std::string::npos) << result.output;
    EXPECT_FALSE(fs::exists(out));
    result = quantize(in, out, "Q8_0", "--allow-requantize");
    EXPECT_EQ(result.exit_code, 0) << result.output;
    EXPECT_NO_THROW(gguf::GgufFile::open(out.string()));
    fs::remove(out);
}

TEST(QuantizeCommandErrors, UnknownTypeAndMissingInput) {
    const auto in = test::shared_file("models/wp-25M-f16.gguf");
    auto result = quantize(in, temp_dir() / "x.gguf", "Q4_Z");
    EXPECT_EQ(result.exit_code, 1);
    EXPECT_NE(result.output.find("unknown TYPE 'Q4_Z'"), std::string::npos) << result.output;
    result = quantize(temp_dir() / "missing.gguf", temp_dir() / "y.gguf", "Q8_0");
    EXPECT_EQ(result.exit_code, 1);
    EXPECT_NE(result.output.find("missing.gguf"), std::string::npos) << result.output;
    result = test::run_command(test::rocmforge_binary() + " quantize " + quote(in), true);
    EXPECT_EQ(result.exit_code, 2) << result.output;
}

TEST(QuantizeCommandFallback, WarnsForRowsNotDivisibleByTheBlockSize) {
    // stories260K has rows of 64 (-> q5_0 for Q4_K) and 172 (-> f16).
    const auto out = temp_dir() / "fallback.gguf";
    const auto result = quantize(test::shared_file("models/stories260K.gguf"), out, "Q4_K");
    ASSERT_EQ(result.exit_code, 0) << result.output;
    EXPECT_NE(result.output.find("row length 64 is not a multiple of q4_K's block size 256: using q5_0"), std::string::npos)
        << result.output;
    const auto file = gguf::GgufFile::open(out.string());
    EXPECT_EQ(file.find_tensor("blk.0.ffn_down.weight")->type, GgmlType::F16);
    EXPECT_EQ(file.find_tensor("blk.0.attn_q.weight")->type, GgmlType::Q5_0);
    fs::remove(out);
}

}  // namespace
}  // namespace rocmforge
