#pragma once
// A serving request as the engine sees it (token ids in, a stream of events out), and the handle
// its submitter keeps: the event channel, a snapshot for status queries, and cancellation.
// Thread-safe: the engine thread publishes, any other thread reads, waits or cancels.
#include "engine/generator.h"
#include "sample/logprobs.h"

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

namespace rocmforge::engine {

struct RequestParams {
    std::vector<int32_t> prompt;  // token ids, non-empty
    GenerationOptions options;    // max_tokens, sampler (with its seed), stop strings
    bool ignore_eos = false;      // end-of-generation tokens are sampled like any other
    bool stream_events = true;    // false: Tokens events only update the snapshot (nobody reads them)
    int32_t top_logprobs = -1;    // -1: no logprobs; n >= 0: each token's logprob and the n most likely
};

struct RequestEvent {
    enum class Kind { Tokens, Finish, Error };
    Kind kind = Kind::Tokens;
    std::vector<int32_t> tokens;  // Tokens: ids generated since the previous event
    std::vector<sample::PositionLogprobs> logprobs;  // Tokens: one per token when top_logprobs >= 0
    std::string text;             // Tokens: text released since the previous event (whole UTF-8
                                  // characters only, never part of a stop string); may be empty
    std::string finish_reason;    // Finish: "stop" (stop string), "eog", "length", "context", "cancelled"
    std::string error;            // Error: what went wrong (the request is over)
    int64_t prompt_tokens = 0;    // Finish / Error: usage
    int64_t completion_tokens = 0;
};

// What /status reports: the request's state and everything generated so far.
struct RequestSnapshot {
    std::string state = "waiting";  // "waiting", "running", "finished", "cancelled", "error"
    std::vector<int32_t> tokens;
    std::vector<sample::PositionLogprobs> logprobs;  // one per token when requested
    std::string text;
    std::string finish_reason;
    std::string error;
    int64_t prompt_tokens = 0;
};

class RequestHandle {
public:
    // stream_events false: Tokens events are not queued for next_event() (the submitter only
    // waits or polls the snapshot), so an unread request holds no event backlog.
    RequestHandle(uint64_t id, int64_t prompt_tokens, bool stream_events = true);

    uint64_t id() const { return id_; }
    std::chrono::steady_clock::time_point submitted() const { return submitted_; }

    // Next event, waiting up to `timeout`; nothing on timeout. After the final event (Finish or
    // Error) has been taken, returns nothing at once.
    std::optional<RequestEvent> next_event(std::chrono::milliseconds timeout);
    // Blocks until the request is over; returns its snapshot.
    RequestSnapshot wait();
    // The snapshot once the request is over, or nothing after `timeout`.
    std::optional<RequestSnapshot> wait_for(std::chrono::milliseconds timeout);
    RequestSnapshot snapshot() const;
    bool done() const;

    // Asks the engine to stop the request; its blocks are freed before the next step. Safe to
    // call any number of times, also after it finished.
    void cancel() { cancel_requested_.store(true); }
    bool cancel_requested() const { return cancel_requested_.load(); }

    // Engine side.
    void set_running();
    void publish(RequestEvent event);

private:
    const uint64_t id_;
    const std::chrono::steady_clock::time_point submitted_;
    const bool stream_events_;
    std::atomic<bool> cancel_requested_{false};
    mutable std::mutex mutex_;
    std::condition_variable changed_;
    std::deque<RequestEvent> events_;
    RequestSnapshot snapshot_;
    bool done_ = false;
};

}  // namespace rocmforge::engine
