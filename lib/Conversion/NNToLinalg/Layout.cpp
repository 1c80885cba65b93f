//===- Layout.cpp - nn layout -> linalg
//-------------------------------------===//
//
// The lowering of reshape, transpose, slice and concat (views and inserts)
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

} // namespace

void pareprop::nn_to_linalg::populateLayoutPatterns(
    RewritePatternSet &patterns) {
  patterns.add<ReshapeLowering, TransposeLowering, SliceLowering,
               SliceGradLowering, ConcatLowering>(patterns.getContext());
}
