// Templates the fuzzer once found problems with (tests/fuzz/regressions/chat_template/): each must
// render or fail with rocmforge::Error, never crash or hang.
#include "common/test_paths.h"
#include "tokenizer/chat_template.h"
#include "util/error.h"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <filesystem>

namespace rocmforge::tokenizer {
namespace {

TEST(ChatTemplateFuzzRegressions, EveryKeptInputIsHandled) {
    const auto dir = test::source_dir() / "tests" / "fuzz" / "regressions" / "chat_template";
    ASSERT_TRUE(std::filesystem::is_directory(dir)) << dir;
    ChatTemplateInputs inputs;
    inputs.messages = nlohmann::ordered_json::parse(
        R"([{"role": "system", "content": "Be brief."}, {"role": "user", "content": "Hello"},
            {"role": "assistant", "content": "Hi."}, {"role": "user", "content": ""}])");
    inputs.add_generation_prompt = true;
    inputs.bos_token = "<s>";
    inputs.eos_token = "</s>";
    int count = 0;
    for (const auto& entry : std::filesystem::directory_iterator(dir)) {
        if (!entry.is_regular_file() || entry.path().filename() == "README.md") continue;
        SCOPED_TRACE(entry.path().string());
        try {
            (void)render_chat_template(test::read_file_bytes(entry.path()), inputs);
        } catch (const Error&) {
        }
        ++count;
    }
    EXPECT_GT(count, 0);
}

}  // namespace
}  // namespace rocmforge::tokenizer
