//===- CostModel.h - per-op work for scheduling -----------------*- C++ -*-===//
#ifndef PAREPROP_ANALYSIS_COSTMODEL_H
#define PAREPROP_ANALYSIS_COSTMODEL_H

#include "pareprop/Analysis/TargetDescription.h"

#include "mlir/IR/Operation.h"
#include "mlir/IR/SymbolTable.h"
#include "llvm/ADT/DenseMap.h"
#include "llvm/ADT/SmallVector.h"

namespace pareprop {

/// Bytes of a statically shaped tensor or memref (0 for anything else).
int64_t bytesOf(mlir::Type type);

/// The kernels an op runs after lowering, with their FLOPs (2mnk per matmul,
/// one per element for elementwise ops and reductions) and the bytes they
/// read and write. Calls and coupling ops contribute their callees' kernels
/// (memoized per function).
class OpCostModel {
public:
  explicit OpCostModel(mlir::Operation *symbolTableOp)
      : symbolTableOp(symbolTableOp) {}

  struct Work {
    llvm::SmallVector<OpWork, 8> kernels;
    /// Bytes of every tensor made while it runs, callees included.
    int64_t allocatedBytes = 0;
  };

  /// Adds the work of `op` to `work`.
  void add(mlir::Operation *op, Work &work);

private:
  const Work &functionWork(llvm::StringRef name);

  mlir::Operation *symbolTableOp;
  mlir::SymbolTableCollection symbols;
  llvm::DenseMap<mlir::Operation *, Work> perFunction;
};

} // namespace pareprop

#endif
