#pragma once
// Counters of the serving engine, read by /metrics. The engine thread updates them under one
// mutex; snapshot() copies them for any thread.
#include <cstdint>
#include <map>
#include <mutex>
#include <string>
#include <vector>

namespace rocmforge::engine {

// Cumulative histogram of seconds with fixed upper bounds (Prometheus style: bucket i counts
// observations <= bounds[i]; +Inf is count).
struct Histogram {
    std::vector<double> bounds;    // ascending, seconds
    std::vector<uint64_t> counts;  // [bounds.size()] cumulative
    uint64_t count = 0;
    double sum = 0.0;

    explicit Histogram(std::vector<double> upper_bounds = {});
    void observe(double seconds);
};

struct ServingMetricsSnapshot {
    std::map<std::string, uint64_t> requests_by_status;  // final status: stop, eog, length, context, cancelled, error
    uint64_t prompt_tokens = 0;      // prompt tokens of finished requests
    uint64_t generated_tokens = 0;   // tokens sampled
    uint64_t computed_tokens = 0;    // tokens run through the model (recomputes included, cache hits not)
    int64_t running = 0;
    int64_t waiting = 0;
    uint64_t preemptions = 0;
    int64_t kv_blocks_used = 0;      // blocks referenced by sequences
    int64_t kv_blocks_total = 0;
    int64_t kv_block_size = 0;
    uint64_t prefix_cache_queries = 0;  // full prompt blocks looked up
    uint64_t prefix_cache_hits = 0;
    uint64_t steps = 0;
    Histogram time_to_first_token{};
    Histogram inter_token_latency{};
    Histogram end_to_end_latency{};
};

class ServingMetrics {
public:
    ServingMetrics();
    template <typename F>
    void update(F&& f) {
        std::lock_guard lock(mutex_);
        f(data_);
    }
    ServingMetricsSnapshot snapshot() const {
        std::lock_guard lock(mutex_);
        return data_;
    }

private:
    mutable std::mutex mutex_;
    ServingMetricsSnapshot data_;
};

}  // namespace rocmforge::engine
