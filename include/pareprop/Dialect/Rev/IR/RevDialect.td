#ifndef PAREPROP_DIALECT_REV_IR_REVDIALECT
#define PAREPROP_DIALECT_REV_IR_REVDIALECT

include "mlir/IR/OpBase.td"

def Rev_Dialect : Dialect {
  let name = "rev";
  let summary = "Reversible blocks, their recomputation and gradients, and backward schedules";
  let description = [{
    The `rev` dialect models reversible additive coupling blocks

        Y1 = X1 + F(X2),   Y2 = X2 + G(Y1)

    whose backward pass rebuilds a block's inputs from its outputs instead of
    storing them. F and G are `func.func` symbols, so every block of the same
    shape shares one definition and is differentiated once.

    The backward is explicit: `rev.recompute` rebuilds a block's inputs and
    the F/G internals its gradient needs, `rev.grad` computes the block's
    gradients from them, and everything flows through SSA values, so data
    dependencies are def-use edges. A schedule groups work into `rev.task`s
    bound to streams; tasks on one stream run in program order, and
    cross-stream edges are explicit `!rev.token` dependencies.
  }];
  let cppNamespace = "::pareprop::rev";
  let useDefaultTypePrinterParser = 1;
  let hasOperationAttrVerify = 1;
  let hasRegionArgAttrVerify = 1;
  let extraClassDeclaration = [{
    /// Unit attribute marking a function built by rev-build-training-step.
    static constexpr llvm::StringLiteral kTrainingStepAttr = "rev.training_step";
    /// On a training step: "reversible" or "stored" (ordinary backprop).
    static constexpr llvm::StringLiteral kModeAttr = "rev.mode";
    /// On a scheduled training step: the policy that scheduled it.
    static constexpr llvm::StringLiteral kPolicyAttr = "rev.schedule";
    /// On a scheduled training step: the target the cost model used, the
    /// predicted step time in seconds and the predicted peak bytes of
    /// activations, internals and gradients.
    static constexpr llvm::StringLiteral kTargetAttr = "rev.target";
    static constexpr llvm::StringLiteral kPredictedSecondsAttr =
        "rev.predicted_seconds";
    static constexpr llvm::StringLiteral kPredictedPeakAttr =
        "rev.predicted_peak_bytes";
    /// On ops of an unscheduled step, `{kind = "...", block = N}`: the work
    /// unit the op belongs to (op-granularity scheduling groups by it).
    static constexpr llvm::StringLiteral kWorkAttr = "rev.work";
    /// Argument attribute: no gradient is computed for this argument.
    static constexpr llvm::StringLiteral kNoGradAttr = "rev.no_grad";
    /// Argument attribute on an integer tensor (token ids, labels): its
    /// values lie in [0, bound); rev-add-index-checks checks it at run time.
    static constexpr llvm::StringLiteral kIndexBoundAttr = "rev.index_bound";
    /// On a training step: the indices of the arguments whose gradients it
    /// returns, in order (strictly increasing).
    static constexpr llvm::StringLiteral kGradArgsAttr = "rev.grad_args";
    /// On a function made by differentiation (a VJP, or a half of one): the
    /// function it was derived from.
    static constexpr llvm::StringLiteral kDerivedFromAttr = "rev.derived_from";
    /// On a half of a split VJP: the indices of the parameter gradients it
    /// computes.
    static constexpr llvm::StringLiteral kSplitArgsAttr = "rev.split_args";
    /// Unit attribute on a training step whose last result is the
    /// per-block reconstruction report (check-reconstruction).
    static constexpr llvm::StringLiteral kReconstructionReportAttr =
        "rev.reconstruction_report";

    /// On a function (and its training step), the index checks
    /// rev-add-index-checks made: `{func = @check, checks = [{arg, bound,
    /// ignore_index?, what}, ...]}`; verified by the dialect.
    static constexpr llvm::StringLiteral kIndexChecksAttr = "rev.index_checks";

  private:
    void registerTypes();
  public:
  }];
}

#endif
