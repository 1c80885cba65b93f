//===- NNOps.h - differentiable tensor ops ----------------------*- C++ -*-===//
#ifndef PAREPROP_DIALECT_NN_IR_NNOPS_H
#define PAREPROP_DIALECT_NN_IR_NNOPS_H

#include "mlir/Bytecode/BytecodeOpInterface.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinTypes.h"
#include "mlir/IR/OpDefinition.h"
#include "mlir/IR/OpImplementation.h"
#include "mlir/Interfaces/InferTypeOpInterface.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"
#include "pareprop/Dialect/NN/IR/NNDialect.h"
#include "pareprop/Interfaces/DifferentiableOpInterface.h"
#include "pareprop/Interfaces/KernelCostOpInterface.h"

namespace pareprop::nn {
/// NumPy broadcast of two static shapes; failure if they are incompatible.
llvm::FailureOr<llvm::SmallVector<int64_t>>
broadcastShapes(llvm::ArrayRef<int64_t> a, llvm::ArrayRef<int64_t> b);
} // namespace pareprop::nn

#define GET_OP_CLASSES
#include "pareprop/Dialect/NN/IR/NNOps.h.inc"

#endif
