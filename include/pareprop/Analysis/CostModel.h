//===- CostModel.h - per-op work for scheduling -----------------*- C++ -*-===//
#ifndef PAREPROP_ANALYSIS_COSTMODEL_H
#define PAREPROP_ANALYSIS_COSTMODEL_H

#include "pareprop/Analysis/TargetDescription.h"

#include "mlir/IR/Operation.h"
#include "mlir/IR/SymbolTable.h"
#include "llvm/ADT/DenseMap.h"
#include "llvm/ADT/SmallVector.h"

namespace pareprop {

/// The kernels an op runs after lowering, with their FLOPs (2mnk per matmul,
/// one per element for elementwise ops and reductions) and the bytes they
/// read and write, as each op states them (KernelCostOpInterface). Calls
/// and coupling ops contribute their callees' kernels (memoized per
/// function).
class OpCostModel {
public:
  explicit OpCostModel(mlir::Operation *symbolTableOp)
      : symbolTableOp(symbolTableOp) {}

  struct Work {
    llvm::SmallVector<OpWork, 8> kernels;
  };

  /// Adds the work of `op` to `work`.
  void add(mlir::Operation *op, Work &work);

  /// Most bytes of tensors alive at once while `ops` run in order, when
  /// every tensor is freed after its last reader among `ops` (what
  /// ownership-based deallocation does) unless `outlives` says it is read
  /// later; callees' own peaks count while they run.
  int64_t peakLiveBytes(llvm::ArrayRef<mlir::Operation *> ops,
                        llvm::function_ref<bool(mlir::Value)> outlives);

private:
  const Work &functionWork(llvm::StringRef name);
  int64_t functionPeak(llvm::StringRef name);
  /// Peak bytes an op holds inside itself while it runs (its callees').
  int64_t innerPeak(mlir::Operation *op);

  mlir::Operation *symbolTableOp;
  mlir::SymbolTableCollection symbols;
  llvm::DenseMap<mlir::Operation *, Work> perFunction;
  llvm::DenseMap<mlir::Operation *, int64_t> peakPerFunction;
};

} // namespace pareprop

#endif
