//===- TargetDescription.h - what a device can do, for the cost model -*- C++ -*-===//
//
// Plain C++: turns the FLOPs and bytes of an op into seconds, and says how
// concurrent tasks share the device. Built in for this project's CPU
// machines and for an H100; loadable from JSON and calibratable from measured
// task times.
//
//===----------------------------------------------------------------------===//
#ifndef PAREPROP_ANALYSIS_TARGETDESCRIPTION_H
#define PAREPROP_ANALYSIS_TARGETDESCRIPTION_H

#include "llvm/ADT/ArrayRef.h"
#include "llvm/ADT/StringRef.h"
#include "llvm/Support/Error.h"
#include <array>
#include <string>

namespace pareprop {

/// The work of one kernel (one op after lowering).
struct OpWork {
  double flops = 0;
  /// Bytes read and written.
  double bytes = 0;
  /// Elements of the largest result: how much of the device one kernel can
  /// occupy.
  double elements = 0;
};

struct TargetDescription {
  std::string name = "cpu";
  /// Cores or SMs.
  unsigned computeUnits = 2;
  /// FLOP/s one unit sustains on the generated kernels.
  double flopsPerUnit = 1e9;
  /// Bytes/s one unit can draw on its own, and the whole device's bandwidth.
  double bandwidthPerUnit = 5e9;
  double bandwidth = 2e10;
  /// Result elements that keep one unit busy; 0: a kernel runs on one unit
  /// (the CPU kernels are single-threaded loops).
  double elementsPerUnit = 0;
  /// true: a kernel's time is max(compute, memory) (the GPU overlaps them);
  /// false: their sum (simple CPU loops stall on memory).
  bool overlapComputeAndMemory = false;
  /// Seconds per kernel (launch) and per task (dispatch, synchronization).
  double kernelOverhead = 0;
  double taskOverhead = 5e-6;
  /// Tasks that can make progress at once (worker threads, hardware queues).
  unsigned maxConcurrentTasks = 2;
  /// Slowdown of each running task per other running task: shared caches and
  /// memory bandwidth. Time is multiplied by 1 + contention * (running - 1).
  double contention = 0;

  /// Units a kernel with `elements` result elements occupies.
  double unitsFor(double elements) const;
  /// Seconds one kernel takes when it has the device to itself.
  double kernelSeconds(const OpWork &work) const;
  /// Seconds a task running `kernels` takes alone, with its overhead.
  double taskSeconds(llvm::ArrayRef<OpWork> kernels) const;

  /// "cpu" (this project's CPU machines), "h100".
  static llvm::Expected<TargetDescription> builtin(llvm::StringRef name);
  static llvm::Expected<TargetDescription> fromJSON(llvm::StringRef text);
  /// Reads a built-in name or a JSON file path.
  static llvm::Expected<TargetDescription> load(llvm::StringRef nameOrPath);
  std::string toJSON() const;
};

/// A task timed on the device, running alone (for calibration).
struct TimedTask {
  double flops = 0, bytes = 0, kernels = 0;
  double seconds = 0;
};

/// Fits flopsPerUnit, bandwidthPerUnit, kernelOverhead and taskOverhead of an
/// additive (CPU-like) target to tasks timed one at a time, by non-negative
/// least squares on seconds = flops/F + bytes/B + kernels*k + t. Parameters
/// the samples cannot determine keep their value in `base`.
TargetDescription calibrate(const TargetDescription &base,
                            llvm::ArrayRef<TimedTask> alone);

/// Sets `contention` from tasks timed while others ran: each sample is
/// (predicted seconds alone, measured seconds, mean number of other tasks
/// running during it).
void calibrateContention(TargetDescription &target,
                         llvm::ArrayRef<std::array<double, 3>> overlapped);

} // namespace pareprop

#endif
