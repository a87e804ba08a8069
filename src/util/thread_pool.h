#pragma once
// Persistent pool of worker threads for data-parallel loops (matmul rows, quantization rows).
// The calling thread takes part as thread 0, so a pool of size 1 runs everything inline.
// Idle workers spin for a short bounded time (kSpinMicroseconds) before sleeping on a condition
// variable: a decode step dispatches dozens of small loops back to back, and a futex wake per
// dispatch would cost more than the loops; the bound keeps an oversubscribed machine usable.
#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <exception>
#include <functional>
#include <mutex>
#include <thread>
#include <utility>
#include <vector>

namespace rocmforge {

// Thread count for a user's request (a -t flag): < 1 means all hardware threads; a request above
// the hardware threads is capped to them with a warning (extra threads only contend for cores,
// and a huge request would try to start that many threads).
int resolve_thread_count(int requested);

// A meeting point inside one ThreadPool::run task: arrive_and_wait() returns once `n_threads`
// threads have called it (pass the pool's size; every thread of a run executes the task). One
// use per barrier. PRECOND: no thread can throw before it arrives (the others would wait forever).
class SpinBarrier {
public:
    explicit SpinBarrier(int n_threads) : remaining_(n_threads) {}
    void arrive_and_wait();

private:
    std::atomic<int> remaining_;
};

// Thread thread_index's contiguous share [begin, end) of n items split over n_threads (the
// shares tile [0, n) in thread order; sizes differ by at most one).
inline std::pair<int64_t, int64_t> thread_share(int64_t n, int thread_index, int n_threads) {
    return {n * thread_index / n_threads, n * (thread_index + 1) / n_threads};
}

class ThreadPool {
public:
    // n_threads: total threads including the caller; values < 1 mean "hardware concurrency".
    explicit ThreadPool(int n_threads);
    ~ThreadPool();
    ThreadPool(const ThreadPool&) = delete;
    ThreadPool& operator=(const ThreadPool&) = delete;

    int size() const { return n_threads_; }

    // Runs task(thread_index, n_threads) once on every thread and waits for all of them.
    // An exception thrown by any task is rethrown here (the first one wins).
    // Not reentrant: a task must not call run() on the same pool.
    void run(const std::function<void(int thread_index, int n_threads)>& task);

    // Splits [0, n) into at most size() contiguous chunks and calls body(begin, end) for each.
    void parallel_for(int64_t n, const std::function<void(int64_t begin, int64_t end)>& body);

private:
    void worker_loop(int thread_index);
    void run_task_capturing(int thread_index);

    static constexpr int kSpinMicroseconds = 100;

    int n_threads_;
    std::vector<std::thread> workers_;
    std::mutex mutex_;  // only for sleeping/waking; the fast path is lock-free
    std::condition_variable wake_;
    std::atomic<uint64_t> generation_{0};  // bumped once per run()
    std::atomic<bool> stopping_{false};
    std::atomic<int> sleepers_{0};         // workers blocked (or about to block) on wake_
    const std::function<void(int, int)>* task_ = nullptr;
    std::atomic<int> pending_{0};
    std::mutex error_mutex_;
    std::exception_ptr first_error_;
};

}  // namespace rocmforge
