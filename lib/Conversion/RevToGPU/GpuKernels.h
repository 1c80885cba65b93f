//===- GpuKernels.h - loop nests as GPU kernels -----------------*- C++ -*-===//
#ifndef PAREPROP_LIB_CONVERSION_REVTOGPU_GPUKERNELS_H
#define PAREPROP_LIB_CONVERSION_REVTOGPU_GPUKERNELS_H

#include "mlir/Dialect/SCF/IR/SCF.h"

namespace pareprop {

/// Replaces `loop` (constant bounds, no reductions) by a `gpu.launch async
/// [token]` with one thread per iteration (linearized, `threadsPerBlock` per
/// block, the tail guarded) and returns the launch's token. A loop without
/// iterations is erased and `token` returned.
mlir::FailureOr<mlir::Value> launchParallelLoop(mlir::scf::ParallelOp loop,
                                                mlir::Value token,
                                                unsigned threadsPerBlock);

} // namespace pareprop

#endif
