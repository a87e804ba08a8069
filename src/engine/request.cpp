#include "engine/request.h"

namespace rocmforge::engine {

RequestHandle::RequestHandle(uint64_t id, int64_t prompt_tokens, bool stream_events)
    : id_(id), submitted_(std::chrono::steady_clock::now()), stream_events_(stream_events) {
    snapshot_.prompt_tokens = prompt_tokens;
}

std::optional<RequestEvent> RequestHandle::next_event(std::chrono::milliseconds timeout) {
    std::unique_lock lock(mutex_);
    changed_.wait_for(lock, timeout, [&] { return !events_.empty() || done_; });
    if (events_.empty()) return std::nullopt;
    RequestEvent e = std::move(events_.front());
    events_.pop_front();
    return e;
}

RequestSnapshot RequestHandle::wait() {
    std::unique_lock lock(mutex_);
    changed_.wait(lock, [&] { return done_; });
    return snapshot_;
}

std::optional<RequestSnapshot> RequestHandle::wait_for(std::chrono::milliseconds timeout) {
    std::unique_lock lock(mutex_);
    if (!changed_.wait_for(lock, timeout, [&] { return done_; })) return std::nullopt;
    return snapshot_;
}

RequestSnapshot RequestHandle::snapshot() const {
    std::lock_guard lock(mutex_);
    return snapshot_;
}

bool RequestHandle::done() const {
    std::lock_guard lock(mutex_);
    return done_;
}

void RequestHandle::set_running() {
    std::lock_guard lock(mutex_);
    if (!done_) snapshot_.state = "running";
}

void RequestHandle::publish(RequestEvent event) {
    {
        std::lock_guard lock(mutex_);
        if (done_) return;
        switch (event.kind) {
        case RequestEvent::Kind::Tokens:
            snapshot_.state = "running";
            snapshot_.tokens.insert(snapshot_.tokens.end(), event.tokens.begin(), event.tokens.end());
            snapshot_.logprobs.insert(snapshot_.logprobs.end(), event.logprobs.begin(), event.logprobs.end());
            snapshot_.text += event.text;
            break;
        case RequestEvent::Kind::Finish:
            snapshot_.state = event.finish_reason == "cancelled" ? "cancelled" : "finished";
            snapshot_.finish_reason = event.finish_reason;
            done_ = true;
            break;
        case RequestEvent::Kind::Error:
            snapshot_.state = "error";
            snapshot_.finish_reason = "error";
            snapshot_.error = event.error;
            done_ = true;
            break;
        }
        if (stream_events_ || event.kind != RequestEvent::Kind::Tokens) events_.push_back(std::move(event));
    }
    changed_.notify_all();
}

}  // namespace rocmforge::engine
