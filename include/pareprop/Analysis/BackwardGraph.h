//===- BackwardGraph.h - the work of a training step as a DAG ---*- C++ -*-===//
//
// Plain C++ (no IR; the kinds of work are the rev dialect's TaskKind): the
// nodes of a training step (forward, recompute, gradient, ordinary backprop,
// parameter-gradient work), the values they pass and the edges between them.
// Built from IR by buildBackwardGraph (BackwardGraphBuilder.h), or directly by
// tests and benchmarks.
//
//===----------------------------------------------------------------------===//
#ifndef PAREPROP_ANALYSIS_BACKWARDGRAPH_H
#define PAREPROP_ANALYSIS_BACKWARDGRAPH_H

#include "pareprop/Analysis/TargetDescription.h"
#include "pareprop/Dialect/Rev/IR/RevEnums.h"

#include "llvm/ADT/SmallVector.h"
#include "llvm/ADT/StringRef.h"
#include "llvm/Support/raw_ostream.h"
#include <optional>
#include <string>
#include <vector>

namespace pareprop {

/// The kinds of work (forward, recompute, checkpoint, grad, param-grad,
/// backprop): the rev dialect's TaskKind, so a node's kind is the kind of
/// the task it becomes (RevEnums.td documents each).
using WorkKind = rev::TaskKind;

inline llvm::StringRef stringifyWorkKind(WorkKind kind) {
  return rev::stringifyTaskKind(kind);
}
inline std::optional<WorkKind> parseWorkKind(llvm::StringRef name) {
  return rev::symbolizeTaskKind(name);
}

/// A tensor one node makes and others read.
struct WorkValue {
  unsigned producer = 0;
  int64_t bytes = 0;
  /// F/G internals of a recompute (as opposed to rebuilt block inputs).
  bool internals = false;
  /// Returned by the step: alive until the end.
  bool returned = false;
  llvm::SmallVector<unsigned, 2> readers;
};

struct WorkNode {
  WorkKind kind = WorkKind::Forward;
  /// Index of the reversible block in forward order, or -1.
  int64_t block = -1;
  /// Kernels (ops) it runs and their work; `seconds` is filled by
  /// assignCosts from a target description.
  llvm::SmallVector<OpWork, 4> kernels;
  double seconds = 0;
  /// Units of the device it occupies while it runs (max over kernels).
  double units = 1;
  /// The same when it is scheduled to run alone (see runsAlone): large
  /// products spread over more units. aloneSeconds 0: as `seconds`.
  double aloneSeconds = 0;
  double aloneUnits = 1;
  /// Memory its kernels hold only while it runs.
  int64_t transientBytes = 0;
  /// Data edges: earlier nodes whose values it reads.
  llvm::SmallVector<unsigned, 4> deps;
};

struct BackwardGraph {
  /// Nodes in program order (a topological order).
  std::vector<WorkNode> nodes;
  std::vector<WorkValue> values;

  unsigned addNode(WorkKind kind, int64_t block = -1);
  /// A value made by `producer`, read by `readers` (all later nodes); adds
  /// the data edges.
  unsigned addValue(unsigned producer, int64_t bytes,
                    llvm::ArrayRef<unsigned> readers, bool internals = false,
                    bool returned = false);
  void addEdge(unsigned from, unsigned to);

  /// Fills seconds and units of every node from `target`.
  void assignCosts(const TargetDescription &target);
  /// The sum of all nodes' seconds: one stream's time without contention.
  double serialSeconds() const;
  /// Recompute nodes in program order.
  llvm::SmallVector<unsigned> recomputes() const;
};

struct StreamSchedule;

/// Graphviz DOT: nodes labelled with kind and block, data edges solid; with a
/// schedule, nodes are grouped per stream, memory-window edges dashed and the
/// waits the schedule keeps bold.
void printDot(llvm::raw_ostream &os, const BackwardGraph &graph,
              const StreamSchedule *schedule = nullptr,
              llvm::StringRef name = "backward");

} // namespace pareprop

#endif
