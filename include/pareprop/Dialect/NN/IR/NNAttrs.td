#ifndef PAREPROP_DIALECT_NN_IR_NNATTRS
#define PAREPROP_DIALECT_NN_IR_NNATTRS

include "pareprop/Dialect/NN/IR/NNDialect.td"
include "mlir/IR/AttrTypeBase.td"

def NN_ContractionAttr : AttrDef<NN_Dialect, "Contraction"> {
  let mnemonic = "contraction";
  let summary = "Marks a linalg.generic as the matrix product of an nn op";
  let description = [{
    `convert-nn-to-linalg` lowers `nn.matmul` and `nn.linear` to a
    `linalg.generic` computing `C += op(A) op(B)` (batched over C's leading
    dimensions) and tags it `nn.contraction = #nn.contraction<...>`, saying
    which operand is stored transposed. Later stages rely on the tag alone:
    `pareprop-contractions-to-runtime` turns tagged products into calls of
    the target's GEMM (BLAS or cuBLAS) and `pareprop-fuse-elementwise-kernels`
    never fuses into or out of one. The `nn` dialect verifies the tag: it
    sits on a `linalg.generic` with two inputs, one output and a reduction
    loop.

    ```mlir
    linalg.generic {...} ins(%x, %w : ...) outs(%y : ...)
        attrs = {nn.contraction = #nn.contraction<transpose_rhs = true>} {...}
    ```
  }];
  let parameters = (ins
    DefaultValuedParameter<"bool", "false",
                           "the left operand is stored transposed">:$transpose_lhs,
    DefaultValuedParameter<"bool", "false",
                           "the right operand is stored transposed">:$transpose_rhs);
  let assemblyFormat = "`<` struct(params) `>`";
  let extraClassDeclaration = [{
    /// The runtime GEMM calls' layout bits: 1 for a transposed left operand,
    /// 2 for a transposed right one.
    int64_t getLayoutFlags() const {
      return (getTransposeLhs() ? 1 : 0) | (getTransposeRhs() ? 2 : 0);
    }
  }];
}

#endif
