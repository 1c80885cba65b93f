//===- FuseElementwiseKernels.cpp - one kernel per elementwise chain ------===//
//
// Fuses producer-consumer chains of linalg.generic on tensors with upstream
// linalg's elementwise fusion, under a rule that keeps the matrix products
// (tagged by convert-nn-to-linalg for the runtime's GEMM) out of it.
//
//===----------------------------------------------------------------------===//

#include "pareprop/Conversion/Passes.h"
#include "pareprop/Dialect/NN/IR/NNDialect.h"

#include "mlir/Dialect/Linalg/Transforms/Transforms.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

namespace pareprop {
#define GEN_PASS_DEF_FUSEELEMENTWISEKERNELS
#include "pareprop/Conversion/Passes.h.inc"
} // namespace pareprop

using namespace mlir;

bool pareprop::shouldFuseIntoConsumer(OpOperand *operand) {
  auto producer = operand->get().getDefiningOp<linalg::GenericOp>();
  auto consumer = dyn_cast<linalg::GenericOp>(operand->getOwner());
  if (!producer || !consumer ||
      producer->hasAttr(nn::NNDialect::kContractionAttr) ||
      consumer->hasAttr(nn::NNDialect::kContractionAttr))
    return false;
  // Every use of the value is in this consumer: otherwise the producer stays
  // for the other readers and its body runs twice.
  if (!llvm::all_of(operand->get().getUses(), [&](OpOperand &use) {
        return use.getOwner() == consumer.getOperation();
      }))
    return false;
  // Read through a permutation: a broadcast would recompute each element
  // once per broadcast position. (Upstream checks the fusion is legal;
  // this is about it being cheaper.)
  return consumer.getMatchingIndexingMap(operand).isPermutation();
}

namespace {
struct FuseElementwiseKernelsPass
    : pareprop::impl::FuseElementwiseKernelsBase<FuseElementwiseKernelsPass> {
  void runOnOperation() override {
    RewritePatternSet patterns(&getContext());
    linalg::populateElementwiseOpsFusionPatterns(
        patterns, pareprop::shouldFuseIntoConsumer);
    linalg::populateEraseUnusedOperandsAndResultsPatterns(patterns);
    if (failed(applyPatternsGreedily(getOperation(), std::move(patterns))))
      signalPassFailure();
  }
};
} // namespace
