//===- Helper.h - the second thread of a task that runs alone ---*- C++ -*-===//
//
// Internal to the runtime library. A task that no other stream's task can
// overlap (pareprop_kernel_threads(1)) may hand half of a large kernel to
// one helper thread: half of a BLAS product (Kernels.cpp), or half of a loop
// kernel that pareprop-split-kernels-across-threads outlined into an
// async.execute (routed here by mlirAsyncRuntimeExecute). The helper only runs
// kernel halves, which never wait on anything, so a task waiting for it always
// makes progress, whatever the pool is doing.
//
//===----------------------------------------------------------------------===//
#ifndef PAREPROP_RUNTIME_HELPER_H
#define PAREPROP_RUNTIME_HELPER_H

#include <chrono>
#include <functional>

namespace pareprop::runtime {

/// Polls `done` for up to `limit` before the caller blocks. Waking a
/// sleeping thread costs tens of microseconds on a virtual machine (the idle
/// vCPU is halted), more than a small kernel half takes, so both sides of a
/// split poll for a moment first.
template <typename Done>
bool spinUntil(Done done, std::chrono::microseconds limit) {
  auto end = std::chrono::steady_clock::now() + limit;
  while (!done()) {
    for (int i = 0; i < 32; ++i) {
#if defined(__x86_64__) || defined(__i386__)
      __builtin_ia32_pause();
#endif
    }
    if (std::chrono::steady_clock::now() > end)
      return false;
  }
  return true;
}

/// How long the helper and a task waiting on it poll before sleeping.
constexpr std::chrono::microseconds kSpinLimit{100};

/// Queues `job` on the helper thread (started on first use).
void postToHelper(std::function<void()> job);

/// Runs `job` on the helper while the caller runs `mine`; returns when both
/// are done.
void splitWithHelper(const std::function<void()> &job,
                     const std::function<void()> &mine);

/// Whether the task on this thread runs alone and may use the helper: set by
/// pareprop_kernel_threads, and at most one helper (PAREPROP_KERNEL_THREADS=1
/// turns it off; so does a one-core machine).
bool mayUseHelper();

/// True once after pareprop_split_kernel_begin() returned true on this
/// thread: the next coroutine this thread dispatches is the kernel half that
/// belongs on the helper.
bool takeHelperDispatch();

} // namespace pareprop::runtime

#endif
