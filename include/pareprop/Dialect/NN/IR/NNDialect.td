#ifndef PAREPROP_DIALECT_NN_IR_NNDIALECT
#define PAREPROP_DIALECT_NN_IR_NNDIALECT

include "mlir/IR/OpBase.td"

def NN_Dialect : Dialect {
  let name = "nn";
  let summary = "Differentiable tensor operations used inside reversible blocks";
  let description = [{
    The `nn` dialect holds the tensor math that the bodies of the F and G
    functions of reversible blocks (and the code around a reversible stack)
    are written in: matmul, broadcasting elementwise arithmetic, activations
    and reductions, with value semantics on statically shaped ranked tensors
    of floating-point elements. Every op carries a reverse-mode gradient rule
    (`DifferentiableOpInterface`); the `*_grad`, `broadcast` and `reduce_to`
    ops exist so that gradients stay compact, fused-friendly ops instead of
    long chains of primitives. `convert-nn-to-linalg` lowers the dialect to
    linalg on tensors.
  }];
  let cppNamespace = "::pareprop::nn";
  let useDefaultAttributePrinterParser = 1;
  let hasOperationAttrVerify = 1;
  let extraClassDeclaration = [{
    /// The discardable attribute naming a matrix product (a
    /// ContractionAttr on a linalg.generic).
    static constexpr llvm::StringLiteral kContractionAttr = "nn.contraction";

  private:
    void registerAttributes();
  }];
}

#endif
