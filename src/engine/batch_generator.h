#pragma once
// Offline batch generation: many requests, up to `parallel` sequences in flight, each step one
// forward pass that carries one decode token of every running sequence first, then prompt
// chunks of the others up to the runner's token budget (chunked prefill). A request is admitted
// only when the KV pool can hold its worst case (prompt + max_tokens, within the context), so a
// running sequence never runs out of blocks; the rest wait for a free slot.
#include "engine/generator.h"
#include "engine/model_runner.h"

#include <cstdint>
#include <functional>
#include <span>
#include <vector>

namespace rocmforge::engine {

struct BatchRequest {
    std::vector<int32_t> prompt;
    GenerationOptions options;
};

struct BatchStats {
    int64_t prompt_tokens = 0;     // over all requests
    int64_t generated_tokens = 0;
    int64_t computed_tokens = 0;   // tokens run through the model (prefix-cache hits are not)
    int64_t steps = 0;             // forward passes
    double seconds = 0.0;
    int64_t failed = 0;            // requests that finished with "error"
};

// Runs every request; on_done(index, result) is called once per request, in input order (a
// request's result waits for those before it). A request that cannot run (an empty prompt, a
// prompt longer than the context, non-finite logits) finishes with finish_reason "error" and a
// message naming it; the others continue.
BatchStats run_batch(ModelRunner& runner, std::span<const BatchRequest> requests, int64_t parallel,
                     const TokenText& text, const std::function<void(size_t, const GenerationResult&)>& on_done);

}  // namespace rocmforge::engine
