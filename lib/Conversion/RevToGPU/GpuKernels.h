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

/// Moves `op` (no results) into a one-thread `gpu.launch async [token]`
/// and returns the launch's token: the way to run on the device what has
/// no parallel loop to spread (a sequential loop nest).
mlir::FailureOr<mlir::Value> launchOnOneThread(mlir::Operation *op,
                                               mlir::Value token);

} // namespace pareprop

#endif
