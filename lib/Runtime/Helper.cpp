//===- Helper.cpp - the second thread of a task that runs alone -----------===//

#include "Helper.h"

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <cstdlib>
#include <deque>
#include <mutex>
#include <thread>

namespace {

/// One thread that runs queued jobs in order. It blocks on a condition
/// variable between jobs: OpenBLAS's own pool threads keep spinning after a
/// job and took a core from the two-stream backward that follows.
class Helper {
public:
  static Helper &get() {
    static Helper *helper = new Helper; // Never joined: lives to exit.
    return *helper;
  }
  void post(std::function<void()> job) {
    {
      std::lock_guard<std::mutex> lock(mutex);
      jobs.push_back(std::move(job));
      queued.fetch_add(1);
    }
    wake.notify_one();
  }

  /// Jobs run so far, and the time spent in them.
  std::atomic<int64_t> done{0};
  std::atomic<int64_t> busyNanoseconds{0};

private:
  Helper() : thread([this] { loop(); }) { thread.detach(); }
  void loop() {
    std::unique_lock<std::mutex> lock(mutex);
    while (true) {
      if (jobs.empty()) {
        // A forward runs its kernels back to back: the next half usually
        // comes within microseconds. Poll for it a moment, then sleep (a
        // helper that kept spinning would take a core from the two-stream
        // backward, as OpenBLAS's pool threads did).
        lock.unlock();
        pareprop::runtime::spinUntil([&] { return queued.load() != 0; },
                                     pareprop::runtime::kSpinLimit);
        lock.lock();
        wake.wait(lock, [&] { return !jobs.empty(); });
      }
      std::function<void()> job = std::move(jobs.front());
      jobs.pop_front();
      queued.fetch_sub(1);
      lock.unlock();
      auto start = std::chrono::steady_clock::now();
      job();
      busyNanoseconds.fetch_add(
          std::chrono::duration_cast<std::chrono::nanoseconds>(
              std::chrono::steady_clock::now() - start)
              .count());
      done.fetch_add(1);
      lock.lock();
    }
  }
  /// jobs.size(), readable without the lock while polling.
  std::atomic<int64_t> queued{0};
  std::mutex mutex;
  std::condition_variable wake;
  std::deque<std::function<void()>> jobs;
  std::thread thread;
};

/// Set by pareprop_kernel_threads at the start of each task.
thread_local bool taskRunsAlone = false;
/// Set by pareprop_split_kernel_begin, consumed by the next dispatch.
thread_local bool helperDispatch = false;

/// Threads a task that runs alone may use (at most two: the task's own and
/// the helper): PAREPROP_KERNEL_THREADS, or two on a machine with two cores
/// or more.
int exclusiveThreads() {
  static const int threads = [] {
    if (const char *env = std::getenv("PAREPROP_KERNEL_THREADS"))
      if (int n = std::atoi(env); n > 0)
        return std::min(n, 2);
    return std::thread::hardware_concurrency() >= 2 ? 2 : 1;
  }();
  return threads;
}

} // namespace

namespace pareprop::runtime {

void postToHelper(std::function<void()> job) {
  Helper::get().post(std::move(job));
}

void splitWithHelper(const std::function<void()> &job,
                     const std::function<void()> &mine) {
  std::mutex mutex;
  std::condition_variable finished;
  std::atomic<bool> done{false};
  postToHelper([&] {
    job();
    std::lock_guard<std::mutex> lock(mutex);
    done.store(true);
    finished.notify_one();
  });
  mine();
  spinUntil([&] { return done.load(); }, kSpinLimit);
  // Even when the poll saw `done`, take the lock: the helper may still hold
  // it, and both it and `finished` die when this returns.
  std::unique_lock<std::mutex> lock(mutex);
  finished.wait(lock, [&] { return done.load(); });
}

bool mayUseHelper() { return taskRunsAlone && exclusiveThreads() > 1; }

bool takeHelperDispatch() {
  bool take = helperDispatch;
  helperDispatch = false;
  return take;
}

} // namespace pareprop::runtime

extern "C" {

/// Called first in every task: `exclusive` says no other stream's task can
/// run at the same time.
void pareprop_kernel_threads(int64_t exclusive) {
  taskRunsAlone = exclusive != 0;
}

/// Called before a loop kernel that pareprop-split-kernels-across-threads cut
/// in two: true when this task may use the helper, and then the next
/// async.execute this thread starts (the kernel's second half) runs there.
bool pareprop_split_kernel_begin() {
  helperDispatch = pareprop::runtime::mayUseHelper();
  return helperDispatch;
}

/// Kernel halves (products and loops) the helper thread has run since the
/// process started: lets tools and tests see that splitting happened.
int64_t pareprop_helper_jobs() { return Helper::get().done.load(); }

/// Nanoseconds the helper thread has spent running kernel halves.
int64_t pareprop_helper_busy_ns() {
  return Helper::get().busyNanoseconds.load();
}

} // extern "C"
