#pragma once
// Persistent pool of worker threads for data-parallel loops (matmul rows, quantization rows).
// The calling thread takes part as thread 0, so a pool of size 1 runs everything inline.
#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <exception>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

namespace rocmforge {

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

    int n_threads_;
    std::vector<std::thread> workers_;
    std::mutex mutex_;
    std::condition_variable wake_;
    uint64_t generation_ = 0;  // guarded by mutex_
    bool stopping_ = false;    // guarded by mutex_
    const std::function<void(int, int)>* task_ = nullptr;
    std::atomic<int> pending_{0};
    std::mutex error_mutex_;
    std::exception_ptr first_error_;
};

}  // namespace rocmforge
