//===- Reductions.cpp - nn reductions -> linalg
//-----------------------------===//
//
// The lowering of sum, mean, broadcast, reduce_to and max_abs_error
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

} // namespace

void pareprop::nn_to_linalg::populateReductionsPatterns(
    RewritePatternSet &patterns) {
  patterns.add<ReduceLowering<SumOp>, ReduceLowering<MeanOp>, BroadcastLowering,
               ReduceToLowering, MaxAbsErrorLowering>(patterns.getContext());
}
