//===- RowKernels.cpp - layer_norm and softmax as one pass per row --------===//

#include "RowKernels.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"

using namespace mlir;

namespace {

Value floatConstant(OpBuilder &b, Location loc, Type type, double v) {
  return arith::ConstantOp::create(b, loc, b.getFloatAttr(type, v));
}

/// Row reductions may be reassociated, so that LLVM vectorizes them as
/// partial sums (maxima); only rounding changes.
arith::FastMathFlagsAttr reassoc(OpBuilder &b) {
  return arith::FastMathFlagsAttr::get(b.getContext(),
                                       arith::FastMathFlags::reassoc);
}

/// How [d0, ..., dn] and [d0 * ... * dn-1, dn] correspond: the leading
/// dimensions are the rows (rank 1: one row, of the unit dimension).
SmallVector<ReassociationIndices> rowGroups(int64_t rank) {
  if (rank == 1)
    return {{0, 1}};
  ReassociationIndices leading;
  for (int64_t i = 0; i + 1 < rank; ++i)
    leading.push_back(i);
  return {leading, {rank - 1}};
}

/// `v` [d0, ..., dn] as [d0 * ... * dn-1, dn]: the rows of a last-dimension
/// op. Reshapes of contiguous tensors are views.
Value asRows(OpBuilder &b, Location loc, Value v) {
  auto type = cast<RankedTensorType>(v.getType());
  int64_t rank = type.getRank(), features = type.getShape().back();
  if (rank == 2)
    return v;
  auto rowsType = RankedTensorType::get(
      {type.getNumElements() / std::max<int64_t>(features, 1), features},
      type.getElementType());
  if (rank == 1)
    return tensor::ExpandShapeOp::create(b, loc, rowsType, v, rowGroups(rank));
  return tensor::CollapseShapeOp::create(b, loc, rowsType, v, rowGroups(rank));
}

/// The inverse of asRows: `rows` [R, C] as `type`.
Value fromRows(OpBuilder &b, Location loc, Value rows, RankedTensorType type) {
  int64_t rank = type.getRank();
  if (rank == 2)
    return rows;
  if (rank == 1)
    return tensor::CollapseShapeOp::create(b, loc, type, rows, rowGroups(rank));
  return tensor::ExpandShapeOp::create(b, loc, type, rows, rowGroups(rank));
}

/// A per-row statistic [R] as `type` (the row shape, possibly rank 0).
Value statFromRows(OpBuilder &b, Location loc, Value stat,
                   RankedTensorType type) {
  int64_t rank = type.getRank();
  if (rank == 1)
    return stat;
  if (rank == 0)
    return tensor::CollapseShapeOp::create(b, loc, type, stat,
                                           ArrayRef<ReassociationIndices>{});
  ReassociationIndices all;
  for (int64_t i = 0; i < rank; ++i)
    all.push_back(i);
  return tensor::ExpandShapeOp::create(b, loc, type, stat,
                                       ArrayRef<ReassociationIndices>{all});
}

/// What a row kernel's body gets: the row index, and per output its row
/// (a [C] slice of a [R, C] output, or the [1] slice of a [R] statistic).
using RowBody = function_ref<SmallVector<Value>(OpBuilder &, Location,
                                                Value row, ValueRange slices)>;

/// An scf.forall over the R rows of `outputs` ([R, C] or [R] each); `body`
/// returns each output's updated row slice.
SmallVector<Value> forEachRow(OpBuilder &b, Location loc, int64_t rows,
                              ValueRange outputs, RowBody body) {
  auto loop = scf::ForallOp::create(
      b, loc, ArrayRef<OpFoldResult>{b.getIndexAttr(rows)}, outputs,
      std::nullopt);
  OpBuilder::InsertionGuard guard(b);
  b.setInsertionPoint(loop.getTerminator());
  Value row = loop.getInductionVar(0);
  // Each output's slice: offsets [row, 0], sizes [1, C] (rank-reduced to
  // [C]) for rows; [row], [1] for statistics.
  auto sliceOf = [&](Value out) {
    auto type = cast<RankedTensorType>(out.getType());
    SmallVector<OpFoldResult> offsets{row}, sizes{b.getIndexAttr(1)},
        strides(type.getRank(), b.getIndexAttr(1));
    RankedTensorType sliceType = type;
    if (type.getRank() == 2) {
      offsets.push_back(b.getIndexAttr(0));
      sizes.push_back(b.getIndexAttr(type.getDimSize(1)));
      sliceType =
          RankedTensorType::get({type.getDimSize(1)}, type.getElementType());
    } else {
      sliceType = RankedTensorType::get({1}, type.getElementType());
    }
    return std::make_tuple(sliceType, offsets, sizes, strides);
  };
  SmallVector<Value> slices;
  for (BlockArgument out : loop.getRegionIterArgs()) {
    auto [sliceType, offsets, sizes, strides] = sliceOf(out);
    slices.push_back(tensor::ExtractSliceOp::create(b, loc, sliceType, out,
                                                    offsets, sizes, strides));
  }
  SmallVector<Value> updated = body(b, loc, row, slices);
  b.setInsertionPointToEnd(loop.getTerminator().getBody());
  for (auto [slice, out] : llvm::zip(updated, loop.getRegionIterArgs())) {
    auto [sliceType, offsets, sizes, strides] = sliceOf(out);
    tensor::ParallelInsertSliceOp::create(b, loc, slice, out, offsets, sizes,
                                          strides);
  }
  return SmallVector<Value>(loop.getResults());
}

/// scf.for over the `features` elements of a row carrying `init` (scalars
/// and row tensors); `step` gets the element index and the carried values.
using StepFn = function_ref<SmallVector<Value>(OpBuilder &, Location,
                                               Value index, ValueRange)>;
SmallVector<Value> overRow(OpBuilder &b, Location loc, int64_t features,
                           ValueRange init, StepFn step) {
  Value zero = arith::ConstantIndexOp::create(b, loc, 0);
  Value end = arith::ConstantIndexOp::create(b, loc, features);
  Value one = arith::ConstantIndexOp::create(b, loc, 1);
  auto loop = scf::ForOp::create(
      b, loc, zero, end, one, init,
      [&](OpBuilder &nb, Location l, Value i, ValueRange carried) {
        scf::YieldOp::create(nb, l, step(nb, l, i, carried));
      });
  return SmallVector<Value>(loop.getResults());
}

Value element(OpBuilder &b, Location loc, Value rows, Value row, Value i) {
  return tensor::ExtractOp::create(b, loc, rows, ValueRange{row, i});
}

/// A reduction over a row: from `init`, acc = Combine(acc, term(i)), the
/// combining op reassociable so that LLVM vectorizes it as partial results.
template <typename Combine>
Value reduceRow(OpBuilder &b, Location loc, int64_t features, Value init,
                function_ref<Value(OpBuilder &, Location, Value index)> term) {
  return overRow(
      b, loc, features, {init},
      [&](OpBuilder &nb, Location nl, Value i,
          ValueRange acc) -> SmallVector<Value> {
        return {Combine::create(nb, nl, acc[0], term(nb, nl, i), reassoc(nb))};
      })[0];
}

/// `value` as element 0 of the [1] statistic slice `slice`.
Value storeStat(OpBuilder &b, Location loc, Value value, Value slice) {
  Value zero = arith::ConstantIndexOp::create(b, loc, 0);
  return tensor::InsertOp::create(b, loc, value, slice, ValueRange{zero});
}

Value emptyTensor(OpBuilder &b, Location loc, ArrayRef<int64_t> shape,
                  Type elementType) {
  return tensor::EmptyOp::create(b, loc, shape, elementType);
}

} // namespace

SmallVector<Value, 3>
pareprop::buildLayerNormRowKernel(OpBuilder &b, Location loc, Value input,
                                  Value gamma, Value beta, double epsilon) {
  auto type = cast<RankedTensorType>(input.getType());
  Type et = type.getElementType();
  Value x = asRows(b, loc, input);
  auto rowsType = cast<RankedTensorType>(x.getType());
  int64_t rows = rowsType.getDimSize(0), features = rowsType.getDimSize(1);
  auto statType = RankedTensorType::get(type.getShape().drop_back(), et);
  Value count = floatConstant(b, loc, et, double(features));
  Value eps = floatConstant(b, loc, et, epsilon);
  Value zero = floatConstant(b, loc, et, 0.0);
  Value unit = floatConstant(b, loc, et, 1.0);
  SmallVector<Value> outs{emptyTensor(b, loc, rowsType.getShape(), et),
                          emptyTensor(b, loc, {rows}, et),
                          emptyTensor(b, loc, {rows}, et)};
  SmallVector<Value> results = forEachRow(
      b, loc, rows, outs,
      [&](OpBuilder &rb, Location l, Value row,
          ValueRange slices) -> SmallVector<Value> {
        // Two passes for the statistics, as PyTorch computes them: the
        // mean, then the squared deviations from it.
        Value sum = reduceRow<arith::AddFOp>(
            rb, l, features, zero, [&](OpBuilder &nb, Location nl, Value i) {
              return element(nb, nl, x, row, i);
            });
        Value mean = arith::DivFOp::create(rb, l, sum, count);
        Value squares = reduceRow<arith::AddFOp>(
            rb, l, features, zero,
            [&](OpBuilder &nb, Location nl, Value i) -> Value {
              Value d = arith::SubFOp::create(nb, nl,
                                              element(nb, nl, x, row, i), mean);
              return arith::MulFOp::create(nb, nl, d, d);
            });
        Value var = arith::DivFOp::create(rb, l, squares, count);
        // 1 / sqrt: math.rsqrt has no f64 lowering on the CPU path.
        Value rstd = arith::DivFOp::create(
            rb, l, unit,
            math::SqrtOp::create(rb, l,
                                 arith::AddFOp::create(rb, l, var, eps)));
        Value y =
            overRow(rb, l, features, {slices[0]},
                    [&](OpBuilder &nb, Location nl, Value i,
                        ValueRange acc) -> SmallVector<Value> {
                      Value xhat = arith::MulFOp::create(
                          nb, nl,
                          arith::SubFOp::create(
                              nb, nl, element(nb, nl, x, row, i), mean),
                          rstd);
                      Value g = tensor::ExtractOp::create(nb, nl, gamma, i);
                      Value bb = tensor::ExtractOp::create(nb, nl, beta, i);
                      Value v = arith::AddFOp::create(
                          nb, nl, arith::MulFOp::create(nb, nl, xhat, g), bb);
                      return {tensor::InsertOp::create(nb, nl, v, acc[0], i)};
                    })[0];
        return {y, storeStat(rb, l, mean, slices[1]),
                storeStat(rb, l, rstd, slices[2])};
      });
  return {fromRows(b, loc, results[0], type),
          statFromRows(b, loc, results[1], statType),
          statFromRows(b, loc, results[2], statType)};
}

Value pareprop::buildSoftmaxRowKernel(OpBuilder &b, Location loc, Value input) {
  auto type = cast<RankedTensorType>(input.getType());
  Type et = type.getElementType();
  Value x = asRows(b, loc, input);
  auto rowsType = cast<RankedTensorType>(x.getType());
  int64_t rows = rowsType.getDimSize(0), features = rowsType.getDimSize(1);
  Value lowest = floatConstant(b, loc, et, -INFINITY);
  Value zero = floatConstant(b, loc, et, 0.0);
  Value out = emptyTensor(b, loc, rowsType.getShape(), et);
  Value y = forEachRow(
      b, loc, rows, {out},
      [&](OpBuilder &rb, Location l, Value row,
          ValueRange slices) -> SmallVector<Value> {
        Value max = reduceRow<arith::MaximumFOp>(
            rb, l, features, lowest, [&](OpBuilder &nb, Location nl, Value i) {
              return element(nb, nl, x, row, i);
            });
        // exp(x - max) into the output row, summed on the way.
        SmallVector<Value> expSum = overRow(
            rb, l, features, {zero, slices[0]},
            [&](OpBuilder &nb, Location nl, Value i,
                ValueRange acc) -> SmallVector<Value> {
              Value e = math::ExpOp::create(
                  nb, nl,
                  arith::SubFOp::create(nb, nl, element(nb, nl, x, row, i),
                                        max));
              return {arith::AddFOp::create(nb, nl, acc[0], e, reassoc(nb)),
                      tensor::InsertOp::create(nb, nl, e, acc[1], i)};
            });
        Value normalized =
            overRow(rb, l, features, {expSum[1]},
                    [&](OpBuilder &nb, Location nl, Value i,
                        ValueRange acc) -> SmallVector<Value> {
                      Value e = tensor::ExtractOp::create(nb, nl, acc[0], i);
                      Value v = arith::DivFOp::create(nb, nl, e, expSum[0]);
                      return {tensor::InsertOp::create(nb, nl, v, acc[0], i)};
                    })[0];
        return {normalized};
      })[0];
  return fromRows(b, loc, y, type);
}
