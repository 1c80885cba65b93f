//===- CostModel.h - FLOP estimates for scheduling --------------*- C++ -*-===//
#ifndef PAREPROP_ANALYSIS_COSTMODEL_H
#define PAREPROP_ANALYSIS_COSTMODEL_H

#include "mlir/IR/Operation.h"
#include "mlir/IR/SymbolTable.h"
#include "llvm/ADT/DenseMap.h"

namespace pareprop {

/// Estimates the floating-point work of ops: 2mnk for a matmul, one per
/// element for elementwise ops and reductions, the callee body for calls
/// and coupling ops (memoized per function).
class FlopCostModel {
public:
  explicit FlopCostModel(mlir::Operation *symbolTableOp)
      : symbolTableOp(symbolTableOp) {}
  double estimate(mlir::Operation *op);
  double estimateFunction(llvm::StringRef name);

private:
  mlir::Operation *symbolTableOp;
  mlir::SymbolTableCollection symbols;
  llvm::DenseMap<mlir::Operation *, double> functionCost;
};

} // namespace pareprop

#endif
