#ifndef PAREPROP_DIALECT_REV_TRANSFORMS_PASSES
#define PAREPROP_DIALECT_REV_TRANSFORMS_PASSES

include "mlir/Pass/PassBase.td"

def RevBuildTrainingStep : Pass<"rev-build-training-step", "mlir::ModuleOp"> {
  let summary = "Differentiate a loss function into a training step";
  let description = [{
    For a function that computes a rank-0 loss from its arguments through
    `nn` ops and `rev.block`s, creates `@<name>_step` returning the loss
    followed by the gradient of every argument not marked `rev.no_grad` (in
    argument order; `rev.grad_args` lists their indices). Only floating-point
    tensors are differentiated: integer arguments (random seeds, token ids,
    class labels) are constants whether or not they carry `rev.no_grad`, and
    values computed from them alone are not on a differentiated path.

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

    Non-reversible segments (the ops before the first `rev.block` and the
    stage transitions between reversible stacks) keep what their gradient
    rules read from the forward by default (`transitions=stored`). With
    `transitions=checkpoint` the forward keeps only their inputs (which the
    backward holds anyway: the outputs of the stack before, or arguments);
    the backward replays the ops that make the activations (floating-point
    tensors; random keys and scalars are kept) their gradient rules read,
    tagged `rev.work = {kind = "checkpoint", segment = i}`, right where
    they are first needed, so the segment's activations are not alive
    during the backward of the stacks after it. The scheduler makes the
    replay a `checkpoint` node (on the recompute stream under `pareprop`).
    Ops after the last block run right before their backprop and are
    always stored.

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
    Option<"mode", "mode", "::pareprop::rev::StepMode",
           /*default=*/"::pareprop::rev::StepMode::Reversible",
           "Backward to build: 'reversible' (recompute block inputs) or "
           "'stored' (ordinary backprop, activations kept); 'none' is the "
           "pipelines' value for building no step and is rejected here">,
    Option<"funcName", "func", "std::string", /*default=*/"\"\"",
           "Loss function to differentiate; empty: every public function "
           "that contains a rev.block">,
    Option<"transitions", "transitions", "::pareprop::rev::TransitionMode",
           /*default=*/"::pareprop::rev::TransitionMode::Stored",
           "Non-reversible ops before and between reversible stacks: "
           "'stored' (their internals kept from the forward) or "
           "'checkpoint' (replayed from their inputs in the backward)">,
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

def RevAddIndexChecks : Pass<"rev-add-index-checks", "mlir::ModuleOp"> {
  let summary = "Check the index arguments of a function before it runs";
  let description = [{
    PyTorch raises `IndexError` for a token id outside an embedding table or
    a class label outside the classes of `cross_entropy`. Compiled code
    cannot raise in the middle of a step, so this pass moves the check to
    the step's entry: for every public function `@f` whose integer tensor
    arguments reach the ids of `nn.embedding` or the labels of
    `nn.cross_entropy` (directly, or as operands of calls and of
    `rev.block`'s F and G parameters),
    it adds a public function

        func.func @f_check_indices(<the arguments of @f>) -> tensor<6xi64>

    that returns `[check, argument, position, value, bound, ignore_index]`
    for the first out-of-range element (checks in order, elements in
    row-major order; `position` is the flat element number; `ignore_index`
    is INT64_MIN for a check without one), or `-1` in every field when all
    are in range. It marks `@f` with

        rev.index_checks = {func = @f_check_indices, checks = [
          {arg = 0 : i64, bound = 1000 : i64, what = "..."},
          {arg = 1 : i64, bound = 10 : i64, ignore_index = -100 : i64,
           what = "..."} ]}

    (an id must lie in `[0, bound)`; a label may also be its op's
    `ignore_index`; `what` names the op and its location for messages).
    `rev-build-training-step` copies the mark to the step. Runners
    (`pareprop-run`, the C API and `pareprop.compile`, GPU benchmark
    executables) call the check before every step and stop with an error
    naming the argument, position and value; the step never runs on a bad
    index. The check reads each index once: a few thousand integer compares
    for a BERT batch.

    Indices computed inside the model (not an argument) are not checked
    here; the ops clamp them, so no memory outside a table is read.
  }];
  let dependentDialects = ["mlir::arith::ArithDialect",
                           "mlir::scf::SCFDialect",
                           "mlir::tensor::TensorDialect"];
}

def RevSplitGradients : Pass<"rev-split-gradients", "mlir::ModuleOp"> {
  let summary = "Split each block's gradient into input- and parameter-gradient work";
  let description = [{
    Op-granularity scheduling. The input gradients of a reversible chain
    form a chain (dX of block k feeds block k-1); the parameter gradients
    (dW) hang off it and nothing in the backward waits for them. This pass
    rewrites every `rev.grad` of every unscheduled training step into:

    * one `grad` node, tagged `rev.work = {kind = "grad", block = k}`: G's
      input-gradient part, `dX1 = dY1 + dg`, F's input-gradient part,
      `dX2 = dY2 + df`;
    * per coupling function whose parameter gradients need work of their
      own, one `param-grad` node tagged
      `{kind = "param-grad", block = k, half = "g" | "f"}`.

    Each VJP `@V` is cut once, however many blocks share it, into
    `@V_dx : (args...) -> (dx, cuts...)` and
    `@V_dw : (args..., cuts...) -> (dparams...)`: every op of the VJP lands
    in exactly one part (no work is duplicated); the cuts are the values
    of the dX part that the dW part reads, for a linear layer the gradient
    of its output. Each part takes only the arguments it reads, so a saved
    internal that only dW needs stays alive only until dW has run. A VJP
    whose parameter gradients need no extra work (no parameters) is called
    whole from the `grad` node. Whole VJPs left without callers are erased.

    `rev-schedule-backward` groups tagged ops into nodes by their tag, so
    `list` and `auto` can run dW beside the next block's dX and recompute.
    Under `pareprop` and `list`, recompute j also waits for the
    `param-grad` nodes of the block whose internals it replaces, so the
    memory window still holds. The `rev-to-llvm` pipeline runs this pass
    for `list` and `auto` (option `granularity`).
  }];
  let dependentDialects = ["mlir::func::FuncDialect", "pareprop::nn::NNDialect"];
}

def RevScheduleBackward : Pass<"rev-schedule-backward", "mlir::ModuleOp"> {
  let summary = "Assign the work of training steps to streams";
  let description = [{
    Rewrites every function marked `rev.training_step` into `rev.task`s
    bound to streams, ordered by issue time, with a `rev.await` before the
    results are returned.

    The pass builds the step's backward dependency graph: each `rev.block`,
    `rev.recompute` and `rev.grad` is a node (and a task: buffers are freed
    between tasks, so a block's outputs die as soon as their readers have
    run); runs of other ops between them form one node each, split where
    the forward gives way to ordinary backprop; constants stay outside
    tasks. Values passed between nodes are data edges. The cost model turns
    each node's kernels (FLOPs, bytes) into seconds with a target
    description (matrix products at the rate of the target's kernel library
    unless `runtime-contractions=false`), and a discrete-event simulation
    predicts each schedule's step time and its peak memory. Tasks that run
    alone (every task of a one-stream schedule, and forward tasks) may
    spread large products over several units, as the runtime does; tasks
    of different streams share the units.

    Policies:

    * `vanilla`: one stream; per block, recompute then gradient.
    * `pareprop`: recomputes on stream 1, everything else on stream 0, so the
      recompute of block k-1 runs while the gradient of block k does.
    * `list`: list scheduling over `streams` streams by longest path to the
      end, each node on the stream where it can start first.
    * `auto`: predicts vanilla, pareprop and list schedules (lookahead 1-3,
      2-4 streams) and keeps the fastest that fits the memory budget; a more
      complex candidate must be predicted faster by more than 1%.

    Under `pareprop` and `list`, recompute j waits for the readers of the
    internals of recompute j - (lookahead + 1) (a memory-window edge), so at
    most lookahead + 1 blocks of recomputed internals are alive.

    With `memory-budget`, a schedule whose predicted peak exceeds the budget
    falls back to smaller lookaheads, then to vanilla, with a remark; when
    nothing fits, the error states the least memory needed.

    Cross-stream edges become `after` tokens, minus those the stream order
    and other tokens already imply (transitive reduction with vector
    clocks). Tasks carry `kind` and `block`; the step carries the policy
    (`rev.schedule`), the target, the predicted step time
    (`rev.predicted_seconds`) and peak (`rev.predicted_peak_bytes`).
  }];
  let options = [
    Option<"policy", "policy", "::pareprop::rev::SchedulePolicyKind",
           /*default=*/"::pareprop::rev::SchedulePolicyKind::PaReprop",
           "Scheduling policy: 'vanilla', 'pareprop', 'list' or 'auto'">,
    Option<"lookahead", "lookahead", "unsigned", /*default=*/"1",
           "pareprop and list: blocks a recompute may run ahead of the "
           "gradient that consumes it; lookahead + 1 blocks of internals "
           "are alive at most (at least 1)">,
    Option<"streams", "streams", "unsigned", /*default=*/"2",
           "list: number of streams (at least 1)">,
    Option<"memoryBudget", "memory-budget", "std::string", /*default=*/"\"\"",
           "Most predicted peak memory of activations, internals and "
           "gradients, in bytes or with KiB/MiB/GiB; empty: no budget">,
    Option<"targetName", "target", "std::string", /*default=*/"\"cpu\"",
           "Cost-model target: 'cpu', 'h100', or a JSON target file "
           "(path ending in .json; see docs/scheduling.md)">,
    Option<"runtimeContractions", "runtime-contractions", "bool",
           /*default=*/"true",
           "Matrix products will run through the runtime's kernel library "
           "(pareprop-contractions-to-runtime): cost them at the target's "
           "contraction rate, and let a task that runs alone spread large "
           "ones over splitUnits units. false: cost them as loop kernels">,
    Option<"splitMinIterations", "split-min-iterations", "int64_t",
           /*default=*/"-1",
           "Loop kernels of at least this many iterations will be cut in "
           "two for tasks that run alone (pareprop-split-kernels-across-threads): "
           "such tasks spread them over the target's split_units. 0: loop "
           "kernels run on one unit; -1: the target's split_loop_flops">,
    Option<"explain", "explain", "bool", /*default=*/"false",
           "Emit a remark with every candidate's predicted time and peak">,
    Option<"timelineFile", "timeline", "std::string", /*default=*/"\"\"",
           "Write the predicted timeline as Chrome trace JSON to this path "
           "(<stem>.<function>.<ext> when several steps)">,
    Option<"dotFile", "dot", "std::string", /*default=*/"\"\"",
           "Write the dependency graph with the schedule as Graphviz DOT">,
  ];
  let dependentDialects = ["pareprop::rev::RevDialect"];
}

def RevVerifySchedule : Pass<"rev-verify-schedule", "mlir::ModuleOp"> {
  let summary = "Check the task order of every scheduled function";
  let description = [{
    Runs the schedule verifier on every function that holds `rev.task`s:
    each task reads only results of tasks ordered before it (same stream
    earlier, or reachable through `after` tokens), code outside tasks reads
    only results of tasks a preceding `rev.await` covers, and every task is
    awaited before the function returns. The `rev.task` op verifier runs the
    same check whenever IR is verified; this pass makes it an explicit,
    timed step of a pipeline. It is linear in the number of tasks (vector
    clocks), so a 100,000-block step verifies in well under a second.
  }];
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
