//===- StreamSchedule.h - assigning a training step's work to streams -*- C++ -*-===//
//
// Plain C++ (no IR): the scheduling policies, the synchronization they need,
// the discrete-event simulation that predicts a schedule's step time, and
// the memory model that predicts its peak. rev-schedule-backward applies the
// result to IR; tests and benchmarks call it directly.
//
//===----------------------------------------------------------------------===//
#ifndef PAREPROP_ANALYSIS_STREAMSCHEDULE_H
#define PAREPROP_ANALYSIS_STREAMSCHEDULE_H

#include "pareprop/Analysis/BackwardGraph.h"
#include "pareprop/Dialect/Rev/IR/RevEnums.h"

#include "llvm/ADT/ArrayRef.h"
#include "llvm/ADT/SmallVector.h"
#include "llvm/ADT/StringRef.h"
#include "llvm/Support/Error.h"
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace pareprop {

/// The scheduling policies (vanilla, pareprop, list, auto): the rev
/// dialect's SchedulePolicyKind (RevEnums.td documents each).
using PolicyKind = rev::SchedulePolicyKind;

struct SchedulePolicy {
  PolicyKind kind = PolicyKind::PaReprop;
  /// PaReprop and List: how many blocks ahead of the gradient the recompute
  /// may run. The internals of at most lookahead + 1 blocks are alive.
  unsigned lookahead = 1;
  /// List: streams to fill.
  unsigned streams = 2;

  /// "vanilla", "pareprop", "pareprop(lookahead=2)", "list(streams=3)", ...
  std::string str() const;
  bool operator==(const SchedulePolicy &o) const {
    return kind == o.kind && lookahead == o.lookahead && streams == o.streams;
  }
};

inline std::optional<PolicyKind> parsePolicyKind(llvm::StringRef name) {
  return rev::symbolizeSchedulePolicyKind(name);
}
inline llvm::StringRef stringifyPolicyKind(PolicyKind kind) {
  return rev::stringifySchedulePolicyKind(kind);
}

struct StreamSchedule {
  SchedulePolicy policy;
  unsigned numStreams = 1;
  /// Per node: its stream.
  llvm::SmallVector<unsigned> stream;
  /// Nodes in issue order: a topological order in which each stream's nodes
  /// appear in the order that stream runs them.
  llvm::SmallVector<unsigned> issueOrder;
  /// Per node: every dependency, data and memory-window edges.
  std::vector<llvm::SmallVector<unsigned, 4>> deps;
  /// (from, to): the memory-window edges among `deps`.
  std::vector<std::pair<unsigned, unsigned>> memoryEdges;
  /// Per node: the waits on other streams that remain once those implied by
  /// stream order and other waits are removed.
  std::vector<llvm::SmallVector<unsigned, 2>> waits;
  /// Predicted by simulate(): start and finish of each node, step time, and
  /// peak bytes of live activations, internals and gradients.
  llvm::SmallVector<double> start, finish;
  double makespan = 0;
  int64_t peakBytes = 0;
};

/// Whether `node` runs with nothing of another stream beside it, so that the
/// runtime lets it use more units (TargetDescription::splitUnits): every node
/// of a one-stream schedule, and forward nodes (the backward waits for the
/// loss). convert-rev-to-async applies the same rule.
bool runsAlone(const BackwardGraph &graph, const StreamSchedule &schedule,
               unsigned node);

/// Streams, order, memory-window edges and waits for `policy` (not Auto),
/// then simulate() for times and the peak.
StreamSchedule scheduleGraph(const BackwardGraph &graph,
                             const SchedulePolicy &policy,
                             const TargetDescription &target);

/// Discrete-event simulation: each stream runs its nodes in order, a node
/// starts once its dependencies finished and a worker is free; running nodes
/// share compute units and slow each other by the target's contention.
/// Fills start, finish, makespan and peakBytes; re-sorts issueOrder by start.
void simulate(const BackwardGraph &graph, const TargetDescription &target,
              StreamSchedule &schedule);

/// Peak of live bytes: a value lives from its producer's start until its last
/// reader finishes (returned values until the end); a node's transient bytes
/// while it runs.
int64_t predictPeakBytes(const BackwardGraph &graph,
                         const StreamSchedule &schedule);

/// Computes `waits` from stream, issueOrder and deps with vector clocks: a
/// dependency is dropped when the stream order or a kept wait already orders
/// it. Linear in nodes times streams squared.
void reduceWaits(StreamSchedule &schedule);

/// What the user asked for: a policy (maybe Auto) and a memory budget.
struct ScheduleRequest {
  SchedulePolicy policy;
  std::optional<int64_t> memoryBudget;
  /// Auto: the most streams and lookahead it tries.
  unsigned maxStreams = 4;
  unsigned maxLookahead = 3;
};

struct ScheduleChoice {
  StreamSchedule schedule;
  /// Every candidate considered: policy, predicted time and peak.
  struct Candidate {
    SchedulePolicy policy;
    double makespan;
    int64_t peakBytes;
    bool fits;
  };
  std::vector<Candidate> candidates;
  /// Set when the budget made the choice differ from the request.
  std::string remark;
};

/// Schedules `graph` as requested. A fixed policy that does not fit the
/// budget falls back to smaller lookaheads, then vanilla (with a remark);
/// when nothing fits, the error states the least memory needed.
llvm::Expected<ScheduleChoice> chooseSchedule(const BackwardGraph &graph,
                                              const TargetDescription &target,
                                              const ScheduleRequest &request);

/// Parses "123", "64KiB", "1.5MiB", "2GiB" (also KB/MB/GB as powers of 1000).
std::optional<int64_t> parseByteSize(llvm::StringRef text);

} // namespace pareprop

#endif
