//===- pareprop-run.cpp - compile, run and check a model's training step --===//
//
// Compiles a model (rev blocks + nn ops) under several backward schedules
// with the rev-to-llvm pipeline, JIT-runs each training step on inputs drawn
// from a seed, checks loss and gradients against ordinary backprop (and,
// optionally, finite differences of the forward), and reports the step time
// and the peak memory the step allocates.
//
//===----------------------------------------------------------------------===//

#include "pareprop/Analysis/CostModel.h"
#include "pareprop/Analysis/Timeline.h"
#include "pareprop/Dialect/Rev/IR/RevOps.h"
#include "pareprop/ExecutionEngine/CompiledFunction.h"
#include "pareprop/Harness/Harness.h"
#include "pareprop/InitAllDialects.h"
#include "pareprop/Pipelines/PipelineOptionFlags.h"
#include "pareprop/Pipelines/Pipelines.h"
#include "pareprop/Runtime/TensorDump.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/ExecutionEngine/ExecutionEngine.h"
#include "mlir/ExecutionEngine/OptUtils.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/InitAllDialects.h"
#include "mlir/InitAllExtensions.h"
#include "mlir/Parser/Parser.h"
#include "mlir/Pass/PassManager.h"
#include "mlir/Target/LLVMIR/Dialect/All.h"
#include "llvm/ADT/SmallPtrSet.h"
#include "llvm/Support/CommandLine.h"
#include "llvm/Support/DynamicLibrary.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/Format.h"
#include "llvm/Support/InitLLVM.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/SourceMgr.h"
#include "llvm/Support/TargetSelect.h"
#include "llvm/Support/ToolOutputFile.h"

#include <atomic>
#include <chrono>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <map>
#include <optional>
#include <thread>

using namespace mlir;
namespace cl = llvm::cl;

/// pareprop-run's own options: --help lists these, not LLVM's.
static cl::OptionCategory runOptions("pareprop-run options");

static cl::opt<std::string> inputFile(cl::Positional, cl::cat(runOptions),
                                      cl::desc("<model.mlir>"), cl::Required);
static cl::opt<std::string>
    funcName("func", cl::cat(runOptions),
             cl::desc("Loss function (default: the public function "
                      "that holds rev.block ops)"),
             cl::init(""));
static cl::list<std::string>
    schedules("schedules", cl::CommaSeparated, cl::cat(runOptions),
              cl::desc("Variants to run: stored (ordinary backprop), vanilla, "
                       "pareprop, list, auto (default: stored, vanilla, "
                       "pareprop)"));
static cl::opt<uint64_t> seed("seed", cl::cat(runOptions),
                              cl::desc("Seed of the inputs"), cl::init(0));
static cl::opt<unsigned> iters("iters", cl::cat(runOptions),
                               cl::desc("Timed steps per schedule"),
                               cl::init(5));
static cl::opt<unsigned> warmup("warmup", cl::cat(runOptions),
                                cl::desc("Untimed steps first"), cl::init(1));
static cl::opt<double> rtol("rtol", cl::cat(runOptions),
                            cl::desc("Largest accepted relative difference "
                                     "from ordinary backprop (default: 1e-4 "
                                     "for f32, where BLAS and the loops sum "
                                     "in different orders, 1e-9 for f64)"),
                            cl::init(-1));
static cl::opt<bool> fdCheck("fd-check", cl::cat(runOptions),
                             cl::desc("Also check gradients against central "
                                      "finite differences of the loss"),
                             cl::init(false));
static cl::opt<unsigned> fdSamples("fd-samples", cl::cat(runOptions),
                                   cl::desc("Coordinates checked per argument"),
                                   cl::init(3));
static cl::opt<double> fdRtol("fd-rtol", cl::cat(runOptions),
                              cl::desc("Largest accepted finite-difference "
                                       "error, relative to the argument's "
                                       "largest gradient (default: 1e-2 for "
                                       "f32, 1e-6 for f64)"),
                              cl::init(-1));
static cl::opt<std::string>
    dumpFile("dump", cl::cat(runOptions),
             cl::desc("Write the inputs and every schedule's loss and "
                      "gradients to this text file (for outside checks)"),
             cl::init(""));
static cl::opt<std::string> compareDumpFile(
    "compare-dump", cl::cat(runOptions),
    cl::desc("Run on the inputs recorded in this dump (of pareprop-run or of "
             "a GPU benchmark executable's --dump) and check every result "
             "set in it against this run's reference schedule (the first; "
             "tolerance --rtol)"),
    cl::init(""));
static cl::opt<bool> checkReconstruction(
    "check-reconstruction", cl::cat(runOptions),
    cl::desc("Reversible schedules: report per block the error between the "
             "forward's inputs and the recomputed ones"),
    cl::init(false));
static cl::opt<double> initScale(
    "init-scale", cl::cat(runOptions),
    cl::desc("Multiply the generated weights (arguments of rank >= 2) by "
             "this factor"),
    cl::init(1.0));
static cl::opt<std::string> timelineDir(
    "timeline", cl::cat(runOptions),
    cl::desc("Write <dir>/<schedule>.predicted.json and .measured.json: "
             "Chrome trace timelines of the median timed step"),
    cl::init(""));
static cl::opt<std::string> calibrateFile(
    "calibrate", cl::cat(runOptions),
    cl::desc("Fit the target description to the measured task times of the "
             "vanilla schedule (and contention to pareprop's) and write it "
             "as JSON to this file"),
    cl::init(""));

namespace {
using pareprop::CompiledFunction;
using pareprop::dumpTensor;
using pareprop::HostTensor;
using pareprop::isWorse;

std::string mainExecutable;

/// <prefix>/lib/libpareprop_async_runtime.so for <prefix>/bin/pareprop-run,
/// in the build tree and in an installation alike.
std::string runtimeLibrary() {
  if (const char *env = std::getenv("PAREPROP_ASYNC_RUNTIME"))
    return env;
  llvm::SmallString<256> path(llvm::sys::path::parent_path(
      llvm::sys::path::parent_path(mainExecutable)));
  llvm::sys::path::append(path, "lib", "libpareprop_async_runtime.so");
  return std::string(path);
}

/// What the scheduler decided for a step: its tasks in program order (the
/// index the runtime trace reports) and the predictions.
struct ScheduleInfo {
  struct Task {
    std::string kind;
    int64_t block = -1;
    unsigned stream = 0;
    pareprop::OpCostModel::Work work;
  };
  std::vector<Task> tasks;
  std::string policy;
  double predictedSeconds = 0;
  int64_t predictedPeak = 0;
};

void collectSchedule(ModuleOp module, StringRef entry, ScheduleInfo &info) {
  auto step = module.lookupSymbol<func::FuncOp>(entry);
  if (!step || step.isExternal())
    return;
  using namespace pareprop::rev;
  if (auto p = step->getAttrOfType<StringAttr>(RevDialect::kPolicyAttr))
    info.policy = p.str();
  if (auto t =
          step->getAttrOfType<FloatAttr>(RevDialect::kPredictedSecondsAttr))
    info.predictedSeconds = t.getValueAsDouble();
  if (auto b = step->getAttrOfType<IntegerAttr>(RevDialect::kPredictedPeakAttr))
    info.predictedPeak = b.getInt();
  pareprop::OpCostModel costs(module);
  for (TaskOp task : step.getBody().front().getOps<TaskOp>()) {
    ScheduleInfo::Task t;
    t.kind = pareprop::rev::stringifyTaskKind(
                 task.getKind().value_or(pareprop::rev::TaskKind::Forward))
                 .str();
    t.block = task.getBlockIndexAttr() ? task.getBlockIndexAttr().getInt() : -1;
    t.stream = task.getStream();
    for (Operation &op : task.getBody().front().without_terminator())
      costs.add(&op, t.work);
    info.tasks.push_back(std::move(t));
  }
}

llvm::Expected<std::unique_ptr<CompiledFunction>>
compile(ModuleOp model, const pareprop::RevToLLVMOptions &options,
        StringRef entry, ArrayRef<Type> argTypes,
        ArrayRef<RankedTensorType> resultTypes, ScheduleInfo *info = nullptr) {
  return pareprop::compileFunction(model, options, entry, argTypes, resultTypes,
                                   runtimeLibrary(), [&](ModuleOp scheduled) {
                                     if (info)
                                       collectSchedule(scheduled, entry, *info);
                                   });
}

/// Prints the check-reconstruction report (rows: max |X1' - X1|, max |X1|,
/// max |X2' - X2|, max |X2|) and returns the worst relative error.
double printReconstruction(StringRef schedule, const HostTensor &report) {
  auto rel = [](double diff, double ref) {
    return ref > 0 ? diff / ref : diff;
  };
  llvm::outs() << "reconstruction error, " << schedule
               << " (per block: max abs and relative error of X1, then X2)\n";
  double worst = 0;
  int64_t worstBlock = -1;
  for (int64_t k = 0; k < report.type.getDimSize(0); ++k) {
    const double *r = &report.values[4 * k];
    if (r[0] < 0) {
      llvm::outs() << llvm::format("  block %3ld: not recomputed\n", long(k));
      continue;
    }
    double r1 = rel(r[0], r[1]), r2 = rel(r[2], r[3]);
    // Overflowed activations make the error NaN: the worst possible.
    if (std::isnan(r1) || std::isnan(r2))
      r1 = INFINITY;
    llvm::outs() << llvm::format(
        "  block %3ld: %10.3e %10.3e   %10.3e %10.3e\n", long(k), r[0], r1,
        r[2], r2);
    if (std::max(r1, r2) >= worst) {
      worst = std::max(r1, r2);
      worstBlock = k;
    }
  }
  llvm::outs() << llvm::format(
      "worst relative reconstruction error, %s: %.3e (block %ld)\n",
      schedule.str().c_str(), worst, long(worstBlock));
  return worst;
}

/// Checks every result set of a dump against `reference` (this run's
/// results on the same inputs); prints one line per set.
bool compareDumpedResults(const pareprop::runtime::Dump &dump,
                          const std::string &path,
                          const std::vector<HostTensor> &reference,
                          const std::string &referenceName, double tolerance) {
  if (dump.resultSets.empty()) {
    llvm::errs() << "pareprop-run: " << path << " holds no results\n";
    return false;
  }
  bool ok = true;
  for (const pareprop::DumpComparison &c :
       pareprop::compareDumpedResults(dump, reference)) {
    if (!c.comparable) {
      llvm::outs() << path << " " << c.set << " vs " << referenceName
                   << ": the results differ in number or shape from the "
                      "step's: FAIL\n";
      ok = false;
      continue;
    }
    bool pass = c.worst <= tolerance;
    ok &= pass;
    llvm::outs() << llvm::format(
        "%s %s vs %s: max relative difference %.3e in result %ld (tolerance "
        "%.0e) %s\n",
        path.c_str(), c.set.c_str(), referenceName.c_str(), c.worst,
        long(c.worstResult), tolerance, pass ? "PASS" : "FAIL");
  }
  return ok;
}

struct Variant {
  std::string name;
  pareprop::rev::StepMode mode;
  pareprop::rev::SchedulePolicyKind policy;
};

/// The runtime library's task trace (lib/Runtime/TaskTrace.cpp), found in
/// the copy the JIT loaded.
struct TaskRecord {
  int64_t task;
  double start, end;
  uint64_t thread;
};

struct TraceApi {
  void (*reset)() = nullptr;
  int64_t (*count)() = nullptr;
  void (*get)(int64_t, int64_t *, double *, double *, uint64_t *) = nullptr;
  int64_t (*helperJobs)() = nullptr;
  int64_t (*helperBusyNs)() = nullptr;

  bool load() {
    if (reset)
      return true;
    std::string error;
    auto lib = llvm::sys::DynamicLibrary::getPermanentLibrary(
        runtimeLibrary().c_str(), &error);
    if (!lib.isValid())
      return false;
    reset = reinterpret_cast<void (*)()>(
        lib.getAddressOfSymbol("pareprop_trace_reset"));
    count = reinterpret_cast<int64_t (*)()>(
        lib.getAddressOfSymbol("pareprop_trace_count"));
    get = reinterpret_cast<decltype(get)>(
        lib.getAddressOfSymbol("pareprop_trace_get"));
    helperJobs = reinterpret_cast<int64_t (*)()>(
        lib.getAddressOfSymbol("pareprop_helper_jobs"));
    helperBusyNs = reinterpret_cast<int64_t (*)()>(
        lib.getAddressOfSymbol("pareprop_helper_busy_ns"));
    return reset && count && get && helperJobs && helperBusyNs;
  }
  std::vector<TaskRecord> take() {
    std::vector<TaskRecord> out(static_cast<size_t>(count()));
    for (size_t i = 0; i < out.size(); ++i)
      get(int64_t(i), &out[i].task, &out[i].start, &out[i].end, &out[i].thread);
    return out;
  }
};

/// What one schedule did in its median timed step.
struct Measured {
  ScheduleInfo info;
  std::vector<TaskRecord> records;
  double stepSeconds = 0;
};

std::vector<pareprop::TimelineEvent> measuredTimeline(const Measured &m) {
  double origin = INFINITY;
  for (const TaskRecord &r : m.records)
    origin = std::min(origin, r.start);
  std::vector<pareprop::TimelineEvent> events;
  for (const TaskRecord &r : m.records) {
    const ScheduleInfo::Task &t = m.info.tasks[size_t(r.task)];
    events.push_back(
        {t.kind, t.block, t.stream, r.start - origin, r.end - r.start});
  }
  llvm::sort(events,
             [](const auto &a, const auto &b) { return a.start < b.start; });
  return events;
}

/// Fits the target to vanilla's task times, then contention to how much
/// longer pareprop's overlapped tasks took than predicted alone.
llvm::Error writeCalibration(StringRef path, const Measured &vanilla,
                             const Measured *overlapped,
                             const pareprop::RevToLLVMOptions &options) {
  auto base = pareprop::TargetDescription::load(options.target);
  if (!base)
    return base.takeError();
  // The target as the scheduler saw it for the compiled kernels.
  *base = base->withKernels(options.runtimeContractions,
                            pareprop::splitLoopIterations(options));
  // Every task of the one-stream vanilla schedule runs alone.
  std::vector<pareprop::TimedTask> alone;
  for (const TaskRecord &r : vanilla.records) {
    const ScheduleInfo::Task &t = vanilla.info.tasks[size_t(r.task)];
    alone.push_back(pareprop::TimedTask::of(*base, t.work.kernels,
                                            /*alone=*/true, r.end - r.start));
  }
  pareprop::TargetDescription fitted = pareprop::calibrate(*base, alone);
  fitted.name = base->name + "-calibrated";
  // The trace times the inside of tasks; what the runtime spends between
  // them (waking a worker, resuming a coroutine) shows as the gap between
  // the serial schedule's step time and the sum of its task times.
  double busy = 0;
  for (const auto &s : alone)
    busy += s.seconds;
  if (!alone.empty())
    fitted.taskOverhead +=
        std::max(0.0, (vanilla.stepSeconds - busy) / double(alone.size()));
  if (overlapped) {
    std::vector<std::array<double, 3>> samples;
    for (const TaskRecord &r : overlapped->records) {
      const ScheduleInfo::Task &t = overlapped->info.tasks[size_t(r.task)];
      double predicted =
          fitted.taskSeconds(t.work.kernels, /*alone=*/t.kind == "forward");
      double duration = r.end - r.start, shared = 0;
      for (const TaskRecord &o : overlapped->records)
        if (&o != &r)
          shared += std::max(0.0, std::min(r.end, o.end) -
                                      std::max(r.start, o.start));
      if (duration > 0)
        samples.push_back({predicted, duration, shared / duration});
    }
    pareprop::calibrateContention(fitted, samples);
  }
  std::error_code ec;
  llvm::raw_fd_ostream os(path, ec);
  if (ec)
    return llvm::createStringError("cannot write " + path + ": " +
                                   ec.message());
  os << fitted.toJSON();
  llvm::outs() << "calibrated target written to " << path << " ("
               << alone.size() << " vanilla tasks"
               << (overlapped ? ", contention from pareprop" : "") << ")\n";
  return llvm::Error::success();
}

llvm::Error writeTimeline(StringRef path, StringRef title,
                          llvm::ArrayRef<pareprop::TimelineEvent> events,
                          const Measured &m) {
  std::error_code ec;
  llvm::raw_fd_ostream os(path, ec);
  if (ec)
    return llvm::createStringError("cannot write " + path + ": " +
                                   ec.message());
  pareprop::writeChromeTrace(
      os, events, title,
      {{"source", "measured"},
       {"policy", m.info.policy},
       {"step_seconds", llvm::formatv("{0}", m.stepSeconds).str()}});
  return llvm::Error::success();
}

int fail(const Twine &msg) {
  llvm::errs() << "pareprop-run: " << msg << "\n";
  return 1;
}
} // namespace

int main(int argc, char **argv) {
  llvm::InitLLVM init(argc, argv);
  llvm::InitializeNativeTarget();
  llvm::InitializeNativeTargetAsmPrinter();
  mainExecutable = llvm::sys::fs::getMainExecutable(
      argv[0], reinterpret_cast<void *>(&runtimeLibrary));
  // The rev-to-llvm options are flags under their pipeline names; the
  // ones each schedule sets (mode, policy) or the runner owns (func,
  // timeline, trace-tasks, check-reconstruction) are not.
  pareprop::RevToLLVMOptions pipeline;
  pareprop::PipelineOptionFlags pipelineFlags(pipeline.commandLineOptions(),
                                              {"mode", "policy", "func",
                                               "timeline", "trace-tasks",
                                               "check-reconstruction"},
                                              runOptions);
  cl::HideUnrelatedOptions(runOptions);
  cl::ParseCommandLineOptions(argc, argv,
                              "PaReprop: compile, run and check the training "
                              "step of a model under each schedule\n");
  std::string flagError;
  if (!pipelineFlags.apply(pipeline, flagError))
    return fail(flagError);

  DialectRegistry registry;
  registerAllDialects(registry);
  registerAllExtensions(registry);
  registerAllToLLVMIRTranslations(registry);
  pareprop::registerAllDialects(registry);
  MLIRContext context(registry);
  context.loadAllAvailableDialects();

  llvm::SourceMgr sourceMgr;
  SourceMgrDiagnosticHandler diagHandler(sourceMgr, &context);
  OwningOpRef<ModuleOp> model =
      parseSourceFile<ModuleOp>(inputFile, sourceMgr, &context);
  if (!model)
    return fail("could not parse " + inputFile);

  auto found = pareprop::findLossFunction(*model, funcName);
  if (!found)
    return fail(llvm::toString(found.takeError()) +
                (funcName.empty() ? " (choose one with --func)" : ""));
  func::FuncOp loss = *found;
  auto signature = pareprop::trainingStepSignature(loss);
  if (!signature)
    return fail(llvm::toString(signature.takeError()));
  ArrayRef<Type> argTypes = signature->argTypes;
  ArrayRef<unsigned> gradArgs = signature->gradArgs;
  ArrayRef<RankedTensorType> stepResults = signature->resultTypes;

  // The extra step result of --check-reconstruction: 4 numbers per block.
  int64_t numBlocks = 0;
  loss.walk([&](pareprop::rev::BlockOp) { ++numBlocks; });
  auto reportType =
      RankedTensorType::get({numBlocks, 4}, Float64Type::get(&context));

  if (pipeline.reductionThreads < 0)
    return fail("--reduction-threads must be 0 (off) or more, not " +
                std::to_string(pipeline.reductionThreads));
  std::vector<Variant> variants;
  std::vector<std::string> names(schedules.begin(), schedules.end());
  if (names.empty())
    names = {"stored", "vanilla", "pareprop"};
  for (const std::string &n : names) {
    llvm::Expected<pareprop::NamedSchedule> named = pareprop::lookupSchedule(n);
    if (!named)
      return fail(llvm::toString(named.takeError()));
    variants.push_back({n, named->mode, named->policy});
  }

  auto madeInputs = pareprop::makeInputs(loss, seed, initScale);
  if (!madeInputs)
    return fail(llvm::toString(madeInputs.takeError()));
  std::vector<HostTensor> inputs = std::move(*madeInputs);
  pareprop::runtime::Dump compared;
  if (!compareDumpFile.empty()) {
    std::string error;
    if (!pareprop::runtime::readDump(compareDumpFile, compared, error))
      return fail(error);
    if (llvm::Error err = pareprop::takeDumpedInputs(compared, compareDumpFile,
                                                     gradArgs, inputs))
      return fail(llvm::toString(std::move(err)));
  }
  std::unique_ptr<llvm::ToolOutputFile> dump;
  if (!dumpFile.empty()) {
    std::error_code ec;
    dump = std::make_unique<llvm::ToolOutputFile>(dumpFile, ec,
                                                  llvm::sys::fs::OF_Text);
    if (ec)
      return fail("cannot write " + dumpFile + ": " + ec.message());
    std::string source = compareDumpFile.empty()
                             ? "seed " + std::to_string(seed)
                             : "inputs of " + compareDumpFile.getValue();
    dump->os() << pareprop::runtime::formatDumpHeader(
        "pareprop-run dump of " + inputFile + ", " + source,
        std::vector<int64_t>(gradArgs.begin(), gradArgs.end()));
    for (auto [i, t] : llvm::enumerate(inputs))
      dumpTensor(dump->os(), "arg " + std::to_string(i) + " -", t);
  }
  llvm::outs() << "model " << inputFile << "  function @" << loss.getSymName()
               << "  "
               << (compareDumpFile.empty()
                       ? "seed " + std::to_string(seed)
                       : "inputs of " + compareDumpFile.getValue())
               << "\n";
  llvm::outs() << llvm::format("%-9s %-15s %-12s %-6s %10s %10s %10s %10s\n",
                               "schedule", "loss", "grad-rel-err", "check",
                               "step-ms", "pred-ms", "peak-KiB", "pred-KiB");
  TraceApi trace;
  std::map<std::string, Measured> measured;
  std::vector<HostTensor> reference;
  std::string referenceName;
  double tolerance = rtol >= 0
                         ? rtol.getValue()
                         : pareprop::defaultGradientTolerance(stepResults[0]);
  std::map<std::string, double> stepMs;
  /// Per schedule: kernel halves the runtime's helper thread ran per step,
  /// and the milliseconds it spent on them.
  struct RuntimeUse {
    std::string schedule;
    double jobs, ms;
    /// Blocks the first and the last step took from the system rather than
    /// the pool.
    int64_t firstSystemAllocations, lastSystemAllocations;
    /// Buffers the last step allocated (from the pool or the system).
    int64_t lastAllocations;
    /// Mean time of the index check before a timed step, if it has one;
    /// the median step time (which includes it).
    std::optional<double> indexCheckMs;
    double stepMs;
  };
  std::vector<RuntimeUse> runtimePerStep;
  // Engines live until exit: code of one may still be referenced by the
  // runtime's worker threads while the next schedule runs.
  std::vector<std::unique_ptr<CompiledFunction>> engines;
  bool ok = true;
  for (const Variant &v : variants) {
    pareprop::RevToLLVMOptions options;
    options.copyOptionValuesFrom(pipeline);
    options.mode = v.mode;
    options.policy = v.policy;
    options.func = loss.getSymName().str();
    options.traceTasks = true;
    if (!timelineDir.empty()) {
      if (std::error_code ec = llvm::sys::fs::create_directories(timelineDir))
        return fail("cannot create " + timelineDir + ": " + ec.message());
      options.timeline = (timelineDir + "/" + v.name + ".predicted.json");
    }
    bool report =
        checkReconstruction && v.mode == pareprop::rev::StepMode::Reversible;
    options.checkReconstruction = report;
    SmallVector<RankedTensorType> resultTypes(stepResults);
    if (report)
      resultTypes.push_back(reportType);
    Measured &m = measured[v.name];
    auto compiled =
        compile(*model, options, (loss.getSymName() + "_step").str(), argTypes,
                resultTypes, &m.info);
    if (!compiled)
      return fail("schedule " + v.name + ": " +
                  llvm::toString(compiled.takeError()));
    engines.push_back(std::move(*compiled));
    CompiledFunction &step = *engines.back();
    if (!trace.load())
      return fail("the runtime library has no task trace: " + runtimeLibrary());
    std::vector<std::pair<double, std::vector<TaskRecord>>> timedRecords;
    std::vector<HostTensor> results;
    std::optional<HostTensor> reconstruction;
    int64_t peak = 0;
    int64_t helperJobsBefore = trace.helperJobs();
    int64_t helperNsBefore = trace.helperBusyNs();
    int64_t firstSystemAllocations = 0, lastSystemAllocations = 0,
            lastAllocations = 0;
    double indexCheckMs = 0;
    unsigned steps = warmup + std::max(1u, iters.getValue());
    for (unsigned i = 0; i < steps; ++i) {
      int64_t base = pareprop::liveAllocatedBytes();
      pareprop::resetPeakAllocatedBytes();
      pareprop::BufferPool::Statistics before =
          pareprop::compiledCodeBufferPool().statistics();
      trace.reset();
      auto start = std::chrono::steady_clock::now();
      auto r = pareprop::runOnHost(step, inputs);
      auto end = std::chrono::steady_clock::now();
      if (!r)
        return fail(llvm::toString(r.takeError()));
      peak = std::max(peak, pareprop::peakAllocatedBytes() - base);
      // The step must free everything it allocated except its results,
      // which run() has freed by now. Worker threads free coroutine frames
      // just after completing the tokens the step awaited: give them a
      // moment.
      for (int spin = 0; spin < 1000 && pareprop::liveAllocatedBytes() != base;
           ++spin)
        std::this_thread::sleep_for(std::chrono::microseconds(100));
      if (int64_t leaked = pareprop::liveAllocatedBytes() - base)
        return fail("schedule " + v.name + ": the step leaked " +
                    Twine(leaked) + " bytes");
      pareprop::BufferPool::Statistics after =
          pareprop::compiledCodeBufferPool().statistics();
      lastSystemAllocations =
          after.systemAllocations - before.systemAllocations;
      lastAllocations = lastSystemAllocations + after.reusedAllocations -
                        before.reusedAllocations;
      if (i == 0)
        firstSystemAllocations = lastSystemAllocations;
      if (i >= warmup) {
        indexCheckMs += step.getLastIndexCheckSeconds() * 1e3;
        timedRecords.emplace_back(
            std::chrono::duration<double, std::milli>(end - start).count(),
            trace.take());
      }
      results = std::move(*r);
      if (report) {
        reconstruction = std::move(results.back());
        results.pop_back();
      }
    }
    // The median step: its time and its trace.
    llvm::sort(timedRecords,
               [](const auto &a, const auto &b) { return a.first < b.first; });
    double median = timedRecords[timedRecords.size() / 2].first;
    m.records = std::move(timedRecords[timedRecords.size() / 2].second);
    m.stepSeconds = median / 1e3;
    if (!timelineDir.empty())
      if (llvm::Error err = writeTimeline(
              timelineDir + "/" + v.name + ".measured.json",
              (loss.getSymName() + "_step " + m.info.policy + " (measured)")
                  .str(),
              measuredTimeline(m), m))
        return fail(llvm::toString(std::move(err)));
    if (dump)
      for (auto [k, t] : llvm::enumerate(results))
        dumpTensor(dump->os(), "result " + v.name + " " + std::to_string(k), t);
    stepMs[v.name] = median;
    runtimePerStep.push_back(
        {v.name, double(trace.helperJobs() - helperJobsBefore) / steps,
         double(trace.helperBusyNs() - helperNsBefore) / 1e6 / steps,
         firstSystemAllocations, lastSystemAllocations, lastAllocations,
         step.hasIndexChecks()
             ? std::optional<double>(indexCheckMs / timedRecords.size())
             : std::nullopt,
         median});
    std::string check = "ref";
    double err = 0;
    if (reference.empty()) {
      reference = results;
      referenceName = v.name;
    } else {
      err = pareprop::maxRelativeDifference(results, reference);
      bool pass = err <= tolerance;
      check = pass ? "PASS" : "FAIL";
      ok &= pass;
    }
    llvm::outs() << llvm::format(
        "%-9s %-15.8e %-12.3e %-6s %10.3f %10.3f %10.1f %10.1f\n",
        v.name.c_str(), results[0].values[0], err, check.c_str(), median,
        m.info.predictedSeconds * 1e3, double(peak) / 1024.0,
        double(m.info.predictedPeak) / 1024.0);
    if (reconstruction)
      printReconstruction(v.name, *reconstruction);
  }
  if (!compareDumpFile.empty())
    ok &= compareDumpedResults(compared, compareDumpFile, reference,
                               referenceName, tolerance);
  if (variants.size() > 1)
    llvm::outs() << "gradients compared with " << referenceName
                 << " (max relative difference per tensor, tolerance "
                 << tolerance << ")\n";
  llvm::outs() << "kernel halves on the helper thread per step:";
  for (const RuntimeUse &h : runtimePerStep)
    llvm::outs() << " " << h.schedule << " " << llvm::format("%.0f", h.jobs);
  llvm::outs() << "\nhelper thread busy per step (ms):";
  for (const RuntimeUse &h : runtimePerStep)
    llvm::outs() << " " << h.schedule << " " << llvm::format("%.2f", h.ms);
  if (llvm::any_of(runtimePerStep,
                   [](const RuntimeUse &h) { return h.indexCheckMs; })) {
    llvm::outs() << "\nindex checks per step (ms, share of the median step):";
    for (const RuntimeUse &h : runtimePerStep)
      if (h.indexCheckMs)
        llvm::outs() << " " << h.schedule << " "
                     << llvm::format("%.4f (%.3f%%)", *h.indexCheckMs,
                                     100.0 * *h.indexCheckMs / h.stepMs);
  }
  llvm::outs() << "\nbuffers allocated per step:";
  for (const RuntimeUse &h : runtimePerStep)
    llvm::outs() << " " << h.schedule << " " << h.lastAllocations;
  llvm::outs() << "\nbuffers taken from the system, first/last step:";
  for (const RuntimeUse &h : runtimePerStep)
    llvm::outs() << " " << h.schedule << " " << h.firstSystemAllocations << "/"
                 << h.lastSystemAllocations;
  llvm::outs() << llvm::format(
      "\nbuffer pool reserved at most %.1f KiB\n",
      double(
          pareprop::compiledCodeBufferPool().statistics().peakReservedBytes) /
          1024.0);
  if (measured.count("auto") && !measured["auto"].info.policy.empty())
    llvm::outs() << "auto chose " << measured["auto"].info.policy << "\n";
  if (stepMs.count("vanilla"))
    for (const char *other : {"pareprop", "list", "auto"})
      if (stepMs.count(other)) {
        double meas = stepMs["vanilla"] / stepMs[other];
        double pred = measured["vanilla"].info.predictedSeconds /
                      measured[other].info.predictedSeconds;
        llvm::outs() << llvm::format(
            "step-time ratio vanilla/%s: measured %.3f, predicted %.3f "
            "(%+.1f%%)\n",
            other, meas, pred, 100.0 * (pred - meas) / meas);
      }
  if (!calibrateFile.empty()) {
    if (!measured.count("vanilla"))
      return fail("--calibrate needs the vanilla schedule");
    const Measured *overlapped =
        measured.count("pareprop") ? &measured["pareprop"] : nullptr;
    if (llvm::Error err = writeCalibration(calibrateFile, measured["vanilla"],
                                           overlapped, pipeline))
      return fail(llvm::toString(std::move(err)));
  }
  // Ordinary backprop against the overlapping schedules: how much of the
  // recomputation's cost they win back.
  for (const char *other : {"pareprop", "list", "auto"})
    if (stepMs.count("stored") && stepMs.count(other))
      llvm::outs() << llvm::format("step-time ratio stored/%s: %.3f\n", other,
                                   stepMs["stored"] / stepMs[other]);

  if (fdCheck) {
    pareprop::RevToLLVMOptions options;
    options.mode = pareprop::rev::StepMode::None;
    options.runtimeContractions = pipeline.runtimeContractions;
    auto forward =
        compile(*model, options, loss.getSymName(), argTypes, {stepResults[0]});
    if (!forward)
      return fail("forward: " + llvm::toString(forward.takeError()));
    engines.push_back(std::move(*forward));
    CompiledFunction &lossFn = *engines.back();
    pareprop::FiniteDifferenceCheck check;
    check.samples = fdSamples;
    check.seed = seed;
    check.tolerance = fdRtol;
    auto fd = pareprop::checkFiniteDifferences(lossFn, inputs, gradArgs,
                                               reference, check);
    if (!fd)
      return fail("forward run failed: " + llvm::toString(fd.takeError()));
    ok &= fd->passed();
    llvm::outs() << llvm::format(
        "finite differences (%u coordinates per argument, eps %.0e): max "
        "error %.3e relative to each argument's largest gradient, tolerance "
        "%.0e: %s\n",
        fdSamples.getValue(), fd->epsilon, fd->worstError, fd->tolerance,
        fd->passed() ? "PASS" : "FAIL");
  }
  if (dump)
    dump->keep();
  return ok ? 0 : 1;
}
