#include "tokenizer/tokenizer.h"

#include "tokenizer/bpe_tokenizer.h"
#include "tokenizer/spm_tokenizer.h"
#include "tokenizer/vocab.h"

namespace rocmforge::tokenizer {

std::unique_ptr<Tokenizer> Tokenizer::from_gguf(const gguf::GgufFile& file) {
    Vocab vocab = load_vocab(file);
    if (vocab.model == VocabModel::Bpe) return std::make_unique<BpeTokenizer>(std::move(vocab), file.name());
    return std::make_unique<SpmTokenizer>(std::move(vocab));
}

}  // namespace rocmforge::tokenizer
