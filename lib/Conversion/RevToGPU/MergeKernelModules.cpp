//===- MergeKernelModules.cpp - one gpu.module of distinct kernels --------===//
//
// pareprop-merge-gpu-kernel-modules: the kernels of every plain gpu.module move
// into one module, identical kernels once (see the pass description in
// Conversion/Passes.td).
//
//===----------------------------------------------------------------------===//

#include "pareprop/Conversion/Passes.h"

#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/SymbolTable.h"
#include "llvm/ADT/StringMap.h"

namespace pareprop {
#define GEN_PASS_DEF_MERGEGPUKERNELMODULES
#include "pareprop/Conversion/Passes.h.inc"
} // namespace pareprop

using namespace mlir;

namespace {

constexpr llvm::StringLiteral kMergedName = "pareprop_kernels";

/// Whether `gpuModule` can move: it holds only kernels that reference no
/// symbol and has no attribute but its name (no targets yet, no offloading
/// handler). `otherwiseUsed`: modules that ops other than gpu.launch_func
/// name.
bool isMergeable(gpu::GPUModuleOp gpuModule,
                 const DenseSet<StringAttr> &otherwiseUsed) {
  if (otherwiseUsed.contains(gpuModule.getNameAttr()))
    return false;
  for (NamedAttribute attr : gpuModule->getAttrs())
    if (attr.getName() != SymbolTable::getSymbolAttrName())
      return false;
  for (Operation &op : gpuModule.getBody()->getOperations()) {
    auto kernel = dyn_cast<gpu::GPUFuncOp>(op);
    if (!kernel || !kernel.isKernel())
      return false;
    bool referencesSymbol = false;
    kernel.walk([&](Operation *inner) {
      for (NamedAttribute attr : inner->getAttrs())
        if (inner != kernel.getOperation() ||
            attr.getName() != SymbolTable::getSymbolAttrName())
          attr.getValue().walk([&](SymbolRefAttr) { referencesSymbol = true; });
    });
    if (referencesSymbol)
      return false;
  }
  return true;
}

/// The kernel as text without its name: equal texts, equal kernels.
std::string kernelKey(gpu::GPUFuncOp kernel) {
  std::string name = kernel.getName().str();
  kernel.setName("kernel");
  std::string text;
  llvm::raw_string_ostream os(text);
  kernel->print(os, OpPrintingFlags().printGenericOpForm().useLocalScope());
  kernel.setName(name);
  return text;
}

struct MergeGpuKernelModulesPass
    : pareprop::impl::MergeGpuKernelModulesBase<MergeGpuKernelModulesPass> {
  void runOnOperation() override {
    ModuleOp module = getOperation();
    // One walk for every symbol use (one per module would be quadratic).
    DenseSet<StringAttr> otherwiseUsed;
    if (std::optional<SymbolTable::UseRange> uses =
            SymbolTable::getSymbolUses(module)) {
      for (const SymbolTable::SymbolUse &use : *uses)
        if (!isa<gpu::LaunchFuncOp>(use.getUser()))
          otherwiseUsed.insert(use.getSymbolRef().getRootReference());
    } else {
      return; // Uses in unknown ops: move nothing.
    }
    SmallVector<gpu::GPUModuleOp> sources;
    for (auto gpuModule : module.getOps<gpu::GPUModuleOp>())
      if (isMergeable(gpuModule, otherwiseUsed))
        sources.push_back(gpuModule);
    if (sources.empty())
      return;

    SymbolTable symbols(module);
    OpBuilder b(sources.front());
    auto merged =
        gpu::GPUModuleOp::create(b, sources.front().getLoc(), kMergedName);
    symbols.insert(merged); // Renamed if the name is taken.
    SymbolTable kernels(merged);

    // (module, kernel) -> the kept kernel's name in `merged`.
    llvm::StringMap<StringAttr> keptByKey;
    DenseMap<std::pair<StringAttr, StringAttr>, StringAttr> target;
    for (gpu::GPUModuleOp source : sources) {
      for (auto kernel : llvm::make_early_inc_range(
               source.getBody()->getOps<gpu::GPUFuncOp>())) {
        StringAttr from = kernel.getNameAttr();
        std::string key = kernelKey(kernel);
        auto it = keptByKey.find(key);
        if (it == keptByKey.end()) {
          // Named after its module, whose name is unique.
          kernel->moveBefore(merged.getBody(), merged.getBody()->end());
          kernel.setName(source.getName());
          StringAttr name = kernels.insert(kernel);
          it = keptByKey.try_emplace(key, name).first;
        }
        target[{source.getNameAttr(), from}] = it->second;
      }
    }
    module.walk([&](gpu::LaunchFuncOp launch) {
      SymbolRefAttr ref = launch.getKernel();
      auto it = target.find({ref.getRootReference(), ref.getLeafReference()});
      if (it == target.end())
        return;
      launch.setKernelAttr(SymbolRefAttr::get(
          merged.getNameAttr(), {FlatSymbolRefAttr::get(it->second)}));
    });
    for (gpu::GPUModuleOp source : sources)
      source.erase();
  }
};

} // namespace
