//===- AsyncRuntime.cpp - runtime for the async dialect's lowered code ----===//
//
// Implements the C ABI that `convert-async-to-llvm` targets (declared in
// mlir/ExecutionEngine/AsyncRuntime.h) for PaReprop's training steps.
//
// It differs from MLIR's own libmlir_async_runtime in two ways that matter
// for multi-stream schedules:
//  * Completion callbacks never run while a lock is held. MLIR's runtime runs
//    a token's awaiters under the token's mutex; a coroutine resumed there
//    that goes on to await a second token can deadlock against a thread
//    doing the same with the two tokens swapped (two tasks that both wait on
//    a recompute and a gradient do exactly that).
//  * A coroutine whose dependency completes is resumed on the thread pool,
//    not inline on the completing thread, so the several consumers of one
//    token (the next recompute and the next gradient) run in parallel.
//
// The reference-counting contract is MLIR's: tokens and values start with two
// references, one of which is dropped when they are emplaced; groups start
// with one.
//
//===----------------------------------------------------------------------===//

#include "Helper.h"

#include "mlir/ExecutionEngine/AsyncRuntime.h"

#include <atomic>
#include <condition_variable>
#include <cstdlib>
#include <deque>
#include <functional>
#include <iostream>
#include <mutex>
#include <thread>
#include <vector>

using namespace mlir::runtime;

namespace {

/// Fixed-size FIFO pool: tasks start in submission order.
class ThreadPool {
public:
  explicit ThreadPool(unsigned count) {
    for (unsigned i = 0; i < count; ++i)
      workers.emplace_back([this] { work(); });
  }
  ~ThreadPool() {
    {
      std::lock_guard<std::mutex> lock(mu);
      stopping = true;
    }
    cv.notify_all();
    for (std::thread &t : workers)
      t.join();
  }
  void submit(std::function<void()> task) {
    {
      std::lock_guard<std::mutex> lock(mu);
      queue.push_back(std::move(task));
    }
    cv.notify_one();
  }
  size_t size() const { return workers.size(); }

private:
  void work() {
    for (;;) {
      std::function<void()> task;
      {
        std::unique_lock<std::mutex> lock(mu);
        cv.wait(lock, [this] { return stopping || !queue.empty(); });
        if (queue.empty())
          return;
        task = std::move(queue.front());
        queue.pop_front();
      }
      task();
    }
  }

  std::mutex mu;
  std::condition_variable cv;
  std::deque<std::function<void()>> queue;
  std::vector<std::thread> workers;
  bool stopping = false;
};

unsigned workerCount() {
  if (const char *env = std::getenv("PAREPROP_NUM_THREADS")) {
    int n = std::atoi(env);
    if (n > 0)
      return unsigned(n);
  }
  unsigned hw = std::thread::hardware_concurrency();
  return hw == 0 ? 2 : hw;
}

ThreadPool &pool() {
  static ThreadPool instance(workerCount());
  return instance;
}

enum class State { Unavailable, Available, Error };

struct RefCounted {
  explicit RefCounted(int64_t count) : refs(count) {}
  virtual ~RefCounted() = default;
  void addRef(int64_t n) { refs.fetch_add(n); }
  void dropRef(int64_t n) {
    if (refs.fetch_sub(n) == n)
      delete this;
  }
  std::atomic<int64_t> refs;
};

using Callback = std::function<void()>;

/// Something that becomes ready once and then runs its callbacks.
struct Completion : RefCounted {
  using RefCounted::RefCounted;

  bool ready() const { return state.load() != State::Unavailable; }

  /// Runs `callback` now if ready, else when ready. Never under the lock.
  void whenReady(Callback callback) {
    {
      std::lock_guard<std::mutex> lock(mu);
      if (!ready()) {
        callbacks.push_back(std::move(callback));
        return;
      }
    }
    callback();
  }

  void complete(State final) {
    std::vector<Callback> toRun;
    {
      std::lock_guard<std::mutex> lock(mu);
      state.store(final);
      toRun.swap(callbacks);
    }
    cv.notify_all();
    for (Callback &c : toRun)
      c();
  }

  void wait() {
    // A task waiting for the helper's half of a kernel polls a moment
    // first: sleeping and being woken costs more than a small half.
    if (pareprop::runtime::spinUntil([this] { return ready(); },
                                     pareprop::runtime::kSpinLimit))
      return;
    std::unique_lock<std::mutex> lock(mu);
    cv.wait(lock, [this] { return ready(); });
  }

  std::atomic<State> state{State::Unavailable};
  std::mutex mu;
  std::condition_variable cv;
  std::vector<Callback> callbacks;
};

} // namespace

struct mlir::runtime::AsyncToken : Completion {
  AsyncToken() : Completion(2) {}
};

struct mlir::runtime::AsyncValue : Completion {
  explicit AsyncValue(int64_t size) : Completion(2), storage(size) {}
  std::vector<std::byte> storage;
};

struct mlir::runtime::AsyncGroup : Completion {
  explicit AsyncGroup(int64_t size) : Completion(1), pending(size) {
    if (size == 0)
      state.store(State::Available);
  }
  void memberReady(bool failed) {
    if (failed)
      errors.fetch_add(1);
    if (pending.fetch_sub(1) == 1)
      complete(errors.load() ? State::Error : State::Available);
  }
  std::atomic<int64_t> pending;
  std::atomic<int64_t> errors{0};
  std::atomic<int64_t> rank{0};
};

namespace {
/// Resumes a suspended coroutine on the pool.
Callback resumeOnPool(CoroHandle handle, CoroResume resume) {
  return [handle, resume] { pool().submit([handle, resume] { resume(handle); }); };
}

/// Resumes inline when the dependency is already there (the coroutine only
/// saved its state and may continue at once), on the pool otherwise.
void resumeWhenReady(Completion *c, CoroHandle handle, CoroResume resume) {
  if (c->ready()) {
    resume(handle);
    return;
  }
  c->whenReady(resumeOnPool(handle, resume));
}
} // namespace

extern "C" {

void mlirAsyncRuntimeAddRef(RefCountedObjPtr ptr, int64_t count) {
  static_cast<RefCounted *>(ptr)->addRef(count);
}

void mlirAsyncRuntimeDropRef(RefCountedObjPtr ptr, int64_t count) {
  static_cast<RefCounted *>(ptr)->dropRef(count);
}

AsyncToken *mlirAsyncRuntimeCreateToken() { return new AsyncToken(); }

AsyncValue *mlirAsyncRuntimeCreateValue(int64_t size) {
  return new AsyncValue(size);
}

AsyncGroup *mlirAsyncRuntimeCreateGroup(int64_t size) {
  return new AsyncGroup(size);
}

int64_t mlirAsyncRuntimeAddTokenToGroup(AsyncToken *token, AsyncGroup *group) {
  int64_t rank = group->rank.fetch_add(1);
  group->addRef(1);
  token->whenReady([token, group] {
    group->memberReady(token->state.load() == State::Error);
    group->dropRef(1);
  });
  return rank;
}

void mlirAsyncRuntimeEmplaceToken(AsyncToken *token) {
  token->complete(State::Available);
  token->dropRef(1);
}

void mlirAsyncRuntimeEmplaceValue(AsyncValue *value) {
  value->complete(State::Available);
  value->dropRef(1);
}

void mlirAsyncRuntimeSetTokenError(AsyncToken *token) {
  token->complete(State::Error);
  token->dropRef(1);
}

void mlirAsyncRuntimeSetValueError(AsyncValue *value) {
  value->complete(State::Error);
  value->dropRef(1);
}

bool mlirAsyncRuntimeIsTokenError(AsyncToken *token) {
  return token->state.load() == State::Error;
}

bool mlirAsyncRuntimeIsValueError(AsyncValue *value) {
  return value->state.load() == State::Error;
}

bool mlirAsyncRuntimeIsGroupError(AsyncGroup *group) {
  return group->errors.load() > 0;
}

void mlirAsyncRuntimeAwaitToken(AsyncToken *token) { token->wait(); }

void mlirAsyncRuntimeAwaitValue(AsyncValue *value) { value->wait(); }

void mlirAsyncRuntimeAwaitAllInGroup(AsyncGroup *group) { group->wait(); }

ValueStorage mlirAsyncRuntimeGetValueStorage(AsyncValue *value) {
  return value->storage.data();
}

void mlirAsyncRuntimeExecute(CoroHandle handle, CoroResume resume) {
  // The second half of a kernel that pareprop-split-kernels-across-threads cut
  // in two goes to the helper thread, not behind other tasks in the pool.
  if (pareprop::runtime::takeHelperDispatch())
    return pareprop::runtime::postToHelper([handle, resume] { resume(handle); });
  pool().submit([handle, resume] { resume(handle); });
}

void mlirAsyncRuntimeAwaitTokenAndExecute(AsyncToken *token, CoroHandle handle,
                                          CoroResume resume) {
  resumeWhenReady(token, handle, resume);
}

void mlirAsyncRuntimeAwaitValueAndExecute(AsyncValue *value, CoroHandle handle,
                                          CoroResume resume) {
  resumeWhenReady(value, handle, resume);
}

void mlirAsyncRuntimeAwaitAllInGroupAndExecute(AsyncGroup *group,
                                               CoroHandle handle,
                                               CoroResume resume) {
  resumeWhenReady(group, handle, resume);
}

int64_t mlirAsyncRuntimGetNumWorkerThreads() { return pool().size(); }

void mlirAsyncRuntimePrintCurrentThreadId() {
  std::cout << "Current thread id: " << std::this_thread::get_id() << std::endl;
}

} // extern "C"
