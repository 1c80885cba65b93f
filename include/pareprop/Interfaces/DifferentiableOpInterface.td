#ifndef PAREPROP_INTERFACES_DIFFERENTIABLEOPINTERFACE
#define PAREPROP_INTERFACES_DIFFERENTIABLEOPINTERFACE

include "mlir/IR/OpBase.td"

def DifferentiableOpInterface : OpInterface<"DifferentiableOpInterface"> {
  let description = [{
    A reverse-mode gradient rule (vector-Jacobian product) for an op on
    tensors. The autodiff engine of PaReprop calls it for every op on the path
    from a function's differentiable arguments to its results.

    A rule states which primal values it needs (`vjpNeedsOperand`,
    `vjpNeedsResult`): only those are saved by the forward, so a rule that
    needs nothing makes the forward keep nothing. `buildVJP` receives the
    primal operands and results it asked for (the others are null) and the
    gradients of the results (null when a result does not influence the
    output), and appends one gradient per operand (null where the operand
    gets none). Any dialect can attach this interface to its ops as an
    external model to make them differentiable.
  }];
  let cppNamespace = "::pareprop";
  let methods = [
    InterfaceMethod<"Whether the rule needs primal operand `index`.",
      "bool", "vjpNeedsOperand", (ins "unsigned":$index)>,
    InterfaceMethod<"Whether the rule needs primal result `index`.",
      "bool", "vjpNeedsResult", (ins "unsigned":$index)>,
    InterfaceMethod<[{
        Emit the gradient computation with `builder`. `operands` and
        `results` hold the primal values requested through vjpNeedsOperand /
        vjpNeedsResult (null otherwise); `resultGrads` holds one gradient per
        result (null if that result has none). Append exactly one value (or
        null) per operand to `operandGrads`. Returning failure must be
        preceded by an emitted diagnostic.
      }],
      "::llvm::LogicalResult", "buildVJP",
      (ins "::mlir::OpBuilder &":$builder, "::mlir::Location":$loc,
           "::mlir::ValueRange":$operands, "::mlir::ValueRange":$results,
           "::mlir::ValueRange":$resultGrads,
           "::llvm::SmallVectorImpl<::mlir::Value> &":$operandGrads)>,
  ];
}

#endif
