//===- Pipelines.h - end-to-end pass pipelines ------------------*- C++ -*-===//
#ifndef PAREPROP_PIPELINES_PIPELINES_H
#define PAREPROP_PIPELINES_PIPELINES_H

#include "pareprop/Conversion/Passes.h"
#include "pareprop/Dialect/Rev/IR/RevEnums.h"

#include "mlir/Pass/PassManager.h"
#include "mlir/Pass/PassOptions.h"
#include "llvm/Support/Error.h"

namespace pareprop {

/// The values of the gemm-math pipeline options.
inline auto gemmMathValues() {
  return llvm::cl::values(
      clEnumValN(GemmMath::F32, "f32", "exact f32"),
      clEnumValN(GemmMath::TF32, "tf32",
                 "TF32 tensor cores (operands rounded to tf32, f32 "
                 "accumulation)"),
      clEnumValN(GemmMath::BF16, "bf16",
                 "BF16 tensor cores (operands rounded to bf16, f32 "
                 "accumulation)"));
}

/// How finely the backward is cut into tasks.
enum class Granularity { Block, Op, Auto };

/// A schedule as users name it (pareprop-run --schedules, the C API's and
/// Python's `schedule`): the training step it builds and the policy that
/// schedules it. One table, so every entry point takes the same names.
struct NamedSchedule {
  llvm::StringLiteral name;
  rev::StepMode mode;
  rev::SchedulePolicyKind policy;
};

/// stored (ordinary backprop), vanilla, pareprop, list, auto.
llvm::ArrayRef<NamedSchedule> namedSchedules();
/// The schedule called `name`, or an error naming the ones there are.
llvm::Expected<NamedSchedule> lookupSchedule(llvm::StringRef name);
/// "stored, vanilla, pareprop, list or auto".
std::string scheduleNames();

/// The options of the shared buffer stages (rev-tasks-to-buffers), declared
/// once for every pipeline that runs them: rev-tasks-to-buffers, rev-to-llvm
/// and rev-to-gpu.
template <typename Derived>
struct BufferStageOptions : mlir::PassPipelineOptions<Derived> {
  mlir::detail::PassOptions::Option<bool> runtimeContractions{
      *this, "runtime-contractions",
      llvm::cl::desc("Run the matrix products of nn.matmul and nn.linear "
                     "through the runtime library's GEMM (CBLAS/OpenBLAS; "
                     "see pareprop-contractions-to-runtime) instead of loop "
                     "nests, and cost them so in the scheduler; tasks that "
                     "run alone share large products with a helper thread. "
                     "false: loop nests everywhere (no BLAS at run time)"),
      llvm::cl::init(true)};
  mlir::detail::PassOptions::Option<bool> planBuffers{
      *this, "plan-buffers",
      llvm::cl::desc("Free each function's temporaries right after their "
                     "last use, not at the end of the function (see "
                     "pareprop-plan-temporary-buffers)"),
      llvm::cl::init(true)};
  mlir::detail::PassOptions::Option<bool> bufferArenas{
      *this, "buffer-arenas",
      llvm::cl::desc("plan-buffers: also place temporaries at compile-time "
                     "offsets in arenas (one allocation per call instead of "
                     "one per buffer; a higher peak on CPU, see "
                     "docs/benchmarks.md)"),
      llvm::cl::init(false)};
  mlir::detail::PassOptions::Option<int64_t> reductionThreads{
      *this, "reduction-threads",
      llvm::cl::desc("Split reductions into partials over slices and a "
                     "combine, aiming at this many parallel iterations "
                     "(pareprop-split-linalg-reductions; 0: off). On the GPU "
                     "65536 unless given (GPU threads of a reduction "
                     "kernel); on the CPU off unless given (the CPU runs "
                     "the loops in order: a way to check the split's "
                     "results)"),
      llvm::cl::init(0)};

  /// Every option of the pipeline as a command-line option (name, help,
  /// value syntax, parser), for tools that take them as flags
  /// (PipelineOptionFlags) instead of declaring them again.
  std::vector<llvm::cl::Option *> commandLineOptions() {
    llvm::cl::SubCommand &options = *this;
    std::vector<llvm::cl::Option *> all;
    for (auto &entry : options.OptionsMap)
      all.push_back(entry.second);
    llvm::sort(all, [](llvm::cl::Option *a, llvm::cl::Option *b) {
      return a->ArgStr < b->ArgStr;
    });
    return all;
  }
};

struct RevToLLVMOptions : BufferStageOptions<RevToLLVMOptions> {
  Option<rev::StepMode> mode{
      *this, "mode",
      llvm::cl::desc("Training step to build: 'reversible', 'stored' "
                     "(ordinary backprop) or 'none' (compile the functions "
                     "as written, e.g. a forward-only loss)"),
      llvm::cl::init(rev::StepMode::Reversible)};
  Option<rev::SchedulePolicyKind> policy{
      *this, "policy",
      llvm::cl::desc("Backward schedule: 'vanilla', 'pareprop', 'list' or "
                     "'auto' (see rev-schedule-backward)"),
      llvm::cl::init(rev::SchedulePolicyKind::PaReprop)};
  Option<Granularity> granularity{
      *this, "granularity",
      llvm::cl::desc("Scheduling granularity (op: run rev-split-gradients "
                     "before scheduling)"),
      llvm::cl::init(Granularity::Auto),
      llvm::cl::values(
          clEnumValN(Granularity::Block, "block",
                     "a block's gradient is one task"),
          clEnumValN(Granularity::Op, "op",
                     "input- and parameter-gradient tasks per block"),
          clEnumValN(Granularity::Auto, "auto",
                     "op for the 'list' and 'auto' policies, block for "
                     "'vanilla' and 'pareprop'"))};
  Option<std::string> func{
      *this, "func",
      llvm::cl::desc("Loss function (empty: every public function with a "
                     "rev.block)"),
      llvm::cl::init("")};
  Option<unsigned> lookahead{
      *this, "lookahead",
      llvm::cl::desc("pareprop and list: blocks a recompute may run ahead"),
      llvm::cl::init(1)};
  Option<unsigned> streams{*this, "streams",
                           llvm::cl::desc("list: number of streams"),
                           llvm::cl::init(2)};
  Option<std::string> memoryBudget{
      *this, "memory-budget",
      llvm::cl::desc("Most predicted peak bytes (KiB/MiB/GiB suffixes)"),
      llvm::cl::init("")};
  Option<std::string> target{
      *this, "target",
      llvm::cl::desc("Cost-model target: 'cpu', 'h100' or a .json file"),
      llvm::cl::init("cpu")};
  Option<std::string> timeline{
      *this, "timeline",
      llvm::cl::desc("Write the predicted timeline (Chrome trace JSON)"),
      llvm::cl::init("")};
  Option<bool> traceTasks{
      *this, "trace-tasks",
      llvm::cl::desc("Record each task's start and end at run time "
                     "(pareprop_trace_* in the runtime library)"),
      llvm::cl::init(false)};
  Option<rev::TransitionMode> transitions{
      *this, "transitions",
      llvm::cl::desc("Non-reversible ops before and between reversible "
                     "stacks: 'stored' or 'checkpoint' (replayed in the "
                     "backward; see rev-build-training-step)"),
      llvm::cl::init(rev::TransitionMode::Stored)};
  Option<bool> splitKernels{
      *this, "split-kernels",
      llvm::cl::desc("Cut large loop kernels in two so that a task that "
                     "runs alone (a forward task, any task of a one-stream "
                     "schedule) runs half of each on the runtime's helper "
                     "thread (see pareprop-split-kernels-across-threads); the "
                     "scheduler models it"),
      llvm::cl::init(true)};
  Option<int64_t> splitMinIterations{
      *this, "split-min-iterations",
      llvm::cl::desc("split-kernels: smallest loop kernel cut in two, in "
                     "loop iterations (0 or less: none)"),
      llvm::cl::init(65536)};
  Option<bool> fuseElementwise{
      *this, "fuse-elementwise",
      llvm::cl::desc("Fuse chains of elementwise ops (and an elementwise "
                     "producer into the reduction that reads it) into one "
                     "loop kernel (see pareprop-fuse-elementwise-kernels)"),
      llvm::cl::init(true)};
  Option<bool> rowKernels{
      *this, "row-kernels",
      llvm::cl::desc("Lower layer_norm and softmax to one loop over rows "
                     "making every pass over a row while it is in cache "
                     "(see convert-nn-to-linalg; rev-to-gpu: off unless "
                     "given, a row kernel is one GPU thread per row)"),
      llvm::cl::init(true)};
  Option<bool> approximateMath{
      *this, "approximate-math",
      llvm::cl::desc("Compute f32 exp, erf, tanh and log with polynomial "
                     "approximations that vectorize, instead of a libm "
                     "call per element (see pareprop-math-to-polynomials)"),
      llvm::cl::init(true)};
  Option<bool> indexChecks{
      *this, "index-checks",
      llvm::cl::desc("Check index arguments (embedding ids, class labels) "
                     "before each step; runners stop with an error naming "
                     "the argument, position and value (see "
                     "rev-add-index-checks). false: no check, ids clamped"),
      llvm::cl::init(true)};
  Option<bool> checkReconstruction{
      *this, "check-reconstruction",
      llvm::cl::desc("Reversible mode: the step also returns the per-block "
                     "reconstruction error (see rev-build-training-step)"),
      llvm::cl::init(false)};
};

/// rev-to-gpu: the options of rev-to-llvm (the CPU-only ones, trace-tasks,
/// split-kernels and split-min-iterations, are rejected by
/// checkRevToGPUOptions), and the GPU's. The cost-model target defaults to
/// 'h100'.
struct RevToGPUOptions : RevToLLVMOptions {
  Option<std::string> chip{
      *this, "chip",
      llvm::cl::desc("GPU architecture the kernels are compiled for"),
      llvm::cl::init("sm_90")};
  Option<std::string> features{
      *this, "features",
      llvm::cl::desc("PTX features of the kernels (sm_90 needs +ptx80 or "
                     "later)"),
      llvm::cl::init("+ptx80")};
  Option<GemmMath> gemmMath{
      *this, "gemm-math",
      llvm::cl::desc("Arithmetic of the cuBLAS products of f32 tensors (see "
                     "pareprop-contractions-to-runtime)"),
      llvm::cl::init(GemmMath::F32), gemmMathValues()};
  Option<unsigned> threadsPerBlock{
      *this, "threads-per-block",
      llvm::cl::desc("Threads per block of the generated kernels"),
      llvm::cl::init(256)};
  Option<bool> benchmarkEntry{
      *this, "benchmark-entry",
      llvm::cl::desc("Add @pareprop_benchmark(steps, warmup), which runs the "
                     "step on random device inputs and reports time, "
                     "throughput, peak memory and checksums "
                     "(pareprop-add-gpu-benchmark-entry)"),
      llvm::cl::init(false)};
};

/// The backend a scheduled step on buffers is lowered for.
enum class StepTarget { CPU, GPU };

/// The shared stages that lower a scheduled step (couplings expanded, nn on
/// linalg) to the form every backend starts from: tasks outlined, kernels
/// and step on buffers, products as library calls, temporaries planned,
/// reductions split, the contract verified. What differs by target is
/// data here (which library, whether calls are inlined, stack buffers).
struct TasksToBuffersConfig {
  StepTarget target = StepTarget::CPU;
  bool runtimeContractions = true;
  GemmMath gemmMath = GemmMath::F32;
  bool planBuffers = true;
  bool bufferArenas = false;
  /// pareprop-split-linalg-reductions' target-threads (0: no split).
  int64_t reductionThreads = 0;
};

/// The options of the `rev-tasks-to-buffers` pipeline (TasksToBuffersConfig
/// as pass-pipeline options).
struct TasksToBuffersOptions : BufferStageOptions<TasksToBuffersOptions> {
  Option<StepTarget> target{
      *this, "target", llvm::cl::desc("Backend the step is lowered for"),
      llvm::cl::init(StepTarget::CPU),
      llvm::cl::values(
          clEnumValN(StepTarget::CPU, "cpu",
                     "CBLAS products, kernels call the coupling functions, "
                     "small scoped buffers on the stack"),
          clEnumValN(StepTarget::GPU, "gpu",
                     "cuBLAS products on streams, every call inlined into "
                     "its kernel, all buffers on the heap"))};
  Option<GemmMath> gemmMath{
      *this, "gemm-math",
      llvm::cl::desc("Arithmetic of f32 products on the GPU"),
      llvm::cl::init(GemmMath::F32), gemmMathValues()};
};

/// pareprop-split-linalg-reductions' target on the GPU unless given: a
/// quarter of the threads an H100 holds at once.
inline constexpr int64_t kGpuReductionThreads = 65536;

/// The shared stages' configuration for `target` from the options that
/// declare them (BufferStageOptions); reduction-threads, unless given, is 0
/// on the CPU and kGpuReductionThreads on the GPU.
template <typename Derived>
TasksToBuffersConfig
tasksToBuffersConfig(const BufferStageOptions<Derived> &options,
                     StepTarget target, GemmMath gemmMath) {
  TasksToBuffersConfig config;
  config.target = target;
  config.runtimeContractions = options.runtimeContractions;
  config.gemmMath = gemmMath;
  config.planBuffers = options.planBuffers;
  config.bufferArenas = options.bufferArenas;
  config.reductionThreads = options.reductionThreads.hasValue()
                                ? options.reductionThreads
                            : target == StepTarget::GPU ? kGpuReductionThreads
                                                        : 0;
  return config;
}

/// Adds the shared stages to `pm`.
void buildTasksToBuffersPipeline(mlir::OpPassManager &pm,
                                 const TasksToBuffersConfig &config);

/// Whether `options` ask for op granularity (rev-split-gradients before
/// scheduling).
bool usesOpGranularity(const RevToLLVMOptions &options);

/// Smallest loop kernel `options` have pareprop-split-kernels-across-threads
/// cut, in iterations; 0 when no kernel is cut (split-kernels off, or a
/// threshold of 0 or less).
int64_t splitLoopIterations(const RevToLLVMOptions &options);

/// The first half of rev-to-llvm: build the training step and schedule it
/// (nothing when mode is 'none').
/// `defaultTarget` is the cost-model target when `options` name none.
void buildTrainingStepPipeline(mlir::OpPassManager &pm,
                               const RevToLLVMOptions &options,
                               llvm::StringRef defaultTarget = "");
/// The second half: expand couplings and lower a scheduled step to LLVM.
void buildLowerScheduledPipeline(mlir::OpPassManager &pm,
                                 const RevToLLVMOptions &options);

/// rev/nn model -> LLVM dialect: training step, schedule, expansion, linalg,
/// bufferization, async, loops, LLVM.
void buildRevToLLVMPipeline(mlir::OpPassManager &pm,
                            const RevToLLVMOptions &options);

/// The first part of rev-to-gpu: the step on CUDA streams, its kernels
/// outlined into one gpu.module; what is left needs only MLIR's NVVM
/// pipeline (and ptxas). Fuzzing stops here.
void buildRevToGPUKernelsPipeline(mlir::OpPassManager &pm,
                                  const RevToGPUOptions &options);

/// Rejects, through `error`, the options of `options` that only the CPU
/// backend uses (trace-tasks, split-kernels, split-min-iterations) when they
/// were given: the `rev-to-gpu` pipeline does not ignore them silently.
mlir::LogicalResult
checkRevToGPUOptions(const RevToGPUOptions &options,
                     llvm::function_ref<mlir::LogicalResult(const llvm::Twine &)>
                         error);

/// rev/nn model -> LLVM dialect with GPU kernels in an embedded fatbin:
/// training step scheduled for the GPU, expansion, linalg, convert-rev-to-gpu,
/// MLIR's NVVM pipeline.
void buildRevToGPUPipeline(mlir::OpPassManager &pm,
                           const RevToGPUOptions &options);

/// Registers `rev-to-llvm` and `rev-to-gpu`.
void registerPipelines();

/// Registers every dialect, interface model and pass of the project.
void registerAllPaRepropPasses();

} // namespace pareprop

#endif
