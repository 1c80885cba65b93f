//===- Passes.h - PaReprop transformations on buffers -----------*- C++ -*-===//
#ifndef PAREPROP_TRANSFORMS_PASSES_H
#define PAREPROP_TRANSFORMS_PASSES_H

#include "mlir/Dialect/Affine/IR/AffineOps.h"
#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Pass/Pass.h"

namespace pareprop {
/// Bytes of a buffer of `type` with a static shape, the identity layout, the
/// default memory space and an integer, index (8 bytes) or float element
/// type; nothing for any other buffer. The buffers
/// pareprop-plan-temporary-buffers places in arenas, and convert-rev-to-async
/// may put on the stack.
std::optional<int64_t> staticBufferBytes(mlir::MemRefType type);

#define GEN_PASS_DECL
#include "pareprop/Transforms/Passes.h.inc"

#define GEN_PASS_REGISTRATION
#include "pareprop/Transforms/Passes.h.inc"
} // namespace pareprop

#endif
