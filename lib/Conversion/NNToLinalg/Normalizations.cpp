//===- Normalizations.cpp - nn normalizations -> linalg
//---------------------===//
//
// The lowering of layer_norm and softmax, as row kernels or linalg ops
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

/// layer_norm: row mean, row sum of squared deviations, rstd, then one
/// elementwise pass for the affine result; one loop over the rows doing all
/// of that per row (RowKernels.h), or one linalg op per step.
struct LayerNormLowering : NNPattern<LayerNormOp> {
  LayerNormLowering(MLIRContext *ctx, bool rowKernels)
      : NNPattern(ctx), rowKernels(rowKernels) {}
  bool rowKernels;

  LogicalResult matchAndRewrite(LayerNormOp op,
                                PatternRewriter &rw) const override {
    if (rowKernels) {
      rw.replaceOp(op, buildLayerNormRowKernel(
                           rw, op.getLoc(), op.getInput(), op.getGamma(),
                           op.getBeta(), op.getEpsilon().convertToDouble()));
      return success();
    }
    MLIRContext *ctx = rw.getContext();
    Location loc = op.getLoc();
    RankedTensorType type = resultType(op);
    Type et = type.getElementType();
    int64_t rank = type.getRank();
    double features = type.getShape().back();
    auto statType = cast<RankedTensorType>(op.getMean().getType());
    auto perRow = [&](Value v, auto fn) {
      return elementwise(rw, loc, statType, {v}, fn);
    };
    Value sum = reduceLastDim(rw, loc, op.getInput(), 0.0, addCombine);
    Value mean = perRow(sum, [&](OpBuilder &b, Location l, ValueRange a) {
      return arith::DivFOp::create(b, l, a[0], floatConst(b, l, et, features))
          .getResult();
    });
    AffineMap id = AffineMap::getMultiDimIdentityMap(rank, ctx);
    AffineMap row = rowMap(ctx, rank);
    SmallVector<IteratorType> reduceIters(rank, IteratorType::parallel);
    reduceIters.back() = IteratorType::reduction;
    Value squares =
        generic(rw, loc, zeroFilled(rw, loc, statType), {op.getInput(), mean},
                {id, row, row}, reduceIters,
                [](OpBuilder &b, Location l, ValueRange a) -> Value {
                  Value d = arith::SubFOp::create(b, l, a[0], a[1]);
                  return arith::AddFOp::create(
                      b, l, a[2], arith::MulFOp::create(b, l, d, d));
                });
    double eps = op.getEpsilon().convertToDouble();
    Value rstd = perRow(squares, [&](OpBuilder &b, Location l, ValueRange a) {
      Value var =
          arith::DivFOp::create(b, l, a[0], floatConst(b, l, et, features));
      Value shifted =
          arith::AddFOp::create(b, l, var, floatConst(b, l, et, eps));
      // 1 / sqrt: math.rsqrt has no f64 lowering on the CPU path.
      return arith::DivFOp::create(b, l, floatConst(b, l, et, 1.0),
                                   math::SqrtOp::create(b, l, shifted))
          .getResult();
    });
    AffineMap feature =
        AffineMap::get(rank, 0, {getAffineDimExpr(rank - 1, ctx)}, ctx);
    Value y =
        generic(rw, loc, emptyLike(rw, loc, type),
                {op.getInput(), mean, rstd, op.getGamma(), op.getBeta()},
                {id, row, row, feature, feature, id},
                SmallVector<IteratorType>(rank, IteratorType::parallel),
                [](OpBuilder &b, Location l, ValueRange a) -> Value {
                  Value xhat = arith::MulFOp::create(
                      b, l, arith::SubFOp::create(b, l, a[0], a[1]), a[2]);
                  return arith::AddFOp::create(
                      b, l, arith::MulFOp::create(b, l, xhat, a[3]), a[4]);
                });
    rw.replaceOp(op, {y, mean, rstd});
    return success();
  }
};

/// softmax over the last dimension, shifted by the row maximum: a row kernel
/// (RowKernels.h) or one linalg op per pass.
struct SoftmaxLowering : NNPattern<SoftmaxOp> {
  SoftmaxLowering(MLIRContext *ctx, bool rowKernels)
      : NNPattern(ctx), rowKernels(rowKernels) {}
  bool rowKernels;

  LogicalResult matchAndRewrite(SoftmaxOp op,
                                PatternRewriter &rw) const override {
    if (rowKernels) {
      rw.replaceOp(op, buildSoftmaxRowKernel(rw, op.getLoc(), op.getInput()));
      return success();
    }
    MLIRContext *ctx = rw.getContext();
    Location loc = op.getLoc();
    RankedTensorType type = resultType(op);
    int64_t rank = type.getRank();
    Value max = reduceLastDim(
        rw, loc, op.getInput(), -INFINITY,
        [](OpBuilder &b, Location l, Value acc, Value x) -> Value {
          return arith::MaximumFOp::create(b, l, acc, x);
        });
    AffineMap id = AffineMap::getMultiDimIdentityMap(rank, ctx);
    AffineMap row = rowMap(ctx, rank);
    SmallVector<IteratorType> parallel(rank, IteratorType::parallel);
    Value exps = generic(rw, loc, emptyLike(rw, loc, type),
                         {op.getInput(), max}, {id, row, id}, parallel,
                         [](OpBuilder &b, Location l, ValueRange a) -> Value {
                           return math::ExpOp::create(
                               b, l, arith::SubFOp::create(b, l, a[0], a[1]));
                         });
    Value sum = reduceLastDim(rw, loc, exps, 0.0, addCombine);
    Value y =
        generic(rw, loc, emptyLike(rw, loc, type), {exps, sum}, {id, row, id},
                parallel, [](OpBuilder &b, Location l, ValueRange a) -> Value {
                  return arith::DivFOp::create(b, l, a[0], a[1]);
                });
    rw.replaceOp(op, y);
    return success();
  }
};

} // namespace

void pareprop::nn_to_linalg::populateNormalizationsPatterns(
    RewritePatternSet &patterns, bool rowKernels) {
  patterns.add<LayerNormLowering, SoftmaxLowering>(patterns.getContext(),
                                                   rowKernels);
}
