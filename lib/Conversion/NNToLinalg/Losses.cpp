//===- Losses.cpp - nn losses -> linalg
//-------------------------------------===//
//
// The lowering of cross_entropy and its gradient
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

/// Row statistics of [N, C] logits for a stable log-softmax: the row
/// maximum and the row sum of exp(x - max).
std::pair<Value, Value> logSoftmaxStats(OpBuilder &b, Location loc,
                                        Value logits) {
  MLIRContext *ctx = b.getContext();
  Value max =
      reduceLastDim(b, loc, logits, -INFINITY,
                    [](OpBuilder &nb, Location l, Value acc, Value x) -> Value {
                      return arith::MaximumFOp::create(nb, l, acc, x);
                    });
  auto rowType = cast<RankedTensorType>(max.getType());
  AffineMap id = AffineMap::getMultiDimIdentityMap(2, ctx);
  AffineMap row = rowMap(ctx, 2);
  Value sum =
      generic(b, loc, zeroFilled(b, loc, rowType), {logits, max},
              {id, row, row}, {IteratorType::parallel, IteratorType::reduction},
              [](OpBuilder &nb, Location l, ValueRange a) -> Value {
                Value e = math::ExpOp::create(
                    nb, l, arith::SubFOp::create(nb, l, a[0], a[1]));
                return arith::AddFOp::create(nb, l, a[2], e);
              });
  return {max, sum};
}

/// Whether loop dimension 1 (the class) equals the row's i64 label.
Value isLabel(OpBuilder &b, Location l, Value label) {
  Value c = arith::IndexCastOp::create(b, l, b.getI64Type(),
                                       linalg::IndexOp::create(b, l, 1));
  return arith::CmpIOp::create(b, l, arith::CmpIPredicate::eq, c, label);
}

/// Whether a row's i64 label is not the ignore index.
Value isCounted(OpBuilder &b, Location l, Value label, int64_t ignoreIndex) {
  Value ignored = arith::ConstantOp::create(
      b, l, b.getIntegerAttr(b.getI64Type(), ignoreIndex));
  return arith::CmpIOp::create(b, l, arith::CmpIPredicate::ne, label, ignored);
}

/// The number of rows whose label is not the ignore index, as a rank-0
/// tensor of `et`: the divisor of the mean.
Value countedRows(OpBuilder &b, Location loc, Value labels, Type et,
                  int64_t ignoreIndex) {
  MLIRContext *ctx = b.getContext();
  auto out = RankedTensorType::get({}, et);
  AffineMap one = AffineMap::getMultiDimIdentityMap(1, ctx);
  return generic(b, loc, zeroFilled(b, loc, out), {labels},
                 {one, AffineMap::get(1, 0, {}, ctx)},
                 {IteratorType::reduction},
                 [&](OpBuilder &nb, Location l, ValueRange a) -> Value {
                   Value c = arith::SelectOp::create(
                       nb, l, isCounted(nb, l, a[0], ignoreIndex),
                       floatConst(nb, l, et, 1.0), floatConst(nb, l, et, 0.0));
                   return arith::AddFOp::create(nb, l, a[1], c);
                 });
}

/// cross_entropy: row max and sum of exps, the labelled logit picked by a
/// compare per class (a label outside [0, C) picks nothing), then the sum
/// of log(sum) + max - picked over the rows not ignored, divided by their
/// number.
struct CrossEntropyLowering : NNPattern<CrossEntropyOp> {
  using NNPattern::NNPattern;
  LogicalResult matchAndRewrite(CrossEntropyOp op,
                                PatternRewriter &rw) const override {
    MLIRContext *ctx = rw.getContext();
    Location loc = op.getLoc();
    RankedTensorType out = resultType(op);
    Type et = out.getElementType();
    int64_t ignoreIndex = op.getIgnoreIndex();
    auto [max, sum] = logSoftmaxStats(rw, loc, op.getLogits());
    auto rowType = cast<RankedTensorType>(max.getType());
    AffineMap id = AffineMap::getMultiDimIdentityMap(2, ctx);
    AffineMap row = rowMap(ctx, 2);
    Value picked = generic(
        rw, loc, zeroFilled(rw, loc, rowType), {op.getLogits(), op.getLabels()},
        {id, row, row}, {IteratorType::parallel, IteratorType::reduction},
        [&](OpBuilder &b, Location l, ValueRange a) -> Value {
          Value x = arith::SelectOp::create(b, l, isLabel(b, l, a[1]), a[0],
                                            floatConst(b, l, et, 0.0));
          return arith::AddFOp::create(b, l, a[2], x);
        });
    AffineMap one = AffineMap::getMultiDimIdentityMap(1, ctx);
    Value total = generic(
        rw, loc, zeroFilled(rw, loc, out), {max, sum, picked, op.getLabels()},
        {one, one, one, one, AffineMap::get(1, 0, {}, ctx)},
        {IteratorType::reduction},
        [&](OpBuilder &b, Location l, ValueRange a) -> Value {
          Value lse = arith::AddFOp::create(
              b, l, math::LogOp::create(b, l, a[1]), a[0]);
          Value term =
              arith::SelectOp::create(b, l, isCounted(b, l, a[3], ignoreIndex),
                                      arith::SubFOp::create(b, l, lse, a[2]),
                                      floatConst(b, l, et, 0.0));
          return arith::AddFOp::create(b, l, a[4], term);
        });
    Value rows = countedRows(rw, loc, op.getLabels(), et, ignoreIndex);
    rw.replaceOp(
        op, elementwise(
                rw, loc, out, {total, rows},
                [&](OpBuilder &b, Location l, ValueRange a) {
                  return arith::DivFOp::create(b, l, a[0], a[1]).getResult();
                }));
    return success();
  }
};

/// cross_entropy_grad: (exp(x - max) / sum - onehot) * dloss / M in one
/// parallel pass after the row statistics (M rows not ignored; ignored rows
/// get 0).
struct CrossEntropyGradLowering : NNPattern<CrossEntropyGradOp> {
  using NNPattern::NNPattern;
  LogicalResult matchAndRewrite(CrossEntropyGradOp op,
                                PatternRewriter &rw) const override {
    MLIRContext *ctx = rw.getContext();
    Location loc = op.getLoc();
    RankedTensorType type = resultType(op);
    Type et = type.getElementType();
    int64_t ignoreIndex = op.getIgnoreIndex();
    auto [max, sum] = logSoftmaxStats(rw, loc, op.getLogits());
    Value rows = countedRows(rw, loc, op.getLabels(), et, ignoreIndex);
    AffineMap id = AffineMap::getMultiDimIdentityMap(2, ctx);
    AffineMap row = rowMap(ctx, 2);
    AffineMap scalar = AffineMap::get(2, 0, {}, ctx);
    rw.replaceOp(
        op,
        generic(rw, loc, emptyLike(rw, loc, type),
                {op.getLogits(), max, sum, op.getLabels(), op.getDloss(), rows},
                {id, row, row, row, scalar, scalar, id},
                {IteratorType::parallel, IteratorType::parallel},
                [&](OpBuilder &b, Location l, ValueRange a) -> Value {
                  Value p = arith::DivFOp::create(
                      b, l,
                      math::ExpOp::create(
                          b, l, arith::SubFOp::create(b, l, a[0], a[1])),
                      a[2]);
                  Value onehot = arith::SelectOp::create(
                      b, l, isLabel(b, l, a[3]), floatConst(b, l, et, 1.0),
                      floatConst(b, l, et, 0.0));
                  Value scale = arith::DivFOp::create(b, l, a[4], a[5]);
                  Value g = arith::MulFOp::create(
                      b, l, arith::SubFOp::create(b, l, p, onehot), scale);
                  return arith::SelectOp::create(
                      b, l, isCounted(b, l, a[3], ignoreIndex), g,
                      floatConst(b, l, et, 0.0));
                }));
    return success();
  }
};

} // namespace

void pareprop::nn_to_linalg::populateLossesPatterns(
    RewritePatternSet &patterns) {
  patterns.add<CrossEntropyLowering, CrossEntropyGradLowering>(
      patterns.getContext());
}
