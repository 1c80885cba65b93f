//===- TaskOrder.h - order and buffer lifetimes of rev.tasks ----*- C++ -*-===//
//
// The order that a scheduled step's rev.tasks guarantee (tasks of one stream
// run in program order, a task also waits for its `after` tokens), and where
// each task result can be freed once all its readers are done. Both the
// async (CPU) and the GPU lowering free task results by this plan.
//
//===----------------------------------------------------------------------===//
#ifndef PAREPROP_ANALYSIS_TASKORDER_H
#define PAREPROP_ANALYSIS_TASKORDER_H

#include "pareprop/Dialect/Rev/IR/RevOps.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "llvm/ADT/BitVector.h"
#include "llvm/ADT/MapVector.h"

namespace pareprop {

class TaskOrder {
public:
  /// The tasks of `step`'s entry block, in program order.
  explicit TaskOrder(mlir::func::FuncOp step);

  llvm::ArrayRef<rev::TaskOp> tasks() const { return taskList; }
  unsigned indexOf(rev::TaskOp task) const { return taskIndex.lookup(task); }
  /// Whether task `before` finishes before task `after` starts.
  bool happensBefore(unsigned before, unsigned after) const {
    return predecessors[after].test(before);
  }

  /// For every tensor result of a task that no code outside the tasks reads
  /// (returned values belong to the caller): the index of the first task
  /// that runs after all its readers, in which it can be freed (the
  /// producing task itself when nothing reads it), or -1 when no task does
  /// (it is freed after the final awaits). In program order of the results.
  llvm::MapVector<mlir::Value, int> planFrees() const;

private:
  llvm::SmallVector<rev::TaskOp> taskList;
  llvm::DenseMap<mlir::Operation *, unsigned> taskIndex;
  /// predecessors[i]: tasks that finish before task i starts.
  llvm::SmallVector<llvm::BitVector> predecessors;
};

} // namespace pareprop

#endif
