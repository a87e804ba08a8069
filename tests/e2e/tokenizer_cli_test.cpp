// The tokenize / detokenize / chat-template subcommands through the binary.
#include "common/test_paths.h"
#include "gguf/gguf_file.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>

namespace rocmforge::test {
namespace {

namespace fs = std::filesystem;

fs::path temp_file(const std::string& name, const std::string& contents) {
    const auto path = fs::temp_directory_path() / ("rocmforge_" + std::to_string(::getpid()) + "_" + name);
    std::ofstream out(path, std::ios::binary);
    out << contents;
    return path;
}

std::string vocab(const std::string& name) { return shared_file("tokenizer/ggml-vocab-" + name + ".gguf").string(); }

TEST(TokenizerCli, TokenizePrintsIdsAndPieces) {
    const auto ids = run_command(rocmforge_binary() + " tokenize -m '" + vocab("llama-spm") + "' -p 'Hello world' --ids");
    EXPECT_EQ(ids.exit_code, 0);
    EXPECT_EQ(ids.output, "1 15043 3186\n");  // BOS + README's "Hello world" ids
    const auto pieces = run_command(rocmforge_binary() + " tokenize -m '" + vocab("llama-spm") + "' -p 'Hello world' --no-bos");
    EXPECT_EQ(pieces.output, "15043\t Hello\n3186\t world\n");
}

TEST(TokenizerCli, ParseSpecialFlag) {
    const std::string base = rocmforge_binary() + " tokenize -m '" + vocab("phi-3") + "' --ids --no-bos -p '<|user|>'";
    EXPECT_EQ(run_command(base + " --parse-special").output, "32010\n");
    EXPECT_NE(run_command(base).output, "32010\n");
}

TEST(TokenizerCli, DetokenizeRoundTripsAndRejectsBadIds) {
    const std::string text = "Grüße!\n  tabs\there 🚀";
    const auto input = temp_file("detok.txt", text);
    for (const auto& name : {"llama-spm", "gpt-2"}) {
        const auto ids = run_command(rocmforge_binary() + " tokenize -m '" + vocab(name) + "' --ids -f '" + input.string() + "'");
        ASSERT_EQ(ids.exit_code, 0);
        const auto back = run_command(rocmforge_binary() + " detokenize -m '" + vocab(name) + "' --ids '" + ids.output + "'");
        EXPECT_EQ(back.exit_code, 0);
        EXPECT_EQ(back.output, text) << name;
    }
    const auto bad = run_command(rocmforge_binary() + " detokenize -m '" + vocab("gpt-2") + "' --ids '15 99999999'", true);
    EXPECT_EQ(bad.exit_code, 1);
    EXPECT_NE(bad.output.find("99999999"), std::string::npos) << bad.output;
    const auto junk = run_command(rocmforge_binary() + " detokenize -m '" + vocab("gpt-2") + "' --ids '15 abc'", true);
    EXPECT_EQ(junk.exit_code, 1);
    EXPECT_NE(junk.output.find("abc"), std::string::npos) << junk.output;
    fs::remove(input);
}

TEST(TokenizerCli, UnsupportedModelIsAClearError) {
    const auto result = run_command(rocmforge_binary() + " tokenize -m '" + vocab("bert-bge") + "' -p hi", true);
    EXPECT_EQ(result.exit_code, 1);
    EXPECT_NE(result.output.find("bert"), std::string::npos) << result.output;
}

// The vocab GGUF's own tokenizer.chat_template, rendered by the CLI, against Python jinja2.
TEST(ChatTemplateCli, GgufTemplateMatchesJinja2) {
    const std::string model = vocab("phi-3");
    const auto file = gguf::GgufFile::open(model);
    const auto template_text = file.get_string("tokenizer.chat_template");
    ASSERT_TRUE(template_text.has_value()) << "phi-3 vocab should carry a chat template";
    const auto template_path = temp_file("phi3.jinja", *template_text);
    const std::string messages =
        R"([{"role": "system", "content": "Be brief."}, {"role": "user", "content": "Hi there"},)"
        R"( {"role": "assistant", "content": "Hello!"}, {"role": "user", "content": "Bye 👋"}])";
    const auto messages_path = temp_file("messages.json", messages);
    // phi-3: BOS <s>, EOS <|endoftext|> (id 32000).
    const auto conversation_path =
        temp_file("conversation.json", R"({"bos_token": "<s>", "eos_token": "<|endoftext|>", "messages": )" + messages + "}");
    for (const bool generation_prompt : {true, false}) {
        const std::string flag = generation_prompt ? "" : " --no-generation-prompt";
        const auto ours = run_command(rocmforge_binary() + " chat-template -m '" + model + "' --messages '" +
                                      messages_path.string() + "'" + flag);
        const auto reference = run_command("python3 '" + (source_dir() / "tests" / "chat_template_oracle.py").string() +
                                           "' '" + template_path.string() + "' '" + conversation_path.string() + "'" + flag);
        EXPECT_EQ(ours.exit_code, 0);
        ASSERT_EQ(reference.exit_code, 0) << reference.output;
        EXPECT_EQ(ours.output, reference.output);
        EXPECT_EQ(ours.output.rfind("<s><|user|>", 0), 0u) << ours.output;
    }
    fs::remove(template_path);
    fs::remove(messages_path);
    fs::remove(conversation_path);
}

TEST(ChatTemplateCli, MissingTemplateUsesChatmlWithWarning) {
    const auto messages_path = temp_file("m.json", R"([{"role": "user", "content": "Hi"}])");
    const auto out = run_command(rocmforge_binary() + " chat-template -m '" + vocab("gpt-2") + "' --messages '" +
                                 messages_path.string() + "' 2>/dev/null");
    EXPECT_EQ(out.exit_code, 0);
    EXPECT_EQ(out.output, "<|im_start|>user\nHi<|im_end|>\n<|im_start|>assistant\n");
    const auto both = run_command(rocmforge_binary() + " chat-template -m '" + vocab("gpt-2") + "' --messages '" +
                                  messages_path.string() + "' --no-generation-prompt", true);
    EXPECT_NE(both.output.find("ChatML"), std::string::npos) << both.output;
    const auto bad = temp_file("bad.json", R"({"role": "user"})");
    const auto rejected = run_command(rocmforge_binary() + " chat-template -m '" + vocab("gpt-2") + "' --messages '" +
                                      bad.string() + "'", true);
    EXPECT_EQ(rejected.exit_code, 1);
    EXPECT_NE(rejected.output.find("array"), std::string::npos) << rejected.output;
    fs::remove(messages_path);
    fs::remove(bad);
}

}  // namespace
}  // namespace rocmforge::test
