// libFuzzer target for tokenizer input: the first byte picks a vocabulary (two SPM, four
// byte-level BPE with different pre-tokenizers) and the flags, the rest is the text. Encoding must succeed
// or throw rocmforge::Error; the ids must be in the vocabulary; decoding them, at once and
// token by token through the streaming decoder, must agree. Vocabularies come from
// ../shared/tokenizer (ROCMFORGE_SHARED_DIR overrides ../shared).
// Run with scripts/fuzz.sh tokenizer_fuzz SECONDS.
#include "gguf/gguf_file.h"
#include "tokenizer/streaming_decoder.h"
#include "tokenizer/tokenizer.h"
#include "util/error.h"

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>
#include <vector>

namespace {

std::vector<std::unique_ptr<rocmforge::tokenizer::Tokenizer>>& vocabs() {
    static std::vector<std::unique_ptr<rocmforge::tokenizer::Tokenizer>> all;
    return all;
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
    const char* env = std::getenv("ROCMFORGE_SHARED_DIR");
    const std::string shared = env ? env : std::string(ROCMFORGE_SOURCE_DIR) + "/../shared";
    for (const char* name : {"llama-spm", "phi-3", "gpt-2", "deepseek-llm", "refact", "mpt"}) {
        const std::string path = shared + "/tokenizer/ggml-vocab-" + name + ".gguf";
        try {
            vocabs().push_back(rocmforge::tokenizer::Tokenizer::from_gguf(rocmforge::gguf::GgufFile::open(path)));
        } catch (const rocmforge::Error& e) {
            std::fprintf(stderr, "tokenizer_fuzz: cannot load %s: %s\n", path.c_str(), e.what());
            std::abort();
        }
    }
    return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    if (size == 0) return 0;
    const uint8_t control = data[0];
    const auto& tok = *vocabs()[control % vocabs().size()];
    const bool add_bos = (control & 0x10) != 0;
    const bool parse_special = (control & 0x20) != 0;
    const std::string text(reinterpret_cast<const char*>(data + 1), size - 1);
    std::vector<rocmforge::tokenizer::TokenId> ids;
    try {
        ids = tok.encode(text, add_bos, parse_special);
    } catch (const rocmforge::Error&) {
        return 0;
    }
    for (const auto id : ids)
        if (id < 0 || id >= tok.vocab_size()) std::abort();
    const std::string whole = tok.decode(ids, {.skip_special = false});
    rocmforge::tokenizer::StreamingDecoder stream(tok, /*skip_special=*/false);
    std::string streamed;
    for (const auto id : ids) streamed += stream.push(id);
    streamed += stream.finish();
    if (streamed != whole) std::abort();
    return 0;
}
