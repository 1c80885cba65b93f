#ifndef PAREPROP_DIALECT_NN_IR_NNOPS
#define PAREPROP_DIALECT_NN_IR_NNOPS

include "pareprop/Dialect/NN/IR/NNDialect.td"
include "pareprop/Interfaces/DifferentiableOpInterface.td"
include "mlir/IR/OpBase.td"
include "mlir/IR/CommonAttrConstraints.td"
include "mlir/Interfaces/InferTypeOpInterface.td"
include "mlir/Interfaces/SideEffectInterfaces.td"

def NN_FloatTensor : RankedTensorOf<[AnyFloat]>;

class NN_Op<string mnemonic, list<Trait> traits = []>
    : Op<NN_Dialect, mnemonic, !listconcat(traits, [Pure])>;

class NN_Differentiable<string mnemonic, list<Trait> traits = []>
    : NN_Op<mnemonic, !listconcat(traits, [DeclareOpInterfaceMethods<
          DifferentiableOpInterface>])>;

//===----------------------------------------------------------------------===//
// Binary elementwise ops with NumPy broadcasting.
//===----------------------------------------------------------------------===//

class NN_BinaryOp<string mnemonic, string what>
    : NN_Differentiable<mnemonic, [DeclareOpInterfaceMethods<
          InferTypeOpInterface>]> {
  let summary = "elementwise " # what # " with NumPy broadcasting";
  let description = [{
    Shapes are aligned on their trailing dimensions; a missing or size-1
    dimension of one operand is broadcast along the other. Both operands have
    the same element type. A bias add is `nn.add %x, %bias` with a rank-1 bias.
  }];
  let arguments = (ins NN_FloatTensor:$lhs, NN_FloatTensor:$rhs);
  let results = (outs NN_FloatTensor:$result);
  let assemblyFormat = "$lhs `,` $rhs attr-dict `:` type($lhs) `,` type($rhs)";
}

def NN_AddOp : NN_BinaryOp<"add", "addition">;
def NN_SubOp : NN_BinaryOp<"sub", "subtraction">;
def NN_MulOp : NN_BinaryOp<"mul", "multiplication">;

//===----------------------------------------------------------------------===//
// Matmul.
//===----------------------------------------------------------------------===//

def NN_MatmulOp : NN_Differentiable<"matmul", [DeclareOpInterfaceMethods<
    InferTypeOpInterface>]> {
  let summary = "2-D matrix product with optional operand transposes";
  let description = [{
    `result = op(lhs) x op(rhs)` where `op` transposes its operand when
    `transpose_lhs` / `transpose_rhs` is set. The transposed forms let
    gradients (`dA = dC x B^T`, `dB = A^T x dC`) be single ops.
  }];
  let arguments = (ins NN_FloatTensor:$lhs, NN_FloatTensor:$rhs,
                       UnitAttr:$transpose_lhs, UnitAttr:$transpose_rhs);
  let results = (outs NN_FloatTensor:$result);
  let assemblyFormat = "$lhs `,` $rhs attr-dict `:` type($lhs) `,` type($rhs)";
}

//===----------------------------------------------------------------------===//
// Unary ops.
//===----------------------------------------------------------------------===//

class NN_UnaryOp<string mnemonic, string what, list<Trait> traits = []>
    : NN_Differentiable<mnemonic, !listconcat(traits,
          [SameOperandsAndResultType])> {
  let summary = what;
  let arguments = (ins NN_FloatTensor:$input);
  let results = (outs NN_FloatTensor:$result);
  let assemblyFormat = "$input attr-dict `:` type($input)";
}

def NN_TanhOp : NN_UnaryOp<"tanh", "elementwise hyperbolic tangent">;
def NN_ReluOp : NN_UnaryOp<"relu", "elementwise max(x, 0)">;

def NN_GeluOp : NN_Differentiable<"gelu", [SameOperandsAndResultType]> {
  let summary = "elementwise GELU";
  let description = [{
    `x * Phi(x)` with the exact (erf) form when `approximate` is "none" and
    the tanh approximation when it is "tanh", as PyTorch's `gelu`.
  }];
  let arguments = (ins NN_FloatTensor:$input,
                       DefaultValuedStrAttr<StrAttr, "none">:$approximate);
  let results = (outs NN_FloatTensor:$result);
  let assemblyFormat = "$input attr-dict `:` type($input)";
  let hasVerifier = 1;
}

def NN_ScaleOp : NN_Differentiable<"scale", [SameOperandsAndResultType]> {
  let summary = "multiplication by a compile-time constant";
  let arguments = (ins NN_FloatTensor:$input, F64Attr:$factor);
  let results = (outs NN_FloatTensor:$result);
  let assemblyFormat = "$input `by` $factor attr-dict `:` type($input)";
}

//===----------------------------------------------------------------------===//
// Reductions and shape ops.
//===----------------------------------------------------------------------===//

class NN_ReduceOp<string mnemonic, string what>
    : NN_Differentiable<mnemonic, [DeclareOpInterfaceMethods<
          InferTypeOpInterface>]> {
  let summary = what # " over the listed dimensions";
  let description = [{
    Reduces `input` over `dims` (sorted, unique, in range) and drops them
    from the result shape; reducing over every dimension gives a rank-0
    tensor (the usual form of a loss).
  }];
  let arguments = (ins NN_FloatTensor:$input, DenseI64ArrayAttr:$dims);
  let results = (outs NN_FloatTensor:$result);
  let assemblyFormat = "$input `dims` $dims attr-dict `:` type($input)";
}

def NN_SumOp : NN_ReduceOp<"sum", "sum">;
def NN_MeanOp : NN_ReduceOp<"mean", "arithmetic mean">;

def NN_BroadcastOp : NN_Differentiable<"broadcast"> {
  let summary = "insert broadcast dimensions (the adjoint of nn.sum)";
  let description = [{
    The result has the input's dimensions in order, with the result
    dimensions listed in `dims` added: `result[i...] = input[i... without
    dims]`.
  }];
  let arguments = (ins NN_FloatTensor:$input, DenseI64ArrayAttr:$dims);
  let results = (outs NN_FloatTensor:$result);
  let assemblyFormat = "$input `dims` $dims attr-dict `:` type($input) `->` type($result)";
  let hasVerifier = 1;
}

def NN_ReduceToOp : NN_Op<"reduce_to"> {
  let summary = "sum a broadcast value back to an operand shape";
  let description = [{
    The adjoint of NumPy broadcasting: sums `input` over the leading
    dimensions the result lacks and over the dimensions where the result has
    size 1 and the input does not. The result shape must broadcast to the
    input shape.
  }];
  let arguments = (ins NN_FloatTensor:$input);
  let results = (outs NN_FloatTensor:$result);
  let assemblyFormat = "$input attr-dict `:` type($input) `->` type($result)";
  let hasVerifier = 1;
}

//===----------------------------------------------------------------------===//
// Fused gradient helpers (not differentiable themselves).
//===----------------------------------------------------------------------===//

class NN_GradOp<string mnemonic, string what>
    : NN_Op<mnemonic, [SameOperandsAndResultType]> {
  let summary = what;
  let arguments = (ins NN_FloatTensor:$primal, NN_FloatTensor:$grad);
  let results = (outs NN_FloatTensor:$result);
  let assemblyFormat = "$primal `,` $grad attr-dict `:` type($result)";
}

def NN_TanhGradOp : NN_GradOp<"tanh_grad",
    "grad * (1 - y^2), from tanh's output y">;
def NN_ReluGradOp : NN_GradOp<"relu_grad",
    "grad where y > 0, else 0, from relu's output y (or input x)">;

def NN_GeluGradOp : NN_Op<"gelu_grad", [SameOperandsAndResultType]> {
  let summary = "grad * gelu'(x), from gelu's input x";
  let arguments = (ins NN_FloatTensor:$primal, NN_FloatTensor:$grad,
                       DefaultValuedStrAttr<StrAttr, "none">:$approximate);
  let results = (outs NN_FloatTensor:$result);
  let assemblyFormat = "$primal `,` $grad attr-dict `:` type($result)";
  let hasVerifier = 1;
}

#endif
