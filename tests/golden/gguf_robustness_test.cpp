// Damaged files: truncation at every byte offset and random single-byte corruption must give a
// clean rocmforge::Error or a valid parse, never a crash, hang or sanitizer report.
// Parsing must never touch tensor data (checked with the data pages mapped PROT_NONE).
#include "common/test_paths.h"
#include "gguf/gguf_file.h"
#include "util/error.h"

#include <gtest/gtest.h>
#include <sys/mman.h>
#include <unistd.h>

#include <cstring>
#include <random>

namespace rocmforge::gguf {
namespace {

std::vector<uint8_t> read_bytes(const std::string& relative) {
    const std::string s = test::read_file_bytes(test::shared_file(relative));
    return {s.begin(), s.end()};
}

// Parses and reports whether it parsed; any exception other than rocmforge::Error fails the test.
bool parses(std::span<const uint8_t> bytes) {
    try {
        GgufFile::parse(bytes, "damaged.gguf");
        return true;
    } catch (const Error&) {
        return false;
    }
}

TEST(GgufRobustness, TruncationAtEveryOffsetIsAnError) {
    for (const char* name : {"golden/quant/quant-q4_0.gguf", "golden/quant/quant-q6_K.gguf"}) {
        SCOPED_TRACE(name);
        const auto bytes = read_bytes(name);
        ASSERT_TRUE(parses(bytes));
        int parsed = 0;
        for (size_t len = 0; len < bytes.size(); ++len) {
            // Copy so that ASan sees the exact end of the truncated buffer.
            const std::vector<uint8_t> prefix(bytes.begin(), bytes.begin() + static_cast<std::ptrdiff_t>(len));
            parsed += parses(prefix);
        }
        // Only cuts inside the final tensor's alignment padding can still parse.
        EXPECT_LE(parsed, 32);
    }
}

TEST(GgufRobustness, TruncatedModelHeaderIsAnError) {
    const auto bytes = read_bytes("models/stories260K.gguf");
    const uint64_t data_offset = GgufFile::parse(bytes, "stories260K").data_offset();
    for (size_t len = 0; len <= data_offset; ++len) {
        const std::vector<uint8_t> prefix(bytes.begin(), bytes.begin() + static_cast<std::ptrdiff_t>(len));
        EXPECT_FALSE(parses(prefix)) << "cut at " << len;
    }
}

TEST(GgufRobustness, RandomSingleByteCorruption) {
    std::mt19937_64 rng(20261122);
    for (const char* name : {"golden/quant/quant-q4_K.gguf", "models/stories260K.gguf"}) {
        SCOPED_TRACE(name);
        auto bytes = read_bytes(name);
        const uint64_t header_end = GgufFile::parse(bytes, name).data_offset();
        int errors = 0;
        // 2,500 positions anywhere in the file plus 2,500 inside the header, where damage matters.
        for (int trial = 0; trial < 5000; ++trial) {
            const uint64_t limit = trial % 2 == 0 ? bytes.size() : header_end;
            const size_t pos = static_cast<size_t>(rng() % limit);
            const uint8_t saved = bytes[pos];
            bytes[pos] = static_cast<uint8_t>(saved ^ (1u + rng() % 255u));
            errors += !parses(bytes);
            bytes[pos] = saved;
        }
        EXPECT_GT(errors, 0);
    }
}

// Maps `bytes` into fresh pages and makes every page past the header PROT_NONE, so any read of
// tensor data by the parser faults.
TEST(GgufRobustness, ParsingNeverTouchesTensorData) {
    const auto bytes = read_bytes("models/wp-25M-f16.gguf");
    const uint64_t data_offset = GgufFile::parse(bytes, "wp").data_offset();
    const size_t page = static_cast<size_t>(::sysconf(_SC_PAGESIZE));
    const size_t mapped = (bytes.size() + page - 1) / page * page;
    void* region = ::mmap(nullptr, mapped, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    ASSERT_NE(region, MAP_FAILED);
    std::memcpy(region, bytes.data(), bytes.size());
    const size_t first_protected = (data_offset + page - 1) / page * page;
    ASSERT_LT(first_protected, mapped);
    ASSERT_EQ(::mprotect(static_cast<uint8_t*>(region) + first_protected, mapped - first_protected, PROT_NONE), 0);
    ASSERT_EQ(::mprotect(region, first_protected, PROT_READ), 0);

    const std::span<const uint8_t> view(static_cast<const uint8_t*>(region), bytes.size());
    const GgufFile file = GgufFile::parse(view, "protected");
    EXPECT_EQ(file.tensors().size(), 75u);
    EXPECT_LE(file.stats().bytes_parsed, data_offset);
    EXPECT_LT(data_offset - file.stats().bytes_parsed, file.alignment());
    ::munmap(region, mapped);
}

}  // namespace
}  // namespace rocmforge::gguf
