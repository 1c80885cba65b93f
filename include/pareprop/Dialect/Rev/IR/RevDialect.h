//===- RevDialect.h - reversible blocks and schedules -----------*- C++ -*-===//
#ifndef PAREPROP_DIALECT_REV_IR_REVDIALECT_H
#define PAREPROP_DIALECT_REV_IR_REVDIALECT_H

#include "mlir/IR/Dialect.h"

#include "pareprop/Dialect/Rev/IR/RevDialect.h.inc"

#endif
