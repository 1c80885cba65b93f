//===- NNToLinalg.cpp - nn ops -> linalg on tensors -----------------------===//

#include "pareprop/Conversion/Passes.h"
#include "pareprop/Dialect/NN/IR/NNOps.h"

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

Value zeroFilled(OpBuilder &b, Location loc, RankedTensorType type) {
  Value empty = tensor::EmptyOp::create(b, loc, type.getShape(),
                                        type.getElementType());
  Value zero = floatConst(b, loc, type.getElementType(), 0.0);
  return linalg::FillOp::create(b, loc, zero, empty).getResult(0);
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

/// An all-parallel linalg.generic producing `resultType` from `inputs`.
Value elementwise(OpBuilder &b, Location loc, RankedTensorType resultType,
                  ValueRange inputs, BodyFn body) {
  MLIRContext *ctx = b.getContext();
  SmallVector<AffineMap> maps;
  for (Value in : inputs)
    maps.push_back(
        broadcastMap(ctx, cast<RankedTensorType>(in.getType()), resultType));
  maps.push_back(AffineMap::getMultiDimIdentityMap(resultType.getRank(), ctx));
  Value init = tensor::EmptyOp::create(b, loc, resultType.getShape(),
                                       resultType.getElementType());
  SmallVector<IteratorType> iterators(resultType.getRank(),
                                      IteratorType::parallel);
  auto generic = linalg::GenericOp::create(
      b, loc, TypeRange{resultType}, inputs, ValueRange{init}, maps, iterators,
      [&](OpBuilder &nb, Location nloc, ValueRange args) {
        Value v = body(nb, nloc, args.drop_back());
        linalg::YieldOp::create(nb, nloc, v);
      });
  return generic.getResult(0);
}

/// Sums `input` over the loop dims marked in `reduced` into a zero-filled
/// tensor of `outType` indexed by the other dims in order.
Value reduceSum(OpBuilder &b, Location loc, Value input,
                ArrayRef<bool> reduced, RankedTensorType outType) {
  MLIRContext *ctx = b.getContext();
  int64_t rank = reduced.size();
  SmallVector<AffineExpr> outExprs;
  SmallVector<IteratorType> iterators;
  for (int64_t d = 0; d < rank; ++d) {
    iterators.push_back(reduced[d] ? IteratorType::reduction
                                   : IteratorType::parallel);
    if (!reduced[d])
      outExprs.push_back(getAffineDimExpr(d, ctx));
  }
  SmallVector<AffineMap> maps{AffineMap::getMultiDimIdentityMap(rank, ctx),
                              AffineMap::get(rank, 0, outExprs, ctx)};
  auto generic = linalg::GenericOp::create(
      b, loc, TypeRange{outType}, ValueRange{input},
      ValueRange{zeroFilled(b, loc, outType)}, maps, iterators,
      [&](OpBuilder &nb, Location nloc, ValueRange args) {
        Value sum = arith::AddFOp::create(nb, nloc, args[1], args[0]);
        linalg::YieldOp::create(nb, nloc, sum);
      });
  return generic.getResult(0);
}

template <typename Op>
struct NNPattern : OpRewritePattern<Op> {
  using OpRewritePattern<Op>::OpRewritePattern;
  RankedTensorType resultType(Op op) const {
    return cast<RankedTensorType>(op->getResult(0).getType());
  }
  Type elemType(Op op) const { return resultType(op).getElementType(); }
};

template <typename Op, typename ArithOp>
struct BinaryLowering : NNPattern<Op> {
  using NNPattern<Op>::NNPattern;
  LogicalResult matchAndRewrite(Op op, PatternRewriter &rw) const override {
    rw.replaceOp(op, elementwise(rw, op.getLoc(), this->resultType(op),
                                 {op.getLhs(), op.getRhs()},
                                 [](OpBuilder &b, Location l, ValueRange a) {
                                   return ArithOp::create(b, l, a[0], a[1])
                                       .getResult();
                                 }));
    return success();
  }
};

struct MatmulLowering : NNPattern<MatmulOp> {
  using NNPattern::NNPattern;
  LogicalResult matchAndRewrite(MatmulOp op,
                                PatternRewriter &rw) const override {
    MLIRContext *ctx = rw.getContext();
    AffineExpr m = getAffineDimExpr(0, ctx), n = getAffineDimExpr(1, ctx),
               k = getAffineDimExpr(2, ctx);
    auto map = [&](AffineExpr a, AffineExpr b) {
      return AffineMap::get(3, 0, {a, b}, ctx);
    };
    SmallVector<AffineMap> maps{
        op.getTransposeLhs() ? map(k, m) : map(m, k),
        op.getTransposeRhs() ? map(n, k) : map(k, n), map(m, n)};
    SmallVector<IteratorType> iterators{IteratorType::parallel,
                                        IteratorType::parallel,
                                        IteratorType::reduction};
    auto generic = linalg::GenericOp::create(
        rw, op.getLoc(), TypeRange{resultType(op)},
        ValueRange{op.getLhs(), op.getRhs()},
        ValueRange{zeroFilled(rw, op.getLoc(), resultType(op))}, maps,
        iterators, [](OpBuilder &b, Location l, ValueRange a) {
          Value prod = arith::MulFOp::create(b, l, a[0], a[1]);
          linalg::YieldOp::create(b, l,
                                  arith::AddFOp::create(b, l, a[2], prod)
                                      .getResult());
        });
    rw.replaceOp(op, generic.getResult(0));
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
          b, l, half, arith::AddFOp::create(b, l, floatConst(b, l, t, 1.0), th));
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

template <typename Op>
struct ReduceLowering : NNPattern<Op> {
  using NNPattern<Op>::NNPattern;
  LogicalResult matchAndRewrite(Op op, PatternRewriter &rw) const override {
    auto inType = cast<RankedTensorType>(op.getInput().getType());
    SmallVector<bool> reduced(inType.getRank(), false);
    double count = 1;
    for (int64_t d : op.getDims()) {
      reduced[d] = true;
      count *= inType.getDimSize(d);
    }
    Value sum =
        reduceSum(rw, op.getLoc(), op.getInput(), reduced, this->resultType(op));
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
    Value init = tensor::EmptyOp::create(rw, op.getLoc(), out.getShape(),
                                         out.getElementType());
    auto generic = linalg::GenericOp::create(
        rw, op.getLoc(), TypeRange{out}, ValueRange{op.getInput()},
        ValueRange{init}, maps,
        SmallVector<IteratorType>(out.getRank(), IteratorType::parallel),
        [](OpBuilder &b, Location l, ValueRange a) {
          linalg::YieldOp::create(b, l, a[0]);
        });
    rw.replaceOp(op, generic.getResult(0));
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
    Value sum = reduceSum(rw, op.getLoc(), op.getInput(), reduced, keptType);
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

struct ConvertNNToLinalgPass
    : pareprop::impl::ConvertNNToLinalgBase<ConvertNNToLinalgPass> {
  void runOnOperation() override {
    ConversionTarget target(getContext());
    target.addIllegalDialect<NNDialect>();
    target.markUnknownOpDynamicallyLegal([](Operation *) { return true; });
    RewritePatternSet patterns(&getContext());
    populateNNToLinalgPatterns(patterns);
    if (failed(applyPartialConversion(getOperation(), target,
                                      std::move(patterns))))
      signalPassFailure();
  }
};
} // namespace

void pareprop::populateNNToLinalgPatterns(RewritePatternSet &patterns) {
  patterns.add<BinaryLowering<AddOp, arith::AddFOp>,
               BinaryLowering<SubOp, arith::SubFOp>,
               BinaryLowering<MulOp, arith::MulFOp>, MatmulLowering,
               TanhLowering, ReluLowering, GeluLowering, ScaleLowering,
               TanhGradLowering, ReluGradLowering, GeluGradLowering,
               ReduceLowering<SumOp>, ReduceLowering<MeanOp>,
               BroadcastLowering, ReduceToLowering>(patterns.getContext());
}
