#ifndef PAREPROP_DIALECT_REV_IR_REVOPS
#define PAREPROP_DIALECT_REV_IR_REVOPS

include "pareprop/Dialect/Rev/IR/RevDialect.td"
include "pareprop/Dialect/Rev/IR/RevTypes.td"
include "pareprop/Dialect/Rev/IR/RevEnums.td"
include "mlir/IR/OpBase.td"
include "mlir/IR/SymbolInterfaces.td"
include "mlir/Interfaces/SideEffectInterfaces.td"
include "mlir/Interfaces/ControlFlowInterfaces.td"

def Rev_Tensor : RankedTensorOf<[AnyFloat]>;

class Rev_Op<string mnemonic, list<Trait> traits = []>
    : Op<Rev_Dialect, mnemonic, traits>;

//===----------------------------------------------------------------------===//
// Forward coupling.
//===----------------------------------------------------------------------===//

def Rev_BlockOp : Rev_Op<"block", [Pure, AttrSizedOperandSegments,
    DeclareOpInterfaceMethods<SymbolUserOpInterface>,
    AllTypesMatch<["x1", "y1"]>, AllTypesMatch<["x2", "y2"]>]> {
  let summary = "reversible additive coupling block";
  let description = [{
    `Y1 = X1 + F(X2, f_params...)`, `Y2 = X2 + G(Y1, g_params...)`.

    `f` must name a `func.func` of type `(type(X2), f_params...) -> type(X1)`
    and `g` one of type `(type(X1), g_params...) -> type(X2)`. Blocks with the
    same F and G share those functions; each block passes its own parameters.

    Example:
    ```mlir
    %y1, %y2 = rev.block(%x1, %x2) f @mlp(%w1, %b1 : tensor<16x16xf32>, tensor<16xf32>)
                                    g @mlp(%w2, %b2 : tensor<16x16xf32>, tensor<16xf32>)
               : tensor<4x16xf32>, tensor<4x16xf32>
    ```
  }];
  let arguments = (ins Rev_Tensor:$x1, Rev_Tensor:$x2,
                       Variadic<AnyType>:$f_params,
                       Variadic<AnyType>:$g_params,
                       FlatSymbolRefAttr:$f, FlatSymbolRefAttr:$g);
  let results = (outs Rev_Tensor:$y1, Rev_Tensor:$y2);
  let assemblyFormat = [{
    `(` $x1 `,` $x2 `)`
    `f` $f `(` ($f_params^ `:` type($f_params))? `)`
    `g` $g `(` ($g_params^ `:` type($g_params))? `)`
    attr-dict `:` type($x1) `,` type($x2)
  }];
}

//===----------------------------------------------------------------------===//
// Backward ops.
//===----------------------------------------------------------------------===//

def Rev_RecomputeOp : Rev_Op<"recompute", [Pure, AttrSizedOperandSegments,
    AttrSizedResultSegments, DeclareOpInterfaceMethods<SymbolUserOpInterface>,
    AllTypesMatch<["y1", "x1"]>, AllTypesMatch<["y2", "x2"]>]> {
  let summary = "rebuild a block's inputs and the F/G internals its gradient needs";
  let description = [{
    Inverts a coupling from its outputs:

        (g, g_saved...) = g_fwd(Y1, g_params...);  X2 = Y2 - g
        (f, f_saved...) = f_fwd(X2, f_params...);  X1 = Y1 - f

    `f_fwd` / `g_fwd` are the saving forwards that rev-build-training-step
    derives from F and G: they return the function value followed by the
    internals their gradient rule (`f_vjp`, `g_vjp` of `rev.grad`) consumes.
  }];
  let arguments = (ins Rev_Tensor:$y1, Rev_Tensor:$y2,
                       Variadic<AnyType>:$f_params,
                       Variadic<AnyType>:$g_params,
                       FlatSymbolRefAttr:$f_fwd, FlatSymbolRefAttr:$g_fwd);
  let results = (outs Rev_Tensor:$x1, Rev_Tensor:$x2,
                      Variadic<AnyType>:$f_saved, Variadic<AnyType>:$g_saved);
  let assemblyFormat = [{
    `(` $y1 `,` $y2 `)`
    `f` $f_fwd `(` ($f_params^ `:` type($f_params))? `)`
    `g` $g_fwd `(` ($g_params^ `:` type($g_params))? `)`
    attr-dict `:` type($y1) `,` type($y2)
    `->` `saved` custom<ParenTypeList>(type($f_saved)) custom<ParenTypeList>(type($g_saved))
  }];
}

def Rev_GradOp : Rev_Op<"grad", [Pure, AttrSizedOperandSegments,
    AttrSizedResultSegments, DeclareOpInterfaceMethods<SymbolUserOpInterface>,
    AllTypesMatch<["dy1", "dx1", "y1"]>, AllTypesMatch<["dy2", "dx2", "x2"]>]> {
  let summary = "gradients of a coupling block from its recomputed internals";
  let description = [{
    Given the gradients `dY1`, `dY2` of a block's outputs, the inputs of its
    two functions (`X2` for F, `Y1` for G) and their saved internals:

        (dg, dG_params...) = g_vjp(Y1, g_params..., g_saved..., dY2)
        dX1 = dY1 + dg
        (df, dF_params...) = f_vjp(X2, f_params..., f_saved..., dX1)
        dX2 = dY2 + df

    `f_vjp` / `g_vjp` are derived by rev-build-training-step. The internals
    come from `rev.recompute` (reversible backprop) or from the forward
    (ordinary backprop); the op is the same for both.
  }];
  let arguments = (ins Rev_Tensor:$dy1, Rev_Tensor:$dy2,
                       Rev_Tensor:$x2, Rev_Tensor:$y1,
                       Variadic<AnyType>:$f_params,
                       Variadic<AnyType>:$f_saved,
                       Variadic<AnyType>:$g_params,
                       Variadic<AnyType>:$g_saved,
                       FlatSymbolRefAttr:$f_vjp, FlatSymbolRefAttr:$g_vjp);
  let results = (outs Rev_Tensor:$dx1, Rev_Tensor:$dx2,
                      Variadic<AnyType>:$df_params,
                      Variadic<AnyType>:$dg_params);
  let assemblyFormat = [{
    `(` $dy1 `,` $dy2 `)` `at` `(` $x2 `,` $y1 `)`
    `f` $f_vjp `(` ($f_params^ `:` type($f_params))? `)`
    `saved` `(` ($f_saved^ `:` type($f_saved))? `)`
    `g` $g_vjp `(` ($g_params^ `:` type($g_params))? `)`
    `saved` `(` ($g_saved^ `:` type($g_saved))? `)`
    attr-dict `:` type($dy1) `,` type($dy2)
    `->` custom<ParenTypeList>(type($df_params)) custom<ParenTypeList>(type($dg_params))
  }];
  let hasVerifier = 1;
}

//===----------------------------------------------------------------------===//
// Schedules.
//===----------------------------------------------------------------------===//

def Rev_TaskOp : Rev_Op<"task", [RecursiveMemoryEffects,
    SingleBlockImplicitTerminator<"YieldOp">, NoRegionArguments]> {
  let summary = "a unit of scheduled work bound to a stream";
  let description = [{
    The body runs asynchronously on stream `stream`. Tasks of one stream run
    in the program order of the block that holds them; a task also starts
    only after every task whose token it lists in `after`. The body may use
    values defined above it: a value made by another task must be ordered
    before this one by the stream order and `after` edges (the verifier
    checks every such dependency, and that code outside tasks awaits a task
    before using its results).

    `kind` (a `TaskKind`: `forward`, `recompute`, `checkpoint`, `grad`,
    `param-grad`, `backprop`; written as a string) and `block` (the
    reversible block's index in forward order) say what the work is, for
    timelines, readers and the backends (a backend may run `forward` tasks
    differently); the scheduler sets them.

    ```mlir
    %t1, %x1, %x2 = rev.task stream 1 kind "recompute" block 3 after(%t0) {
      ...
      rev.yield %a, %b : tensor<4x16xf32>, tensor<4x16xf32>
    } -> tensor<4x16xf32>, tensor<4x16xf32>
    ```
  }];
  let arguments = (ins ConfinedAttr<I64Attr, [IntNonNegative]>:$stream,
                       OptionalAttr<Rev_TaskKind>:$kind,
                       OptionalAttr<ConfinedAttr<I64Attr, [IntNonNegative]>>:$block_index,
                       Variadic<Rev_TokenType>:$after);
  let results = (outs Rev_TokenType:$token, Variadic<AnyType>:$results);
  let regions = (region SizedRegion<1>:$body);
  let assemblyFormat = [{
    `stream` $stream custom<TaskKind>($kind) (`block` $block_index^)?
    (`after` `(` $after^ `)`)? attr-dict-with-keyword $body
    (`->` type($results)^)?
  }];
  let hasVerifier = 1;
  let hasRegionVerifier = 1;
  let skipDefaultBuilders = 1;
  let builders = [
    OpBuilder<(ins "int64_t":$stream, "mlir::ValueRange":$after,
                   "mlir::TypeRange":$resultTypes)>
  ];
  let extraClassDeclaration = [{
    /// The terminator of the body.
    YieldOp getYield();
  }];
}

def Rev_YieldOp : Rev_Op<"yield", [Pure, Terminator, HasParent<"TaskOp">,
    ReturnLike]> {
  let summary = "the results of a task";
  let arguments = (ins Variadic<AnyType>:$values);
  let assemblyFormat = "($values^ `:` type($values))? attr-dict";
  let builders = [OpBuilder<(ins), [{
    build($_builder, $_state, mlir::ValueRange());
  }]>];
}

def Rev_AwaitOp : Rev_Op<"await"> {
  let summary = "block until tasks have finished";
  let description = [{
    Code outside tasks may use a task's results only after awaiting a token
    that the task happens before.
  }];
  let arguments = (ins Variadic<Rev_TokenType>:$tokens);
  let assemblyFormat = "$tokens attr-dict";
}

#endif
