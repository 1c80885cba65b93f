//===- NNToLinalg.cpp - nn ops -> linalg on tensors -----------------------===//
//
// The convert-nn-to-linalg pass: every nn op by the patterns of its family
// (Elementwise.cpp, Contractions.cpp, Normalizations.cpp, Layout.cpp,
// Reductions.cpp, Embedding.cpp, Losses.cpp, Random.cpp), then the
// reductions' combining ops marked reassociable.
//
//===----------------------------------------------------------------------===//

#include "Patterns.h"

#include "mlir/Transforms/DialectConversion.h"

namespace pareprop {
#define GEN_PASS_DEF_CONVERTNNTOLINALG
#include "pareprop/Conversion/Passes.h.inc"
} // namespace pareprop

using namespace mlir;
using namespace pareprop;
using namespace pareprop::nn;

namespace {

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
  using namespace nn_to_linalg;
  populateElementwisePatterns(patterns);
  populateContractionsPatterns(patterns);
  populateNormalizationsPatterns(patterns, rowKernels);
  populateLayoutPatterns(patterns);
  populateReductionsPatterns(patterns);
  populateEmbeddingPatterns(patterns);
  populateLossesPatterns(patterns);
  populateRandomPatterns(patterns);
}
