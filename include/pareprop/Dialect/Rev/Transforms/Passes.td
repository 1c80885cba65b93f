#ifndef PAREPROP_DIALECT_REV_TRANSFORMS_PASSES
#define PAREPROP_DIALECT_REV_TRANSFORMS_PASSES

include "mlir/Pass/PassBase.td"

def RevBuildTrainingStep : Pass<"rev-build-training-step", "mlir::ModuleOp"> {
  let summary = "Differentiate a loss function into a training step";
  let description = [{
    For a function that computes a rank-0 loss from its arguments through
    `nn` ops and `rev.block`s, creates `@<name>_step` returning the loss
    followed by the gradient of every argument not marked `rev.no_grad` (in
    argument order; `rev.grad_args` lists their indices).

    F and G of every block are differentiated once per function, however
    many blocks share them: `@<F>__fwd` returns F's value and the internals
    its gradient needs, `@<F>__vjp` maps them and the output gradient to the
    input and parameter gradients.

    In `reversible` mode the forward keeps only the outputs of the last
    block of each reversible chain; the backward rebuilds every other block's
    inputs with `rev.recompute` and feeds `rev.grad`. In `stored` mode
    (ordinary backprop) the forward calls the saving forwards and keeps every
    internal, and the backward is `rev.grad` alone.

    An op on the path from the arguments to the loss with no gradient rule
    (`DifferentiableOpInterface`) is an error naming the op.

    With `check-reconstruction` (reversible mode), the forward also keeps
    every block's inputs and the step returns one more result, a
    `tensor<Nx4xf64>` for the N `rev.block`s in forward order:
    `[max |X1' - X1|, max |X1|, max |X2' - X2|, max |X2|]`, where `X1'`,
    `X2'` are the inputs `rev.recompute` rebuilt (-1 for a block the
    backward never recomputes). The step is marked
    `rev.reconstruction_report`. This measures the floating-point drift of
    reversal; it costs the memory reversal saves, so it is a diagnostic.
  }];
  let options = [
    Option<"mode", "mode", "std::string", /*default=*/"\"reversible\"",
           "Backward to build: 'reversible' (recompute block inputs) or "
           "'stored' (ordinary backprop, activations kept)">,
    Option<"funcName", "func", "std::string", /*default=*/"\"\"",
           "Loss function to differentiate; empty: every public function "
           "that contains a rev.block">,
    Option<"checkReconstruction", "check-reconstruction", "bool",
           /*default=*/"false",
           "Reversible mode: also return the per-block error between the "
           "forward's block inputs and the recomputed ones">,
  ];
  let dependentDialects = ["mlir::arith::ArithDialect",
                           "mlir::tensor::TensorDialect",
                           "mlir::func::FuncDialect",
                           "pareprop::nn::NNDialect",
                           "pareprop::rev::RevDialect"];
}

def RevScheduleBackward : Pass<"rev-schedule-backward", "mlir::ModuleOp"> {
  let summary = "Assign the work of training steps to streams";
  let description = [{
    Rewrites every function marked `rev.training_step` into `rev.task`s
    bound to streams, ordered by issue time, with `rev.await`s before the
    results are returned. Each `rev.block`, `rev.recompute` and `rev.grad` is
    a task of its own (buffers are freed between tasks, so a block's outputs
    die as soon as their readers have run); runs of other ops between them
    form one task each; constants stay outside tasks.

    * `vanilla`: one stream; per block, recompute then gradient.
    * `pareprop`: recomputes on stream 1, everything else on stream 0, so the
      recompute of block k-1 runs while the gradient of block k does. A
      recompute waits for the gradient that consumed the internals
      `max-live-blocks` recomputes earlier, which bounds the recomputed
      internals alive at once.

    Cross-stream data dependencies become `after` tokens, minus those the
    stream order and other tokens already imply. The issue order comes from
    a list-scheduling simulation with a FLOP cost model.
  }];
  let options = [
    Option<"policy", "policy", "std::string", /*default=*/"\"pareprop\"",
           "Scheduling policy: 'vanilla' or 'pareprop'">,
    Option<"maxLiveBlocks", "max-live-blocks", "unsigned", /*default=*/"2",
           "pareprop: most blocks whose recomputed internals are alive at "
           "once (at least 2)">,
  ];
  let dependentDialects = ["pareprop::rev::RevDialect"];
}

def RevExpandCouplings : Pass<"rev-expand-couplings", "mlir::ModuleOp"> {
  let summary = "Expand rev.block, rev.recompute and rev.grad into calls";
  let description = [{
    Replaces each coupling op by calls to its functions and the `nn.add` /
    `nn.sub` that combine them, following the formulas in the op
    descriptions. Runs after scheduling, inside tasks, on the way to
    lowering.
  }];
  let dependentDialects = ["mlir::func::FuncDialect", "pareprop::nn::NNDialect"];
}

#endif
