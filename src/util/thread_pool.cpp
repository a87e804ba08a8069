#include "util/thread_pool.h"

#include <algorithm>

namespace rocmforge {

ThreadPool::ThreadPool(int n_threads) {
    if (n_threads < 1) n_threads = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
    n_threads_ = n_threads;
    workers_.reserve(static_cast<size_t>(n_threads_ - 1));
    for (int i = 1; i < n_threads_; ++i) workers_.emplace_back([this, i] { worker_loop(i); });
}

ThreadPool::~ThreadPool() {
    {
        std::lock_guard lock(mutex_);
        stopping_ = true;
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
        {
            std::unique_lock lock(mutex_);
            wake_.wait(lock, [&] { return stopping_ || generation_ != seen_generation; });
            if (stopping_) return;
            seen_generation = generation_;
        }
        run_task_capturing(thread_index);
        pending_.fetch_sub(1, std::memory_order_acq_rel);
    }
}

void ThreadPool::run(const std::function<void(int, int)>& task) {
    task_ = &task;
    first_error_ = nullptr;
    if (n_threads_ > 1) {
        pending_.store(n_threads_ - 1, std::memory_order_release);
        {
            std::lock_guard lock(mutex_);
            ++generation_;
        }
        wake_.notify_all();
    }
    run_task_capturing(0);
    while (pending_.load(std::memory_order_acquire) != 0) std::this_thread::yield();
    task_ = nullptr;
    if (first_error_) std::rethrow_exception(first_error_);
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
