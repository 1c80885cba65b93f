//===- KernelCostOpInterface.h - what an op costs once lowered -*- C++ -*-===//
#ifndef PAREPROP_INTERFACES_KERNELCOSTOPINTERFACE_H
#define PAREPROP_INTERFACES_KERNELCOSTOPINTERFACE_H

#include "mlir/IR/OpDefinition.h"
#include "llvm/ADT/SmallVector.h"

namespace pareprop {

/// The work of one kernel.
struct OpWork {
  double flops = 0;
  /// Bytes read and written.
  double bytes = 0;
  /// Elements of the largest result: how much of the device one kernel can
  /// occupy.
  double elements = 0;
  /// A matrix product (nn.matmul, nn.linear and their gradients' halves):
  /// runs through the target's contraction kernels when it has them.
  bool contraction = false;
};

/// Bytes of a statically shaped tensor or memref (0 for anything else).
int64_t bytesOf(mlir::Type type);
/// Elements of a statically shaped type (0 for anything else).
double elementsOf(mlir::Type type);

/// Bytes of every operand and result of `op`.
double operandAndResultBytes(mlir::Operation *op);
/// Elements of the largest result of `op`.
double largestResultElements(mlir::Operation *op);

/// The cost of an op without KernelCostOpInterface: one loop over its
/// largest result that reads every operand, one FLOP per element of the
/// larger of that result and the first operand (elementwise ops, reductions
/// and broadcasts alike). Nothing for an op without a tensor result.
void appendElementwiseKernel(mlir::Operation *op,
                             llvm::SmallVectorImpl<OpWork> &kernels);

} // namespace pareprop

#include "pareprop/Interfaces/KernelCostOpInterface.h.inc"

#endif
