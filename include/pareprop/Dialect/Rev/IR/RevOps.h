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

#define GET_TYPEDEF_CLASSES
#include "pareprop/Dialect/Rev/IR/RevTypes.h.inc"

#define GET_OP_CLASSES
#include "pareprop/Dialect/Rev/IR/RevOps.h.inc"

#endif
