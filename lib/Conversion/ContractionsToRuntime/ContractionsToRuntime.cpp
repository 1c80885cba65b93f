//===- ContractionsToRuntime.cpp - matrix products -> runtime GEMM --------===//
//
// The matrix products of nn.matmul and nn.linear, once on buffers, become
// calls of the runtime library's GEMM entry for the target: CBLAS
// (pareprop_contract_f32/f64, lib/Runtime/Kernels.cpp) or cuBLAS on a stream
// (pareprop_cuda_contract_f32/f64, lib/Runtime/CudaRuntime.cpp). The one
// place both backends' products are decided.
//
//===----------------------------------------------------------------------===//

#include "pareprop/Conversion/Passes.h"
#include "pareprop/Conversion/TaskLowering.h"
#include "pareprop/Dialect/NN/IR/NNDialect.h"

#include "mlir/Dialect/GPU/IR/GPUDialect.h"
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
  if (!op->hasAttrOfType<nn::ContractionAttr>(
          nn::NNDialect::kContractionAttr) ||
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

/// Flag bits of pareprop_cuda_contract_*: f32 products may use TF32, or
/// BF16, tensor cores.
constexpr int64_t kTF32Flag = 8;
constexpr int64_t kBF16Flag = 16;

struct ConvertContractionsToRuntimePass
    : pareprop::impl::ConvertContractionsToRuntimeBase<
          ConvertContractionsToRuntimePass> {
  using Base::Base;

  void runOnOperation() override {
    ModuleOp module = getOperation();
    bool cublas = library == GemmLibrary::CuBlas;
    if (!cublas && gemmMath != GemmMath::F32) {
      module.emitError("pareprop-contractions-to-runtime: gemm-math applies "
                       "to library=cublas only (CBLAS products are exact "
                       "f32)");
      return signalPassFailure();
    }
    int64_t f32MathFlag = gemmMath == GemmMath::TF32   ? kTF32Flag
                          : gemmMath == GemmMath::BF16 ? kBF16Flag
                                                       : 0;
    // cuBLAS runs on a stream, which only the tasks of a step have: host
    // functions (a model's forward kept beside its GPU step) keep their
    // products as loops on host buffers.
    DenseSet<Operation *> onStreams;
    if (cublas)
      onStreams = functionsCalledFromTasks(module);
    SmallVector<linalg::GenericOp> products;
    module.walk([&](linalg::GenericOp op) {
      if (isRuntimeContraction(op) &&
          (!cublas ||
           onStreams.contains(op->getParentOfType<func::FuncOp>())))
        products.push_back(op);
    });
    for (linalg::GenericOp op : products) {
      int64_t flags = op->getAttrOfType<nn::ContractionAttr>(
                            nn::NNDialect::kContractionAttr)
                          .getLayoutFlags();
      if (linalg::FillOp fill = zeroFillBefore(op)) {
        flags |= kContractionOverwriteFlag;
        fill.erase();
      }
      OpBuilder b(op);
      Location loc = op.getLoc();
      Type elem =
          cast<MemRefType>(op.getDpsInits()[0].getType()).getElementType();
      if (elem.isF32())
        flags |= cublas ? f32MathFlag : 0;
      Type unranked = UnrankedMemRefType::get(elem, 0);
      SmallVector<Type> argTypes{unranked, unranked, unranked, b.getI64Type()};
      SmallVector<Value> args;
      StringRef name =
          elem.isF64() ? "pareprop_contract_f64" : "pareprop_contract_f32";
      if (cublas) {
        // The stream the call is enqueued on: a placeholder the GPU backend
        // replaces by the token of the task's stream.
        auto token = gpu::AsyncTokenType::get(b.getContext());
        argTypes.insert(argTypes.begin(), token);
        args.push_back(
            gpu::WaitOp::create(b, loc, token, ValueRange{}).getAsyncToken());
        name = elem.isF64() ? "pareprop_cuda_contract_f64"
                            : "pareprop_cuda_contract_f32";
      }
      FailureOr<func::FuncOp> fn = declareRuntimeFunction(
          module, name, b.getFunctionType(argTypes, {}));
      if (failed(fn))
        return signalPassFailure();
      for (Value v : llvm::concat<Value>(op.getDpsInputs(), op.getDpsInits()))
        args.push_back(memref::CastOp::create(b, loc, unranked, v));
      args.push_back(arith::ConstantIntOp::create(b, loc, flags, 64));
      func::CallOp::create(b, loc, *fn, args);
      op.erase();
    }
  }
};

} // namespace
