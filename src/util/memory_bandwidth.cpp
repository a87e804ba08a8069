#include "util/memory_bandwidth.h"

#include "util/stream_prefetch.h"
#include "util/timer.h"

#include <algorithm>
#include <cstdint>
#include <vector>

namespace rocmforge {
namespace {

// 16 independent f32 sums: the compiler keeps them in vector registers, so the loop is bound by
// loads, not by the latency of one add chain. Each 64-byte line is prefetched as far ahead as the
// CPU decode kernels prefetch their weights (util/stream_prefetch.h): without it the probe reads
// ~13% slower than those kernels can (Zen 3 VM, 2 threads: 25.9 -> 29.3 GB/s), and reported
// decode bandwidth shares came out too high.
float sum_slice(const float* p, int64_t n) {
    constexpr int64_t kPrefetchFloats = kStreamPrefetchBytes / sizeof(float);
    float acc[16] = {};
    int64_t i = 0;
    for (; i + 16 <= n; i += 16) {
        __builtin_prefetch(p + i + kPrefetchFloats);  // past the end: a hint, never a fault
        for (int j = 0; j < 16; ++j) acc[j] += p[i + j];
    }
    float s = 0;
    for (float a : acc) s += a;
    for (; i < n; ++i) s += p[i];
    return s;
}

}  // namespace

double measure_read_bandwidth(ThreadPool& pool, size_t bytes, int repeats) {
    const std::vector<float> buffer(std::max<size_t>(bytes / sizeof(float), 1), 1.0f);
    std::vector<float> sink(static_cast<size_t>(pool.size()));
    const auto n = static_cast<int64_t>(buffer.size());
    double best = 0;
    for (int r = 0; r < repeats; ++r) {
        Timer timer;
        pool.run([&](int t, int nt) {
            const int64_t begin = n * t / nt, end = n * (t + 1) / nt;
            sink[static_cast<size_t>(t)] += sum_slice(buffer.data() + begin, end - begin);
        });
        best = std::max(best, static_cast<double>(n) * sizeof(float) / timer.seconds() / 1e9);
    }
    volatile float keep = sink[0];  // the sums must not be optimized away
    (void)keep;
    return best;
}

}  // namespace rocmforge
