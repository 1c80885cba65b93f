//===- Elementwise.cpp - nn elementwise -> linalg
//---------------------------===//
//
// The lowering of broadcasting arithmetic, activations and their gradients
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

} // namespace

void pareprop::nn_to_linalg::populateElementwisePatterns(
    RewritePatternSet &patterns) {
  patterns.add<BinaryLowering<AddOp, arith::AddFOp>,
               BinaryLowering<SubOp, arith::SubFOp>,
               BinaryLowering<MulOp, arith::MulFOp>, TanhLowering, ReluLowering,
               GeluLowering, ScaleLowering, TanhGradLowering, ReluGradLowering,
               GeluGradLowering>(patterns.getContext());
}
