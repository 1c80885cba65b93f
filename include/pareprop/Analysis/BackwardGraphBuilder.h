//===- BackwardGraphBuilder.h - a training step's IR as a BackwardGraph -*- C++ -*-===//
#ifndef PAREPROP_ANALYSIS_BACKWARDGRAPHBUILDER_H
#define PAREPROP_ANALYSIS_BACKWARDGRAPHBUILDER_H

#include "pareprop/Analysis/BackwardGraph.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "llvm/ADT/DenseMap.h"

namespace pareprop {

struct StepGraph {
  BackwardGraph graph;
  /// The ops of each node, in program order.
  std::vector<llvm::SmallVector<mlir::Operation *>> groups;
  /// The results of each node's ops that other nodes read or the step
  /// returns, in op and result order (the node's `values`).
  std::vector<llvm::SmallVector<mlir::Value>> escaping;
};

/// Operand-free constants stay outside the graph (and outside tasks).
bool staysOutsideTasks(mlir::Operation &op);

/// The index, in forward order, of the reversible block that each
/// rev.block, rev.recompute and rev.grad of `body` works on. A rev.grad whose
/// inputs come from the forward (stored mode) has none.
llvm::DenseMap<mlir::Operation *, int64_t>
reversibleBlockIndices(mlir::Block &body);

/// Builds the graph of an unscheduled training step (a single block). At
/// block granularity every rev.block, rev.recompute and rev.grad is a node of
/// its own; runs of other ops between them are one node each, split where
/// the forward (ops the loss depends on) gives way to the backward. Ops that
/// carry a `rev.work` attribute (op granularity) are grouped by it instead.
mlir::FailureOr<StepGraph> buildBackwardGraph(mlir::func::FuncOp step);

} // namespace pareprop

#endif
