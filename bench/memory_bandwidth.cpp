// Measured read bandwidth of this machine: the physical ceiling decode speed is compared with.
// Each thread sums its slice of a buffer (util/memory_bandwidth.h, the same measurement `rocmforge
// bench` prints), repeated; reports the best of R runs in GB/s for a buffer the size of a small model (cache-resident
// in part) and one far larger than any cache (DRAM).
//
// usage: rocmforge_memory_bandwidth [THREADS=2] [REPEATS=20]
#include "util/memory_bandwidth.h"
#include "util/thread_pool.h"

#include <cstdio>
#include <cstdlib>

int main(int argc, char** argv) {
    const int threads = argc > 1 ? std::atoi(argv[1]) : 2;
    const int repeats = argc > 2 ? std::atoi(argv[2]) : 20;
    rocmforge::ThreadPool pool(threads);
    for (const size_t mib : {16, 48, 1024}) {
        std::printf("read bandwidth, %d threads, %5zu MiB buffer: %6.1f GB/s (best of %d)\n", threads, mib,
                    rocmforge::measure_read_bandwidth(pool, mib << 20, repeats), repeats);
    }
    return 0;
}
