#include "engine/generator.h"

#include "sample/stop_strings.h"
#include "util/error.h"

#include <chrono>

namespace rocmforge::engine {
namespace {

double elapsed_ms(std::chrono::steady_clock::time_point start) {
    return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
}

}  // namespace

GenerationResult generate(const model::Model& model, kv::KvCache& cache, ThreadPool& pool,
                          std::span<const int32_t> prompt, const GenerationOptions& options, const TokenText& text,
                          const std::function<void(const std::string&)>& on_text) {
    if (prompt.empty()) throw_error("prompt", "the prompt is empty");
    const int64_t n_prompt = static_cast<int64_t>(prompt.size());
    if (cache.size() + n_prompt > cache.n_ctx())
        throw_error("prompt", "prompt is {} tokens but the context holds {} (raise -c)", cache.size() + n_prompt,
                    cache.n_ctx());
    GenerationResult result;
    result.finish_reason = "length";
    result.timings.n_prompt = n_prompt;
    sample::Sampler sampler(options.sampler, model.hparams().n_vocab);
    for (int32_t t : prompt) sampler.accept(t);
    sample::StopStringMatcher stops(options.stop_strings);
    auto emit = [&](const std::string& s) {
        if (s.empty()) return;
        result.text += s;
        if (on_text) on_text(s);
    };

    std::vector<float> logits;
    auto start = std::chrono::steady_clock::now();
    model.forward(prompt, cache, pool, /*n_logit_rows=*/1, logits);
    result.timings.prompt_ms = elapsed_ms(start);

    start = std::chrono::steady_clock::now();
    for (int64_t step = 0; step < options.max_tokens; ++step) {
        const int32_t token = sampler.sample(logits);
        if (text.is_end_of_generation(token)) {
            result.finish_reason = "eog";
            break;
        }
        sampler.accept(token);
        result.tokens.push_back(token);
        emit(stops.push(text.piece(token)));
        if (stops.stopped()) {
            result.finish_reason = "stop";
            break;
        }
        if (step + 1 == options.max_tokens) break;
        if (cache.size() >= cache.n_ctx()) {
            result.finish_reason = "context";
            break;
        }
        model.forward(std::span<const int32_t>(&token, 1), cache, pool, /*n_logit_rows=*/1, logits);
    }
    emit(stops.flush());
    result.timings.generation_ms = elapsed_ms(start);
    result.timings.n_generated = static_cast<int64_t>(result.tokens.size());
    return result;
}

}  // namespace rocmforge::engine
