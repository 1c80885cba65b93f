//===- Pipelines.cpp - end-to-end pass pipelines --------------------------===//

#include "pareprop/Pipelines/Pipelines.h"

#include "pareprop/Conversion/Passes.h"
#include "pareprop/Dialect/Rev/Transforms/Passes.h"
#include "pareprop/Transforms/Passes.h"

#include "mlir/Conversion/Passes.h"
#include "mlir/Dialect/Async/Passes.h"
#include "mlir/Dialect/GPU/Pipelines/Passes.h"
#include "mlir/Dialect/GPU/Transforms/Passes.h"
#include "mlir/Dialect/Linalg/Passes.h"
#include "mlir/Dialect/MemRef/Transforms/Passes.h"
#include "mlir/Dialect/SCF/Transforms/Passes.h"
#include "mlir/Pass/PassRegistry.h"
#include "mlir/Transforms/Passes.h"

using namespace mlir;
using namespace pareprop;

bool pareprop::usesOpGranularity(const RevToLLVMOptions &options) {
  if (options.granularity == Granularity::Auto)
    return options.policy == "list" || options.policy == "auto";
  return options.granularity == Granularity::Op;
}

int64_t pareprop::splitLoopIterations(const RevToLLVMOptions &options) {
  return options.splitKernels && options.splitMinIterations > 0
             ? int64_t(options.splitMinIterations)
             : 0;
}

void pareprop::buildTrainingStepPipeline(OpPassManager &pm,
                                         const RevToLLVMOptions &options,
                                         StringRef defaultTarget) {
  if (options.indexChecks)
    pm.addPass(rev::createRevAddIndexChecks());
  if (options.mode != "none") {
    rev::RevBuildTrainingStepOptions step;
    step.mode = options.mode;
    step.funcName = options.func;
    step.checkReconstruction = options.checkReconstruction;
    step.transitions = options.transitions;
    pm.addPass(rev::createRevBuildTrainingStep(step));
    if (usesOpGranularity(options))
      pm.addPass(rev::createRevSplitGradients());
    rev::RevScheduleBackwardOptions schedule;
    schedule.policy = options.policy;
    schedule.lookahead = options.lookahead;
    schedule.streams = options.streams;
    schedule.memoryBudget = options.memoryBudget;
    schedule.targetName = options.target.hasValue() || defaultTarget.empty()
                              ? std::string(options.target)
                              : defaultTarget.str();
    schedule.runtimeContractions = options.runtimeContractions;
    schedule.splitMinIterations = splitLoopIterations(options);
    schedule.timelineFile = options.timeline;
    pm.addPass(rev::createRevScheduleBackward(schedule));
  }
}

/// Couplings expanded, nn lowered to linalg on tensors, elementwise chains
/// fused: what both the CPU and the GPU lowering start from.
static void buildTensorLoweringPipeline(OpPassManager &pm,
                                        const RevToLLVMOptions &options,
                                        bool rowKernels) {
  pm.addPass(rev::createRevExpandCouplings());
  ConvertNNToLinalgOptions toLinalg;
  toLinalg.rowKernels = rowKernels;
  pm.addPass(createConvertNNToLinalg(toLinalg));
  // Elementwise ops of other dialects on tensors (math.exp in a coupling
  // function whose gradient rule a user attached) become linalg too.
  pm.addPass(createConvertElementwiseToLinalgPass());
  pm.addPass(createCSEPass());
  if (options.fuseElementwise)
    pm.addPass(createFuseElementwiseKernels());
}

void pareprop::buildLowerScheduledPipeline(OpPassManager &pm,
                                           const RevToLLVMOptions &options) {
  buildTensorLoweringPipeline(pm, options, options.rowKernels);
  ConvertRevToAsyncOptions async;
  async.traceTasks = options.traceTasks;
  async.kernelThreads =
      options.runtimeContractions || splitLoopIterations(options) > 0;
  pm.addPass(createConvertRevToAsync(async));
  if (options.runtimeContractions)
    pm.addPass(createConvertContractionsToRuntime());
  if (options.planBuffers) {
    PlanTemporaryBuffersOptions plan;
    plan.arenas = options.bufferArenas;
    pm.addNestedPass<func::FuncOp>(createPlanTemporaryBuffers(plan));
  }
  if (int64_t minIterations = splitLoopIterations(options)) {
    SplitKernelsAcrossThreadsOptions split;
    split.minIterations = minIterations;
    pm.addPass(createSplitKernelsAcrossThreads(split));
  }
  if (options.reductionThreads != 0) {
    SplitLinalgReductionsOptions split;
    split.targetThreads = options.reductionThreads;
    pm.addNestedPass<func::FuncOp>(createSplitLinalgReductions(split));
  }
  if (options.approximateMath)
    pm.addPass(createConvertMathToPolynomials());
  // Row kernels left whole run their rows in order.
  pm.addPass(createForallToForLoopPass());
  pm.addNestedPass<func::FuncOp>(createConvertLinalgToLoopsPass());
  pm.addPass(createLowerAffinePass());
  pm.addPass(createSCFToControlFlowPass());
  pm.addPass(createAsyncToAsyncRuntimePass());
  pm.addPass(createAsyncRuntimeRefCountingPass());
  pm.addPass(createAsyncRuntimeRefCountingOptPass());
  pm.addPass(createConvertAsyncToLLVMPass());
  pm.addPass(memref::createExpandStridedMetadataPass());
  pm.addPass(createLowerAffinePass());
  // LLVM intrinsics first (fma, floor, sqrt, exp...: the vectorizer widens
  // them), libm for the rest (erf, tanh of f64).
  pm.addPass(createConvertMathToLLVMPass());
  pm.addPass(createConvertMathToLibmPass());
  pm.addPass(createFinalizeMemRefToLLVMConversionPass());
  pm.addPass(createArithToLLVMConversionPass());
  pm.addPass(createConvertControlFlowToLLVMPass());
  pm.addPass(createConvertFuncToLLVMPass());
  pm.addPass(createConvertIndexToLLVMPass());
  pm.addPass(createReconcileUnrealizedCastsPass());
  pm.addPass(createCanonicalizerPass());
}

void pareprop::buildRevToLLVMPipeline(OpPassManager &pm,
                                      const RevToLLVMOptions &options) {
  buildTrainingStepPipeline(pm, options);
  buildLowerScheduledPipeline(pm, options);
}

void pareprop::buildRevToGPUKernelsPipeline(OpPassManager &pm,
                                            const RevToGPUOptions &options) {
  buildTrainingStepPipeline(pm, options, /*defaultTarget=*/"h100");
  // A row kernel is one GPU thread per row reading its row alone (a layer
  // norm of 1576 rows: 1576 threads); as linalg ops its statistics are
  // split reductions and its elementwise pass one thread per element.
  buildTensorLoweringPipeline(
      pm, options, options.rowKernels.hasValue() && options.rowKernels);
  ConvertRevToGPUOptions gpu;
  gpu.gemmMath = options.gemmMath;
  gpu.threadsPerBlock = options.threadsPerBlock;
  // Off by default for the CPU; convert-rev-to-gpu's own default here.
  if (options.reductionThreads.hasValue())
    gpu.reductionThreads = options.reductionThreads;
  pm.addPass(createConvertRevToGPU(gpu));
  if (options.benchmarkEntry) {
    AddGpuBenchmarkEntryOptions entry;
    entry.threadsPerBlock = options.threadsPerBlock;
    pm.addPass(createAddGpuBenchmarkEntry(entry));
  }
  // Functions other than the steps (the model's forward, say) stay host
  // code on host buffers.
  pm.addPass(createForallToForLoopPass());
  pm.addNestedPass<func::FuncOp>(createConvertLinalgToLoopsPass());
  // No libdevice calls in the kernels: exp, erf, tanh and log of f32 become
  // arithmetic (f64 ones are left to the NVVM lowering).
  if (options.approximateMath)
    pm.addPass(createConvertMathToPolynomials());
  // Outline here (the NVVM pipeline's own outlining then finds nothing
  // left) so that the kernels of all blocks share one module and one
  // binary.
  pm.addPass(createGpuKernelOutliningPass());
  pm.addPass(createMergeGpuKernelModules());
}

void pareprop::buildRevToGPUPipeline(OpPassManager &pm,
                                     const RevToGPUOptions &options) {
  buildRevToGPUKernelsPipeline(pm, options);
  gpu::GPUToNVVMPipelineOptions nvvm;
  nvvm.cubinChip = options.chip;
  nvvm.cubinFeatures = options.features;
  nvvm.cubinFormat = "fatbin";
  gpu::buildLowerToNVVMPassPipeline(pm, nvvm);
}

void pareprop::registerPipelines() {
  PassPipelineRegistration<RevToLLVMOptions>(
      "rev-to-llvm",
      "Compile a model of rev blocks and nn ops into a runnable LLVM-dialect "
      "training step (build step, schedule, lower through linalg, buffers "
      "and async)",
      buildRevToLLVMPipeline);
  PassPipelineRegistration<RevToGPUOptions>(
      "rev-to-gpu",
      "Compile a model of rev blocks and nn ops into an LLVM-dialect training "
      "step that runs on a CUDA GPU (schedule streams as CUDA streams, "
      "generated kernels in an embedded fatbin, cuBLAS products)",
      buildRevToGPUPipeline);
}

void pareprop::registerAllPaRepropPasses() {
  rev::registerRevPasses();
  registerConversionPasses();
  registerTransformsPasses();
  registerPipelines();
}
