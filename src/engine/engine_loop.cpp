#include "engine/engine_loop.h"

#include "tokenizer/utf8.h"
#include "util/error.h"
#include "util/log.h"

#include <algorithm>

namespace rocmforge::engine {
namespace {

using Clock = std::chrono::steady_clock;

double seconds_between(Clock::time_point a, Clock::time_point b) {
    return std::chrono::duration<double>(b - a).count();
}

// The model's text with end-of-generation tokens treated as ordinary ones (ignore_eos).
class IgnoreEosText final : public TokenText {
public:
    explicit IgnoreEosText(const TokenText& base) : base_(base) {}
    std::string piece(int32_t token) const override { return base_.piece(token); }
    bool is_end_of_generation(int32_t) const override { return false; }

private:
    const TokenText& base_;
};

}  // namespace

struct EngineLoop::Active {
    std::shared_ptr<RequestHandle> handle;
    RequestParams params;
    std::unique_ptr<IgnoreEosText> ignore_eos_text;
    std::unique_ptr<SequenceGeneration> gen;
    std::string text;              // released by the generation, not yet published (UTF-8 tail)
    size_t tokens_published = 0;   // of gen->result().tokens
    std::vector<sample::PositionLogprobs> logprobs;  // per generated token, when requested
    bool started = false;          // running: handle told, scheduler knows it
    Clock::time_point last_token{};
};

EngineLoop::EngineLoop(const model::Model& model, const TokenText& text, const EngineOptions& options)
    : model_(model), text_(text), runner_(model, options.runner),
      scheduler_(runner_.kv(), SchedulerLimits{options.runner.max_sequences, runner_.batch_tokens()}),
      parallel_(options.runner.max_sequences), max_queue_(options.max_queue),
      sampling_pool_(std::clamp(static_cast<int>(std::thread::hardware_concurrency()) / 2, 1, 8)) {
    if (options.max_queue < 0) throw_error("--max-queue", "must be >= 0, got {}", options.max_queue);
    // One request alone must fit the pool. Engine sequences are never forked, so their partial
    // last block is never shared or hashed and never copied on write: positions are the bound.
    const auto& kv = runner_.kv();
    max_positions_ = std::min(runner_.n_ctx(), kv.pool().n_blocks() * kv.block_size());
    metrics_.update([&](ServingMetricsSnapshot& m) {
        m.kv_blocks_total = kv.pool().n_blocks();
        m.kv_block_size = kv.block_size();
    });
    thread_ = std::thread([this] { run(); });
}

EngineLoop::~EngineLoop() { shutdown(); }

void EngineLoop::shutdown() {
    {
        std::lock_guard lock(mutex_);
        stopping_ = true;
    }
    wake_.notify_all();
    if (thread_.joinable()) thread_.join();
}

std::shared_ptr<RequestHandle> EngineLoop::submit(RequestParams params) {
    if (params.prompt.empty()) throw_error("prompt", "the prompt is empty");
    const auto n_prompt = static_cast<int64_t>(params.prompt.size());
    if (n_prompt > max_positions_)
        throw_error("prompt", "the prompt is {} tokens but the context holds {}", n_prompt, max_positions_);
    const int64_t n_vocab = model_.hparams().n_vocab;
    for (size_t i = 0; i < params.prompt.size(); ++i)
        if (params.prompt[i] < 0 || params.prompt[i] >= n_vocab)
            throw_error("prompt", "token {} at index {} is outside the vocabulary [0, {})", params.prompt[i], i,
                        n_vocab);
    if (params.options.max_tokens < 0)
        throw_error("max_tokens", "must be >= 0, got {}", params.options.max_tokens);
    sample::validate(params.options.sampler);
    if (params.top_logprobs < -1 || params.top_logprobs > std::min<int64_t>(n_vocab, 20))
        throw_error("top_logprobs", "must be in [0, 20], got {}", params.top_logprobs);

    auto a = std::make_unique<Active>();
    a->params = std::move(params);
    std::shared_ptr<RequestHandle> handle;
    {
        std::lock_guard lock(mutex_);
        if (stopping_) throw_error("engine", "the server is shutting down");
        if (n_queued_ >= max_queue_)
            throw EngineOverloaded("queue", fmt::format("{} requests are waiting (--max-queue {}); retry later",
                                                        n_queued_, max_queue_));
        handle = std::make_shared<RequestHandle>(next_id_++, n_prompt, a->params.stream_events);
        a->handle = handle;
        incoming_.push_back(std::move(a));
        ++n_queued_;
    }
    wake_.notify_all();
    return handle;
}

void EngineLoop::cancel(RequestHandle& handle) {
    handle.cancel();
    wake_.notify_all();
}

void EngineLoop::run() {
    for (;;) {
        {
            std::unique_lock lock(mutex_);
            if (active_.empty()) wake_.wait(lock, [&] { return stopping_ || !incoming_.empty(); });
            if (stopping_) break;
        }
        try {
            admit_incoming();
            drop_cancelled();
            if (!scheduler_.empty()) step();
            update_gauges();
        } catch (const std::exception& e) {
            // An engine invariant broke: fail what is in flight rather than take the process down.
            log::error("engine: {}", e.what());
            std::vector<uint64_t> ids;
            for (const auto& [id, a] : active_) ids.push_back(id);
            for (uint64_t id : ids) fail(id, std::string("internal error: ") + e.what());
        }
    }
    // Shutdown: everything still queued or running is cancelled.
    admit_incoming();
    std::vector<uint64_t> ids;
    for (const auto& [id, a] : active_) ids.push_back(id);
    for (uint64_t id : ids) finish(id, "cancelled");
    update_gauges();
}

void EngineLoop::admit_incoming() {
    std::vector<std::unique_ptr<Active>> incoming;
    {
        std::lock_guard lock(mutex_);
        incoming.swap(incoming_);
    }
    const int64_t n_vocab = model_.hparams().n_vocab;
    for (auto& a : incoming) {
        const uint64_t id = a->handle->id();
        const TokenText* text = &text_;
        if (a->params.ignore_eos) {
            a->ignore_eos_text = std::make_unique<IgnoreEosText>(text_);
            text = a->ignore_eos_text.get();
        }
        Active& ref = *a;
        a->gen = std::make_unique<SequenceGeneration>(a->params.options, n_vocab, a->params.prompt, *text,
                                                      [&ref](const std::string& s) { ref.text += s; });
        scheduler_.add(id, a->params.prompt);
        active_.emplace(id, std::move(a));
    }
}

void EngineLoop::drop_cancelled() {
    std::vector<uint64_t> ids;
    for (const auto& [id, a] : active_)
        if (a->handle->cancel_requested()) ids.push_back(id);
    for (uint64_t id : ids) finish(id, "cancelled");
}

void EngineLoop::step() {
    const StepPlan plan = scheduler_.schedule();
    chunks_.clear();
    for (const auto& c : plan.chunks)
        chunks_.push_back({c.seq, scheduler_.tokens(c.request).subspan(static_cast<size_t>(c.begin),
                                                                        static_cast<size_t>(c.n)),
                           c.row_class, c.n_logits, c.prompt_length});
    for (const auto& c : plan.chunks) {
        Active& a = *active_.at(c.request);
        if (!a.started) {
            a.started = true;
            a.handle->set_running();
        }
    }
    // Only what the rows' samplers read leaves the device (StepOutputs); logprobs need whole rows.
    row_gens_.clear();
    bool full_rows = false;
    for (const auto& c : plan.chunks) {
        if (c.n_logits == 0) continue;
        const Active& a = *active_.at(c.request);
        row_gens_.push_back(a.gen.get());
        full_rows = full_rows || a.params.top_logprobs >= 0;
    }
    try {
        outputs_.run(runner_, chunks_, row_gens_, full_rows);
    } catch (const Error& e) {
        for (const auto& c : plan.chunks) fail(c.request, e.what());
        return;
    }
    scheduler_.step_done(plan);
    metrics_.update([&](ServingMetricsSnapshot& m) {
        ++m.steps;
        m.computed_tokens += static_cast<uint64_t>(plan.n_tokens());
        m.preemptions += plan.preempted.size();
    });
    // Each row's next token (a row's generation is its own state: whole rows sampled on the host
    // run in parallel when there are many), then in row order the scheduler, events and finishes.
    row_chunks_.clear();
    for (const auto& c : plan.chunks)
        if (c.n_logits != 0) row_chunks_.push_back(&c);
    const auto n_rows = static_cast<int64_t>(row_chunks_.size());
    row_tokens_.assign(row_chunks_.size(), RowToken{});
    const auto take_rows = [&](int64_t r0, int64_t r1) {
        for (int64_t r = r0; r < r1; ++r) take_token(*row_chunks_[static_cast<size_t>(r)], static_cast<size_t>(r));
    };
    if (outputs_.whole_rows() && n_rows >= kParallelSamplingRows)
        sampling_pool_.parallel_for(n_rows, take_rows);
    else
        take_rows(0, n_rows);
    for (size_t r = 0; r < row_chunks_.size(); ++r) apply_token(*row_chunks_[r], row_tokens_[r]);
}

void EngineLoop::take_token(const ScheduledChunk& c, size_t row) {
    Active& a = *active_.at(c.request);
    RowToken& out = row_tokens_[row];
    const size_t n_before = a.gen->result().tokens.size();
    try {
        out.token = outputs_.next(row, *a.gen, runner_.kv().length(c.seq), max_positions_, c.seq);
    } catch (const Error& e) {
        out.error = e.what();
        return;
    }
    const auto& tokens = a.gen->result().tokens;
    if (a.params.top_logprobs >= 0 && tokens.size() > n_before)
        a.logprobs.push_back(sample::position_logprobs(outputs_.row_logits(row), tokens.back(), a.params.top_logprobs));
}

void EngineLoop::apply_token(const ScheduledChunk& c, const RowToken& t) {
    if (!t.error.empty()) {
        fail(c.request, t.error);
        return;
    }
    Active& a = *active_.at(c.request);
    if (t.token) scheduler_.append_token(c.request, *t.token);
    publish_progress(a, a.gen->finished());
    if (a.gen->finished()) finish(c.request, a.gen->result().finish_reason);
}

void EngineLoop::publish_progress(Active& a, bool final_flush) {
    const auto& tokens = a.gen->result().tokens;
    RequestEvent e;
    e.kind = RequestEvent::Kind::Tokens;
    e.tokens.assign(tokens.begin() + static_cast<std::ptrdiff_t>(a.tokens_published), tokens.end());
    if (a.params.top_logprobs >= 0)
        e.logprobs.assign(a.logprobs.begin() + static_cast<std::ptrdiff_t>(a.tokens_published), a.logprobs.end());
    // Whole UTF-8 characters only; an incomplete tail waits for the next token (or the end).
    const size_t keep = final_flush ? 0 : tokenizer::utf8_incomplete_tail(a.text);
    e.text = a.text.substr(0, a.text.size() - keep);
    a.text.erase(0, a.text.size() - keep);
    if (e.tokens.empty() && e.text.empty()) return;
    const auto now = Clock::now();
    const size_t n_new = e.tokens.size();
    if (n_new > 0) {
        metrics_.update([&](ServingMetricsSnapshot& m) {
            m.generated_tokens += n_new;
            if (a.tokens_published == 0)
                m.time_to_first_token.observe(seconds_between(a.handle->submitted(), now));
            else
                m.inter_token_latency.observe(seconds_between(a.last_token, now));
        });
        a.last_token = now;
        a.tokens_published = tokens.size();
    }
    a.handle->publish(std::move(e));
}

void EngineLoop::finish(uint64_t id, const std::string& reason) {
    const auto it = active_.find(id);
    if (it == active_.end()) return;
    Active& a = *it->second;
    scheduler_.remove(id);
    if (a.gen && reason != "cancelled") publish_progress(a, true);
    RequestEvent e;
    e.kind = RequestEvent::Kind::Finish;
    e.finish_reason = reason;
    e.prompt_tokens = static_cast<int64_t>(a.params.prompt.size());
    e.completion_tokens = static_cast<int64_t>(a.tokens_published);
    const double e2e = seconds_between(a.handle->submitted(), Clock::now());
    metrics_.update([&](ServingMetricsSnapshot& m) {
        ++m.requests_by_status[reason];
        m.prompt_tokens += static_cast<uint64_t>(e.prompt_tokens);
        m.end_to_end_latency.observe(e2e);
    });
    a.handle->publish(std::move(e));
    active_.erase(it);
}

void EngineLoop::fail(uint64_t id, const std::string& message) {
    const auto it = active_.find(id);
    if (it == active_.end()) return;
    Active& a = *it->second;
    scheduler_.remove(id);
    RequestEvent e;
    e.kind = RequestEvent::Kind::Error;
    e.error = message;
    e.prompt_tokens = static_cast<int64_t>(a.params.prompt.size());
    e.completion_tokens = static_cast<int64_t>(a.tokens_published);
    metrics_.update([&](ServingMetricsSnapshot& m) { ++m.requests_by_status["error"]; });
    a.handle->publish(std::move(e));
    active_.erase(it);
}

void EngineLoop::update_gauges() {
    const auto& pool = runner_.kv().pool();
    {
        std::lock_guard lock(mutex_);
        n_queued_ = static_cast<int64_t>(incoming_.size()) + scheduler_.n_waiting();
    }
    metrics_.update([&](ServingMetricsSnapshot& m) {
        m.running = scheduler_.n_running();
        m.waiting = scheduler_.n_waiting();
        m.kv_blocks_used = pool.n_referenced();
        m.prefix_cache_queries = static_cast<uint64_t>(pool.stats().queries);
        m.prefix_cache_hits = static_cast<uint64_t>(pool.stats().hits);
    });
}

}  // namespace rocmforge::engine
