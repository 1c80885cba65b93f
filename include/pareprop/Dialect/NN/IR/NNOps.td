#ifndef PAREPROP_DIALECT_NN_IR_NNOPS
#define PAREPROP_DIALECT_NN_IR_NNOPS

include "pareprop/Dialect/NN/IR/NNDialect.td"
include "pareprop/Dialect/NN/IR/NNAttrs.td"
include "pareprop/Interfaces/DifferentiableOpInterface.td"
include "pareprop/Interfaces/KernelCostOpInterface.td"
include "mlir/IR/OpBase.td"
include "mlir/IR/CommonAttrConstraints.td"
include "mlir/Interfaces/InferTypeOpInterface.td"
include "mlir/Interfaces/SideEffectInterfaces.td"

def NN_FloatTensor : RankedTensorOf<[AnyFloat]>;
/// Token ids and class labels (PyTorch's `long`).
def NN_IndexTensor : RankedTensorOf<[I64]>;
/// What layout ops move: activations, or ids and labels being sliced or
/// concatenated (only the floating-point ones are ever differentiated).
def NN_AnyTensor : RankedTensorOf<[AnyFloat, AnySignlessInteger]>;

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
    InferTypeOpInterface>, DeclareOpInterfaceMethods<KernelCostOpInterface>]> {
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
    InferTypeOpInterface>, DeclareOpInterfaceMethods<KernelCostOpInterface>]> {
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
    DeclareOpInterfaceMethods<InferTypeOpInterface>, DeclareOpInterfaceMethods<KernelCostOpInterface>,
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

def NN_SoftmaxOp : NN_Differentiable<"softmax", [SameOperandsAndResultType,
    DeclareOpInterfaceMethods<KernelCostOpInterface>]> {
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
    [batch, seq, heads, head_dim]` to split attention heads, or `[batch,
    seq] -> [batch * seq]` to flatten class labels (integer tensors are
    reshaped like any other; they are never differentiated).
  }];
  let arguments = (ins NN_AnyTensor:$input);
  let results = (outs NN_AnyTensor:$result);
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

def NN_SliceOp : NN_Differentiable<"slice", [
    DeclareOpInterfaceMethods<InferTypeOpInterface>, DeclareOpInterfaceMethods<KernelCostOpInterface>]> {
  let summary = "static box of a tensor, unit strides";
  let description = [{
    `result[i...] = input[offsets + i...]` with `result` of shape `sizes`:
    PyTorch's basic slicing with step 1 (`x[:, 2:5]`), `narrow`, and each
    piece of `chunk` / `split` / `unbind` (followed by an `nn.reshape` to
    drop the unit dimension for `unbind`). `offsets` and `sizes` have one
    entry per dimension; `0 <= offset`, `1 <= size` and `offset + size <=
    dim`. The gradient is `nn.slice_grad` (dy padded with zeros). Integer
    tensors (ids, labels) may be sliced too; they are never differentiated.
  }];
  let arguments = (ins NN_AnyTensor:$input, DenseI64ArrayAttr:$offsets,
                       DenseI64ArrayAttr:$sizes);
  let results = (outs NN_AnyTensor:$result);
  let assemblyFormat = [{
    $input `offsets` $offsets `sizes` $sizes attr-dict `:` type($input)
  }];
}

def NN_ConcatOp : NN_Differentiable<"concat", [
    DeclareOpInterfaceMethods<InferTypeOpInterface>]> {
  let summary = "join tensors along one dimension";
  let description = [{
    PyTorch's `cat`: one or more operands of the same rank and element type
    whose sizes agree in every dimension but `dim` (`0 <= dim < rank`); the
    result's `dim` is the sum of theirs. The gradient of each operand is the
    `nn.slice` of the result gradient at its place.
  }];
  let arguments = (ins Variadic<NN_AnyTensor>:$inputs, I64Attr:$dim);
  let results = (outs NN_AnyTensor:$result);
  let assemblyFormat = "$inputs `dim` $dim attr-dict `:` type($inputs)";
}

//===----------------------------------------------------------------------===//
// Index ops: embedding lookup and cross-entropy against class labels.
//===----------------------------------------------------------------------===//

def NN_EmbeddingOp : NN_Differentiable<"embedding", [
    DeclareOpInterfaceMethods<InferTypeOpInterface>, DeclareOpInterfaceMethods<KernelCostOpInterface>]> {
  let summary = "gather rows of a table by integer ids";
  let description = [{
    `result[i..., d] = table[ids[i...], d]`: PyTorch's `nn.Embedding` /
    `F.embedding` (no `padding_idx`, `max_norm` or sparse gradient). `ids`
    is an `i64` tensor of any rank, `table` is `[V, D]`, and the result is
    `ids`' shape followed by `D`.

    Out-of-range ids: PyTorch raises an error. Training steps check ids
    that come from their arguments before they run (rev-add-index-checks),
    and stop with an error naming the argument, position and value. Inside
    the op an id is clamped to `[0, V - 1]` (the row read, and the row its
    gradient goes to, is the clamped one), so an id computed in the model,
    which no check sees, can never touch memory outside the table.

    Only `table` gets a gradient (`nn.embedding_grad`, which sums the rows
    of dy into the rows their ids name); the rule reads `ids` alone, so the
    forward keeps no activation for it.
  }];
  let arguments = (ins NN_IndexTensor:$ids, NN_FloatTensor:$table);
  let results = (outs NN_FloatTensor:$result);
  let assemblyFormat = [{
    $ids `,` $table attr-dict `:` type($ids) `,` type($table)
  }];
}

def NN_CrossEntropyOp : NN_Differentiable<"cross_entropy", [
    DeclareOpInterfaceMethods<InferTypeOpInterface>, DeclareOpInterfaceMethods<KernelCostOpInterface>]> {
  let summary = "mean negative log-likelihood of class labels under softmax";
  let description = [{
    `result = mean_n (logsumexp(logits[n, :]) - logits[n, labels[n]])`,
    PyTorch's `F.cross_entropy(logits, labels)` with the default
    `reduction = "mean"` and no class weights or label smoothing. `logits`
    is `[N, C]`, `labels` is `[N]` of `i64`, and the result is rank 0. The
    log-sum-exp subtracts the row maximum, so large logits do not overflow.

    A row whose label is `ignore_index` (PyTorch's default -100) counts
    neither in the sum nor in the number of rows the mean divides by, as in
    PyTorch; when every row is ignored the result is 0/0 (NaN), as in
    PyTorch. Any other label outside `[0, C)` selects no class: its row
    contributes its log-sum-exp alone (and the gradient `softmax` without
    the one-hot term). Training steps check their labels before they run
    (see rev-add-index-checks), so such a label stops the step with an
    error instead.

    Only `logits` gets a gradient (`nn.cross_entropy_grad`), from the saved
    logits and labels.
  }];
  let arguments = (ins NN_FloatTensor:$logits, NN_IndexTensor:$labels,
                       DefaultValuedAttr<I64Attr, "-100">:$ignore_index);
  let results = (outs NN_FloatTensor:$result);
  let assemblyFormat = [{
    $logits `,` $labels attr-dict `:` type($logits) `,` type($labels)
  }];
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

def NN_SliceGradOp : NN_Op<"slice_grad"> {
  let summary = "zeros with a tensor written at static offsets";
  let description = [{
    The adjoint of `nn.slice`: `result` is zero except for the box at
    `offsets` of `grad`'s shape, which holds `grad`. Ranks and element
    types agree, and the box fits: `0 <= offset` and `offset + grad dim <=
    result dim`.
  }];
  let arguments = (ins NN_FloatTensor:$grad, DenseI64ArrayAttr:$offsets);
  let results = (outs NN_FloatTensor:$result);
  let assemblyFormat = [{
    $grad `offsets` $offsets attr-dict `:` type($grad) `->` type($result)
  }];
  let hasVerifier = 1;
}

def NN_EmbeddingGradOp : NN_Op<"embedding_grad", [DeclareOpInterfaceMethods<KernelCostOpInterface>]> {
  let summary = "scatter-add of row gradients into a table";
  let description = [{
    The adjoint of `nn.embedding` for its table: `result[v, d] = sum over i
    with clamp(ids[i]) = v of grad[i, d]`, so repeated ids accumulate.
    `grad` has `ids`' shape followed by `D`, the result is `[V, D]` (ids
    are clamped to `[0, V - 1]` like the forward's). It lowers to a loop
    over the ids adding one row each: O(tokens x D) work after zeroing the
    table-sized result.
  }];
  let arguments = (ins NN_IndexTensor:$ids, NN_FloatTensor:$grad);
  let results = (outs NN_FloatTensor:$result);
  let assemblyFormat = [{
    $ids `,` $grad attr-dict `:` type($ids) `,` type($grad) `->` type($result)
  }];
  let hasVerifier = 1;
}

def NN_CrossEntropyGradOp : NN_Op<"cross_entropy_grad", [
    AllTypesMatch<["logits", "result"]>, DeclareOpInterfaceMethods<KernelCostOpInterface>]> {
  let summary = "gradient of nn.cross_entropy for its logits";
  let description = [{
    `result[n, c] = (softmax(logits)[n, c] - (c == labels[n])) * dloss / M`
    with `dloss` the rank-0 gradient of the loss and `M` the number of rows
    whose label is not `ignore_index`; the rows of ignored labels get 0.
  }];
  let arguments = (ins NN_FloatTensor:$logits, NN_IndexTensor:$labels,
                       NN_FloatTensor:$dloss,
                       DefaultValuedAttr<I64Attr, "-100">:$ignore_index);
  let results = (outs NN_FloatTensor:$result);
  let assemblyFormat = [{
    $logits `,` $labels `,` $dloss attr-dict `:` type($logits) `,`
    type($labels) `,` type($dloss)
  }];
  let hasVerifier = 1;
}

#endif
