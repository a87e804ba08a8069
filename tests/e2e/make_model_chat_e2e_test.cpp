// make-model (synthetic random-weight GGUF) and chat through the binary.
#include "common/test_paths.h"
#include "gguf/gguf_file.h"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <filesystem>

namespace rocmforge::test {
namespace {

TEST(MakeModel, TinySyntheticModelLoadsGeneratesAndIsMarked) {
    for (const char* type : {"f16", "q8_0", "q4_K"}) {
        const auto path = temp_path(std::string("tiny-") + type + ".gguf");
        const auto made = run_command(rocmforge_binary() + " make-model --shape tiny --type " + type + " --seed 7 -o " + path, true);
        ASSERT_EQ(made.exit_code, 0) << made.output;
        const auto file = gguf::GgufFile::open(path);
        EXPECT_EQ(file.get_bool("rocmforge.synthetic"), true);
        EXPECT_EQ(file.get_string("general.name"), "synthetic-tiny");
        EXPECT_EQ(file.find_tensor("blk.1.ffn_down.weight")->type, *gguf::ggml_type_from_name(type));
        const auto gen = run_command(rocmforge_binary() + " generate -m " + path + " -p 'Hello' -n 8 --temp 0 --json");
        ASSERT_EQ(gen.exit_code, 0) << gen.output;
        EXPECT_EQ(nlohmann::json::parse(gen.output).at("tokens").size(), 8u);
        // Same seed, same bytes.
        const auto again = temp_path(std::string("tiny-again-") + type + ".gguf");
        ASSERT_EQ(run_command(rocmforge_binary() + " make-model --shape tiny --type " + type + " --seed 7 -o " + again).exit_code, 0);
        EXPECT_EQ(read_file_bytes(path), read_file_bytes(again));
        std::filesystem::remove(path);
        std::filesystem::remove(again);
    }
}

TEST(MakeModel, CopiesVocabularyFromGivenGguf) {
    const auto path = temp_path("tiny-llama-vocab.gguf");
    const auto made = run_command(rocmforge_binary() + " make-model --shape tiny --type q8_0 --vocab-from " +
                                      shared_file("models/wp-25M-f16.gguf").string() + " -o " + path, true);
    ASSERT_EQ(made.exit_code, 0) << made.output;
    const auto file = gguf::GgufFile::open(path);
    EXPECT_EQ(file.find_tensor("token_embd.weight")->ne[1], 32000);
    const auto tok = run_command(rocmforge_binary() + " generate -m " + path + " -p 'Prince Andrew' -n 2 --temp 0 --json");
    ASSERT_EQ(tok.exit_code, 0) << tok.output;
    EXPECT_EQ(nlohmann::json::parse(tok.output).at("prompt_tokens"), nlohmann::json::parse("[1, 10787, 11571]"));
    std::filesystem::remove(path);
}

TEST(MakeModel, RejectsUnknownShapeAndType) {
    auto r = run_command(rocmforge_binary() + " make-model --shape huge -o " + temp_path("x.gguf"), true);
    EXPECT_EQ(r.exit_code, 1);
    EXPECT_NE(r.output.find("unknown shape 'huge'"), std::string::npos) << r.output;
    r = run_command(rocmforge_binary() + " make-model --shape tiny --type q9_9 -o " + temp_path("x.gguf"), true);
    EXPECT_EQ(r.exit_code, 1);
    EXPECT_NE(r.output.find("unknown type 'q9_9'"), std::string::npos) << r.output;
}

// Greedy chat is deterministic, answers every turn and stops at /exit.
TEST(Chat, AnswersEachTurnAndExits) {
    const auto cmd = "printf 'Who is Natasha?\\nAnd Pierre?\\n/exit\\nnever read\\n' | " + rocmforge_binary() + " chat -m " +
                     shared_file("models/wp-25M-f16.gguf").string() + " -n 12 --temp 0 -t 2";
    const auto a = run_command(cmd), b = run_command(cmd);
    ASSERT_EQ(a.exit_code, 0) << a.output;
    EXPECT_EQ(a.output, b.output);
    EXPECT_EQ(std::count(a.output.begin(), a.output.end(), '\n'), 2) << a.output;
    EXPECT_GT(a.output.size(), 20u);
}

}  // namespace
}  // namespace rocmforge::test
