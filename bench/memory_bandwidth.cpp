// Measured read bandwidth of this machine: the physical ceiling decode speed is compared with.
// Each thread sums its slice of a buffer (AVX2-width loads via auto-vectorized loop), repeated;
// reports the best of R runs in GB/s for a buffer the size of a small model (cache-resident
// in part) and one far larger than any cache (DRAM).
//
// usage: rocmforge_memory_bandwidth [THREADS=2] [REPEATS=20]
#include "util/thread_pool.h"
#include "util/timer.h"

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <vector>

namespace {

float sum_slice(const float* p, int64_t n) {
    float acc[16] = {};
    int64_t i = 0;
    for (; i + 16 <= n; i += 16) {
        for (int j = 0; j < 16; ++j) acc[j] += p[i + j];
    }
    float s = 0;
    for (float a : acc) s += a;
    for (; i < n; ++i) s += p[i];
    return s;
}

double measure(rocmforge::ThreadPool& pool, const std::vector<float>& buffer, int repeats) {
    double best = 0;
    std::vector<float> sink(static_cast<size_t>(pool.size()));
    const auto n = static_cast<int64_t>(buffer.size());
    for (int r = 0; r < repeats; ++r) {
        rocmforge::Timer timer;
        pool.run([&](int t, int nt) {
            const int64_t begin = n * t / nt, end = n * (t + 1) / nt;
            sink[static_cast<size_t>(t)] += sum_slice(buffer.data() + begin, end - begin);
        });
        best = std::max(best, static_cast<double>(n) * sizeof(float) / timer.seconds() / 1e9);
    }
    if (sink[0] == 12345.f) std::puts("");  // keep the sums alive
    return best;
}

}  // namespace

int main(int argc, char** argv) {
    const int threads = argc > 1 ? std::atoi(argv[1]) : 2;
    const int repeats = argc > 2 ? std::atoi(argv[2]) : 20;
    rocmforge::ThreadPool pool(threads);
    for (const size_t mib : {16, 48, 1024}) {
        std::vector<float> buffer(mib * 1024 * 1024 / sizeof(float), 1.0f);
        std::printf("read bandwidth, %d threads, %5zu MiB buffer: %6.1f GB/s (best of %d)\n", threads, mib,
                    measure(pool, buffer, repeats), repeats);
    }
    return 0;
}
