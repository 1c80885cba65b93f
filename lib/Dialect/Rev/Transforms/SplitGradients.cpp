//===- SplitGradients.cpp - rev.grad -> input- and parameter-gradient work ===//
//
// Op-granularity scheduling: each rev.grad of a training step becomes the
// input-gradient chain (G's dX part, dX1 = dY1 + dg, F's dX part,
// dX2 = dY2 + df), tagged as one `grad` node, and one `param-grad` node per
// coupling function with parameter-gradient work of its own.
//
//===----------------------------------------------------------------------===//

#include "pareprop/Analysis/BackwardGraphBuilder.h"
#include "pareprop/Dialect/Rev/Transforms/Passes.h"
#include "pareprop/Dialect/Rev/Transforms/VjpSplit.h"

namespace pareprop::rev {
#define GEN_PASS_DEF_REVSPLITGRADIENTS
#include "pareprop/Dialect/Rev/Transforms/Passes.h.inc"
} // namespace pareprop::rev

using namespace mlir;
using namespace pareprop;
using namespace pareprop::rev;

namespace {

/// `{kind = <kind>, block = <block>[, half = <half>]}`.
DictionaryAttr workTag(Builder &b, StringRef kind, int64_t block,
                       StringRef half = {}) {
  SmallVector<NamedAttribute> entries{
      b.getNamedAttr("kind", b.getStringAttr(kind))};
  if (block >= 0)
    entries.push_back(b.getNamedAttr("block", b.getI64IntegerAttr(block)));
  if (!half.empty())
    entries.push_back(b.getNamedAttr("half", b.getStringAttr(half)));
  return b.getDictionaryAttr(entries);
}

/// Calls `fn` on `all` at `selected`, then `extra`, tagged with `tag`.
func::CallOp callPart(OpBuilder &b, Location loc, func::FuncOp fn,
                      ArrayRef<Value> all, ArrayRef<unsigned> selected,
                      ValueRange extra, DictionaryAttr tag) {
  SmallVector<Value> args;
  for (unsigned i : selected)
    args.push_back(all[i]);
  llvm::append_range(args, extra);
  auto call = func::CallOp::create(b, loc, fn, args);
  call->setAttr(RevDialect::kWorkAttr, tag);
  return call;
}

struct SplitGradientsPass
    : rev::impl::RevSplitGradientsBase<SplitGradientsPass> {
  LogicalResult splitStep(func::FuncOp step, SymbolTable &symbols,
                          llvm::SetVector<func::FuncOp> &splitVjps) {
    if (!step.getBody().hasOneBlock())
      return step.emitError("a training step must have a single block");
    Block &body = step.getBody().front();
    if (!body.getOps<TaskOp>().empty())
      return step.emitError("rev-split-gradients: @")
             << step.getSymName()
             << " is already scheduled; split gradients before "
                "rev-schedule-backward";
    DenseMap<Operation *, int64_t> blockIndex = reversibleBlockIndices(body);
    for (GradOp grad : llvm::make_early_inc_range(body.getOps<GradOp>())) {
      auto fVjp = symbols.lookup<func::FuncOp>(grad.getFVjp());
      auto gVjp = symbols.lookup<func::FuncOp>(grad.getGVjp());
      if (!fVjp || !gVjp)
        return grad.emitOpError("refers to a missing gradient function");
      FailureOr<VjpSplit> f = getOrCreateVjpSplit(fVjp, symbols);
      if (failed(f))
        return failure();
      FailureOr<VjpSplit> g = getOrCreateVjpSplit(gVjp, symbols);
      if (failed(g))
        return failure();
      splitVjps.insert(fVjp);
      splitVjps.insert(gVjp);

      OpBuilder b(grad);
      Location loc = grad.getLoc();
      int64_t block = blockIndex.lookup_or(grad, -1);
      DictionaryAttr gradTag = workTag(b, "grad", block);

      // The input-gradient chain, one node.
      SmallVector<Value> gArgs{grad.getY1()};
      llvm::append_range(gArgs, grad.getGParams());
      llvm::append_range(gArgs, grad.getGSaved());
      gArgs.push_back(grad.getDy2());
      auto gDx = callPart(b, loc, g->dx, gArgs, g->dxArgs, {}, gradTag);
      auto dx1 = nn::AddOp::create(b, loc, grad.getDy1(), gDx.getResult(0));
      dx1->setAttr(RevDialect::kWorkAttr, gradTag);
      SmallVector<Value> fArgs{grad.getX2()};
      llvm::append_range(fArgs, grad.getFParams());
      llvm::append_range(fArgs, grad.getFSaved());
      fArgs.push_back(dx1);
      auto fDx = callPart(b, loc, f->dx, fArgs, f->dxArgs, {}, gradTag);
      auto dx2 = nn::AddOp::create(b, loc, grad.getDy2(), fDx.getResult(0));
      dx2->setAttr(RevDialect::kWorkAttr, gradTag);

      // Parameter gradients, a node per function that has work of its own.
      auto paramGrads = [&](const VjpSplit &part, ArrayRef<Value> args,
                            func::CallOp dxCall, StringRef half) {
        ValueRange cuts = dxCall.getResults().drop_front();
        if (!part.dw)
          return SmallVector<Value>(cuts);
        auto call = callPart(b, loc, part.dw, args, part.dwArgs, cuts,
                             workTag(b, "param-grad", block, half));
        return SmallVector<Value>(call.getResults());
      };
      SmallVector<Value> results{dx1, dx2};
      SmallVector<Value> dg = paramGrads(*g, gArgs, gDx, "g");
      SmallVector<Value> df = paramGrads(*f, fArgs, fDx, "f");
      llvm::append_range(results, df);
      llvm::append_range(results, dg);
      grad->replaceAllUsesWith(results);
      grad.erase();
    }
    return success();
  }

  void runOnOperation() override {
    ModuleOp module = getOperation();
    SymbolTable symbols(module);
    llvm::SetVector<func::FuncOp> splitVjps;
    bool anyStep = false;
    for (auto step : llvm::to_vector(module.getOps<func::FuncOp>())) {
      if (!step->hasAttr(RevDialect::kTrainingStepAttr))
        continue;
      anyStep = true;
      if (failed(splitStep(step, symbols, splitVjps)))
        return signalPassFailure();
    }
    if (!anyStep) {
      emitWarning(module.getLoc())
          << "rev-split-gradients: no function is marked "
          << RevDialect::kTrainingStepAttr
          << " (run rev-build-training-step first); nothing was split";
      return;
    }
    // Whole VJPs nobody calls any more.
    for (func::FuncOp vjp : splitVjps)
      if (vjp.isPrivate() &&
          SymbolTable::symbolKnownUseEmpty(vjp.getSymNameAttr(), module))
        symbols.erase(vjp);
  }
};
} // namespace
