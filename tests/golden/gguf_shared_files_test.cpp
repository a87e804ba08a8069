// Every GGUF under ../shared parses, round-trips through the writer, and matches the counts
// stated in ../shared/models/README.md.
#include "common/test_paths.h"
#include "gguf/gguf_file.h"
#include "gguf/gguf_writer.h"

#include <gtest/gtest.h>

#include <cstring>

namespace rocmforge::gguf {
namespace {

TEST(GgufSharedFiles, EveryFileParses) {
    const auto files = test::all_shared_ggufs();
    ASSERT_GE(files.size(), 20u) << "expected the models, tokenizer vocabs and quant goldens under ../shared";
    for (const auto& path : files) {
        SCOPED_TRACE(path.string());
        EXPECT_NO_THROW(GgufFile::open(path.string()));
    }
}

// Expected values are derived from the shapes the README states (independent arithmetic):
// wp-25M: vocab 32000, n_embd 256, n_ff 768, 8 blocks, 4 heads / 2 KV heads of 64, untied output.
//   embeddings 2 × 32000·256 + output_norm 256 + 8 × (2·256² + 2·256·128 + 3·256·768 + 2·256) = 22,679,808
// stories260K: vocab 512, n_embd 64, n_ff 172, 5 blocks, 8 heads / 4 KV heads of 8, separate output.
//   2 × 512·64 + 64 + 5 × (2·64² + 2·64·32 + 3·64·172 + 2·64) = 292,800
TEST(GgufSharedFiles, CountsMatchTheModelsReadme) {
    struct Expected { const char* file; size_t tensors; uint64_t parameters; };
    const Expected expected[] = {
        {"models/wp-25M-f16.gguf", 75, 22'679'808}, {"models/wp-25M-Q8_0.gguf", 75, 22'679'808},
        {"models/wp-25M-Q4_0.gguf", 75, 22'679'808}, {"models/wp-25M-Q4_K_M.gguf", 75, 22'679'808},
        {"models/stories260K.gguf", 48, 292'800},
    };
    const uint64_t per_block = 2 * 256 * 256 + 2 * 256 * 128 + 3 * 256 * 768 + 2 * 256;
    ASSERT_EQ(2ull * 32000 * 256 + 256 + 8 * per_block, 22'679'808ull);
    for (const auto& e : expected) {
        SCOPED_TRACE(e.file);
        const GgufFile file = GgufFile::open(test::shared_file(e.file).string());
        EXPECT_EQ(file.tensors().size(), e.tensors);
        EXPECT_EQ(file.parameter_count(), e.parameters);
        EXPECT_EQ(file.get_string("general.architecture"), "llama");
    }
    const GgufFile vocab = GgufFile::open(test::shared_file("tokenizer/ggml-vocab-gpt-2.gguf").string());
    EXPECT_TRUE(vocab.tensors().empty());
    EXPECT_EQ(vocab.get_array("tokenizer.ggml.tokens")->items.size(), 50257u);
}

TEST(GgufSharedFiles, QuantGoldensHaveTheStatedShapes) {
    for (const auto& path : test::all_shared_ggufs()) {
        if (path.filename().string().rfind("quant-", 0) != 0) continue;
        SCOPED_TRACE(path.string());
        const GgufFile file = GgufFile::open(path.string());
        for (const char* name : {"input", "q", "deq"}) {
            const TensorInfo* t = file.find_tensor(name);
            ASSERT_NE(t, nullptr) << name;
            EXPECT_EQ(t->ne, (std::vector<int64_t>{1024, 4}));
        }
        const auto type_name = file.get_string("golden.type_name");
        ASSERT_TRUE(type_name.has_value());
        EXPECT_EQ(ggml_type_name(file.find_tensor("q")->type), *type_name);
    }
}

TEST(GgufSharedFiles, RoundTripKeepsMetadataAndTensorBytes) {
    for (const auto& path : test::all_shared_ggufs()) {
        SCOPED_TRACE(path.string());
        const GgufFile original = GgufFile::open(path.string());
        const auto bytes = GgufWriter::from_file(original).write_to_buffer();
        const GgufFile copy = GgufFile::parse(bytes, "round-trip");
        EXPECT_EQ(copy.version(), original.version());
        ASSERT_EQ(copy.metadata().size(), original.metadata().size());
        for (size_t i = 0; i < original.metadata().size(); ++i) {
            EXPECT_EQ(copy.metadata()[i].key, original.metadata()[i].key);
            EXPECT_TRUE(copy.metadata()[i].value == original.metadata()[i].value) << original.metadata()[i].key;
        }
        ASSERT_EQ(copy.tensors().size(), original.tensors().size());
        for (size_t i = 0; i < original.tensors().size(); ++i) {
            const TensorInfo& a = original.tensors()[i];
            const TensorInfo& b = copy.tensors()[i];
            EXPECT_EQ(a.name, b.name);
            EXPECT_EQ(a.type, b.type);
            EXPECT_EQ(a.ne, b.ne);
            ASSERT_EQ(a.n_bytes, b.n_bytes);
            EXPECT_EQ(std::memcmp(a.data, b.data, a.n_bytes), 0) << a.name;
        }
        // Model and quant files (llama.cpp / gguf-py writers) are reproduced byte for byte.
        if (path.string().find("/tokenizer/") == std::string::npos) {
            const std::string file_bytes = test::read_file_bytes(path);
            ASSERT_EQ(bytes.size(), file_bytes.size());
            EXPECT_EQ(std::memcmp(bytes.data(), file_bytes.data(), bytes.size()), 0);
        }
    }
}

}  // namespace
}  // namespace rocmforge::gguf
