#pragma once
// The online scheduler: no prefill/decode phases, only computed-vs-total tokens per request.
// Each request holds its token list (prompt, then every sampled token); `num_computed` of them
// are in the KV pool. A step plan fills the token budget with
//   1. decode chunks of running requests (oldest first): normally the one token sampled last;
//      after a preemption, every generated token again as one Decode-class chunk;
//   2. prefill chunks (the rest of a prompt, cut to the budget and to the free KV blocks);
//   3. newly admitted requests (waiting queue in arrival order; preempted ones first because
//      they arrived earlier), while a slot is free (max_running) and KV blocks remain.
// When a running request needs blocks that do not exist, the newest running request is
// preempted: its blocks are freed and it waits again with num_computed = 0; re-admission
// recomputes its prompt as Prefill chunks (prefix-cache hits skip full blocks) and its generated
// tokens as Decode chunks, so every token keeps its row class and its results (batch invariance).
//
// The plan is plain data. The scheduler owns the requests' KV sequences (create, attach cached
// prefix, free) but runs nothing: the caller runs the chunks (ModelRunner::step, which reserves
// and appends), then reports them with step_done() and appends each sampled token.
#include "backend/backend_types.h"
#include "kv/kv_cache_manager.h"

#include <cstdint>
#include <span>
#include <vector>

namespace rocmforge::engine {

struct SchedulerLimits {
    int64_t max_running = 1;      // sequences in flight (--parallel)
    int64_t batch_tokens = 2048;  // tokens per step (--batch-tokens)
};

// One sequence's part of a step: tokens [begin, begin + n) of the request's token list.
struct ScheduledChunk {
    uint64_t request = 0;
    int32_t seq = -1;
    int64_t begin = 0;
    int64_t n = 0;
    backend::RowClass row_class = backend::RowClass::Prefill;
    int64_t n_logits = 0;  // 1 when the chunk ends at the request's last token (a token is sampled)
    int64_t prompt_length = 0;  // the request's prompt length (StepChunk::prompt_length)
};

struct StepPlan {
    std::vector<ScheduledChunk> chunks;   // decode chunks first, then prefill chunks
    std::vector<uint64_t> preempted;      // requests preempted while planning (blocks freed)
    int64_t n_tokens() const;
};

class Scheduler {
public:
    // kv must outlive the scheduler; the scheduler creates and frees its sequences.
    Scheduler(kv::KvCacheManager& kv, const SchedulerLimits& limits);

    // Queues a request (ids increase with arrival). prompt must be non-empty and the request
    // must fit the pool alone (the caller checks the context); throws rocmforge::Error otherwise.
    void add(uint64_t id, std::vector<int32_t> prompt);
    // Plans the next step. Never returns an empty plan while a request is known.
    StepPlan schedule();
    // After the plan's chunks ran: advances each request's num_computed.
    void step_done(const StepPlan& plan);
    // Appends a sampled token to the request's list (it is computed by a later step).
    void append_token(uint64_t id, int32_t token);
    // Removes a request (finished, cancelled, failed) and frees its KV sequence at once.
    // Unknown ids are ignored.
    void remove(uint64_t id);

    // The request's tokens (prompt then generated); valid until the next append_token/remove.
    std::span<const int32_t> tokens(uint64_t id) const;
    bool contains(uint64_t id) const;
    bool empty() const { return running_.empty() && waiting_.empty(); }
    int64_t n_running() const { return static_cast<int64_t>(running_.size()); }
    int64_t n_waiting() const { return static_cast<int64_t>(waiting_.size()); }
    int64_t n_preemptions() const { return n_preemptions_; }

private:
    struct Request {
        uint64_t id = 0;
        std::vector<int32_t> tokens;  // [num_total]: prompt, then generated tokens
        int64_t n_prompt = 0;
        int64_t num_computed = 0;     // == kv.length(seq) while running
        int32_t seq = -1;             // KV sequence while running, -1 while waiting
    };

    Request* find(uint64_t id);
    const Request* find(uint64_t id) const;
    // Tokens of the request's next chunk and its class: the rest of the prompt (Prefill), or the
    // generated tokens not yet computed (Decode).
    static int64_t pending(const Request& r, backend::RowClass& row_class);
    // Most tokens (<= want) whose blocks fit into `free_blocks`.
    int64_t fitting_tokens(const Request& r, int64_t want, int64_t free_blocks) const;
    ScheduledChunk make_chunk(const Request& r, backend::RowClass row_class, int64_t n) const;
    // Frees the newest running request's blocks and puts it back in the waiting queue.
    void preempt_newest(StepPlan& plan);
    void push_waiting(Request r);

    kv::KvCacheManager& kv_;
    SchedulerLimits limits_;
    std::vector<Request> running_;  // ascending id (arrival)
    std::vector<Request> waiting_;  // ascending id
    int64_t n_preemptions_ = 0;
};

}  // namespace rocmforge::engine
