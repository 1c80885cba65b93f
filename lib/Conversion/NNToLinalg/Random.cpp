//===- Random.cpp - nn random -> linalg
//-------------------------------------===//
//
// The lowering of counter-based random bits (fold_key, dropout)
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

} // namespace

void pareprop::nn_to_linalg::populateRandomPatterns(
    RewritePatternSet &patterns) {
  patterns.add<FoldKeyLowering, DropoutLowering>(patterns.getContext());
}
