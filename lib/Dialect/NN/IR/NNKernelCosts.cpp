//===- NNKernelCosts.cpp - the kernels nn ops lower to --------------------===//
//
// KernelCostOpInterface for the nn ops whose lowering (convert-nn-to-linalg,
// lib/Conversion/NNToLinalg/, by op family) is not one elementwise loop.
// Each entry names the lowering it describes: change them together.
//
//===----------------------------------------------------------------------===//

#include "pareprop/Dialect/NN/IR/NNOps.h"

using namespace mlir;
using namespace pareprop;
using namespace pareprop::nn;

/// One kernel over `op`'s largest result, reading its operands, with
/// `flops`; `bytes` defaults to every operand and result once.
static void appendKernel(Operation *op, SmallVectorImpl<OpWork> &kernels,
                         double flops, double bytes = -1,
                         bool contraction = false) {
  double elements = largestResultElements(op);
  if (elements == 0) // Not statically shaped: no estimate.
    return;
  kernels.push_back({flops, bytes < 0 ? operandAndResultBytes(op) : bytes,
                     elements, contraction});
}

// Contractions.cpp: one linalg contraction (or the runtime's GEMM, see
// pareprop-contractions-to-runtime) over the reduced dimension.
void MatmulOp::appendKernels(SmallVectorImpl<OpWork> &kernels) {
  RankedTensorType lhs = getLhs().getType();
  int64_t rank = lhs.getRank();
  int64_t k = lhs.getDimSize(getTransposeLhs() ? rank - 2 : rank - 1);
  appendKernel(*this, kernels, 2.0 * elementsOf(getType()) * double(k),
               /*bytes=*/-1, /*contraction=*/true);
}

// Contractions.cpp: the output starts as the broadcast bias (or zeros), one
// loop, then the product accumulates into it.
void LinearOp::appendKernels(SmallVectorImpl<OpWork> &kernels) {
  double elements = elementsOf(getType());
  if (elements == 0)
    return;
  double resultBytes = double(bytesOf(getType()));
  kernels.push_back({elements, 2.0 * resultBytes, elements});
  auto x = cast<ShapedType>(getInput().getType());
  appendKernel(*this, kernels,
               2.0 * elements * double(x.getDimSize(x.getRank() - 1)),
               /*bytes=*/-1, /*contraction=*/true);
}

// Normalizations.cpp: a row kernel making three passes over each row
// (statistics, statistics, result), the work
// pareprop-split-kernels-across-threads weighs it by.
void LayerNormOp::appendKernels(SmallVectorImpl<OpWork> &kernels) {
  appendKernel(*this, kernels, 3.0 * largestResultElements(*this));
}

void SoftmaxOp::appendKernels(SmallVectorImpl<OpWork> &kernels) {
  appendKernel(*this, kernels, 3.0 * largestResultElements(*this));
}

// Layout.cpp: a tensor.extract_slice, a view once bufferized; counted as the
// copy a consumer may make of it.
void SliceOp::appendKernels(SmallVectorImpl<OpWork> &kernels) {
  double elements = elementsOf(getType());
  appendKernel(*this, kernels, elements, 2.0 * double(bytesOf(getType())));
}

// Embedding.cpp: a gather reading the ids and one table row per id, not the
// whole table.
void EmbeddingOp::appendKernels(SmallVectorImpl<OpWork> &kernels) {
  appendKernel(*this, kernels, elementsOf(getType()),
               2.0 * double(bytesOf(getType())) +
                   double(bytesOf(getIds().getType())));
}

// Embedding.cpp: zeroes the table, then adds one row of dy per id (reads dy,
// reads and writes the row).
void EmbeddingGradOp::appendKernels(SmallVectorImpl<OpWork> &kernels) {
  double rowsAdded = elementsOf(getGrad().getType());
  appendKernel(*this, kernels, elementsOf(getType()) + rowsAdded,
               double(bytesOf(getType())) +
                   double(bytesOf(getIds().getType())) +
                   3.0 * double(bytesOf(getGrad().getType())));
}

// Losses.cpp: row max, sum of exps, then the picked logits (loss) or one
// more elementwise pass (gradient): about four passes over the logits.
void CrossEntropyOp::appendKernels(SmallVectorImpl<OpWork> &kernels) {
  appendKernel(*this, kernels, 4.0 * elementsOf(getLogits().getType()));
}

void CrossEntropyGradOp::appendKernels(SmallVectorImpl<OpWork> &kernels) {
  appendKernel(*this, kernels, 4.0 * elementsOf(getLogits().getType()));
}
