// rocmforge tokenize -m MODEL (-p TEXT | -f FILE) [--ids] [--no-bos] [--parse-special]
// rocmforge detokenize -m MODEL --ids "1 2 3" [--skip-special]
#include "cli/commands.h"
#include "gguf/gguf_file.h"
#include "tokenizer/tokenizer.h"
#include "util/error.h"

#include <fmt/format.h>

#include <charconv>
#include <cstdio>
#include <fstream>
#include <iterator>
#include <memory>
#include <sstream>

namespace rocmforge::cli {

namespace {

std::string read_whole_file(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) throw_error(path, "cannot open file for reading");
    std::ostringstream bytes;
    bytes << in.rdbuf();
    return bytes.str();
}

// A token piece on one line: printable bytes as-is, "\n" "\t" "\r" "\\" escaped, other control
// bytes and bytes of invalid/incomplete UTF-8 as \xNN.
std::string escape_piece(std::string_view piece) {
    std::string out;
    for (size_t i = 0; i < piece.size(); ++i) {
        const auto c = static_cast<uint8_t>(piece[i]);
        if (c == '\n') out += "\\n";
        else if (c == '\t') out += "\\t";
        else if (c == '\r') out += "\\r";
        else if (c == '\\') out += "\\\\";
        else if (c < 0x20 || c == 0x7F) out += fmt::format("\\x{:02X}", c);
        else if (c < 0x80) out += static_cast<char>(c);
        else {
            const size_t length = (c & 0xE0) == 0xC0 ? 2 : (c & 0xF0) == 0xE0 ? 3 : (c & 0xF8) == 0xF0 ? 4 : 1;
            bool valid = length > 1 && i + length <= piece.size();
            for (size_t k = 1; valid && k < length; ++k) valid = (static_cast<uint8_t>(piece[i + k]) & 0xC0) == 0x80;
            if (!valid) {
                out += fmt::format("\\x{:02X}", c);
                continue;
            }
            out.append(piece.substr(i, length));
            i += length - 1;
        }
    }
    return out;
}

std::vector<tokenizer::TokenId> parse_ids(const std::string& text) {
    std::vector<tokenizer::TokenId> ids;
    size_t pos = 0;
    while (pos < text.size()) {
        const char c = text[pos];
        if (c == ' ' || c == ',' || c == '\t' || c == '\n' || c == '[' || c == ']') {
            ++pos;
            continue;
        }
        size_t end = pos;
        while (end < text.size() && text[end] != ' ' && text[end] != ',' && text[end] != '\t' && text[end] != '\n' &&
               text[end] != ']') {
            ++end;
        }
        const std::string_view word(text.data() + pos, end - pos);
        int64_t value = 0;
        const auto [ptr, ec] = std::from_chars(word.data(), word.data() + word.size(), value);
        if (ec != std::errc() || ptr != word.data() + word.size() || value < INT32_MIN || value > INT32_MAX) {
            throw_error("--ids", "'{}' is not a token id", word);
        }
        ids.push_back(static_cast<tokenizer::TokenId>(value));
        pos = end;
    }
    return ids;
}

}  // namespace

void add_tokenize_command(CLI::App& app) {
    struct Options {
        std::string model;
        std::string prompt;
        std::string file;
        bool ids_only = false;
        bool no_bos = false;
        bool parse_special = false;
    };
    auto options = std::make_shared<Options>();
    CLI::App* cmd = app.add_subcommand("tokenize", "Turn text into token ids with a model's tokenizer");
    cmd->add_option("-m,--model", options->model, "GGUF file (a vocabulary-only GGUF is enough)")->required();
    auto* prompt = cmd->add_option("-p,--prompt", options->prompt, "Text to tokenize");
    auto* file = cmd->add_option("-f,--file", options->file, "File whose bytes are tokenized exactly as they are");
    prompt->excludes(file);
    file->excludes(prompt);
    cmd->add_flag("--ids", options->ids_only, "Print only the ids, space-separated on one line");
    cmd->add_flag("--no-bos", options->no_bos, "Do not add the BOS token the model asks for");
    cmd->add_flag("--parse-special", options->parse_special, "Match special-token texts such as <|im_start|>");
    cmd->callback([options, prompt, file] {
        if (prompt->count() == 0 && file->count() == 0) throw CLI::RequiredError("-p or -f");
        const std::string text = file->count() > 0 ? read_whole_file(options->file) : options->prompt;
        const gguf::GgufFile gguf_file = gguf::GgufFile::open(options->model);
        const auto tok = tokenizer::Tokenizer::from_gguf(gguf_file);
        const auto ids = tok->encode(text, !options->no_bos, options->parse_special);
        std::string out;
        if (options->ids_only) {
            for (size_t i = 0; i < ids.size(); ++i) {
                if (i > 0) out += ' ';
                out += std::to_string(ids[i]);
            }
            out += '\n';
        } else {
            for (const auto id : ids) out += fmt::format("{}\t{}\n", id, escape_piece(tok->token_to_piece(id)));
        }
        std::fwrite(out.data(), 1, out.size(), stdout);
    });
}

void add_detokenize_command(CLI::App& app) {
    struct Options {
        std::string model;
        std::string ids;
        bool skip_special = false;
    };
    auto options = std::make_shared<Options>();
    CLI::App* cmd = app.add_subcommand("detokenize", "Turn token ids back into text (printed exactly, no newline added)");
    cmd->add_option("-m,--model", options->model, "GGUF file (a vocabulary-only GGUF is enough)")->required();
    cmd->add_option("--ids", options->ids, "Token ids separated by spaces or commas, e.g. \"1 15043 3186\"")->required();
    cmd->add_flag("--skip-special", options->skip_special, "Drop control tokens (BOS, EOS, ...) from the text");
    cmd->callback([options] {
        const auto ids = parse_ids(options->ids);
        const gguf::GgufFile gguf_file = gguf::GgufFile::open(options->model);
        const auto tok = tokenizer::Tokenizer::from_gguf(gguf_file);
        const std::string text = tok->decode(ids, tokenizer::DecodeOptions{options->skip_special});
        std::fwrite(text.data(), 1, text.size(), stdout);
    });
}

}  // namespace rocmforge::cli
