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

ArrayRef<NamedSchedule> pareprop::namedSchedules() {
  using rev::SchedulePolicyKind;
  using rev::StepMode;
  static constexpr NamedSchedule schedules[] = {
      {"stored", StepMode::Stored, SchedulePolicyKind::Vanilla},
      {"vanilla", StepMode::Reversible, SchedulePolicyKind::Vanilla},
      {"pareprop", StepMode::Reversible, SchedulePolicyKind::PaReprop},
      {"list", StepMode::Reversible, SchedulePolicyKind::List},
      {"auto", StepMode::Reversible, SchedulePolicyKind::Auto},
  };
  return schedules;
}

std::string pareprop::scheduleNames() {
  std::string names;
  ArrayRef<NamedSchedule> all = namedSchedules();
  for (auto [i, s] : llvm::enumerate(all)) {
    if (i)
      names += i + 1 == all.size() ? " or " : ", ";
    names += s.name.str();
  }
  return names;
}

llvm::Expected<NamedSchedule> pareprop::lookupSchedule(StringRef name) {
  for (const NamedSchedule &s : namedSchedules())
    if (s.name == name)
      return s;
  // The name the C API and Python used for ordinary backprop before the
  // names were unified.
  StringRef hint = name == "standard" ? "; ordinary backprop is 'stored'" : "";
  return llvm::createStringError("unknown schedule '" + name + "' (expected " +
                                 scheduleNames() + ")" + hint);
}

bool pareprop::usesOpGranularity(const RevToLLVMOptions &options) {
  if (options.granularity == Granularity::Auto)
    return options.policy == rev::SchedulePolicyKind::List ||
           options.policy == rev::SchedulePolicyKind::Auto;
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
  if (options.mode != rev::StepMode::None) {
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

void pareprop::buildTasksToBuffersPipeline(
    OpPassManager &pm, const TasksToBuffersConfig &options) {
  bool gpu = options.target == StepTarget::GPU;
  pm.addPass(createRevOutlineTasks());
  RevBufferizeTasksOptions buffers;
  // A GPU kernel is one function (no device calls); device memory has no
  // stack the host could use.
  buffers.inlineCalls = gpu;
  buffers.maxStackBufferBytes = gpu ? 0 : 4096;
  pm.addPass(createRevBufferizeTasks(buffers));
  if (options.runtimeContractions) {
    ConvertContractionsToRuntimeOptions products;
    products.library = gpu ? GemmLibrary::CuBlas : GemmLibrary::CBlas;
    products.gemmMath = options.gemmMath;
    pm.addPass(createConvertContractionsToRuntime(products));
  }
  if (options.planBuffers) {
    PlanTemporaryBuffersOptions plan;
    plan.arenas = options.bufferArenas;
    pm.addNestedPass<func::FuncOp>(createPlanTemporaryBuffers(plan));
  }
  if (options.reductionThreads != 0) {
    SplitLinalgReductionsOptions split;
    split.targetThreads = options.reductionThreads;
    pm.addNestedPass<func::FuncOp>(createSplitLinalgReductions(split));
  }
  pm.addPass(createRevVerifyBufferStep());
}

/// The shared stages as `options` (rev-to-llvm's or rev-to-gpu's) ask.
void pareprop::buildLowerScheduledPipeline(OpPassManager &pm,
                                           const RevToLLVMOptions &options) {
  buildTensorLoweringPipeline(pm, options, options.rowKernels);
  buildTasksToBuffersPipeline(
      pm, tasksToBuffersConfig(options, StepTarget::CPU, GemmMath::F32));
  ConvertRevToAsyncOptions async;
  async.traceTasks = options.traceTasks;
  async.kernelThreads =
      options.runtimeContractions || splitLoopIterations(options) > 0;
  pm.addPass(createConvertRevToAsync(async));
  if (int64_t minIterations = splitLoopIterations(options)) {
    SplitKernelsAcrossThreadsOptions split;
    split.minIterations = minIterations;
    pm.addPass(createSplitKernelsAcrossThreads(split));
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
  buildTasksToBuffersPipeline(
      pm, tasksToBuffersConfig(options, StepTarget::GPU, options.gemmMath));
  ConvertRevToGPUOptions gpu;
  gpu.threadsPerBlock = options.threadsPerBlock;
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

LogicalResult pareprop::checkRevToGPUOptions(
    const RevToGPUOptions &options,
    function_ref<LogicalResult(const Twine &)> error) {
  if (options.traceTasks.hasValue())
    return error("rev-to-gpu: trace-tasks is an option of the CPU backend "
                 "(rev-to-llvm); GPU steps record no task trace");
  if (options.splitKernels.hasValue() || options.splitMinIterations.hasValue())
    return error("rev-to-gpu: split-kernels and split-min-iterations are "
                 "options of the CPU backend (rev-to-llvm: the helper "
                 "thread); the GPU runs every loop kernel on its threads");
  return success();
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
  // As PassPipelineRegistration does, plus a check that rejects gemm-math
  // for the CPU, whose CBLAS products have no such mode.
  registerPassPipeline(
      "rev-tasks-to-buffers",
      "The shared stages of lowering scheduled steps for any backend: "
      "outline tasks, bufferize kernels and steps, products to library "
      "calls, plan temporaries, split reductions, verify the contract",
      [](OpPassManager &pm, StringRef text,
         function_ref<LogicalResult(const Twine &)> errorHandler) {
        TasksToBuffersOptions options;
        if (failed(options.parseFromString(text)))
          return failure();
        if (options.target == StepTarget::CPU && options.gemmMath.hasValue())
          return errorHandler(
              "rev-tasks-to-buffers: gemm-math is an option of the GPU "
              "target (cuBLAS math modes); the CPU's CBLAS products are "
              "exact f32");
        buildTasksToBuffersPipeline(
            pm,
            tasksToBuffersConfig(options, options.target, options.gemmMath));
        return success();
      },
      [](function_ref<void(const mlir::detail::PassOptions &)> optionHandler) {
        optionHandler(TasksToBuffersOptions());
      });
  // As PassPipelineRegistration does, plus a check that rejects the options
  // only the CPU backend uses.
  registerPassPipeline(
      "rev-to-gpu",
      "Compile a model of rev blocks and nn ops into an LLVM-dialect training "
      "step that runs on a CUDA GPU (schedule streams as CUDA streams, "
      "generated kernels in an embedded fatbin, cuBLAS products)",
      [](OpPassManager &pm, StringRef text,
         function_ref<LogicalResult(const Twine &)> errorHandler) {
        RevToGPUOptions options;
        if (failed(options.parseFromString(text)) ||
            failed(checkRevToGPUOptions(options, errorHandler)))
          return failure();
        buildRevToGPUPipeline(pm, options);
        return success();
      },
      [](function_ref<void(const mlir::detail::PassOptions &)> optionHandler) {
        optionHandler(RevToGPUOptions());
      });
}

void pareprop::registerAllPaRepropPasses() {
  rev::registerRevPasses();
  registerConversionPasses();
  registerTransformsPasses();
  registerPipelines();
}
