//===- ContractionsToRuntime.cpp - matrix products -> runtime GEMM --------===//
//
// The matrix products of nn.matmul and nn.linear, once on buffers, become
// calls of the runtime library's pareprop_contract_f32/f64, which run them
// through CBLAS (lib/Runtime/Kernels.cpp).
//
//===----------------------------------------------------------------------===//

#include "pareprop/Conversion/Passes.h"
#include "pareprop/Conversion/TaskLowering.h"

#include "mlir/IR/Builders.h"
#include "mlir/IR/Matchers.h"
#include "mlir/IR/SymbolTable.h"

namespace pareprop {
#define GEN_PASS_DEF_CONVERTCONTRACTIONSTORUNTIME
#include "pareprop/Conversion/Passes.h.inc"
} // namespace pareprop

using namespace mlir;
using namespace pareprop;

bool pareprop::isRuntimeContraction(linalg::GenericOp op) {
  if (!op->hasAttr(pareprop::kContractionAttr) ||
      !op.hasPureBufferSemantics() || op.getNumDpsInputs() != 2 ||
      op.getNumDpsInits() != 1)
    return false;
  auto c = dyn_cast<MemRefType>(op.getDpsInits()[0].getType());
  if (!c || c.getRank() < 2 ||
      !(c.getElementType().isF32() || c.getElementType().isF64()))
    return false;
  for (Value in : op.getDpsInputs()) {
    auto t = dyn_cast<MemRefType>(in.getType());
    if (!t || t.getElementType() != c.getElementType() ||
        (t.getRank() != c.getRank() && t.getRank() != 2))
      return false;
  }
  return true;
}

linalg::FillOp pareprop::zeroFillBefore(linalg::GenericOp op) {
  auto fill = dyn_cast_or_null<linalg::FillOp>(op->getPrevNode());
  if (!fill || !fill.hasPureBufferSemantics() ||
      fill.getDpsInits()[0] != op.getDpsInits()[0])
    return {};
  return matchPattern(fill.getInputs()[0], m_AnyZeroFloat()) ? fill
                                                             : linalg::FillOp();
}

namespace {

struct ConvertContractionsToRuntimePass
    : pareprop::impl::ConvertContractionsToRuntimeBase<
          ConvertContractionsToRuntimePass> {
  void runOnOperation() override {
    ModuleOp module = getOperation();
    SmallVector<linalg::GenericOp> products;
    module.walk([&](linalg::GenericOp op) {
      if (isRuntimeContraction(op))
        products.push_back(op);
    });
    for (linalg::GenericOp op : products) {
      int64_t flags =
          op->getAttrOfType<IntegerAttr>(pareprop::kContractionAttr).getInt();
      if (linalg::FillOp fill = zeroFillBefore(op)) {
        flags |= kContractionOverwriteFlag;
        fill.erase();
      }
      OpBuilder b(op);
      Location loc = op.getLoc();
      Type elem =
          cast<MemRefType>(op.getDpsInits()[0].getType()).getElementType();
      Type unranked = UnrankedMemRefType::get(elem, 0);
      FailureOr<func::FuncOp> fn = declareRuntimeFunction(
          module,
          elem.isF64() ? "pareprop_contract_f64" : "pareprop_contract_f32",
          b.getFunctionType({unranked, unranked, unranked, b.getI64Type()},
                            {}));
      if (failed(fn))
        return signalPassFailure();
      SmallVector<Value> args;
      for (Value v : llvm::concat<Value>(op.getDpsInputs(), op.getDpsInits()))
        args.push_back(memref::CastOp::create(
            b, loc, UnrankedMemRefType::get(elem, 0), v));
      args.push_back(arith::ConstantIntOp::create(b, loc, flags, 64));
      func::CallOp::create(b, loc, *fn, args);
      op.erase();
    }
  }
};

} // namespace
