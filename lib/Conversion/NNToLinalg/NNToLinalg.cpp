//===- NNToLinalg.cpp - nn ops -> linalg on tensors -----------------------===//

#include "RowKernels.h"
#include "pareprop/Conversion/Passes.h"
#include "pareprop/Dialect/NN/IR/NNOps.h"

#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Utils/StructuredOpsUtils.h"
#include "mlir/IR/PatternMatch.h"
#include "mlir/Transforms/DialectConversion.h"
#include <cmath>

namespace pareprop {
#define GEN_PASS_DEF_CONVERTNNTOLINALG
#include "pareprop/Conversion/Passes.h.inc"
} // namespace pareprop

using namespace mlir;
using namespace pareprop;
using namespace pareprop::nn;
using utils::IteratorType;

namespace {

using BodyFn = function_ref<Value(OpBuilder &, Location, ValueRange)>;

Value floatConst(OpBuilder &b, Location loc, Type type, double v) {
  return arith::ConstantOp::create(b, loc, b.getFloatAttr(type, v));
}

Value emptyLike(OpBuilder &b, Location loc, RankedTensorType type) {
  return tensor::EmptyOp::create(b, loc, type.getShape(),
                                 type.getElementType());
}

Value filled(OpBuilder &b, Location loc, RankedTensorType type, double v) {
  Value value = floatConst(b, loc, type.getElementType(), v);
  return linalg::FillOp::create(b, loc, value, emptyLike(b, loc, type))
      .getResult(0);
}

Value zeroFilled(OpBuilder &b, Location loc, RankedTensorType type) {
  return filled(b, loc, type, 0.0);
}

/// A linalg.generic with explicit indexing maps writing into `init`; `body`
/// gets the scalars of the inputs and of `init` and returns the new value.
Value generic(OpBuilder &b, Location loc, Value init, ValueRange inputs,
              ArrayRef<AffineMap> maps, ArrayRef<IteratorType> iterators,
              BodyFn body) {
  auto op = linalg::GenericOp::create(
      b, loc, TypeRange{init.getType()}, inputs, ValueRange{init}, maps,
      iterators, [&](OpBuilder &nb, Location nloc, ValueRange args) {
        linalg::YieldOp::create(nb, nloc, body(nb, nloc, args));
      });
  return op.getResult(0);
}

/// Map from `resultType`'s loops to `operandType`'s indices under NumPy
/// broadcasting: trailing alignment, size-1 operand dims read index 0.
AffineMap broadcastMap(MLIRContext *ctx, RankedTensorType operandType,
                       RankedTensorType resultType) {
  int64_t r = resultType.getRank(), t = operandType.getRank();
  SmallVector<AffineExpr> exprs;
  for (int64_t i = 0; i < t; ++i) {
    int64_t rd = r - t + i;
    if (operandType.getDimSize(i) == 1 && resultType.getDimSize(rd) != 1)
      exprs.push_back(getAffineConstantExpr(0, ctx));
    else
      exprs.push_back(getAffineDimExpr(rd, ctx));
  }
  return AffineMap::get(r, 0, exprs, ctx);
}

/// An all-parallel linalg.generic producing `resultType` from `inputs`
/// (broadcast to it); `body` gets the input scalars only.
Value elementwise(OpBuilder &b, Location loc, RankedTensorType resultType,
                  ValueRange inputs, BodyFn body) {
  MLIRContext *ctx = b.getContext();
  SmallVector<AffineMap> maps;
  for (Value in : inputs)
    maps.push_back(
        broadcastMap(ctx, cast<RankedTensorType>(in.getType()), resultType));
  maps.push_back(AffineMap::getMultiDimIdentityMap(resultType.getRank(), ctx));
  return generic(
      b, loc, emptyLike(b, loc, resultType), inputs, maps,
      SmallVector<IteratorType>(resultType.getRank(), IteratorType::parallel),
      [&](OpBuilder &nb, Location nloc, ValueRange args) {
        return body(nb, nloc, args.drop_back());
      });
}

/// Map from `rank` loops dropping the last one: how row statistics (mean,
/// max, ...) of a last-dimension op are indexed.
AffineMap rowMap(MLIRContext *ctx, int64_t rank) {
  return AffineMap::getMultiDimIdentityMap(rank, ctx).dropResult(rank - 1);
}

using CombineFn = function_ref<Value(OpBuilder &, Location, Value, Value)>;

/// Reduces `input` over the loop dims marked in `reduced` with
/// `combine(accumulator, element)`, starting from `initValue`, into a tensor
/// indexed by the other dims in order.
Value reduce(OpBuilder &b, Location loc, Value input, ArrayRef<bool> reduced,
             double initValue, CombineFn combine) {
  MLIRContext *ctx = b.getContext();
  auto inType = cast<RankedTensorType>(input.getType());
  int64_t rank = reduced.size();
  SmallVector<AffineExpr> outExprs;
  SmallVector<int64_t> outShape;
  SmallVector<IteratorType> iterators;
  for (int64_t d = 0; d < rank; ++d) {
    iterators.push_back(reduced[d] ? IteratorType::reduction
                                   : IteratorType::parallel);
    if (!reduced[d]) {
      outExprs.push_back(getAffineDimExpr(d, ctx));
      outShape.push_back(inType.getDimSize(d));
    }
  }
  auto outType = RankedTensorType::get(outShape, inType.getElementType());
  return generic(b, loc, filled(b, loc, outType, initValue), {input},
                 {AffineMap::getMultiDimIdentityMap(rank, ctx),
                  AffineMap::get(rank, 0, outExprs, ctx)},
                 iterators, [&](OpBuilder &nb, Location l, ValueRange a) {
                   return combine(nb, l, a[1], a[0]);
                 });
}

Value addCombine(OpBuilder &b, Location l, Value acc, Value x) {
  return arith::AddFOp::create(b, l, acc, x);
}

/// Sums `input` over the loop dims marked in `reduced`.
Value reduceSum(OpBuilder &b, Location loc, Value input,
                ArrayRef<bool> reduced) {
  return reduce(b, loc, input, reduced, 0.0, addCombine);
}

/// Reduces the last dimension of `input` with `combine`, from `initValue`.
Value reduceLastDim(OpBuilder &b, Location loc, Value input, double initValue,
                    CombineFn combine) {
  SmallVector<bool> reduced(cast<RankedTensorType>(input.getType()).getRank(),
                            false);
  reduced.back() = true;
  return reduce(b, loc, input, reduced, initValue, combine);
}

template <typename Op> struct NNPattern : OpRewritePattern<Op> {
  using OpRewritePattern<Op>::OpRewritePattern;
  RankedTensorType resultType(Op op) const {
    return cast<RankedTensorType>(op->getResult(0).getType());
  }
  Type elemType(Op op) const { return resultType(op).getElementType(); }
};

template <typename Op, typename ArithOp> struct BinaryLowering : NNPattern<Op> {
  using NNPattern<Op>::NNPattern;
  LogicalResult matchAndRewrite(Op op, PatternRewriter &rw) const override {
    rw.replaceOp(
        op, elementwise(rw, op.getLoc(), this->resultType(op),
                        {op.getLhs(), op.getRhs()},
                        [](OpBuilder &b, Location l, ValueRange a) {
                          return ArithOp::create(b, l, a[0], a[1]).getResult();
                        }));
    return success();
  }
};

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
  /// convert-contractions-to-runtime.
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
      rw.replaceOp(op,
                   buildSoftmaxRowKernel(rw, op.getLoc(), op.getInput()));
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

/// reshape: collapse to one dimension, expand to the result (views, no copy).
struct ReshapeLowering : NNPattern<ReshapeOp> {
  using NNPattern::NNPattern;
  LogicalResult matchAndRewrite(ReshapeOp op,
                                PatternRewriter &rw) const override {
    Location loc = op.getLoc();
    auto in = op.getInput().getType();
    RankedTensorType out = resultType(op);
    auto all = [](int64_t rank) {
      SmallVector<ReassociationIndices> groups;
      if (rank > 0)
        groups.push_back(llvm::to_vector(llvm::seq<int64_t>(0, rank)));
      return groups;
    };
    Value v = op.getInput();
    if (in.getRank() > 1 && out.getRank() != 0) {
      auto flat =
          RankedTensorType::get({in.getNumElements()}, in.getElementType());
      v = tensor::CollapseShapeOp::create(rw, loc, flat, v, all(in.getRank()));
    } else if (out.getRank() == 0) {
      v = tensor::CollapseShapeOp::create(rw, loc, out, v, all(0));
    }
    if (v.getType() != out) {
      auto vt = cast<RankedTensorType>(v.getType());
      v = tensor::ExpandShapeOp::create(
          rw, loc, out, v, all(vt.getRank() == 0 ? 0 : out.getRank()));
    }
    rw.replaceOp(op, v);
    return success();
  }
};

struct TransposeLowering : NNPattern<TransposeOp> {
  using NNPattern::NNPattern;
  LogicalResult matchAndRewrite(TransposeOp op,
                                PatternRewriter &rw) const override {
    MLIRContext *ctx = rw.getContext();
    RankedTensorType out = resultType(op);
    int64_t rank = out.getRank();
    // Input dimension perm[i] is walked by loop i.
    SmallVector<AffineExpr> inExprs(rank);
    for (auto [i, d] : llvm::enumerate(op.getPermutation()))
      inExprs[d] = getAffineDimExpr(i, ctx);
    rw.replaceOp(
        op, generic(rw, op.getLoc(), emptyLike(rw, op.getLoc(), out),
                    {op.getInput()},
                    {AffineMap::get(rank, 0, inExprs, ctx),
                     AffineMap::getMultiDimIdentityMap(rank, ctx)},
                    SmallVector<IteratorType>(rank, IteratorType::parallel),
                    [](OpBuilder &, Location, ValueRange a) { return a[0]; }));
    return success();
  }
};

/// Static offsets, sizes and unit strides of a tensor.extract_slice /
/// tensor.insert_slice.
SmallVector<OpFoldResult> indexAttrs(OpBuilder &b, ArrayRef<int64_t> values) {
  return llvm::to_vector(llvm::map_range(
      values, [&](int64_t v) -> OpFoldResult { return b.getIndexAttr(v); }));
}

/// slice: a tensor.extract_slice (a view once bufferized).
struct SliceLowering : NNPattern<SliceOp> {
  using NNPattern::NNPattern;
  LogicalResult matchAndRewrite(SliceOp op,
                                PatternRewriter &rw) const override {
    SmallVector<int64_t> strides(op.getOffsets().size(), 1);
    rw.replaceOpWithNewOp<tensor::ExtractSliceOp>(
        op, resultType(op), op.getInput(), indexAttrs(rw, op.getOffsets()),
        indexAttrs(rw, op.getSizes()), indexAttrs(rw, strides));
    return success();
  }
};

/// slice_grad: zeros with the gradient inserted at the slice's place.
struct SliceGradLowering : NNPattern<SliceGradOp> {
  using NNPattern::NNPattern;
  LogicalResult matchAndRewrite(SliceGradOp op,
                                PatternRewriter &rw) const override {
    auto grad = op.getGrad().getType();
    SmallVector<int64_t> strides(grad.getRank(), 1);
    Value zeros = zeroFilled(rw, op.getLoc(), resultType(op));
    rw.replaceOpWithNewOp<tensor::InsertSliceOp>(
        op, op.getGrad(), zeros, indexAttrs(rw, op.getOffsets()),
        indexAttrs(rw, grad.getShape()), indexAttrs(rw, strides));
    return success();
  }
};

/// concat: each operand inserted at its offset into one empty tensor.
struct ConcatLowering : NNPattern<ConcatOp> {
  using NNPattern::NNPattern;
  LogicalResult matchAndRewrite(ConcatOp op,
                                PatternRewriter &rw) const override {
    RankedTensorType out = resultType(op);
    if (op.getInputs().size() == 1) {
      rw.replaceOp(op, op.getInputs()[0]);
      return success();
    }
    int64_t dim = op.getDim(), offset = 0;
    SmallVector<int64_t> strides(out.getRank(), 1);
    Value result = emptyLike(rw, op.getLoc(), out);
    for (Value in : op.getInputs()) {
      auto type = cast<RankedTensorType>(in.getType());
      SmallVector<int64_t> offsets(out.getRank(), 0);
      offsets[dim] = offset;
      offset += type.getDimSize(dim);
      result = tensor::InsertSliceOp::create(
          rw, op.getLoc(), in, result, indexAttrs(rw, offsets),
          indexAttrs(rw, type.getShape()), indexAttrs(rw, strides));
    }
    rw.replaceOp(op, result);
    return success();
  }
};

/// An i64 id clamped to [0, rows - 1] as an index: out-of-range ids read
/// (and their gradients write) the nearest row, never outside the table.
Value clampedRow(OpBuilder &b, Location l, Value id, int64_t rows) {
  Type i64 = b.getI64Type();
  Value lo = arith::ConstantOp::create(b, l, b.getIntegerAttr(i64, 0));
  Value hi = arith::ConstantOp::create(b, l, b.getIntegerAttr(i64, rows - 1));
  Value clamped =
      arith::MinSIOp::create(b, l, arith::MaxSIOp::create(b, l, id, lo), hi);
  return arith::IndexCastOp::create(b, l, b.getIndexType(), clamped);
}

/// embedding: one parallel loop nest over the result; each element reads
/// its id and extracts table[id, d].
struct EmbeddingLowering : NNPattern<EmbeddingOp> {
  using NNPattern::NNPattern;
  LogicalResult matchAndRewrite(EmbeddingOp op,
                                PatternRewriter &rw) const override {
    MLIRContext *ctx = rw.getContext();
    RankedTensorType out = resultType(op);
    int64_t rank = out.getRank();
    int64_t rows = op.getTable().getType().getDimSize(0);
    Value table = op.getTable();
    AffineMap idsMap =
        AffineMap::getMultiDimIdentityMap(rank, ctx).dropResult(rank - 1);
    rw.replaceOp(
        op,
        generic(rw, op.getLoc(), emptyLike(rw, op.getLoc(), out), {op.getIds()},
                {idsMap, AffineMap::getMultiDimIdentityMap(rank, ctx)},
                SmallVector<IteratorType>(rank, IteratorType::parallel),
                [&](OpBuilder &b, Location l, ValueRange a) {
                  Value row = clampedRow(b, l, a[0], rows);
                  Value col = linalg::IndexOp::create(b, l, rank - 1);
                  return tensor::ExtractOp::create(b, l, table,
                                                   ValueRange{row, col})
                      .getResult();
                }));
    return success();
  }
};

/// embedding_grad: a sequential loop over the ids (repeated ids must
/// accumulate) adding each row of the gradient into the row its id names,
/// on a zero-filled table: O(tokens x D) after the fill.
struct EmbeddingGradLowering : NNPattern<EmbeddingGradOp> {
  using NNPattern::NNPattern;
  LogicalResult matchAndRewrite(EmbeddingGradOp op,
                                PatternRewriter &rw) const override {
    MLIRContext *ctx = rw.getContext();
    Location loc = op.getLoc();
    RankedTensorType out = resultType(op);
    auto ids = op.getIds().getType();
    auto grad = op.getGrad().getType();
    int64_t rows = out.getDimSize(0), width = out.getDimSize(1);
    int64_t idRank = ids.getRank();
    auto rowType = RankedTensorType::get({width}, out.getElementType());
    SmallVector<Value> lbs, ubs, steps;
    for (int64_t d = 0; d < idRank; ++d) {
      lbs.push_back(arith::ConstantIndexOp::create(rw, loc, 0));
      ubs.push_back(arith::ConstantIndexOp::create(rw, loc, ids.getDimSize(d)));
      steps.push_back(arith::ConstantIndexOp::create(rw, loc, 1));
    }
    Value init = zeroFilled(rw, loc, out);
    scf::LoopNest nest = scf::buildLoopNest(
        rw, loc, lbs, ubs, steps, ValueRange{init},
        [&](OpBuilder &b, Location l, ValueRange ivs,
            ValueRange acc) -> scf::ValueVector {
          Value id = tensor::ExtractOp::create(b, l, op.getIds(), ivs);
          Value row = clampedRow(b, l, id, rows);
          // The token's gradient row, grad[ivs..., :].
          SmallVector<OpFoldResult> gOffsets(ivs.begin(), ivs.end());
          gOffsets.push_back(b.getIndexAttr(0));
          SmallVector<int64_t> gSizes(idRank, 1);
          gSizes.push_back(width);
          Value src = tensor::ExtractSliceOp::create(
              b, l, rowType, op.getGrad(), gOffsets, indexAttrs(b, gSizes),
              indexAttrs(b, SmallVector<int64_t>(grad.getRank(), 1)));
          // acc[row, :] += src, in place.
          SmallVector<OpFoldResult> aOffsets{row, b.getIndexAttr(0)};
          SmallVector<OpFoldResult> aSizes = indexAttrs(b, {1, width});
          SmallVector<OpFoldResult> unit = indexAttrs(b, {1, 1});
          Value dst = tensor::ExtractSliceOp::create(b, l, rowType, acc[0],
                                                     aOffsets, aSizes, unit);
          AffineMap id1 = AffineMap::getMultiDimIdentityMap(1, ctx);
          Value sum = generic(
              b, l, dst, {src}, {id1, id1}, {IteratorType::parallel},
              [](OpBuilder &nb, Location nl, ValueRange a) {
                return arith::AddFOp::create(nb, nl, a[1], a[0]).getResult();
              });
          return {tensor::InsertSliceOp::create(b, l, sum, acc[0], aOffsets,
                                                aSizes, unit)
                      .getResult()};
        });
    rw.replaceOp(op, nest.results.empty() ? init : nest.results[0]);
    return success();
  }
};

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
          Value lse =
              arith::AddFOp::create(b, l, math::LogOp::create(b, l, a[1]), a[0]);
          Value term = arith::SelectOp::create(
              b, l, isCounted(b, l, a[3], ignoreIndex),
              arith::SubFOp::create(b, l, lse, a[2]),
              floatConst(b, l, et, 0.0));
          return arith::AddFOp::create(b, l, a[4], term);
        });
    Value rows = countedRows(rw, loc, op.getLabels(), et, ignoreIndex);
    rw.replaceOp(op, elementwise(rw, loc, out, {total, rows},
                                 [&](OpBuilder &b, Location l, ValueRange a) {
                                   return arith::DivFOp::create(b, l, a[0],
                                                                a[1])
                                       .getResult();
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

/// The SplitMix64 finalizer on i64 values (wrapping multiplies, logical
/// shifts): the mixing function of nn.fold_key and nn.dropout.
Value mix64(OpBuilder &b, Location l, Value z) {
  Type i64 = b.getI64Type();
  auto c = [&](uint64_t v) -> Value {
    return arith::ConstantOp::create(b, l, b.getIntegerAttr(i64, int64_t(v)));
  };
  auto shiftXor = [&](Value v, uint64_t s) -> Value {
    return arith::XOrIOp::create(b, l, v,
                                 arith::ShRUIOp::create(b, l, v, c(s)));
  };
  z = arith::MulIOp::create(b, l, shiftXor(z, 30), c(0xBF58476D1CE4E5B9ull));
  z = arith::MulIOp::create(b, l, shiftXor(z, 27), c(0x94D049BB133111EBull));
  return shiftXor(z, 31);
}

constexpr uint64_t kGolden = 0x9E3779B97F4A7C15ull;
constexpr uint64_t kDropoutSalt = 0xD1B54A32D192ED03ull;

Value i64Const(OpBuilder &b, Location l, uint64_t v) {
  return arith::ConstantOp::create(
      b, l, b.getIntegerAttr(b.getI64Type(), int64_t(v)));
}

struct FoldKeyLowering : OpRewritePattern<FoldKeyOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(FoldKeyOp op,
                                PatternRewriter &rw) const override {
    Location l = op.getLoc();
    uint64_t salt = uint64_t(op.getSalt()) + 1;
    Value sum = arith::AddIOp::create(rw, l, op.getKey(),
                                      i64Const(rw, l, salt * kGolden));
    rw.replaceOp(op, mix64(rw, l, sum));
    return success();
  }
};

/// dropout: the keep bit of element e is a hash of (key, id, e), computed
/// from the loop indices, so every evaluation of the op draws the same mask.
struct DropoutLowering : NNPattern<DropoutOp> {
  using NNPattern::NNPattern;
  LogicalResult matchAndRewrite(DropoutOp op,
                                PatternRewriter &rw) const override {
    Location loc = op.getLoc();
    RankedTensorType type = resultType(op);
    Type et = type.getElementType();
    double rate = op.getRate().convertToDouble();
    int64_t threshold = std::llround(rate * double(1 << 24));
    uint64_t salt = (uint64_t(op.getId()) + 1) * kDropoutSalt;
    Value base = mix64(
        rw, loc,
        arith::XOrIOp::create(rw, loc, op.getKey(), i64Const(rw, loc, salt)));
    SmallVector<int64_t> strides(type.getRank(), 1);
    for (int64_t d = type.getRank() - 2; d >= 0; --d)
      strides[d] = strides[d + 1] * type.getDimSize(d + 1);
    Value y = elementwise(
        rw, loc, type, {op.getInput()},
        [&](OpBuilder &b, Location l, ValueRange a) -> Value {
          Value e = i64Const(b, l, 1);
          for (auto [d, stride] : llvm::enumerate(strides)) {
            Value idx = arith::IndexCastOp::create(
                b, l, b.getI64Type(), linalg::IndexOp::create(b, l, d));
            e = arith::AddIOp::create(
                b, l, e,
                arith::MulIOp::create(b, l, idx, i64Const(b, l, stride)));
          }
          Value bits = mix64(
              b, l,
              arith::AddIOp::create(
                  b, l, base,
                  arith::MulIOp::create(b, l, e, i64Const(b, l, kGolden))));
          Value top = arith::ShRUIOp::create(b, l, bits, i64Const(b, l, 40));
          Value keep = arith::CmpIOp::create(b, l, arith::CmpIPredicate::sge,
                                             top, i64Const(b, l, threshold));
          Value scaled = arith::MulFOp::create(
              b, l, a[0], floatConst(b, l, et, 1.0 / (1.0 - rate)));
          return arith::SelectOp::create(b, l, keep, scaled,
                                         floatConst(b, l, et, 0.0));
        });
    rw.replaceOp(op, y);
    return success();
  }
};

/// Lowers a unary-shaped op whose scalar body is given by `Derived::scalar`.
template <typename Op, typename Derived>
struct ElementwiseLowering : NNPattern<Op> {
  using NNPattern<Op>::NNPattern;
  LogicalResult matchAndRewrite(Op op, PatternRewriter &rw) const override {
    Type et = this->elemType(op);
    rw.replaceOp(op, elementwise(rw, op.getLoc(), this->resultType(op),
                                 op->getOperands(),
                                 [&](OpBuilder &b, Location l, ValueRange a) {
                                   return Derived::scalar(op, b, l, et, a);
                                 }));
    return success();
  }
};

/// Standard normal CDF Phi(x) = 0.5 * (1 + erf(x / sqrt(2))).
Value normalCdf(OpBuilder &b, Location l, Type t, Value x) {
  Value scaled = arith::MulFOp::create(b, l, x, floatConst(b, l, t, M_SQRT1_2));
  Value erf = math::ErfOp::create(b, l, scaled);
  Value one = floatConst(b, l, t, 1.0);
  return arith::MulFOp::create(b, l, floatConst(b, l, t, 0.5),
                               arith::AddFOp::create(b, l, one, erf));
}

/// tanh(sqrt(2/pi) * (x + 0.044715 x^3)) of the tanh-approximated GELU.
Value geluTanhInner(OpBuilder &b, Location l, Type t, Value x) {
  Value x3 = arith::MulFOp::create(b, l, x, arith::MulFOp::create(b, l, x, x));
  Value inner = arith::AddFOp::create(
      b, l, x, arith::MulFOp::create(b, l, floatConst(b, l, t, 0.044715), x3));
  Value k = floatConst(b, l, t, std::sqrt(2.0 / M_PI));
  return math::TanhOp::create(b, l, arith::MulFOp::create(b, l, k, inner));
}

struct TanhLowering : ElementwiseLowering<TanhOp, TanhLowering> {
  using ElementwiseLowering::ElementwiseLowering;
  static Value scalar(TanhOp, OpBuilder &b, Location l, Type, ValueRange a) {
    return math::TanhOp::create(b, l, a[0]);
  }
};

struct ReluLowering : ElementwiseLowering<ReluOp, ReluLowering> {
  using ElementwiseLowering::ElementwiseLowering;
  static Value scalar(ReluOp, OpBuilder &b, Location l, Type t, ValueRange a) {
    return arith::MaximumFOp::create(b, l, a[0], floatConst(b, l, t, 0.0));
  }
};

struct GeluLowering : ElementwiseLowering<GeluOp, GeluLowering> {
  using ElementwiseLowering::ElementwiseLowering;
  static Value scalar(GeluOp op, OpBuilder &b, Location l, Type t,
                      ValueRange a) {
    Value x = a[0];
    if (op.getApproximate() == "tanh") {
      Value th = geluTanhInner(b, l, t, x);
      Value half = arith::MulFOp::create(b, l, floatConst(b, l, t, 0.5), x);
      return arith::MulFOp::create(
          b, l, half,
          arith::AddFOp::create(b, l, floatConst(b, l, t, 1.0), th));
    }
    return arith::MulFOp::create(b, l, x, normalCdf(b, l, t, x));
  }
};

struct ScaleLowering : ElementwiseLowering<ScaleOp, ScaleLowering> {
  using ElementwiseLowering::ElementwiseLowering;
  static Value scalar(ScaleOp op, OpBuilder &b, Location l, Type t,
                      ValueRange a) {
    return arith::MulFOp::create(
        b, l, a[0], floatConst(b, l, t, op.getFactor().convertToDouble()));
  }
};

struct TanhGradLowering : ElementwiseLowering<TanhGradOp, TanhGradLowering> {
  using ElementwiseLowering::ElementwiseLowering;
  static Value scalar(TanhGradOp, OpBuilder &b, Location l, Type t,
                      ValueRange a) {
    Value y2 = arith::MulFOp::create(b, l, a[0], a[0]);
    Value d = arith::SubFOp::create(b, l, floatConst(b, l, t, 1.0), y2);
    return arith::MulFOp::create(b, l, a[1], d);
  }
};

struct ReluGradLowering : ElementwiseLowering<ReluGradOp, ReluGradLowering> {
  using ElementwiseLowering::ElementwiseLowering;
  static Value scalar(ReluGradOp, OpBuilder &b, Location l, Type t,
                      ValueRange a) {
    Value positive = arith::CmpFOp::create(b, l, arith::CmpFPredicate::OGT,
                                           a[0], floatConst(b, l, t, 0.0));
    return arith::SelectOp::create(b, l, positive, a[1],
                                   floatConst(b, l, t, 0.0));
  }
};

struct GeluGradLowering : ElementwiseLowering<GeluGradOp, GeluGradLowering> {
  using ElementwiseLowering::ElementwiseLowering;
  static Value scalar(GeluGradOp op, OpBuilder &b, Location l, Type t,
                      ValueRange a) {
    Value x = a[0], dy = a[1];
    auto c = [&](double v) { return floatConst(b, l, t, v); };
    auto mul = [&](Value p, Value q) {
      return arith::MulFOp::create(b, l, p, q).getResult();
    };
    auto add = [&](Value p, Value q) {
      return arith::AddFOp::create(b, l, p, q).getResult();
    };
    Value deriv;
    if (op.getApproximate() == "tanh") {
      // d/dx 0.5 x (1 + th) = 0.5 (1 + th) + 0.5 x (1 - th^2) u'(x).
      Value th = geluTanhInner(b, l, t, x);
      Value du = mul(c(std::sqrt(2.0 / M_PI)),
                     add(c(1.0), mul(c(3 * 0.044715), mul(x, x))));
      Value sech2 = arith::SubFOp::create(b, l, c(1.0), mul(th, th));
      deriv = add(mul(c(0.5), add(c(1.0), th)),
                  mul(mul(c(0.5), x), mul(sech2, du)));
    } else {
      // Phi(x) + x phi(x), phi(x) = exp(-x^2/2) / sqrt(2 pi).
      Value e = math::ExpOp::create(b, l, mul(c(-0.5), mul(x, x)));
      Value pdf = mul(c(1.0 / std::sqrt(2.0 * M_PI)), e);
      deriv = add(normalCdf(b, l, t, x), mul(x, pdf));
    }
    return mul(dy, deriv);
  }
};

template <typename Op> struct ReduceLowering : NNPattern<Op> {
  using NNPattern<Op>::NNPattern;
  LogicalResult matchAndRewrite(Op op, PatternRewriter &rw) const override {
    auto inType = cast<RankedTensorType>(op.getInput().getType());
    SmallVector<bool> reduced(inType.getRank(), false);
    double count = 1;
    for (int64_t d : op.getDims()) {
      reduced[d] = true;
      count *= inType.getDimSize(d);
    }
    Value sum = reduceSum(rw, op.getLoc(), op.getInput(), reduced);
    if (std::is_same_v<Op, MeanOp>) {
      Type t = this->elemType(op);
      sum = elementwise(rw, op.getLoc(), this->resultType(op), {sum},
                        [&](OpBuilder &b, Location l, ValueRange a) {
                          return arith::DivFOp::create(
                                     b, l, a[0], floatConst(b, l, t, count))
                              .getResult();
                        });
    }
    rw.replaceOp(op, sum);
    return success();
  }
};

struct BroadcastLowering : NNPattern<BroadcastOp> {
  using NNPattern::NNPattern;
  LogicalResult matchAndRewrite(BroadcastOp op,
                                PatternRewriter &rw) const override {
    MLIRContext *ctx = rw.getContext();
    RankedTensorType out = resultType(op);
    SmallVector<AffineExpr> inExprs;
    for (int64_t d = 0; d < out.getRank(); ++d)
      if (!llvm::is_contained(op.getDims(), d))
        inExprs.push_back(getAffineDimExpr(d, ctx));
    SmallVector<AffineMap> maps{
        AffineMap::get(out.getRank(), 0, inExprs, ctx),
        AffineMap::getMultiDimIdentityMap(out.getRank(), ctx)};
    rw.replaceOp(
        op, generic(rw, op.getLoc(), emptyLike(rw, op.getLoc(), out),
                    {op.getInput()}, maps,
                    SmallVector<IteratorType>(out.getRank(),
                                              IteratorType::parallel),
                    [](OpBuilder &, Location, ValueRange a) { return a[0]; }));
    return success();
  }
};

struct ReduceToLowering : NNPattern<ReduceToOp> {
  using NNPattern::NNPattern;
  LogicalResult matchAndRewrite(ReduceToOp op,
                                PatternRewriter &rw) const override {
    auto in = op.getInput().getType();
    RankedTensorType out = resultType(op);
    int64_t lead = in.getRank() - out.getRank();
    SmallVector<bool> reduced(in.getRank(), false);
    SmallVector<int64_t> keptShape;
    // Result dims that are reduced unit dims get re-inserted by expand_shape.
    SmallVector<bool> insertedUnit(out.getRank(), false);
    for (int64_t d = 0; d < in.getRank(); ++d) {
      if (d < lead) {
        reduced[d] = true;
        continue;
      }
      int64_t od = d - lead;
      if (out.getDimSize(od) == 1 && in.getDimSize(d) != 1) {
        reduced[d] = true;
        insertedUnit[od] = true;
      } else {
        keptShape.push_back(out.getDimSize(od));
      }
    }
    auto keptType = RankedTensorType::get(keptShape, out.getElementType());
    Value sum = reduceSum(rw, op.getLoc(), op.getInput(), reduced);
    if (keptType != out) {
      SmallVector<ReassociationIndices> groups(keptShape.size());
      SmallVector<int64_t> pending;
      size_t next = 0;
      for (int64_t od = 0; od < out.getRank(); ++od) {
        if (!insertedUnit[od]) {
          groups[next] = ReassociationIndices(pending.begin(), pending.end());
          groups[next++].push_back(od);
          pending.clear();
        } else if (next == 0) {
          pending.push_back(od);
        } else {
          groups[next - 1].push_back(od);
        }
      }
      sum = tensor::ExpandShapeOp::create(rw, op.getLoc(), out, sum, groups);
    }
    rw.replaceOp(op, sum);
    return success();
  }
};

/// max_abs_error: one pass over all elements reduces both maxima into
/// rank-0 f64 tensors, then packs them.
struct MaxAbsErrorLowering : NNPattern<MaxAbsErrorOp> {
  using NNPattern::NNPattern;
  LogicalResult matchAndRewrite(MaxAbsErrorOp op,
                                PatternRewriter &rw) const override {
    MLIRContext *ctx = rw.getContext();
    Location loc = op.getLoc();
    auto type = op.getValue().getType();
    int64_t rank = type.getRank();
    Type f64 = rw.getF64Type();
    auto scalarType = RankedTensorType::get({}, f64);
    Value zero = zeroFilled(rw, loc, scalarType);
    AffineMap id = AffineMap::getMultiDimIdentityMap(rank, ctx);
    AffineMap toScalar = AffineMap::get(rank, 0, {}, ctx);
    auto generic = linalg::GenericOp::create(
        rw, loc, TypeRange{scalarType, scalarType},
        ValueRange{op.getValue(), op.getReference()}, ValueRange{zero, zero},
        {id, id, toScalar, toScalar},
        SmallVector<IteratorType>(rank, IteratorType::reduction),
        [&](OpBuilder &b, Location l, ValueRange a) {
          auto widen = [&](Value v) -> Value {
            return v.getType() == f64 ? v : arith::ExtFOp::create(b, l, f64, v);
          };
          Value diff = math::AbsFOp::create(
              b, l, arith::SubFOp::create(b, l, widen(a[0]), widen(a[1])));
          Value ref = math::AbsFOp::create(b, l, widen(a[1]));
          linalg::YieldOp::create(
              b, l,
              ValueRange{arith::MaximumFOp::create(b, l, a[2], diff),
                         arith::MaximumFOp::create(b, l, a[3], ref)});
        });
    SmallVector<Value> scalars;
    for (Value r : generic.getResults())
      scalars.push_back(tensor::ExtractOp::create(rw, loc, r, ValueRange{}));
    rw.replaceOpWithNewOp<tensor::FromElementsOp>(op, op.getType(), scalars);
    return success();
  }
};

/// Lets the combining op of each reduction (`acc = acc + x`, `max(acc, x)`)
/// be reassociated, so LLVM vectorizes a row reduction as partial sums; the
/// result differs from the sequential sum only in rounding.
void markReductionsReassociable(Operation *root) {
  root->walk([](linalg::GenericOp op) {
    if (op.getNumReductionLoops() == 0)
      return;
    Block *body = op.getBody();
    for (OpOperand &init : op.getDpsInitsMutable()) {
      BlockArgument acc = op.getMatchingBlockArgument(&init);
      Value yielded = body->getTerminator()->getOperand(
          init.getOperandNumber() - op.getNumDpsInputs());
      auto combine = yielded.getDefiningOp<arith::ArithFastMathInterface>();
      if (!combine || !llvm::is_contained(combine->getOperands(), acc) ||
          !isa<arith::AddFOp, arith::MulFOp, arith::MaximumFOp,
               arith::MinimumFOp>(combine.getOperation()))
        continue;
      combine->setAttr(combine.getFastMathAttrName(),
                       arith::FastMathFlagsAttr::get(
                           op.getContext(), arith::FastMathFlags::reassoc));
    }
  });
}

struct ConvertNNToLinalgPass
    : pareprop::impl::ConvertNNToLinalgBase<ConvertNNToLinalgPass> {
  using Base::Base;

  void runOnOperation() override {
    ConversionTarget target(getContext());
    target.addIllegalDialect<NNDialect>();
    target.markUnknownOpDynamicallyLegal([](Operation *) { return true; });
    RewritePatternSet patterns(&getContext());
    populateNNToLinalgPatterns(patterns, rowKernels);
    if (failed(applyPartialConversion(getOperation(), target,
                                      std::move(patterns))))
      return signalPassFailure();
    markReductionsReassociable(getOperation());
  }
};
} // namespace

void pareprop::populateNNToLinalgPatterns(RewritePatternSet &patterns,
                                          bool rowKernels) {
  patterns.add<LayerNormLowering, SoftmaxLowering>(patterns.getContext(),
                                                   rowKernels);
  patterns
      .add<BinaryLowering<AddOp, arith::AddFOp>,
           BinaryLowering<SubOp, arith::SubFOp>,
           BinaryLowering<MulOp, arith::MulFOp>, MatmulLowering, LinearLowering,
           ReshapeLowering,
           TransposeLowering, FoldKeyLowering, DropoutLowering,
           MaxAbsErrorLowering, TanhLowering, ReluLowering, GeluLowering,
           ScaleLowering, TanhGradLowering, ReluGradLowering, GeluGradLowering,
           ReduceLowering<SumOp>, ReduceLowering<MeanOp>, BroadcastLowering,
           ReduceToLowering, SliceLowering, SliceGradLowering, ConcatLowering,
           EmbeddingLowering, EmbeddingGradLowering, CrossEntropyLowering,
           CrossEntropyGradLowering>(patterns.getContext());
}
