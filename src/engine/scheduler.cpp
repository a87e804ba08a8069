#include "engine/scheduler.h"

#include "util/error.h"

#include <algorithm>

namespace rocmforge::engine {

using backend::RowClass;

int64_t StepPlan::n_tokens() const {
    int64_t n = 0;
    for (const auto& c : chunks) n += c.n;
    return n;
}

Scheduler::Scheduler(kv::KvCacheManager& kv, const SchedulerLimits& limits) : kv_(kv), limits_(limits) {
    if (limits.max_running < 1) throw_error("--parallel", "must be >= 1, got {}", limits.max_running);
    if (limits.batch_tokens < 1) throw_error("--batch-tokens", "must be >= 1, got {}", limits.batch_tokens);
}

void Scheduler::add(uint64_t id, std::vector<int32_t> prompt) {
    if (prompt.empty()) throw_error("prompt", "the prompt is empty");
    if (contains(id)) throw_error("scheduler", "request {} is already queued", id);
    Request r;
    r.id = id;
    r.n_prompt = static_cast<int64_t>(prompt.size());
    r.tokens = std::move(prompt);
    push_waiting(std::move(r));
}

void Scheduler::push_waiting(Request r) {
    const auto at = std::lower_bound(waiting_.begin(), waiting_.end(), r.id,
                                     [](const Request& a, uint64_t id) { return a.id < id; });
    waiting_.insert(at, std::move(r));
}

Scheduler::Request* Scheduler::find(uint64_t id) {
    for (auto* list : {&running_, &waiting_})
        for (auto& r : *list)
            if (r.id == id) return &r;
    return nullptr;
}

const Scheduler::Request* Scheduler::find(uint64_t id) const { return const_cast<Scheduler*>(this)->find(id); }

bool Scheduler::contains(uint64_t id) const { return find(id) != nullptr; }

std::span<const int32_t> Scheduler::tokens(uint64_t id) const {
    const Request* r = find(id);
    if (!r) throw_error("scheduler", "unknown request {}", id);
    return r->tokens;
}

int64_t Scheduler::pending(const Request& r, RowClass& row_class) {
    if (r.num_computed < r.n_prompt) {
        row_class = RowClass::Prefill;
        return r.n_prompt - r.num_computed;
    }
    row_class = RowClass::Decode;
    return static_cast<int64_t>(r.tokens.size()) - r.num_computed;
}

int64_t Scheduler::fitting_tokens(const Request& r, int64_t want, int64_t free_blocks) const {
    if (want <= 0 || free_blocks < 0) return 0;
    if (kv_.blocks_needed(r.seq, want) <= free_blocks) return want;
    int64_t lo = 0, hi = want;  // blocks_needed(lo) fits, blocks_needed(hi) does not
    while (hi - lo > 1) {
        const int64_t mid = lo + (hi - lo) / 2;
        (kv_.blocks_needed(r.seq, mid) <= free_blocks ? lo : hi) = mid;
    }
    return lo;
}

ScheduledChunk Scheduler::make_chunk(const Request& r, RowClass row_class, int64_t n) const {
    ScheduledChunk c;
    c.request = r.id;
    c.seq = r.seq;
    c.begin = r.num_computed;
    c.n = n;
    c.row_class = row_class;
    c.n_logits = r.num_computed + n == static_cast<int64_t>(r.tokens.size()) ? 1 : 0;
    c.prompt_length = r.n_prompt;
    return c;
}

void Scheduler::preempt_newest(StepPlan& plan) {
    Request r = std::move(running_.back());
    running_.pop_back();
    kv_.free_sequence(r.seq);
    r.seq = -1;
    r.num_computed = 0;
    ++n_preemptions_;
    plan.preempted.push_back(r.id);
    push_waiting(std::move(r));
}

StepPlan Scheduler::schedule() {
    StepPlan plan;
    int64_t budget = limits_.batch_tokens;
    int64_t planned_blocks = 0;  // blocks the chunks planned so far take when they run
    const auto free_blocks = [&] { return kv_.pool().n_free() - planned_blocks; };
    const auto plan_chunk = [&](const Request& r, RowClass row_class, int64_t n) {
        planned_blocks += kv_.blocks_needed(r.seq, n);
        budget -= n;
        plan.chunks.push_back(make_chunk(r, row_class, n));
    };

    for (;;) {
        // 1. Decode chunks, oldest first; a request short of blocks preempts the newest (itself
        //    last). Victims come from the back, which this loop has not reached yet.
        for (size_t i = 0; i < running_.size() && budget > 0; ++i) {
            RowClass row_class;
            const int64_t want = std::min(pending(running_[i], row_class), budget);
            if (row_class != RowClass::Decode || want <= 0) continue;
            bool self_preempted = false;
            while (kv_.blocks_needed(running_[i].seq, want) > free_blocks()) {
                self_preempted = i + 1 == running_.size();
                preempt_newest(plan);
                if (self_preempted) break;
            }
            if (self_preempted) break;
            plan_chunk(running_[i], row_class, want);
        }
        // 2. The rest of running prompts, cut to the budget and the free blocks (no preemption:
        //    decoders free blocks as they finish).
        for (const auto& r : running_) {
            if (budget <= 0) break;
            RowClass row_class;
            const int64_t want = pending(r, row_class);
            if (row_class != RowClass::Prefill) continue;
            const int64_t n = fitting_tokens(r, std::min(want, budget), free_blocks());
            if (n > 0) plan_chunk(r, row_class, n);
        }
        // 3. Admission, in arrival order, while a slot, budget and blocks remain. Not in a step
        //    that preempted: the blocks just freed are needed by older requests next step.
        while (plan.preempted.empty() && !waiting_.empty() &&
               static_cast<int64_t>(running_.size()) < limits_.max_running && budget > 0 && free_blocks() > 0) {
            Request& w = waiting_.front();
            w.seq = kv_.create_sequence();
            w.num_computed =
                kv_.attach_cached_prefix(w.seq, std::span(w.tokens).first(static_cast<size_t>(w.n_prompt)));
            RowClass row_class;
            const int64_t n = fitting_tokens(w, std::min(pending(w, row_class), budget), free_blocks());
            if (n == 0) {
                kv_.free_sequence(w.seq);
                w.seq = -1;
                w.num_computed = 0;
                break;
            }
            plan_chunk(w, row_class, n);
            Request admitted = std::move(w);
            waiting_.erase(waiting_.begin());
            const auto at = std::lower_bound(running_.begin(), running_.end(), admitted.id,
                                             [](const Request& a, uint64_t id) { return a.id < id; });
            running_.insert(at, std::move(admitted));
        }
        if (!plan.chunks.empty() || empty()) return plan;
        // Nothing fit: every running request is in its prompt and the blocks are gone. Free the
        // newest and plan again; the oldest alone always fits (the caller checks the pool).
        if (running_.empty())
            throw_error("scheduler", "the oldest waiting request ({}) does not fit the KV pool of {} blocks",
                        waiting_.front().id, kv_.pool().n_blocks());
        preempt_newest(plan);
    }
}

void Scheduler::step_done(const StepPlan& plan) {
    for (const auto& c : plan.chunks) {
        Request* r = find(c.request);
        if (!r || r->seq != c.seq || r->num_computed != c.begin)
            throw_error("scheduler", "step result for request {} does not match its state", c.request);
        r->num_computed += c.n;
        if (kv_.length(r->seq) != r->num_computed)
            throw_error("scheduler", "request {}: {} tokens computed but the KV sequence holds {}", c.request,
                        r->num_computed, kv_.length(r->seq));
    }
}

void Scheduler::append_token(uint64_t id, int32_t token) {
    Request* r = find(id);
    if (!r) throw_error("scheduler", "unknown request {}", id);
    r->tokens.push_back(token);
}

void Scheduler::remove(uint64_t id) {
    for (auto* list : {&running_, &waiting_}) {
        for (auto it = list->begin(); it != list->end(); ++it) {
            if (it->id != id) continue;
            if (it->seq >= 0) kv_.free_sequence(it->seq);
            list->erase(it);
            return;
        }
    }
}

}  // namespace rocmforge::engine
