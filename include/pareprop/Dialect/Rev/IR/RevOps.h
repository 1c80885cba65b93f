//===- RevOps.h - reversible blocks and schedules ---------------*- C++ -*-===//
#ifndef PAREPROP_DIALECT_REV_IR_REVOPS_H
#define PAREPROP_DIALECT_REV_IR_REVOPS_H

#include "mlir/Bytecode/BytecodeOpInterface.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinTypes.h"
#include "mlir/IR/OpDefinition.h"
#include "mlir/IR/OpImplementation.h"
#include "mlir/IR/SymbolTable.h"
#include "mlir/Interfaces/ControlFlowInterfaces.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"
#include "pareprop/Dialect/Rev/IR/RevDialect.h"
#include "pareprop/Dialect/Rev/IR/RevEnums.h"

#define GET_TYPEDEF_CLASSES
#include "pareprop/Dialect/Rev/IR/RevTypes.h.inc"

#define GET_OP_CLASSES
#include "pareprop/Dialect/Rev/IR/RevOps.h.inc"

namespace pareprop::rev {
/// The schedule verifier: every task of `block` reads only results of tasks
/// ordered before it (stream order and `after` tokens, transitively), code
/// outside tasks reads only results of awaited tasks, and every task is
/// awaited before the block's terminator. One pass with vector clocks:
/// linear in tasks times streams. TaskOp's verifier runs it once per block.
mlir::LogicalResult verifyTaskOrder(mlir::Block &block);
} // namespace pareprop::rev

#endif
