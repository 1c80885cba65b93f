//===- Pipelines.h - end-to-end pass pipelines ------------------*- C++ -*-===//
#ifndef PAREPROP_PIPELINES_PIPELINES_H
#define PAREPROP_PIPELINES_PIPELINES_H

#include "mlir/Pass/PassManager.h"
#include "mlir/Pass/PassOptions.h"

namespace pareprop {

struct RevToLLVMOptions : mlir::PassPipelineOptions<RevToLLVMOptions> {
  Option<std::string> mode{
      *this, "mode",
      llvm::cl::desc("Training step to build: 'reversible', 'stored' "
                     "(ordinary backprop) or 'none' (compile the functions "
                     "as written, e.g. a forward-only loss)"),
      llvm::cl::init("reversible")};
  Option<std::string> policy{
      *this, "policy",
      llvm::cl::desc("Backward schedule: 'vanilla' or 'pareprop'"),
      llvm::cl::init("pareprop")};
  Option<std::string> func{
      *this, "func",
      llvm::cl::desc("Loss function (empty: every public function with a "
                     "rev.block)"),
      llvm::cl::init("")};
  Option<unsigned> maxLiveBlocks{
      *this, "max-live-blocks",
      llvm::cl::desc("pareprop: most blocks with live recomputed internals"),
      llvm::cl::init(2)};
  Option<bool> checkReconstruction{
      *this, "check-reconstruction",
      llvm::cl::desc("Reversible mode: the step also returns the per-block "
                     "reconstruction error (see rev-build-training-step)"),
      llvm::cl::init(false)};
};

/// rev/nn model -> LLVM dialect: training step, schedule, expansion, linalg,
/// bufferization, async, loops, LLVM.
void buildRevToLLVMPipeline(mlir::OpPassManager &pm,
                            const RevToLLVMOptions &options);

/// Registers `rev-to-llvm`.
void registerPipelines();

/// Registers every dialect, interface model and pass of the project.
void registerAllPaRepropPasses();

} // namespace pareprop

#endif
