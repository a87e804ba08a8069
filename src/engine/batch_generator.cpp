#include "engine/batch_generator.h"

#include "engine/step_outputs.h"
#include "util/error.h"

#include <chrono>
#include <deque>
#include <fmt/format.h>
#include <memory>
#include <optional>

namespace rocmforge::engine {
namespace {

struct Running {
    size_t index = 0;     // request index
    int32_t seq = -1;     // KV sequence id
    int64_t n_done = 0;   // prompt tokens in the KV storage
    int64_t worst_blocks = 0;
    std::unique_ptr<SequenceGeneration> gen;
    std::optional<int32_t> next;  // token to run in the next step (decode)
};

// KV blocks a request may hold at most: prompt + generated tokens within the context, plus one
// copied block.
// Blocks a request holds at most at once. With a release window W (ModelRunner::
// kv_release_window) a sequence keeps the blocks of its last W positions plus the one partly
// before them, and a step of up to batch_tokens positions adds its blocks before the release.
int64_t worst_case_blocks(const BatchRequest& r, const ModelRunner& runner, int64_t block_size) {
    const int64_t positions = std::min(runner.n_ctx(), static_cast<int64_t>(r.prompt.size()) +
                                                           std::max<int64_t>(r.options.max_tokens, 0));
    const int64_t all = (positions + block_size - 1) / block_size + 1;
    const int64_t window = runner.kv_release_window();
    if (window <= 0) return all;
    const int64_t step = std::min(positions, runner.batch_tokens());
    return std::min(all, (window + step + block_size - 1) / block_size + 3);
}

}  // namespace

BatchStats run_batch(ModelRunner& runner, std::span<const BatchRequest> requests, int64_t parallel,
                     const TokenText& text, const std::function<void(size_t, const GenerationResult&)>& on_done) {
    if (parallel < 1) throw_error("--parallel", "must be >= 1, got {}", parallel);
    const auto start = std::chrono::steady_clock::now();
    auto& kv = runner.kv();
    const int64_t n_vocab = runner.model().hparams().n_vocab;
    const int64_t block_size = kv.block_size();
    const int64_t computed_before = runner.tokens_computed();
    BatchStats stats;

    std::vector<std::optional<GenerationResult>> done(requests.size());
    size_t next_to_report = 0;
    const auto complete = [&](size_t index, GenerationResult result) {
        if (result.finish_reason == "error") ++stats.failed;
        stats.generated_tokens += static_cast<int64_t>(result.tokens.size());
        done[index] = std::move(result);
        while (next_to_report < done.size() && done[next_to_report]) {
            on_done(next_to_report, *done[next_to_report]);
            done[next_to_report].reset();
            ++next_to_report;
        }
    };
    const auto fail = [&](size_t index, std::string message) {
        GenerationResult r;
        r.finish_reason = "error";
        r.error = std::move(message);
        r.timings.n_prompt = static_cast<int64_t>(requests[index].prompt.size());
        complete(index, std::move(r));
    };

    std::deque<size_t> waiting;
    for (size_t i = 0; i < requests.size(); ++i) {
        stats.prompt_tokens += static_cast<int64_t>(requests[i].prompt.size());
        if (requests[i].prompt.empty()) {
            fail(i, fmt::format("request {}: the prompt is empty", i));
        } else if (static_cast<int64_t>(requests[i].prompt.size()) > runner.n_ctx()) {
            fail(i, fmt::format("request {}: the prompt is {} tokens but the context holds {} (raise -c)", i,
                                requests[i].prompt.size(), runner.n_ctx()));
        } else if (worst_case_blocks(requests[i], runner, block_size) > kv.pool().n_blocks()) {
            fail(i, fmt::format("request {}: needs up to {} KV blocks, the pool has {} (raise --kv-size)", i,
                                worst_case_blocks(requests[i], runner, block_size), kv.pool().n_blocks()));
        } else {
            waiting.push_back(i);
        }
    }

    std::vector<Running> running;
    int64_t reserved_blocks = 0;  // sum of worst cases of the running requests
    std::vector<StepChunk> chunks;
    std::vector<Running*> chunk_owner;
    StepOutputs outputs;
    std::vector<SequenceGeneration*> row_gens;
    while (!waiting.empty() || !running.empty()) {
        // Admit while a slot is free and the pool can hold the request's worst case.
        while (!waiting.empty() && static_cast<int64_t>(running.size()) < parallel) {
            const auto& req = requests[waiting.front()];
            const int64_t worst = worst_case_blocks(req, runner, block_size);
            if (reserved_blocks + worst > kv.pool().n_blocks()) break;
            Running r;
            r.index = waiting.front();
            r.seq = kv.create_sequence();
            r.n_done = kv.attach_cached_prefix(r.seq, req.prompt);
            r.worst_blocks = worst;
            r.gen = std::make_unique<SequenceGeneration>(req.options, n_vocab, req.prompt, text, nullptr);
            reserved_blocks += worst;
            running.push_back(std::move(r));
            waiting.pop_front();
        }
        // One step: decode tokens first, then prompt chunks within the token budget.
        chunks.clear();
        chunk_owner.clear();
        int64_t budget = runner.batch_tokens();
        for (auto& r : running)
            if (r.next && budget > 0) {
                chunks.push_back({r.seq, std::span<const int32_t>(&*r.next, 1), backend::RowClass::Decode, 1});
                chunk_owner.push_back(&r);
                --budget;
            }
        for (auto& r : running) {
            const auto& prompt = requests[r.index].prompt;
            const int64_t left = static_cast<int64_t>(prompt.size()) - r.n_done;
            if (r.next || left <= 0 || budget <= 0) continue;
            const int64_t n = std::min(left, budget);
            chunks.push_back({r.seq, std::span(prompt).subspan(static_cast<size_t>(r.n_done), static_cast<size_t>(n)),
                              backend::RowClass::Prefill, n == left ? 1 : 0, static_cast<int64_t>(prompt.size())});
            chunk_owner.push_back(&r);
            budget -= n;
        }
        if (chunks.empty()) throw_error("batch", "no request could be scheduled ({} waiting)", waiting.size());
        // Only what the rows' samplers read leaves the device (StepOutputs).
        row_gens.clear();
        for (size_t c = 0; c < chunks.size(); ++c)
            if (chunks[c].n_logits != 0) row_gens.push_back(chunk_owner[c]->gen.get());
        outputs.run(runner, chunks, row_gens, false);
        ++stats.steps;

        // Sample from each chunk that produced logits; finished requests leave the batch.
        size_t row = 0;
        for (size_t c = 0; c < chunks.size(); ++c) {
            Running& r = *chunk_owner[c];
            if (chunks[c].row_class == backend::RowClass::Prefill)
                r.n_done += static_cast<int64_t>(chunks[c].tokens.size());
            if (chunks[c].n_logits == 0) continue;
            const size_t this_row = row++;
            try {
                const auto seq = static_cast<int32_t>(r.index);
                r.next = outputs.next(this_row, *r.gen, kv.length(r.seq), runner.n_ctx(), seq);
            } catch (const Error& e) {
                r.next.reset();
                r.gen->result().finish_reason = "error";
                r.gen->result().error = e.what();
            }
        }
        for (auto it = running.begin(); it != running.end();) {
            const bool finished = it->gen->finished() || it->gen->result().finish_reason == "error";
            if (!finished) {
                ++it;
                continue;
            }
            kv.free_sequence(it->seq);
            reserved_blocks -= it->worst_blocks;
            complete(it->index, std::move(it->gen->result()));
            it = running.erase(it);
        }
    }
    stats.computed_tokens = runner.tokens_computed() - computed_before;
    stats.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    return stats;
}

}  // namespace rocmforge::engine
