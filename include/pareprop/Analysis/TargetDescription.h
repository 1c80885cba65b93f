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

#include "pareprop/Interfaces/KernelCostOpInterface.h"
#include "llvm/ADT/ArrayRef.h"
#include "llvm/ADT/StringRef.h"
#include "llvm/Support/Error.h"
#include <array>
#include <string>

namespace pareprop {

struct TargetDescription {
  std::string name = "cpu";
  /// Cores or SMs.
  unsigned computeUnits = 2;
  /// FLOP/s one unit sustains on the generated kernels.
  double flopsPerUnit = 1e9;
  /// FLOP/s one unit sustains on matrix products run by a kernel library
  /// (BLAS); 0: products are generated kernels like the rest.
  double contractionFlopsPerUnit = 0;
  /// A task that runs alone (nothing on another stream can overlap it)
  /// spreads each product of at least `splitFlops` FLOPs, and each other
  /// kernel of at least `splitLoopFlops` (0: none), over `splitUnits` units
  /// (the CPU runtime's helper thread). 1: never split.
  unsigned splitUnits = 1;
  double splitFlops = 0;
  double splitLoopFlops = 0;
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
  /// Units a product spreads over in a task that runs alone (1 otherwise).
  double splitFor(const OpWork &work, bool alone) const;
  /// FLOP/s of one unit on `work`'s kind of kernel.
  double flopRate(const OpWork &work) const;
  /// Seconds one kernel takes when it has the device to itself; `alone`:
  /// its task is scheduled so that nothing else can overlap it.
  double kernelSeconds(const OpWork &work, bool alone = false) const;
  /// Seconds a task running `kernels` takes, with its overhead.
  double taskSeconds(llvm::ArrayRef<OpWork> kernels, bool alone = false) const;
  /// The same target with matrix products compiled like every other kernel
  /// (no kernel library: products are loop kernels, split like them).
  TargetDescription withoutContractionLibrary() const;
  /// The target as the compiled kernels will use it: products through the
  /// library or not, and loop kernels of at least `splitMinIterations`
  /// iterations split (0: none; negative: keep `splitLoopFlops`).
  TargetDescription withKernels(bool contractionLibrary,
                                int64_t splitMinIterations) const;

  /// "cpu" (this project's CPU machines), "h100".
  static llvm::Expected<TargetDescription> builtin(llvm::StringRef name);
  static llvm::Expected<TargetDescription> fromJSON(llvm::StringRef text);
  /// Reads a built-in name or a JSON file path.
  static llvm::Expected<TargetDescription> load(llvm::StringRef nameOrPath);
  std::string toJSON() const;
};

/// A task timed on the device, running alone (for calibration).
struct TimedTask {
  /// FLOPs of generated kernels; FLOPs of library products divided by the
  /// units each was spread over (see TimedTask::of).
  double flops = 0, contractionFlops = 0;
  double bytes = 0, kernels = 0;
  double seconds = 0;

  /// The columns of a task that ran `kernels` on `target` (`alone` as in
  /// taskSeconds) in `seconds`.
  static TimedTask of(const TargetDescription &target,
                      llvm::ArrayRef<OpWork> kernels, bool alone,
                      double seconds);
};

/// Fits flopsPerUnit, contractionFlopsPerUnit (when the target has a kernel
/// library), bandwidthPerUnit, kernelOverhead and taskOverhead of an
/// additive (CPU-like) target to tasks timed one at a time, by non-negative
/// least squares on seconds = flops/F + contractionFlops/C + bytes/B +
/// kernels*k + t. Parameters the samples cannot determine keep their value
/// in `base`.
TargetDescription calibrate(const TargetDescription &base,
                            llvm::ArrayRef<TimedTask> alone);

/// Sets `contention` from tasks timed while others ran: each sample is
/// (predicted seconds alone, measured seconds, mean number of other tasks
/// running during it).
void calibrateContention(TargetDescription &target,
                         llvm::ArrayRef<std::array<double, 3>> overlapped);

} // namespace pareprop

#endif
