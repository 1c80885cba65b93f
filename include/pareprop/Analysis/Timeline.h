//===- Timeline.h - Chrome trace / Perfetto timelines -----------*- C++ -*-===//
//
// One format for predicted timelines (from the simulation) and measured ones
// (from pareprop-run), so the two open side by side in Perfetto or
// chrome://tracing: one track per stream, every event with args `kind`,
// `block` and `stream`.
//
//===----------------------------------------------------------------------===//
#ifndef PAREPROP_ANALYSIS_TIMELINE_H
#define PAREPROP_ANALYSIS_TIMELINE_H

#include "llvm/ADT/ArrayRef.h"
#include "llvm/ADT/StringRef.h"
#include "llvm/Support/raw_ostream.h"
#include <string>
#include <utility>
#include <vector>

namespace pareprop {

struct BackwardGraph;
struct StreamSchedule;

struct TimelineEvent {
  /// Kind of work ("forward", "recompute", "grad", ...), block index or -1.
  std::string kind;
  int64_t block = -1;
  unsigned stream = 0;
  /// Seconds from the start of the step.
  double start = 0, duration = 0;
};

/// The simulated timeline of `schedule`.
std::vector<TimelineEvent> predictedTimeline(const BackwardGraph &graph,
                                             const StreamSchedule &schedule);

/// Writes Chrome trace JSON ("X" events in microseconds, a named track per
/// stream). `title` names the process; `metadata` goes to "otherData".
void writeChromeTrace(
    llvm::raw_ostream &os, llvm::ArrayRef<TimelineEvent> events,
    llvm::StringRef title,
    llvm::ArrayRef<std::pair<std::string, std::string>> metadata = {});

} // namespace pareprop

#endif
