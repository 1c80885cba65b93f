//===- RowKernels.h - layer_norm and softmax by rows ------------*- C++ -*-===//
//-*-===//
//
// A last-dimension normalization is a few passes over each row (statistics,
// then the normalized row). As separate linalg ops every pass streams the
// whole tensor through memory and the statistics through temporaries; as a
// row kernel one loop over the rows runs all passes on a row while it is in
// L1, with the statistics in registers. The row loop is an scf.forall, so
// pareprop-split-kernels-across-threads can give half the rows to the second
// core.
//
//===----------------------------------------------------------------------===//

#ifndef PAREPROP_LIB_CONVERSION_NNTOLINALG_ROWKERNELS_H
#define PAREPROP_LIB_CONVERSION_NNTOLINALG_ROWKERNELS_H

#include "mlir/IR/Builders.h"

namespace pareprop {

/// layer_norm of `input` [..., C] over its last dimension, with `gamma` and
/// `beta` [C]: {y, mean, rstd}, the statistics of shape [...].
llvm::SmallVector<mlir::Value, 3>
buildLayerNormRowKernel(mlir::OpBuilder &b, mlir::Location loc,
                        mlir::Value input, mlir::Value gamma, mlir::Value beta,
                        double epsilon);

/// softmax of `input` [..., C] over its last dimension, shifted by the row
/// maximum.
mlir::Value buildSoftmaxRowKernel(mlir::OpBuilder &b, mlir::Location loc,
                                  mlir::Value input);

} // namespace pareprop

#endif // PAREPROP_LIB_CONVERSION_NNTOLINALG_ROWKERNELS_H
