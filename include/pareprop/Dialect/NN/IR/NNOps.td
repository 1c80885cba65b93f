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
  let summary = "matrix product, batched over leading dimensions";
  let description = [{
    `result[b..., i, j] = sum_k op(lhs)[b..., i, k] * op(rhs)[b..., k, j]`
    where `op` swaps the last two dimensions of its operand when
    `transpose_lhs` / `transpose_rhs` is set. Both operands have the same
    rank (at least 2) and the same leading (batch) dimensions: attention's
    `Q K^T` is `nn.matmul %q, %k {transpose_rhs}` on `[batch, heads, seq,
    head_dim]` tensors. The transposed forms let gradients
    (`dA = dC x B^T`, `dB = A^T x dC`) be single ops.
  }];
  let arguments = (ins NN_FloatTensor:$lhs, NN_FloatTensor:$rhs,
                       UnitAttr:$transpose_lhs, UnitAttr:$transpose_rhs);
  let results = (outs NN_FloatTensor:$result);
  let assemblyFormat = "$lhs `,` $rhs attr-dict `:` type($lhs) `,` type($rhs)";
}

def NN_LinearOp : NN_Differentiable<"linear", [DeclareOpInterfaceMethods<
    InferTypeOpInterface>]> {
  let summary = "affine map x W^T + b over the last dimension";
  let description = [{
    PyTorch's `linear`: `input` is `[..., in]`, `weight` is `[out, in]`, the
    optional `bias` is `[out]`, and the result is `[..., out]`. Every leading
    dimension of `input` is a batch dimension.
  }];
  let arguments = (ins NN_FloatTensor:$input, NN_FloatTensor:$weight,
                       Optional<NN_FloatTensor>:$bias);
  let results = (outs NN_FloatTensor:$result);
  let assemblyFormat = [{
    $input `,` $weight (`,` $bias^)? attr-dict `:` type($input) `,`
    type($weight) (`,` type($bias)^)?
  }];
}

//===----------------------------------------------------------------------===//
// Normalization and softmax.
//===----------------------------------------------------------------------===//

def NN_LayerNormOp : NN_Differentiable<"layer_norm", [
    DeclareOpInterfaceMethods<InferTypeOpInterface>,
    AllTypesMatch<["gamma", "beta"]>]> {
  let summary = "layer normalization over the last dimension, affine";
  let description = [{
    `result = (input - mean) * rstd * gamma + beta` with `mean` and
    `rstd = 1 / sqrt(var + epsilon)` (biased variance) taken over the last
    dimension, as PyTorch's `layer_norm` with `normalized_shape` the last
    dimension. `gamma` and `beta` have the last dimension's size.

    The op also returns `mean` and `rstd` (the input shape without its last
    dimension): they are what the gradient rule saves besides the input,
    a row's worth of memory instead of a second activation-sized tensor.
  }];
  let arguments = (ins NN_FloatTensor:$input, NN_FloatTensor:$gamma,
                       NN_FloatTensor:$beta,
                       DefaultValuedAttr<F64Attr, "1e-5">:$epsilon);
  let results = (outs NN_FloatTensor:$result, NN_FloatTensor:$mean,
                      NN_FloatTensor:$rstd);
  let assemblyFormat = [{
    $input `,` $gamma `,` $beta attr-dict `:` type($input) `,` type($gamma)
  }];
  let hasVerifier = 1;
}

def NN_SoftmaxOp : NN_Differentiable<"softmax", [SameOperandsAndResultType]> {
  let summary = "softmax over the last dimension";
  let description = [{
    `result = exp(x - max(x)) / sum(exp(x - max(x)))` along `dim`, which
    must be the last dimension (`-1` or `rank - 1`): attention normalizes
    scores per query row. The gradient rule reads only the result.
  }];
  let arguments = (ins NN_FloatTensor:$input, I64Attr:$dim);
  let results = (outs NN_FloatTensor:$result);
  let assemblyFormat = "$input `dim` $dim attr-dict `:` type($input)";
  let hasVerifier = 1;
}

//===----------------------------------------------------------------------===//
// Layout ops.
//===----------------------------------------------------------------------===//

def NN_ReshapeOp : NN_Differentiable<"reshape"> {
  let summary = "reinterpret a tensor with another static shape";
  let description = [{
    Row-major reshape to a result type with the same element count and
    element type, e.g. `[batch, seq, heads * head_dim] ->
    [batch, seq, heads, head_dim]` to split attention heads.
  }];
  let arguments = (ins NN_FloatTensor:$input);
  let results = (outs NN_FloatTensor:$result);
  let assemblyFormat = "$input attr-dict `:` type($input) `->` type($result)";
  let hasVerifier = 1;
}

def NN_TransposeOp : NN_Differentiable<"transpose", [
    DeclareOpInterfaceMethods<InferTypeOpInterface>]> {
  let summary = "permute dimensions";
  let description = [{
    `result` dimension `i` is `input` dimension `permutation[i]` (PyTorch's
    `permute`), e.g. `[0, 2, 1, 3]` moves heads before the sequence.
  }];
  let arguments = (ins NN_FloatTensor:$input,
                       DenseI64ArrayAttr:$permutation);
  let results = (outs NN_FloatTensor:$result);
  let assemblyFormat = "$input `perm` $permutation attr-dict `:` type($input)";
}

//===----------------------------------------------------------------------===//
// Dropout with a counter-based random number generator.
//===----------------------------------------------------------------------===//

def NN_FoldKeyOp : NN_Op<"fold_key"> {
  let summary = "derive an independent random key";
  let description = [{
    `result = mix(key + (salt + 1) * 0x9E3779B97F4A7C15)` with `mix` the
    SplitMix64 finalizer. A model derives one key per block (and per
    coupling function) from the step's seed, so each block's dropout masks
    are independent and each is a pure function of (seed, block, op,
    element).
  }];
  let arguments = (ins I64:$key, I64Attr:$salt);
  let results = (outs I64:$result);
  let assemblyFormat = "$key `,` $salt attr-dict";
}

def NN_DropoutOp : NN_Differentiable<"dropout", [
    AllTypesMatch<["input", "result"]>]> {
  let summary = "inverted dropout whose mask replays exactly";
  let description = [{
    `result = keep ? input / (1 - rate) : 0` per element, where
    `keep = (mix(base + (e + 1) * 0x9E3779B97F4A7C15) >> 40) >=
    round(rate * 2^24)`, `base = mix(key ^ ((id + 1) * 0xD1B54A32D192ED03))`,
    `e` is the row-major element index and `mix` the SplitMix64 finalizer.

    The mask is a pure function of (key, id, element): no state, no
    dependence on threads, streams or evaluation order. Recomputing a block
    reproduces the forward's mask bit for bit, and the gradient rule
    regenerates the mask instead of saving it (dropout saves nothing).
    `id` distinguishes dropout ops that share a key.
  }];
  let arguments = (ins NN_FloatTensor:$input, I64:$key, F64Attr:$rate,
                       DefaultValuedAttr<I64Attr, "0">:$id);
  let results = (outs NN_FloatTensor:$result);
  let assemblyFormat = "$input `,` $key attr-dict `:` type($input)";
  let hasVerifier = 1;
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
// Diagnostics.
//===----------------------------------------------------------------------===//

def NN_MaxAbsErrorOp : NN_Op<"max_abs_error", [
    AllTypesMatch<["value", "reference"]>]> {
  let summary = "largest absolute difference and reference magnitude";
  let description = [{
    Returns `[max |value - reference|, max |reference|]` in f64. The
    reconstruction check of `rev-build-training-step` compares each block's
    recomputed inputs with the forward's through it; the ratio of the two
    entries is the relative error.
  }];
  let arguments = (ins NN_FloatTensor:$value, NN_FloatTensor:$reference);
  let results = (outs 1DTensorOf<[F64]>:$result);
  let assemblyFormat = "$value `,` $reference attr-dict `:` type($value) `->` type($result)";
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
