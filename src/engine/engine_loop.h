#pragma once
// The serving engine: one thread that owns the ModelRunner (KV pool, workspace, backend calls)
// and the Scheduler, and runs steps while requests are in flight. Other threads submit requests
// and receive each request's events through its RequestHandle (request.h).
//
//   EngineLoop engine(model, text, options);          // starts the thread
//   auto h = engine.submit({prompt, options});        // throws rocmforge::Error for a bad request
//   while (auto e = h->next_event(100ms)) ...         // Tokens..., then Finish or Error
//   engine.cancel(*h);                                // blocks freed before the next step
//
// A step: cancelled requests leave (blocks freed), new ones join the scheduler's queue, the
// scheduler plans decode + prefill chunks, the runner runs them, every chunk that ends at its
// request's last token samples the next one (SequenceGeneration: sampler, stop strings), and
// the text released so far goes out as whole UTF-8 characters.
#include "engine/generator.h"
#include "engine/model_runner.h"
#include "engine/request.h"
#include "engine/scheduler.h"
#include "engine/serving_metrics.h"
#include "engine/step_outputs.h"
#include "util/error.h"
#include "util/thread_pool.h"

#include <condition_variable>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

namespace rocmforge::engine {

struct EngineOptions {
    RunnerOptions runner;     // runner.max_sequences is the number of requests run together (--parallel)
    int64_t max_queue = 256;  // requests waiting for a slot beyond which submit() refuses new ones
};

// submit() refused a request because the queue is full (HTTP 429); context "queue".
class EngineOverloaded : public Error {
public:
    using Error::Error;
};

class EngineLoop {
public:
    // Builds the runner (throws rocmforge::Error naming the flag when it does not fit) and starts
    // the engine thread. model and text must outlive the engine; text is used on its thread.
    EngineLoop(const model::Model& model, const TokenText& text, const EngineOptions& options);
    ~EngineLoop();
    EngineLoop(const EngineLoop&) = delete;
    EngineLoop& operator=(const EngineLoop&) = delete;

    // Queues a request. Throws rocmforge::Error naming the field when it can never run (context
    // "prompt": empty, or longer than max_positions(); "max_tokens": negative; sampler fields
    // out of range), EngineOverloaded when max_queue requests wait, and Error("engine") after
    // shutdown().
    std::shared_ptr<RequestHandle> submit(RequestParams params);
    // Cancels the request (see RequestHandle::cancel) and wakes the engine thread.
    void cancel(RequestHandle& handle);
    // Stops accepting, cancels everything in flight (each gets Finish "cancelled"), joins the
    // thread. Idempotent; the destructor calls it.
    void shutdown();

    ServingMetricsSnapshot metrics() const { return metrics_.snapshot(); }
    // Positions one request may reach: the context, capped so one request alone fits the pool.
    int64_t max_positions() const { return max_positions_; }
    int64_t n_ctx() const { return runner_.n_ctx(); }
    int64_t kv_size() const { return runner_.kv_size(); }
    size_t kv_bytes() const { return runner_.kv_bytes(); }
    int64_t parallel() const { return parallel_; }
    int64_t batch_tokens() const { return runner_.batch_tokens(); }

private:
    struct Active;
    void run();
    void admit_incoming();
    void drop_cancelled();
    void step();
    // A logit row's next token (or error), from the step's outputs; safe for distinct rows at once.
    struct RowToken {
        std::optional<int32_t> token;
        std::string error;
    };
    void take_token(const ScheduledChunk& chunk, size_t row);
    // Its effects on the scheduler, the request's events and metrics (engine thread, row order).
    void apply_token(const ScheduledChunk& chunk, const RowToken& token);
    void publish_progress(Active& a, bool final_flush);
    void finish(uint64_t id, const std::string& reason);
    void fail(uint64_t id, const std::string& message);
    void update_gauges();

    const model::Model& model_;
    const TokenText& text_;
    ModelRunner runner_;
    Scheduler scheduler_;
    int64_t parallel_ = 1;
    int64_t max_queue_ = 0;
    int64_t max_positions_ = 0;
    ServingMetrics metrics_;

    // Shared with submitters.
    mutable std::mutex mutex_;
    std::condition_variable wake_;
    std::vector<std::unique_ptr<Active>> incoming_;
    int64_t n_queued_ = 0;  // incoming + waiting in the scheduler (updated by the engine thread)
    uint64_t next_id_ = 1;
    bool stopping_ = false;

    // Engine thread only.
    std::map<uint64_t, std::unique_ptr<Active>> active_;
    std::vector<StepChunk> chunks_;
    StepOutputs outputs_;
    std::vector<SequenceGeneration*> row_gens_;  // the generation of each logit row of a step
    std::vector<const ScheduledChunk*> row_chunks_;
    std::vector<RowToken> row_tokens_;
    // Host sampling of whole rows (~0.2 ms per 32k-vocab row) runs on this pool from
    // kParallelSamplingRows rows on; the backend's own threads are idle then.
    static constexpr int64_t kParallelSamplingRows = 8;
    ThreadPool sampling_pool_;
    std::thread thread_;
};

}  // namespace rocmforge::engine
