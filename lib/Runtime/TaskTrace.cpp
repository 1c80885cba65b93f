//===- TaskTrace.cpp - recording when each task of a step runs ------------===//
//
// Compiled steps lowered with convert-rev-to-async{trace-tasks} call
// pareprop_trace_begin/end around each task. The records feed measured
// timelines (pareprop-run --timeline) and calibration (--calibrate).
//
//===----------------------------------------------------------------------===//

#include <chrono>
#include <cstdint>
#include <mutex>
#include <thread>
#include <vector>

namespace {
struct Record {
  int64_t task;
  double start, end;
  uint64_t thread;
};

struct Trace {
  std::mutex mu;
  std::vector<Record> records;
  std::chrono::steady_clock::time_point origin = std::chrono::steady_clock::now();
};

Trace &trace() {
  static Trace instance;
  return instance;
}

double secondsSince(std::chrono::steady_clock::time_point origin) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() -
                                       origin)
      .count();
}

thread_local std::vector<std::pair<int64_t, double>> open;
} // namespace

extern "C" {

__attribute__((visibility("default"))) void pareprop_trace_begin(int64_t task) {
  open.emplace_back(task, secondsSince(trace().origin));
}

__attribute__((visibility("default"))) void pareprop_trace_end(int64_t task) {
  Trace &t = trace();
  double end = secondsSince(t.origin), start = end;
  for (size_t i = open.size(); i-- > 0;)
    if (open[i].first == task) {
      start = open[i].second;
      open.erase(open.begin() + i);
      break;
    }
  uint64_t thread = std::hash<std::thread::id>()(std::this_thread::get_id());
  std::lock_guard<std::mutex> lock(t.mu);
  t.records.push_back({task, start, end, thread});
}

/// Drops the records and restarts the clock.
__attribute__((visibility("default"))) void pareprop_trace_reset() {
  Trace &t = trace();
  std::lock_guard<std::mutex> lock(t.mu);
  t.records.clear();
  t.origin = std::chrono::steady_clock::now();
}

__attribute__((visibility("default"))) int64_t pareprop_trace_count() {
  Trace &t = trace();
  std::lock_guard<std::mutex> lock(t.mu);
  return int64_t(t.records.size());
}

/// Record `i`: task index, start and end in seconds since the last reset,
/// and a hash of the thread that ran it.
__attribute__((visibility("default"))) void
pareprop_trace_get(int64_t i, int64_t *task, double *start, double *end,
                   uint64_t *thread) {
  Trace &t = trace();
  std::lock_guard<std::mutex> lock(t.mu);
  const Record &r = t.records[size_t(i)];
  *task = r.task;
  *start = r.start;
  *end = r.end;
  *thread = r.thread;
}
}
