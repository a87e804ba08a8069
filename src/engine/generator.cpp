#include "engine/generator.h"

#include "util/error.h"

#include <chrono>

namespace rocmforge::engine {
namespace {

double elapsed_ms(std::chrono::steady_clock::time_point start) {
    return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
}

}  // namespace

SequenceGeneration::SequenceGeneration(const GenerationOptions& options, int64_t n_vocab,
                                       std::span<const int32_t> prompt, const TokenText& text,
                                       std::function<void(const std::string&)> on_text)
    : options_(options), text_(text), on_text_(std::move(on_text)), sampler_(options.sampler, n_vocab),
      stops_(options.stop_strings) {
    result_.finish_reason = "length";
    result_.timings.n_prompt = static_cast<int64_t>(prompt.size());
    for (int32_t t : prompt) sampler_.accept(t);
}

void SequenceGeneration::emit(const std::string& s) {
    if (s.empty()) return;
    result_.text += s;
    if (on_text_) on_text_(s);
}

void SequenceGeneration::finish(const char* reason) {
    result_.finish_reason = reason;
    emit(stops_.flush());
    result_.timings.n_generated = static_cast<int64_t>(result_.tokens.size());
    finished_ = true;
}

bool SequenceGeneration::may_continue() {
    if (finished_) return false;
    if (options_.max_tokens <= 0) {
        finish("length");
        return false;
    }
    return true;
}

std::optional<int32_t> SequenceGeneration::next(std::span<const float> logits, int64_t length, int64_t n_ctx,
                                                int32_t seq) {
    if (!may_continue()) return std::nullopt;
    return take(all_finite(logits) ? sampler_.sample(logits) : -1, length, n_ctx, seq);
}

std::optional<int32_t> SequenceGeneration::next_argmax(int32_t argmax, int64_t length, int64_t n_ctx, int32_t seq) {
    if (!may_continue()) return std::nullopt;
    return take(argmax, length, n_ctx, seq);
}

std::optional<int32_t> SequenceGeneration::next_candidates(std::span<const int32_t> ids, std::span<const float> logits,
                                                           int64_t length, int64_t n_ctx, int32_t seq) {
    if (!may_continue()) return std::nullopt;
    return take(ids.empty() || ids[0] < 0 ? -1 : sampler_.sample_candidates(ids, logits), length, n_ctx, seq);
}

std::optional<int32_t> SequenceGeneration::take(int32_t token, int64_t length, int64_t n_ctx, int32_t seq) {
    const auto step = static_cast<int64_t>(result_.tokens.size());
    if (token < 0)
        throw_error("generation", "sequence {}, step {}: the model produced non-finite logits (NaN or infinity)", seq,
                    step);
    if (text_.is_end_of_generation(token)) {
        finish("eog");
        return std::nullopt;
    }
    sampler_.accept(token);
    result_.tokens.push_back(token);
    emit(stops_.push(text_.piece(token)));
    if (stops_.stopped()) {
        finish("stop");
        return std::nullopt;
    }
    if (step + 1 >= options_.max_tokens) {
        finish("length");
        return std::nullopt;
    }
    if (length >= n_ctx) {
        finish("context");
        return std::nullopt;
    }
    return token;
}

GenerationResult generate(ModelRunner& runner, int32_t seq, std::span<const int32_t> prompt,
                          const GenerationOptions& options, const TokenText& text,
                          const std::function<void(const std::string&)>& on_text) {
    if (prompt.empty()) throw_error("prompt", "the prompt is empty");
    const int64_t n_prompt = static_cast<int64_t>(prompt.size());
    auto& kv = runner.kv();
    if (kv.length(seq) + n_prompt > runner.n_ctx())
        throw_error("prompt", "prompt is {} tokens but the context holds {} (raise -c)", kv.length(seq) + n_prompt,
                    runner.n_ctx());
    SequenceGeneration gen(options, runner.model().hparams().n_vocab, prompt, text, on_text);
    auto& timings = gen.result().timings;

    std::vector<float> logits;
    auto start = std::chrono::steady_clock::now();
    runner.eval(seq, prompt, backend::RowClass::Prefill, /*n_logits=*/1, logits);
    timings.prompt_ms = elapsed_ms(start);

    start = std::chrono::steady_clock::now();
    while (const auto token = gen.next(logits, kv.length(seq), runner.n_ctx(), seq))
        runner.eval(seq, std::span<const int32_t>(&*token, 1), backend::RowClass::Decode, /*n_logits=*/1, logits);
    timings.generation_ms = elapsed_ms(start);
    return gen.result();
}

}  // namespace rocmforge::engine
