// util layer: thread pool, mapped files, checked arithmetic, log levels.
#include "util/checked_math.h"
#include "util/error.h"
#include "util/log.h"
#include "util/mapped_file.h"
#include "util/memory_bandwidth.h"
#include "util/thread_pool.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <numeric>
#include <stdexcept>
#include <thread>

namespace rocmforge {
namespace {

TEST(ThreadPool, ResolveThreadCountCapsAtTheHardwareThreads) {
    const int hardware = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
    EXPECT_EQ(resolve_thread_count(0), hardware);
    EXPECT_EQ(resolve_thread_count(-3), hardware);
    EXPECT_EQ(resolve_thread_count(1), 1);
    EXPECT_EQ(resolve_thread_count(hardware), hardware);
    EXPECT_EQ(resolve_thread_count(hardware + 1), hardware);
    EXPECT_EQ(resolve_thread_count(100000), hardware);
}

TEST(ThreadPool, ParallelForCoversEveryIndexExactlyOnce) {
    for (int threads : {1, 2, 3, 8}) {
        ThreadPool pool(threads);
        EXPECT_EQ(pool.size(), threads);
        for (int64_t n : {0, 1, 2, 7, 1000, 100003}) {
            std::vector<std::atomic<int>> hits(static_cast<size_t>(n));
            pool.parallel_for(n, [&](int64_t begin, int64_t end) {
                for (int64_t i = begin; i < end; ++i) hits[static_cast<size_t>(i)]++;
            });
            for (int64_t i = 0; i < n; ++i) ASSERT_EQ(hits[static_cast<size_t>(i)].load(), 1) << "n=" << n << " i=" << i;
        }
    }
}

TEST(ThreadPool, RunsEveryThreadIndexAndIsReusable) {
    ThreadPool pool(4);
    for (int round = 0; round < 200; ++round) {
        std::atomic<int> mask{0};
        pool.run([&](int index, int n) {
            EXPECT_EQ(n, 4);
            mask |= 1 << index;
        });
        ASSERT_EQ(mask.load(), 0b1111);
    }
}

TEST(ThreadPool, RethrowsTaskExceptionsInTheCaller) {
    ThreadPool pool(3);
    EXPECT_THROW(pool.run([](int index, int) {
        if (index == 2) throw std::runtime_error("boom");
    }),
                 std::runtime_error);
    // The pool still works afterwards.
    std::atomic<int> count{0};
    pool.run([&](int, int) { ++count; });
    EXPECT_EQ(count.load(), 3);
}

TEST(ThreadPool, ThreadSharesTileTheRangeInOrder) {
    for (int threads : {1, 2, 3, 16})
        for (int64_t n : {0, 1, 5, 16, 1001}) {
            int64_t expected_begin = 0;
            for (int i = 0; i < threads; ++i) {
                const auto [begin, end] = thread_share(n, i, threads);
                EXPECT_EQ(begin, expected_begin) << n << " over " << threads;
                EXPECT_GE(end, begin);
                EXPECT_LE(end - begin, n / threads + 1);
                expected_begin = end;
            }
            EXPECT_EQ(expected_begin, n) << n << " over " << threads;
        }
}

// Every thread's write before the barrier is visible to every thread after it, in every round
// (a thread that left early would see a slot still at the previous round's value).
TEST(SpinBarrier, ReleasesNoThreadBeforeAllArrived) {
    for (int threads : {1, 2, 3, 5}) {
        ThreadPool pool(threads);
        std::vector<std::atomic<int>> slots(static_cast<size_t>(threads));
        for (int round = 1; round <= 300; ++round) {
            SpinBarrier barrier(threads);
            std::atomic<int> stale{0};
            pool.run([&](int index, int) {
                if (index == round % threads) std::this_thread::yield();  // a late arriver
                slots[static_cast<size_t>(index)].store(round, std::memory_order_relaxed);
                barrier.arrive_and_wait();
                for (const auto& slot : slots) stale += slot.load(std::memory_order_relaxed) != round;
            });
            ASSERT_EQ(stale.load(), 0) << threads << " threads, round " << round;
        }
    }
}

// The read-bandwidth probe returns a finite positive rate for buffers of any size, including ones
// smaller than its prefetch distance or than one 16-value step per thread (no speed is asserted).
TEST(MemoryBandwidth, ReturnsAFinitePositiveRateForAnySize) {
    ThreadPool pool(2);
    for (const size_t bytes : {size_t{4}, size_t{100}, size_t{4096} + 12, size_t{1} << 20}) {
        const double gb_s = measure_read_bandwidth(pool, bytes, 2);
        EXPECT_TRUE(std::isfinite(gb_s)) << bytes;
        EXPECT_GT(gb_s, 0.0) << bytes;
    }
}

TEST(MappedFile, MapsContentsAndReportsErrors) {
    const auto path = std::filesystem::temp_directory_path() / "rocmforge_mapped_file_test.bin";
    {
        std::ofstream out(path, std::ios::binary);
        out << "hello mmap";
    }
    MappedFile file(path.string());
    ASSERT_EQ(file.size(), 10u);
    EXPECT_EQ(std::string(reinterpret_cast<const char*>(file.data()), file.size()), "hello mmap");
    MappedFile moved(std::move(file));
    EXPECT_EQ(moved.size(), 10u);
    std::filesystem::remove(path);

    try {
        MappedFile missing("/nonexistent/file.gguf");
        FAIL() << "expected an error";
    } catch (const Error& e) {
        EXPECT_EQ(e.context(), "/nonexistent/file.gguf");
        EXPECT_NE(std::string(e.what()).find("cannot open file"), std::string::npos);
    }
    EXPECT_THROW(MappedFile("/tmp"), Error);
}

TEST(CheckedMath, DetectsOverflow) {
    EXPECT_EQ(checked_add(UINT64_MAX - 1, 1), UINT64_MAX);
    EXPECT_FALSE(checked_add(UINT64_MAX, 1).has_value());
    EXPECT_EQ(checked_mul(1ull << 32, 1ull << 31), 1ull << 63);
    EXPECT_FALSE(checked_mul(1ull << 32, 1ull << 32).has_value());
    EXPECT_EQ(checked_align_up(33, 32), 64u);
    EXPECT_EQ(checked_align_up(64, 32), 64u);
    EXPECT_FALSE(checked_align_up(UINT64_MAX - 3, 32).has_value());
}

TEST(Logging, AcceptsKnownLevelsOnly) {
    EXPECT_NO_THROW(set_log_level("debug"));
    EXPECT_NO_THROW(set_log_level("off"));
    EXPECT_THROW(set_log_level("loud"), Error);
    set_log_level("warn");
}

}  // namespace
}  // namespace rocmforge
