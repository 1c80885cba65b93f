//===- VjpSplit.h - a VJP cut into input- and parameter-gradient parts -*- C++ -*-===//
//
// The backward of a reversible chain is a chain of input gradients (dX of
// block k feeds block k-1); the parameter gradients (dW) hang off it and
// nothing downstream waits for them. Cutting each coupling VJP into the two
// parts lets the scheduler run dW beside the next block's dX.
//
//===----------------------------------------------------------------------===//
#ifndef PAREPROP_DIALECT_REV_TRANSFORMS_VJPSPLIT_H
#define PAREPROP_DIALECT_REV_TRANSFORMS_VJPSPLIT_H

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/SymbolTable.h"
#include "llvm/ADT/SmallVector.h"

namespace pareprop {

/// A VJP `(x, params..., saved..., dy) -> (dx, dparams...)` as two
/// functions. `dx` computes the input gradient and the values ("cuts") that
/// both parts need; `dw` computes the parameter gradients from those.
struct VjpSplit {
  /// `(vjp args at dxArgs...) -> (dx, cuts...)`.
  mlir::func::FuncOp dx;
  llvm::SmallVector<unsigned> dxArgs;
  /// `(vjp args at dwArgs..., cuts...) -> (dparams...)`. Null when the
  /// parameter gradients need no work beyond the input gradient's (no
  /// parameters, or each parameter gradient is a value the input gradient
  /// computes anyway): `dx` is then the VJP itself and its cuts are the
  /// parameter gradients.
  mlir::func::FuncOp dw;
  llvm::SmallVector<unsigned> dwArgs;
  unsigned numCuts = 0;
};

/// Returns the split of `vjp`, creating `@<vjp>_dx` and `@<vjp>_dw` next to
/// it the first time (they record their argument selection in
/// `rev.split_args`, so a later call finds them). No work is duplicated:
/// each op of the VJP lands in exactly one part, except operand-free
/// constants and reshapes (views, rebuilt rather than passed, which would
/// cost a copy), which may be in both. Fails with a diagnostic when `vjp` is
/// not a single-block function returning at least the input gradient, or
/// when the parts' names are taken.
mlir::FailureOr<VjpSplit> getOrCreateVjpSplit(mlir::func::FuncOp vjp,
                                              mlir::SymbolTable &symbols);

} // namespace pareprop

#endif
