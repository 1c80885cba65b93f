//===- Passes.h - PaReprop conversions --------------------------*- C++ -*-===//
#ifndef PAREPROP_CONVERSION_PASSES_H
#define PAREPROP_CONVERSION_PASSES_H

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Async/IR/Async.h"
#include "mlir/Dialect/Bufferization/IR/Bufferization.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/Pass/Pass.h"
#include "pareprop/Dialect/NN/IR/NNDialect.h"
#include "pareprop/Dialect/Rev/IR/RevDialect.h"

#include <string>
#include <vector>

namespace mlir {
class RewritePatternSet;
}

namespace pareprop {

/// The GEMM library that pareprop-contractions-to-runtime calls.
enum class GemmLibrary { CBlas, CuBlas };

/// The arithmetic of f32 products on the GPU (cuBLAS math modes).
enum class GemmMath { F32, TF32, BF16 };

#define GEN_PASS_DECL
#include "pareprop/Conversion/Passes.h.inc"

/// The torch operators convert-aten-to-nn lowers (aten.call names), sorted.
std::vector<std::string> supportedTorchOperators();

/// Flag bit of the runtime GEMM calls: C is overwritten (BLAS beta = 0), not
/// accumulated into. Bits 0 and 1 are the layout of the product's
/// `nn.contraction` tag (nn::ContractionAttr::getLayoutFlags).
constexpr int64_t kContractionOverwriteFlag = 4;

/// Whether `op` is a tagged product on memrefs the runtime GEMM can take: f32
/// or f64, output of rank >= 2, operands of the output's rank or of rank 2.
bool isRuntimeContraction(mlir::linalg::GenericOp op);

/// The `linalg.fill` of zeros into `op`'s output that the product would
/// accumulate onto, when it is the op right before the product (so nothing
/// reads the zeros in between): the runtime can overwrite C instead and the
/// fill, a pass over C, goes. Null otherwise.
mlir::linalg::FillOp zeroFillBefore(mlir::linalg::GenericOp op);

/// The fusion rule of pareprop-fuse-elementwise-kernels: whether the
/// linalg.generic that defines `operand`'s value should be fused into the op
/// that reads it there (both non-contraction generics, no other reader, read
/// through a permutation of the consumer's loops).
bool shouldFuseIntoConsumer(mlir::OpOperand *operand);

/// Patterns lowering every nn op to linalg on tensors; with `rowKernels`,
/// layer_norm and softmax become one loop over rows (see the pass option).
void populateNNToLinalgPatterns(mlir::RewritePatternSet &patterns,
                                bool rowKernels = true);

#define GEN_PASS_REGISTRATION
#include "pareprop/Conversion/Passes.h.inc"
} // namespace pareprop

#endif
