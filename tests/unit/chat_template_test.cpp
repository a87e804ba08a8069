// Chat templates: our Jinja renderer against Python jinja2 configured as Hugging Face does
// (tests/chat_template_oracle.py, run at test time), over real published templates stored in
// tests/data/chat_templates/ (sources in README.md there) and several conversations.
#include "common/test_paths.h"
#include "tokenizer/chat_template.h"
#include "util/error.h"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <random>
#include <string>
#include <vector>

namespace rocmforge::tokenizer {
namespace {

namespace fs = std::filesystem;
using test::read_file_bytes;
using test::run_command;
using test::source_dir;

fs::path templates_dir() { return source_dir() / "tests" / "data" / "chat_templates"; }

struct OracleResult {
    enum class Kind { Text, Raise, Error } kind;
    std::string text;  // rendered text, or raise_exception's message
};

// One Python run per template: results for each conversation, with then without the generation prompt.
std::vector<OracleResult> run_oracle(const fs::path& template_file, const std::vector<fs::path>& conversations) {
    std::string command = "python3 '" + (source_dir() / "tests" / "chat_template_oracle.py").string() + "' '" +
                          template_file.string() + "' --batch";
    for (const auto& c : conversations) command += " '" + c.string() + "'";
    const auto result = run_command(command);
    std::vector<OracleResult> results;
    EXPECT_EQ(result.exit_code, 0) << "oracle failed: " << command << "\n" << result.output;
    if (result.exit_code != 0) return results;
    for (const auto& item : nlohmann::json::parse(result.output)) {
        const std::string kind = item.at("kind");
        results.push_back({kind == "text" ? OracleResult::Kind::Text : kind == "raise" ? OracleResult::Kind::Raise : OracleResult::Kind::Error,
                           item.at("text").get<std::string>()});
    }
    return results;
}

ChatTemplateInputs inputs_from(const fs::path& conversation, bool add_generation_prompt) {
    const auto json = nlohmann::ordered_json::parse(read_file_bytes(conversation));
    ChatTemplateInputs inputs;
    inputs.messages = json.at("messages");
    if (json.contains("tools")) inputs.tools = json.at("tools");
    inputs.bos_token = json.value("bos_token", "");
    inputs.eos_token = json.value("eos_token", "");
    inputs.add_generation_prompt = add_generation_prompt;
    return inputs;
}

std::vector<fs::path> files_with_extension(const fs::path& dir, const std::string& extension) {
    std::vector<fs::path> files;
    for (const auto& entry : fs::directory_iterator(dir)) {
        if (entry.path().extension() == extension) files.push_back(entry.path());
    }
    std::sort(files.begin(), files.end());
    return files;
}

void compare_with_oracle(const fs::path& template_file) {
    const std::string source = read_file_bytes(template_file);
    const auto conversations = files_with_extension(templates_dir() / "conversations", ".json");
    ASSERT_GE(conversations.size(), 4u);
    const auto oracle = run_oracle(template_file, conversations);
    ASSERT_EQ(oracle.size(), conversations.size() * 2);
    int rendered = 0;
    size_t next_result = 0;
    for (const auto& conversation : conversations) {
        for (const bool generation_prompt : {true, false}) {
            SCOPED_TRACE(template_file.filename().string() + " × " + conversation.filename().string() +
                         (generation_prompt ? "" : " (no generation prompt)"));
            const OracleResult& expected = oracle[next_result++];
            try {
                const std::string ours = render_chat_template(source, inputs_from(conversation, generation_prompt));
                EXPECT_EQ(expected.kind, OracleResult::Kind::Text) << "jinja2 failed (" << expected.text << ") but we rendered:\n" << ours;
                EXPECT_EQ(ours, expected.text);
                ++rendered;
            } catch (const Error& e) {
                EXPECT_NE(expected.kind, OracleResult::Kind::Text) << "we failed: " << e.what() << "\nexpected:\n" << expected.text;
                if (expected.kind == OracleResult::Kind::Raise) {
                    EXPECT_EQ(e.message(), expected.text);
                }
            }
        }
    }
    EXPECT_GE(rendered, 2) << "template rendered too few conversations to be a meaningful check";
}

TEST(ChatTemplate, Llama2MatchesJinja2) { compare_with_oracle(templates_dir() / "llama-2-chat.jinja"); }
TEST(ChatTemplate, Llama3MatchesJinja2) { compare_with_oracle(templates_dir() / "llama-3-instruct.jinja"); }
TEST(ChatTemplate, Llama31MatchesJinja2) { compare_with_oracle(templates_dir() / "llama-3.1-instruct.jinja"); }
TEST(ChatTemplate, MistralMatchesJinja2) { compare_with_oracle(templates_dir() / "mistral-instruct.jinja"); }
TEST(ChatTemplate, Qwen25MatchesJinja2) { compare_with_oracle(templates_dir() / "qwen2.5-instruct.jinja"); }
TEST(ChatTemplate, GemmaMatchesJinja2) { compare_with_oracle(templates_dir() / "gemma-it.jinja"); }
TEST(ChatTemplate, Phi3MatchesJinja2) { compare_with_oracle(templates_dir() / "phi-3-mini.jinja"); }
TEST(ChatTemplate, Gemma3MatchesJinja2) { compare_with_oracle(templates_dir() / "gemma-3-it.jinja"); }
TEST(ChatTemplate, Glm4MatchesJinja2) { compare_with_oracle(templates_dir() / "glm-4-chat.jinja"); }
TEST(ChatTemplate, FeatureCoverageMatchesJinja2) { compare_with_oracle(templates_dir() / "features.jinja"); }
TEST(ChatTemplate, ScopingAndLiteralsMatchJinja2) { compare_with_oracle(templates_dir() / "features-scoping.jinja"); }

TEST(ChatTemplate, DefaultChatmlMatchesJinja2) {
    const auto path = fs::temp_directory_path() / "rocmforge_default_chatml.jinja";
    {
        std::ofstream out(path, std::ios::binary);
        out << kDefaultChatTemplate;
    }
    compare_with_oracle(path);
    fs::remove(path);
}

// Mutated real templates must either render or fail with rocmforge::Error, never crash or hang.
TEST(ChatTemplate, MutatedTemplatesNeverCrash) {
    std::mt19937 rng(std::random_device{}());
    const auto conversation = templates_dir() / "conversations" / "tools.json";
    const std::string alphabet = "{}%#-+()[]|.,:'\"~=!<> \nabcdefgnotiflsx0123456789";
    int errors = 0;
    int rendered = 0;
    for (const auto& file : files_with_extension(templates_dir(), ".jinja")) {
        const std::string original = read_file_bytes(file);
        for (int trial = 0; trial < 60; ++trial) {
            std::string mutated = original;
            const int edits = 1 + static_cast<int>(rng() % 4);
            for (int e = 0; e < edits && !mutated.empty(); ++e) {
                const size_t at = rng() % mutated.size();
                switch (rng() % 3) {
                    case 0: mutated.erase(at, 1 + rng() % 8); break;
                    case 1: mutated.insert(at, 1, alphabet[rng() % alphabet.size()]); break;
                    default: mutated[at] = alphabet[rng() % alphabet.size()]; break;
                }
            }
            try {
                render_chat_template(mutated, inputs_from(conversation, true));
                ++rendered;
            } catch (const Error&) {
                ++errors;
            }
        }
    }
    EXPECT_GT(errors, 0);
    EXPECT_GT(rendered, 0);
}

TEST(ChatTemplate, SyntaxErrorNamesTheLine) {
    try {
        render_chat_template("line one\n{% if x %}\nunterminated", ChatTemplateInputs{});
        FAIL() << "expected an error";
    } catch (const Error& e) {
        EXPECT_NE(std::string(e.what()).find("endif"), std::string::npos) << e.what();
    }
    EXPECT_THROW(render_chat_template("{{ 1 + }}", ChatTemplateInputs{}), Error);
    EXPECT_THROW(render_chat_template("{% frobnicate %}", ChatTemplateInputs{}), Error);
}

// Templates come from model files: one that would run for ever, recurse without end or build a
// huge string stops with an error naming the bound, quickly.
TEST(ChatTemplate, RunawayTemplatesAreBoundedErrors) {
    struct Case {
        const char* name;
        const char* source;
        const char* message_part;
    };
    const Case cases[] = {
        {"nested loops", "{% for a in range(1000) %}{% for b in range(1000) %}{% for c in range(1000) %}"
                         "{% endfor %}{% endfor %}{% endfor %}", "steps"},
        {"recursion", "{% macro f(n) %}{{ f(n + 1) }}{% endmacro %}{{ f(0) }}", "recursion"},
        {"string doubling", "{% set ns = namespace(s='ab') %}{% for i in range(64) %}{% set ns.s = ns.s ~ ns.s %}"
                            "{% endfor %}{{ ns.s }}", "string over"},
        {"list doubling", "{% set ns = namespace(l=[1]) %}{% for i in range(64) %}{% set ns.l = ns.l + ns.l %}"
                          "{% endfor %}", "list over"},
        {"repeat", "{{ 'abc' * 100000000 }}", "string over"},
        {"output", "{% for i in range(100000) %}{{ 'x' * 1000 }}{% endfor %}", "string over"},
        {"replace", "{{ ('x' * 1000000) | replace('x', 'yyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyy') }}", "16 MiB"},
        {"total bytes", "{% for i in range(100000) %}{% set s = 'x' * 10000 %}{% endfor %}", "in all"},
        // A namespace stored inside itself (found by the fuzzer: printing it recursed without end).
        {"self-containing namespace", "{% set ns = namespace(a=1) %}{% set ns.a = (ns, 1) %}{{ ns }}", "itself"},
        {"self-containing namespace through a list", "{% set ns = namespace(a=[]) %}{% set ns.a = [[1], {'k': [ns]}] %}",
         "itself"},
        {"namespace built from a dict holding a namespace",
         "{% set ns = namespace(a=1) %}{% set ns2 = namespace({'b': ns}) %}", "itself"},
    };
    // Each case must end in the bound's error: a runaway template that slipped past the bounds
    // would hang here until ctest's timeout (no wall-clock assertion: sanitizer builds are slow).
    for (const auto& c : cases) {
        try {
            render_chat_template(c.source, ChatTemplateInputs{});
            ADD_FAILURE() << c.name << ": expected an error";
        } catch (const Error& e) {
            EXPECT_NE(std::string(e.what()).find(c.message_part), std::string::npos) << c.name << ": " << e.what();
        }
    }
    // Within the bounds, loops still run: 100 x 100 iterations are fine.
    EXPECT_EQ(render_chat_template("{% for a in range(100) %}{% for b in range(100) %}{% endfor %}{% endfor %}ok",
                                   ChatTemplateInputs{}),
              "ok");
}

// Values nested without bound would make printing, comparing or freeing them recurse until the
// stack overflows: every way to nest deeply is a bounded error (value.h, kMaxValueDepth).
TEST(ChatTemplate, DeepNestingIsABoundedError) {
    const auto expect_error = [](const std::string& source, const ChatTemplateInputs& inputs, const char* part) {
        try {
            render_chat_template(source, inputs);
            ADD_FAILURE() << "expected an error for " << source.substr(0, 80);
        } catch (const Error& e) {
            EXPECT_NE(std::string(e.what()).find(part), std::string::npos) << e.what();
        }
    };
    // A list wrapped in itself, one level per loop iteration, through a namespace.
    expect_error("{% set ns = namespace(a=none) %}{% for i in range(100000) %}{% set ns.a = [ns.a] %}{% endfor %}"
                 "{{ ns.a }}",
                 ChatTemplateInputs{}, "nested less than 64");
    // Lists nested in the template text itself.
    expect_error("{{ " + std::string(100000, '[') + std::string(100000, ']') + " }}", ChatTemplateInputs{},
                 "nests too deeply");
    // Input JSON (a request's tools, a message's content) nested past the bound.
    ChatTemplateInputs deep;
    nlohmann::ordered_json nested = "x";
    for (int i = 0; i < 1000; ++i) nested = nlohmann::ordered_json::array({nested});
    deep.tools = nlohmann::ordered_json::array({nested});
    expect_error("{{ tools | length }}", deep, "nested deeper than 128");
    // Within the bounds, nesting still works: a namespace holds a 10-deep list and prints it.
    EXPECT_EQ(render_chat_template("{% set ns = namespace(a=0) %}{% for i in range(10) %}{% set ns.a = [ns.a] %}"
                                   "{% endfor %}{{ ns.a }}",
                                   ChatTemplateInputs{}),
              "[[[[[[[[[[0]]]]]]]]]]");
}

}  // namespace
}  // namespace rocmforge::tokenizer
