//===- Passes.h - rev dialect transformations -------------------*- C++ -*-===//
#ifndef PAREPROP_DIALECT_REV_TRANSFORMS_PASSES_H
#define PAREPROP_DIALECT_REV_TRANSFORMS_PASSES_H

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/Pass/Pass.h"
#include "pareprop/Dialect/NN/IR/NNOps.h"
#include "pareprop/Dialect/Rev/IR/RevOps.h"

namespace pareprop::rev {
#define GEN_PASS_DECL
#include "pareprop/Dialect/Rev/Transforms/Passes.h.inc"

#define GEN_PASS_REGISTRATION
#include "pareprop/Dialect/Rev/Transforms/Passes.h.inc"
} // namespace pareprop::rev

#endif
