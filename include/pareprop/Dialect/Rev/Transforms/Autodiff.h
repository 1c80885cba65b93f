//===- Autodiff.h - reverse-mode differentiation ----------------*- C++ -*-===//
//
// The reverse sweep shared by function differentiation (F and G of coupling
// blocks) and training-step construction. Gradient rules come from
// DifferentiableOpInterface, so any dialect can plug in.
//
//===----------------------------------------------------------------------===//
#ifndef PAREPROP_DIALECT_REV_TRANSFORMS_AUTODIFF_H
#define PAREPROP_DIALECT_REV_TRANSFORMS_AUTODIFF_H

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/SymbolTable.h"
#include "llvm/ADT/DenseMap.h"
#include "llvm/ADT/DenseSet.h"
#include <functional>

namespace pareprop {

/// Whether values of `type` carry gradients: floats and shaped types of
/// floats. Others (integer random keys) are never active.
bool isDifferentiableType(mlir::Type type);

/// Gradients accumulated per primal value; contributions are summed with
/// nn.add.
class Adjoints {
public:
  /// The accumulated gradient of `v`, or null.
  mlir::Value lookup(mlir::Value v) const { return grads.lookup(v); }
  /// Adds `grad` to the gradient of `v` (ignored when `grad` is null or `v`
  /// is not differentiable).
  void accumulate(mlir::OpBuilder &b, mlir::Location loc, mlir::Value v,
                  mlir::Value grad);
  /// The gradient of `v`, or a zero tensor of its type.
  mlir::Value lookupOrZero(mlir::OpBuilder &b, mlir::Location loc,
                           mlir::Value v);

private:
  llvm::DenseMap<mlir::Value, mlir::Value> grads;
};

/// Ops of `block` that depend on one of `sources` and influence one of
/// `sinks`: the only ops a reverse sweep visits.
llvm::DenseSet<mlir::Operation *> computeActiveOps(mlir::Block &block,
                                                   mlir::ValueRange sources,
                                                   mlir::ValueRange sinks);

/// Emits the reverse sweep over `ops` (given in forward order) at `b`'s
/// insertion point. `primal` maps a forward value to the value the backward
/// must read instead (identity when the forward value is still available).
/// `custom` may handle an op itself (returns true) before the generic rule
/// lookup. Inactive ops and ops whose results have no gradient are skipped;
/// an active op with no rule is an error naming it.
mlir::LogicalResult reverseSweep(
    mlir::OpBuilder &b, llvm::ArrayRef<mlir::Operation *> ops,
    const llvm::DenseSet<mlir::Operation *> &active, Adjoints &adjoints,
    const std::function<mlir::Value(mlir::Value)> &primal,
    const std::function<mlir::FailureOr<bool>(mlir::Operation *)> &custom);

/// Erases side-effect-free ops whose results are unused (gradient rules emit
/// gradients for every operand, including ones nobody asked for).
void eraseDeadOps(mlir::Block &block);

/// The two functions derived from a coupling function F(x, params...) -> y.
struct CouplingDerivatives {
  /// (x, params...) -> (y, saved...): F plus the internals its VJP reads.
  mlir::func::FuncOp forward;
  /// (x, params..., saved..., dy) -> (dx, dparams...).
  mlir::func::FuncOp vjp;
};

/// Returns `@<F>__fwd` and `@<F>__vjp`, creating them next to `fn` the first
/// time: every block that shares F shares them.
mlir::FailureOr<CouplingDerivatives>
getOrCreateCouplingDerivatives(mlir::func::FuncOp fn,
                               mlir::SymbolTable &symbols);

} // namespace pareprop

#endif
