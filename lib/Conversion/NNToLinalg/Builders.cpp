//===- Builders.cpp - linalg builders shared by the nn lowerings ---------===//
//
// Documented in Patterns.h.
//
//===----------------------------------------------------------------------===//

#include "Patterns.h"

using namespace mlir;
using utils::IteratorType;

namespace pareprop::nn_to_linalg {

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

AffineMap rowMap(MLIRContext *ctx, int64_t rank) {
  return AffineMap::getMultiDimIdentityMap(rank, ctx).dropResult(rank - 1);
}

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

Value reduceSum(OpBuilder &b, Location loc, Value input,
                ArrayRef<bool> reduced) {
  return reduce(b, loc, input, reduced, 0.0, addCombine);
}

Value reduceLastDim(OpBuilder &b, Location loc, Value input, double initValue,
                    CombineFn combine) {
  SmallVector<bool> reduced(cast<RankedTensorType>(input.getType()).getRank(),
                            false);
  reduced.back() = true;
  return reduce(b, loc, input, reduced, initValue, combine);
}

SmallVector<OpFoldResult> indexAttrs(OpBuilder &b, ArrayRef<int64_t> values) {
  return llvm::to_vector(llvm::map_range(
      values, [&](int64_t v) -> OpFoldResult { return b.getIndexAttr(v); }));
}

} // namespace pareprop::nn_to_linalg
