// Inputs the fuzzer once found problems with (tests/fuzz/regressions/gguf/): each must parse
// or fail with rocmforge::Error, never crash.
#include "common/test_paths.h"
#include "gguf/gguf_file.h"
#include "util/error.h"

#include <gtest/gtest.h>

#include <filesystem>

namespace rocmforge::gguf {
namespace {

TEST(GgufFuzzRegressions, EveryKeptInputIsHandled) {
    const auto dir = test::source_dir() / "tests" / "fuzz" / "regressions" / "gguf";
    ASSERT_TRUE(std::filesystem::is_directory(dir)) << dir;
    int count = 0;
    for (const auto& entry : std::filesystem::directory_iterator(dir)) {
        if (!entry.is_regular_file() || entry.path().filename() == "README.md") continue;
        SCOPED_TRACE(entry.path().string());
        const std::string s = test::read_file_bytes(entry.path());
        const std::vector<uint8_t> bytes(s.begin(), s.end());
        try {
            GgufFile::parse(bytes, entry.path().filename().string());
        } catch (const Error&) {
        }
        ++count;
    }
    EXPECT_GT(count, 0);
}

}  // namespace
}  // namespace rocmforge::gguf
