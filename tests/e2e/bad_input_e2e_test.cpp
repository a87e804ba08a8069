// Bad input through the binary: each case exits non-zero with one line naming the problem.
#include "common/test_paths.h"
#include "gguf/gguf_file.h"
#include "gguf/gguf_writer.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <limits>

namespace rocmforge::test {
namespace {

// Runs `rocmforge ARGS`, expects exit code 1 and a single "error: ..." line containing `needle`.
void expect_one_line_error(const std::string& args, const std::string& needle) {
    const auto r = run_command(rocmforge_binary() + " " + args, /*merge_stderr=*/true);
    EXPECT_EQ(r.exit_code, 1) << args << "\n" << r.output;
    EXPECT_EQ(std::count(r.output.begin(), r.output.end(), '\n'), 1) << r.output;
    EXPECT_EQ(r.output.rfind("error: ", 0), 0u) << r.output;
    EXPECT_NE(r.output.find(needle), std::string::npos) << "expected '" << needle << "' in: " << r.output;
}

// stories260K with one change: `edit` may rewrite metadata; tensors named `drop` are left out,
// the tensor named `reshape` gets the shape `new_shape` (same byte count), and the f32 tensor named
// `nan_fill` holds NaN everywhere.
std::string write_variant(const std::string& name, const std::function<void(gguf::GgufWriter&)>& edit,
                          const std::string& drop = "", const std::string& reshape = "",
                          std::vector<int64_t> new_shape = {}, const std::string& nan_fill = "") {
    static const auto source = gguf::GgufFile::open(shared_file("models/stories260K.gguf").string());
    gguf::GgufWriter writer;
    static std::vector<float> nans;
    for (const auto& entry : source.metadata()) writer.set(entry.key, entry.value);
    for (const auto& t : source.tensors()) {
        if (t.name == drop) continue;
        auto bytes = t.bytes();
        if (t.name == nan_fill) {
            EXPECT_EQ(t.type, gguf::GgmlType::F32) << t.name;
            nans.assign(bytes.size() / sizeof(float), std::numeric_limits<float>::quiet_NaN());
            bytes = {reinterpret_cast<const uint8_t*>(nans.data()), bytes.size()};
        }
        writer.add_tensor_view(t.name, t.type, t.name == reshape ? new_shape : t.ne, bytes);
    }
    edit(writer);
    const auto path = temp_path(name);
    writer.write(path);
    return path;
}

const std::string kPrompt = " -p 'Once upon a time' -n 4 ";

TEST(BadInput, MissingModelFile) { expect_one_line_error("generate -m /nonexistent/model.gguf" + kPrompt, "not found"); }

TEST(BadInput, NotAGgufFile) {
    expect_one_line_error("generate -m " + shared_file("models/wp-val.txt").string() + kPrompt, "not a GGUF file");
}

TEST(BadInput, UnsupportedArchitecture) {
    const auto path = write_variant("mamba.gguf", [](gguf::GgufWriter& w) {
        w.set("general.architecture", gguf::Value(std::string("mamba")));
    });
    expect_one_line_error("generate -m " + path + kPrompt, "unsupported architecture 'mamba'");
    std::filesystem::remove(path);
}

TEST(BadInput, MissingTensorNamesTensorAndShape) {
    const auto path = write_variant("missing.gguf", [](gguf::GgufWriter&) {}, "blk.2.attn_k.weight");
    expect_one_line_error("generate -m " + path + kPrompt, "missing tensor 'blk.2.attn_k.weight' (expected shape [64, 32])");
    std::filesystem::remove(path);
}

TEST(BadInput, WrongTensorShapeNamesTensorAndShape) {
    const auto path = write_variant("shape.gguf", [](gguf::GgufWriter&) {}, "", "blk.1.ffn_up.weight", {172, 64});
    expect_one_line_error("generate -m " + path + kPrompt, "tensor 'blk.1.ffn_up.weight' has shape [172, 64], expected [64, 172]");
    std::filesystem::remove(path);
}

TEST(BadInput, NonFiniteHyperParameterNamesKey) {
    const auto path = write_variant("nan_eps.gguf", [](gguf::GgufWriter& w) {
        w.set("llama.attention.layer_norm_rms_epsilon", gguf::Value(std::numeric_limits<float>::quiet_NaN()));
    });
    expect_one_line_error("generate -m " + path + kPrompt, "llama.attention.layer_norm_rms_epsilon is nan");
    std::filesystem::remove(path);
}

TEST(BadInput, InfiniteRopeBaseNamesKey) {
    const auto path = write_variant("inf_base.gguf", [](gguf::GgufWriter& w) {
        w.set("llama.rope.freq_base", gguf::Value(std::numeric_limits<float>::infinity()));
    });
    expect_one_line_error("generate -m " + path + kPrompt, "llama.rope.freq_base is inf");
    std::filesystem::remove(path);
}

// A NaN embedding makes every logit NaN: generation stops with an error naming the sequence and
// the step instead of printing empty text and exiting 0.
TEST(BadInput, NonFiniteLogitsNameSequenceAndStep) {
    const auto path = write_variant("nan_embd.gguf", [](gguf::GgufWriter&) {}, "", "", {}, "token_embd.weight");
    expect_one_line_error("generate -m " + path + kPrompt, "sequence 0, step 0: the model produced non-finite logits");
    std::filesystem::remove(path);
}

TEST(BadInput, PromptLongerThanContext) {
    expect_one_line_error("generate -m " + shared_file("models/stories260K.gguf").string() +
                              " -p 'Once upon a time there was a little girl who liked to play' -c 8",
                          "context holds 8");
}

TEST(BadInput, NegativeTemperature) {
    expect_one_line_error("generate -m " + shared_file("models/stories260K.gguf").string() + kPrompt + "--temp -0.5",
                          "--temp");
}

TEST(BadInput, TopPOutsideRange) {
    for (const char* value : {"0", "1.5", "-0.1"})
        expect_one_line_error("generate -m " + shared_file("models/stories260K.gguf").string() + kPrompt + "--top-p " + value,
                              "top-p must be in (0, 1]");
}

TEST(BadInput, TokenIdOutsideVocabulary) {
    expect_one_line_error("logits -m " + shared_file("models/stories260K.gguf").string() + " --tokens '1 512' -o " +
                              temp_path("x.f32"),
                          "token id 512");
}

}  // namespace
}  // namespace rocmforge::test
