//===- Passes.h - PaReprop transformations on buffers -----------*- C++ -*-===//
#ifndef PAREPROP_TRANSFORMS_PASSES_H
#define PAREPROP_TRANSFORMS_PASSES_H

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Pass/Pass.h"

namespace pareprop {
#define GEN_PASS_DECL
#include "pareprop/Transforms/Passes.h.inc"

#define GEN_PASS_REGISTRATION
#include "pareprop/Transforms/Passes.h.inc"
} // namespace pareprop

#endif
