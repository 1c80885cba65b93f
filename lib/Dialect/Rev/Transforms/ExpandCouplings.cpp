//===- ExpandCouplings.cpp - coupling ops -> calls ------------------------===//

#include "pareprop/Dialect/Rev/Transforms/Passes.h"

#include "mlir/IR/PatternMatch.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

namespace pareprop::rev {
#define GEN_PASS_DEF_REVEXPANDCOUPLINGS
#include "pareprop/Dialect/Rev/Transforms/Passes.h.inc"
} // namespace pareprop::rev

using namespace mlir;
using namespace pareprop;
using namespace pareprop::rev;

namespace {

/// Calls `callee` on (`first`, `rest`...) and returns all results.
SmallVector<Value> call(OpBuilder &b, Location loc, Operation *from,
                        StringRef callee, ValueRange first, ValueRange rest) {
  auto fn = SymbolTable::lookupNearestSymbolFrom<func::FuncOp>(
      from, StringAttr::get(b.getContext(), callee));
  SmallVector<Value> args(first);
  llvm::append_range(args, rest);
  return SmallVector<Value>(func::CallOp::create(b, loc, fn, args).getResults());
}

struct ExpandBlock : OpRewritePattern<BlockOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(BlockOp op, PatternRewriter &rw) const override {
    Location loc = op.getLoc();
    Value f = call(rw, loc, op, op.getF(), op.getX2(), op.getFParams())[0];
    Value y1 = nn::AddOp::create(rw, loc, op.getX1(), f);
    Value g = call(rw, loc, op, op.getG(), y1, op.getGParams())[0];
    Value y2 = nn::AddOp::create(rw, loc, op.getX2(), g);
    rw.replaceOp(op, {y1, y2});
    return success();
  }
};

struct ExpandRecompute : OpRewritePattern<RecomputeOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(RecomputeOp op,
                                PatternRewriter &rw) const override {
    Location loc = op.getLoc();
    SmallVector<Value> g =
        call(rw, loc, op, op.getGFwd(), op.getY1(), op.getGParams());
    Value x2 = nn::SubOp::create(rw, loc, op.getY2(), g[0]);
    SmallVector<Value> f = call(rw, loc, op, op.getFFwd(), x2, op.getFParams());
    Value x1 = nn::SubOp::create(rw, loc, op.getY1(), f[0]);
    SmallVector<Value> results{x1, x2};
    results.append(f.begin() + 1, f.end());
    results.append(g.begin() + 1, g.end());
    rw.replaceOp(op, results);
    return success();
  }
};

struct ExpandGrad : OpRewritePattern<GradOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(GradOp op, PatternRewriter &rw) const override {
    Location loc = op.getLoc();
    SmallVector<Value> gArgs(op.getGParams());
    llvm::append_range(gArgs, op.getGSaved());
    gArgs.push_back(op.getDy2());
    SmallVector<Value> g = call(rw, loc, op, op.getGVjp(), op.getY1(), gArgs);
    Value dx1 = nn::AddOp::create(rw, loc, op.getDy1(), g[0]);
    SmallVector<Value> fArgs(op.getFParams());
    llvm::append_range(fArgs, op.getFSaved());
    fArgs.push_back(dx1);
    SmallVector<Value> f = call(rw, loc, op, op.getFVjp(), op.getX2(), fArgs);
    Value dx2 = nn::AddOp::create(rw, loc, op.getDy2(), f[0]);
    SmallVector<Value> results{dx1, dx2};
    results.append(f.begin() + 1, f.end());
    results.append(g.begin() + 1, g.end());
    rw.replaceOp(op, results);
    return success();
  }
};

struct ExpandCouplingsPass
    : rev::impl::RevExpandCouplingsBase<ExpandCouplingsPass> {
  void runOnOperation() override {
    RewritePatternSet patterns(&getContext());
    patterns.add<ExpandBlock, ExpandRecompute, ExpandGrad>(&getContext());
    GreedyRewriteConfig config;
    config.setRegionSimplificationLevel(GreedySimplifyRegionLevel::Disabled);
    config.enableFolding(false);
    if (failed(applyPatternsGreedily(getOperation(), std::move(patterns),
                                     config)))
      return signalPassFailure();
  }
};
} // namespace
