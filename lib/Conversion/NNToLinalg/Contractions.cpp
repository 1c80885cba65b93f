//===- Contractions.cpp - nn contractions -> linalg
//-------------------------===//
//
// The lowering of matmul and linear, the tagged matrix products
// to linalg on tensors; the shared builders are in Patterns.h.
//
//===----------------------------------------------------------------------===//

#include "Patterns.h"

using namespace mlir;
using namespace pareprop;
using namespace pareprop::nn;
using namespace pareprop::nn_to_linalg;
using utils::IteratorType;

namespace {

struct MatmulLowering : NNPattern<MatmulOp> {
  using NNPattern::NNPattern;
  LogicalResult matchAndRewrite(MatmulOp op,
                                PatternRewriter &rw) const override {
    MLIRContext *ctx = rw.getContext();
    int64_t batch = resultType(op).getRank() - 2, loops = batch + 3;
    AffineExpr m = getAffineDimExpr(batch, ctx),
               n = getAffineDimExpr(batch + 1, ctx),
               k = getAffineDimExpr(batch + 2, ctx);
    auto map = [&](AffineExpr a, AffineExpr b) {
      SmallVector<AffineExpr> exprs;
      for (int64_t i = 0; i < batch; ++i)
        exprs.push_back(getAffineDimExpr(i, ctx));
      exprs.append({a, b});
      return AffineMap::get(loops, 0, exprs, ctx);
    };
    SmallVector<AffineMap> maps{op.getTransposeLhs() ? map(k, m) : map(m, k),
                                op.getTransposeRhs() ? map(n, k) : map(k, n),
                                map(m, n)};
    SmallVector<IteratorType> iterators(loops - 1, IteratorType::parallel);
    iterators.push_back(IteratorType::reduction);
    Value product = generic(
        rw, op.getLoc(), zeroFilled(rw, op.getLoc(), resultType(op)),
        {op.getLhs(), op.getRhs()}, maps, iterators, multiplyAccumulate);
    markContraction(product, op.getTransposeLhs(), op.getTransposeRhs());
    rw.replaceOp(op, product);
    return success();
  }

  /// Tags the generic as `C += op(A) op(B)` for
  /// pareprop-contractions-to-runtime.
  static void markContraction(Value product, bool transposeLhs,
                              bool transposeRhs) {
    Operation *op = product.getDefiningOp();
    op->setAttr(
        NNDialect::kContractionAttr,
        ContractionAttr::get(op->getContext(), transposeLhs, transposeRhs));
  }

  static Value multiplyAccumulate(OpBuilder &b, Location l, ValueRange a) {
    Value prod = arith::MulFOp::create(b, l, a[0], a[1]);
    return arith::AddFOp::create(b, l, a[2], prod);
  }
};

/// linear: the output starts as the broadcast bias (or zero) and accumulates
/// x W^T over a trailing reduction loop.
struct LinearLowering : NNPattern<LinearOp> {
  using NNPattern::NNPattern;
  LogicalResult matchAndRewrite(LinearOp op,
                                PatternRewriter &rw) const override {
    MLIRContext *ctx = rw.getContext();
    Location loc = op.getLoc();
    RankedTensorType out = resultType(op);
    int64_t rank = out.getRank(), loops = rank + 1;
    Value init;
    if (Value bias = op.getBias())
      init =
          elementwise(rw, loc, out, {bias},
                      [](OpBuilder &, Location, ValueRange a) { return a[0]; });
    else
      init = zeroFilled(rw, loc, out);
    AffineExpr n = getAffineDimExpr(rank - 1, ctx),
               k = getAffineDimExpr(rank, ctx);
    SmallVector<AffineExpr> xExprs, outExprs;
    for (int64_t i = 0; i + 1 < rank; ++i) {
      xExprs.push_back(getAffineDimExpr(i, ctx));
      outExprs.push_back(getAffineDimExpr(i, ctx));
    }
    xExprs.push_back(k);
    outExprs.push_back(n);
    SmallVector<AffineMap> maps{AffineMap::get(loops, 0, xExprs, ctx),
                                AffineMap::get(loops, 0, {n, k}, ctx),
                                AffineMap::get(loops, 0, outExprs, ctx)};
    SmallVector<IteratorType> iterators(rank, IteratorType::parallel);
    iterators.push_back(IteratorType::reduction);
    Value product =
        generic(rw, loc, init, {op.getInput(), op.getWeight()}, maps, iterators,
                MatmulLowering::multiplyAccumulate);
    // x [..., m, k] times W^T: a batched product with a shared, transposed
    // right operand (a vector input has no row dimension: left as loops).
    if (rank >= 2)
      MatmulLowering::markContraction(product, /*transposeLhs=*/false,
                                      /*transposeRhs=*/true);
    rw.replaceOp(op, product);
    return success();
  }
};

} // namespace

void pareprop::nn_to_linalg::populateContractionsPatterns(
    RewritePatternSet &patterns) {
  patterns.add<MatmulLowering, LinearLowering>(patterns.getContext());
}
