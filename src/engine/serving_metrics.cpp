#include "engine/serving_metrics.h"

#include <algorithm>

namespace rocmforge::engine {

Histogram::Histogram(std::vector<double> upper_bounds) : bounds(std::move(upper_bounds)), counts(bounds.size(), 0) {}

void Histogram::observe(double seconds) {
    ++count;
    sum += seconds;
    for (size_t i = 0; i < bounds.size(); ++i)
        if (seconds <= bounds[i]) ++counts[i];
}

ServingMetrics::ServingMetrics() {
    const std::vector<double> latency = {0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25,
                                         0.5,   1,      2.5,   5,    10,    30,   60};
    data_.time_to_first_token = Histogram(latency);
    data_.inter_token_latency = Histogram(latency);
    data_.end_to_end_latency = Histogram({0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300});
}

}  // namespace rocmforge::engine
