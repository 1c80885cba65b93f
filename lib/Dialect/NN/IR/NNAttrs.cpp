//===- NNAttrs.cpp - the nn dialect's attributes --------------------------===//
//
// The matrix-product tag that convert-nn-to-linalg leaves on linalg and the
// verifier of the dialect's discardable attributes.
//
//===----------------------------------------------------------------------===//

#include "pareprop/Dialect/NN/IR/NNDialect.h"

#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/IR/DialectImplementation.h"
#include "llvm/ADT/TypeSwitch.h"

using namespace mlir;
using namespace pareprop::nn;

#define GET_ATTRDEF_CLASSES
#include "pareprop/Dialect/NN/IR/NNAttrs.cpp.inc"

void NNDialect::registerAttributes() {
  addAttributes<
#define GET_ATTRDEF_LIST
#include "pareprop/Dialect/NN/IR/NNAttrs.cpp.inc"
      >();
}

/// A product tag must sit where the GEMM rewrite can read it: a generic with
/// A and B in, C out, and the k loop among its iterators.
static LogicalResult verifyContractionTag(Operation *op, Attribute value) {
  StringRef name = NNDialect::kContractionAttr;
  if (!isa<ContractionAttr>(value))
    return op->emitError() << name << " must be a #nn.contraction<...>, got "
                           << value;
  auto generic = dyn_cast<linalg::GenericOp>(op);
  if (!generic)
    return op->emitError() << name << " belongs on a linalg.generic, not on "
                           << op->getName();
  if (generic.getNumDpsInputs() != 2 || generic.getNumDpsInits() != 1)
    return op->emitError() << name
                           << " needs a product of two inputs into one "
                              "output, got "
                           << generic.getNumDpsInputs() << " inputs and "
                           << generic.getNumDpsInits() << " outputs";
  if (generic.getNumReductionLoops() == 0)
    return op->emitError() << name
                           << " needs a reduction loop (the product's k)";
  return success();
}

LogicalResult NNDialect::verifyOperationAttribute(Operation *op,
                                                  NamedAttribute attr) {
  if (attr.getName() == kContractionAttr)
    return verifyContractionTag(op, attr.getValue());
  return op->emitError() << "unknown nn dialect attribute " << attr.getName();
}
