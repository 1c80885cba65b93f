//===- StreamSchedule.h - assigning backward work to streams ----*- C++ -*-===//
//
// Plain C++ (no IR): the scheduling algorithm behind rev-schedule-backward,
// so that tests and other tools can call it directly.
//
//===----------------------------------------------------------------------===//
#ifndef PAREPROP_ANALYSIS_STREAMSCHEDULE_H
#define PAREPROP_ANALYSIS_STREAMSCHEDULE_H

#include "llvm/ADT/ArrayRef.h"
#include "llvm/ADT/SmallVector.h"
#include "llvm/ADT/StringRef.h"
#include <optional>

namespace pareprop {

enum class WorkKind { Other, Recompute, Gradient };

/// One unit of work of a training step, in program order.
struct WorkItem {
  WorkKind kind = WorkKind::Other;
  /// Estimated cost (any unit; FLOPs in the pass).
  double cost = 1.0;
  /// Items (all earlier in program order) whose results this one reads.
  llvm::SmallVector<unsigned, 4> deps;
  /// The recomputes among `deps` whose internals (the F/G state a gradient
  /// consumes, as opposed to the rebuilt block inputs) this item reads.
  llvm::SmallVector<unsigned, 2> internalsRead;
};

enum class SchedulePolicy {
  /// One stream: everything in program order.
  Vanilla,
  /// Recomputes on stream 1, the rest on stream 0; a recompute waits until
  /// the internals of the recompute `maxLiveBlocks` earlier are consumed.
  PaReprop,
};

std::optional<SchedulePolicy> parseSchedulePolicy(llvm::StringRef name);
llvm::StringRef stringifySchedulePolicy(SchedulePolicy policy);

struct StreamSchedule {
  /// Per item: the stream it runs on.
  llvm::SmallVector<unsigned> stream;
  /// Items in issue order (a topological order; per stream, program order).
  llvm::SmallVector<unsigned> issueOrder;
  /// Per item: the items on other streams it must wait for, after removing
  /// edges that stream order and other waits already imply.
  llvm::SmallVector<llvm::SmallVector<unsigned, 2>> waits;
  /// Per item: every dependency including memory-bound edges.
  llvm::SmallVector<llvm::SmallVector<unsigned, 4>> deps;
  /// Simulated start and finish times.
  llvm::SmallVector<double> start, finish;
  double makespan = 0;
  unsigned numStreams = 1;
};

/// Schedules `items`. `maxLiveBlocks` (>= 2) bounds how many recomputes'
/// outputs are alive at once under PaReprop.
StreamSchedule scheduleWork(llvm::ArrayRef<WorkItem> items,
                            SchedulePolicy policy, unsigned maxLiveBlocks = 2);

} // namespace pareprop

#endif
