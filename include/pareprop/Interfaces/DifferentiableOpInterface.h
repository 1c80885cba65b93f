//===- DifferentiableOpInterface.h - reverse-mode gradient rules -*- C++ -*-===//
#ifndef PAREPROP_INTERFACES_DIFFERENTIABLEOPINTERFACE_H
#define PAREPROP_INTERFACES_DIFFERENTIABLEOPINTERFACE_H

#include "mlir/IR/Builders.h"
#include "mlir/IR/OpDefinition.h"

#include "pareprop/Interfaces/DifferentiableOpInterface.h.inc"

#endif
