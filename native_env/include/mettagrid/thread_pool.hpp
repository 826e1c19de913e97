// A fixed pool that runs one job on every worker and waits for all of them. The calling
// thread is worker 0. Workers spin briefly before sleeping: back-to-back env steps (a raw
// loop or a benchmark) then hand over in microseconds, while a long policy forward between
// steps lets them sleep instead of burning a core. std::async or OpenMP would add a
// per-call allocation or a heavier runtime for this one-shape fork/join.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <thread>
#include <vector>

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#endif

namespace mettagrid {

inline void cpu_relax() {
#if defined(__x86_64__) || defined(__i386__)
  _mm_pause();
#elif defined(__aarch64__)
  asm volatile("yield");
#else
  std::this_thread::yield();
#endif
}

class ThreadPool {
 public:
  using Job = void (*)(void* ctx, int worker);

  explicit ThreadPool(int workers) : n_(workers < 1 ? 1 : workers) {
    for (int w = 1; w < n_; ++w) threads_.emplace_back([this, w] { loop(w); });
  }
  ~ThreadPool() {
    {
      std::lock_guard<std::mutex> lk(mu_);
      stop_ = true;
    }
    cv_.notify_all();
    for (auto& t : threads_) t.join();
  }
  ThreadPool(const ThreadPool&) = delete;
  ThreadPool& operator=(const ThreadPool&) = delete;

  int size() const { return n_; }

  void run(Job job, void* ctx) {
    if (n_ == 1) {
      job(ctx, 0);
      return;
    }
    job_ = job;
    ctx_ = ctx;
    pending_.store(n_ - 1, std::memory_order_relaxed);
    {
      std::lock_guard<std::mutex> lk(mu_);
      gen_.fetch_add(1, std::memory_order_release);
    }
    cv_.notify_all();
    job(ctx, 0);
    while (pending_.load(std::memory_order_acquire) != 0) cpu_relax();
  }

 private:
  void loop(int w) {
    uint64_t seen = 0;
    while (true) {
      uint64_t g = gen_.load(std::memory_order_acquire);
      for (int i = 0; g == seen && i < 20000; ++i) {
        cpu_relax();
        g = gen_.load(std::memory_order_acquire);
      }
      if (g == seen) {
        std::unique_lock<std::mutex> lk(mu_);
        cv_.wait(lk, [&] { return stop_ || gen_.load(std::memory_order_acquire) != seen; });
        if (stop_) return;
        g = gen_.load(std::memory_order_acquire);
      }
      seen = g;
      job_(ctx_, w);
      pending_.fetch_sub(1, std::memory_order_release);
    }
  }

  const int n_;
  std::vector<std::thread> threads_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::atomic<uint64_t> gen_{0};
  std::atomic<int> pending_{0};
  Job job_ = nullptr;
  void* ctx_ = nullptr;
  bool stop_ = false;
};

}  // namespace mettagrid
