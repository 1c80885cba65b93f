//===- Patterns.h - the nn-to-linalg patterns, by op family -----*- C++ -*-===//
//
// convert-nn-to-linalg is split by op family, one file each; this header
// holds what they share: the linalg builders (Builders.cpp), the pattern
// base, and each family's populate function.
//
//===----------------------------------------------------------------------===//

#ifndef PAREPROP_LIB_CONVERSION_NNTOLINALG_PATTERNS_H
#define PAREPROP_LIB_CONVERSION_NNTOLINALG_PATTERNS_H

#include "RowKernels.h"
#include "pareprop/Conversion/Passes.h"
#include "pareprop/Dialect/NN/IR/NNOps.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Dialect/Utils/StructuredOpsUtils.h"
#include "mlir/IR/PatternMatch.h"
#include <cmath>

namespace pareprop::nn_to_linalg {

using BodyFn = llvm::function_ref<mlir::Value(mlir::OpBuilder &, mlir::Location,
                                              mlir::ValueRange)>;
using CombineFn = llvm::function_ref<mlir::Value(
    mlir::OpBuilder &, mlir::Location, mlir::Value, mlir::Value)>;

mlir::Value floatConst(mlir::OpBuilder &b, mlir::Location loc, mlir::Type type,
                       double v);
/// A tensor.empty of `type`.
mlir::Value emptyLike(mlir::OpBuilder &b, mlir::Location loc,
                      mlir::RankedTensorType type);
/// A tensor of `type` filled with `v`.
mlir::Value filled(mlir::OpBuilder &b, mlir::Location loc,
                   mlir::RankedTensorType type, double v);
mlir::Value zeroFilled(mlir::OpBuilder &b, mlir::Location loc,
                       mlir::RankedTensorType type);

/// A linalg.generic with explicit indexing maps writing into `init`; `body`
/// gets the scalars of the inputs and of `init` and returns the new value.
mlir::Value generic(mlir::OpBuilder &b, mlir::Location loc, mlir::Value init,
                    mlir::ValueRange inputs,
                    llvm::ArrayRef<mlir::AffineMap> maps,
                    llvm::ArrayRef<mlir::utils::IteratorType> iterators,
                    BodyFn body);

/// Map from `resultType`'s loops to `operandType`'s indices under NumPy
/// broadcasting: trailing alignment, size-1 operand dims read index 0.
mlir::AffineMap broadcastMap(mlir::MLIRContext *ctx,
                             mlir::RankedTensorType operandType,
                             mlir::RankedTensorType resultType);

/// An all-parallel linalg.generic producing `resultType` from `inputs`
/// (broadcast to it); `body` gets the input scalars only.
mlir::Value elementwise(mlir::OpBuilder &b, mlir::Location loc,
                        mlir::RankedTensorType resultType,
                        mlir::ValueRange inputs, BodyFn body);

/// Map from `rank` loops dropping the last one: how row statistics (mean,
/// max, ...) of a last-dimension op are indexed.
mlir::AffineMap rowMap(mlir::MLIRContext *ctx, int64_t rank);

/// Reduces `input` over the loop dims marked in `reduced` with
/// `combine(accumulator, element)`, starting from `initValue`, into a tensor
/// indexed by the other dims in order.
mlir::Value reduce(mlir::OpBuilder &b, mlir::Location loc, mlir::Value input,
                   llvm::ArrayRef<bool> reduced, double initValue,
                   CombineFn combine);
mlir::Value addCombine(mlir::OpBuilder &b, mlir::Location l, mlir::Value acc,
                       mlir::Value x);
/// Sums `input` over the loop dims marked in `reduced`.
mlir::Value reduceSum(mlir::OpBuilder &b, mlir::Location loc, mlir::Value input,
                      llvm::ArrayRef<bool> reduced);
/// Reduces the last dimension of `input` with `combine`, from `initValue`.
mlir::Value reduceLastDim(mlir::OpBuilder &b, mlir::Location loc,
                          mlir::Value input, double initValue,
                          CombineFn combine);

/// Static offsets, sizes or unit strides of a tensor.extract_slice /
/// tensor.insert_slice.
llvm::SmallVector<mlir::OpFoldResult>
indexAttrs(mlir::OpBuilder &b, llvm::ArrayRef<int64_t> values);

/// The base of every nn lowering: the op's (first) result type and element
/// type.
template <typename Op> struct NNPattern : mlir::OpRewritePattern<Op> {
  using mlir::OpRewritePattern<Op>::OpRewritePattern;
  mlir::RankedTensorType resultType(Op op) const {
    return mlir::cast<mlir::RankedTensorType>(op->getResult(0).getType());
  }
  mlir::Type elemType(Op op) const { return resultType(op).getElementType(); }
};

/// The patterns of each op family, one file each.
void populateElementwisePatterns(mlir::RewritePatternSet &patterns);
void populateContractionsPatterns(mlir::RewritePatternSet &patterns);
void populateNormalizationsPatterns(mlir::RewritePatternSet &patterns,
                                    bool rowKernels);
void populateLayoutPatterns(mlir::RewritePatternSet &patterns);
void populateReductionsPatterns(mlir::RewritePatternSet &patterns);
void populateEmbeddingPatterns(mlir::RewritePatternSet &patterns);
void populateLossesPatterns(mlir::RewritePatternSet &patterns);
void populateRandomPatterns(mlir::RewritePatternSet &patterns);

} // namespace pareprop::nn_to_linalg

#endif // PAREPROP_LIB_CONVERSION_NNTOLINALG_PATTERNS_H
