//===- Embedding.cpp - nn embedding -> linalg
//-------------------------------===//
//
// The lowering of embedding lookups and their scatter-add gradient
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

} // namespace

void pareprop::nn_to_linalg::populateEmbeddingPatterns(
    RewritePatternSet &patterns) {
  patterns.add<EmbeddingLowering, EmbeddingGradLowering>(patterns.getContext());
}
