#include "util/thread_pool.h"

#include "util/log.h"

#include <algorithm>
#include <chrono>
#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#endif

namespace rocmforge {

int resolve_thread_count(int requested) {
    const int hardware = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
    if (requested < 1) return hardware;
    if (requested > hardware) {
        log::warn("{} threads requested, but this machine has {} hardware threads: using {}", requested, hardware,
                  hardware);
        return hardware;
    }
    return requested;
}

ThreadPool::ThreadPool(int n_threads) {
    if (n_threads < 1) n_threads = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
    n_threads_ = n_threads;
    workers_.reserve(static_cast<size_t>(n_threads_ - 1));
    for (int i = 1; i < n_threads_; ++i) workers_.emplace_back([this, i] { worker_loop(i); });
}

namespace {
// Pause instructions (a few to tens of ns each) a thread waiting for the others spins before it
// starts yielding (for an oversubscribed machine).
constexpr int kWaitSpins = 20000;

inline void cpu_relax() {
#if defined(__x86_64__) || defined(__i386__)
    _mm_pause();
#endif
}
}  // namespace

ThreadPool::~ThreadPool() {
    {
        std::lock_guard lock(mutex_);
        stopping_.store(true);
    }
    wake_.notify_all();
    for (auto& w : workers_) w.join();
}

void ThreadPool::run_task_capturing(int thread_index) {
    try {
        (*task_)(thread_index, n_threads_);
    } catch (...) {
        std::lock_guard lock(error_mutex_);
        if (!first_error_) first_error_ = std::current_exception();
    }
}

void ThreadPool::worker_loop(int thread_index) {
    uint64_t seen_generation = 0;
    for (;;) {
        // Spin briefly: the next dispatch usually follows within microseconds.
        const auto spin_until = std::chrono::steady_clock::now() + std::chrono::microseconds(kSpinMicroseconds);
        bool has_work = false;
        for (int i = 0; !has_work; ++i) {
            if (stopping_.load()) return;
            has_work = generation_.load() != seen_generation;
            if (!has_work && (i & 63) == 63 && std::chrono::steady_clock::now() > spin_until) break;
            cpu_relax();
        }
        if (!has_work) {
            std::unique_lock lock(mutex_);
            sleepers_.fetch_add(1);
            // seq_cst pairs with run(): either run() sees this sleeper, or this wait sees its generation.
            wake_.wait(lock, [&] { return stopping_.load() || generation_.load() != seen_generation; });
            sleepers_.fetch_sub(1);
            if (stopping_.load()) return;
        }
        seen_generation = generation_.load();
        run_task_capturing(thread_index);
        pending_.fetch_sub(1, std::memory_order_acq_rel);
    }
}

void ThreadPool::run(const std::function<void(int, int)>& task) {
    task_ = &task;
    first_error_ = nullptr;
    if (n_threads_ > 1) {
        pending_.store(n_threads_ - 1, std::memory_order_release);
        generation_.fetch_add(1);
        if (sleepers_.load() > 0) {
            std::lock_guard lock(mutex_);
            wake_.notify_all();
        }
    }
    run_task_capturing(0);
    // The workers usually finish within microseconds of the caller: spin (a yield is a system
    // call, slow under virtualization), and yield only after a while, for an oversubscribed machine.
    for (int i = 0; pending_.load(std::memory_order_acquire) != 0; ++i) {
        if (i < kWaitSpins)
            cpu_relax();
        else
            std::this_thread::yield();
    }
    task_ = nullptr;
    if (first_error_) std::rethrow_exception(first_error_);
}

void SpinBarrier::arrive_and_wait() {
    remaining_.fetch_sub(1, std::memory_order_acq_rel);
    // Spin like run()'s wait: the other threads are running the same task.
    for (int i = 0; remaining_.load(std::memory_order_acquire) != 0; ++i) {
        if (i < kWaitSpins)
            cpu_relax();
        else
            std::this_thread::yield();
    }
}

void ThreadPool::parallel_for(int64_t n, const std::function<void(int64_t, int64_t)>& body) {
    if (n <= 0) return;
    const int64_t n_chunks = std::min<int64_t>(n, n_threads_);
    if (n_chunks == 1) {
        body(0, n);
        return;
    }
    run([&](int thread_index, int) {
        if (thread_index >= n_chunks) return;
        const int64_t begin = n * thread_index / n_chunks;
        const int64_t end = n * (thread_index + 1) / n_chunks;
        body(begin, end);
    });
}

}  // namespace rocmforge
