//===- TrainingStep.cpp - C API to compiled training steps ----------------===//

#include "pareprop-c/TrainingStep.h"

#include "Strings.h"

#include "pareprop/Dialect/Rev/IR/RevOps.h"
#include "pareprop/ExecutionEngine/CompiledFunction.h"
#include "pareprop/Harness/Harness.h"
#include "pareprop/InitAllDialects.h"

#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/InitAllDialects.h"
#include "mlir/InitAllExtensions.h"
#include "mlir/Parser/Parser.h"
#include "mlir/Target/LLVMIR/Dialect/All.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/JSON.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/SourceMgr.h"
#include "llvm/Support/TargetSelect.h"

#include <chrono>
#include <cstring>
#include <dlfcn.h>
#include <mutex>
#include <thread>

using namespace mlir;

struct PaRepropStep {
  std::unique_ptr<MLIRContext> context;
  std::unique_ptr<pareprop::CompiledFunction> function;
  std::string signature;
  int64_t lastPeakActivationBytes = 0;
  int64_t lastSystemAllocations = 0;
};

using pareprop::capi::copyString;
using pareprop::capi::setError;

namespace {

void initNativeTarget() {
  static std::once_flag initTargets;
  std::call_once(initTargets, [] {
    llvm::InitializeNativeTarget();
    llvm::InitializeNativeTargetAsmPrinter();
  });
}

/// Every dialect a model and its lowering use.
DialectRegistry dialects() {
  DialectRegistry registry;
  registerAllDialects(registry);
  registerAllExtensions(registry);
  registerAllToLLVMIRTranslations(registry);
  pareprop::registerAllDialects(registry);
  return registry;
}

/// Parses the caller's rev-to-llvm `options` into `pipeline`; the message
/// of what is wrong with them, or empty.
std::string parseOptions(const char *options,
                         pareprop::RevToLLVMOptions &pipeline) {
  if (!options || !*options)
    return "";
  std::string optionErrors;
  llvm::raw_string_ostream optionStream(optionErrors);
  if (failed(pipeline.parseFromString(options, optionStream)))
    return "bad options '" + std::string(options) + "': " + optionErrors;
  // The arguments set these; an option beside them would be overridden
  // without a word.
  if (pipeline.mode.hasValue() || pipeline.policy.hasValue() ||
      pipeline.func.hasValue())
    return "bad options '" + std::string(options) +
           "': mode, policy and func are set by the schedule and func "
           "arguments, not by options";
  return "";
}

/// A model handed to the C API: its text parsed, its loss function found and
/// the caller's options read, with every diagnostic (the parser's, and the
/// pipeline's while this lives) collected for the error message.
class ModelRequest {
public:
  explicit ModelRequest(MLIRContext &context)
      : diagStream(diagnostics), handler(sourceMgr, &context, diagStream),
        context(context) {}

  /// Empty, or what is wrong with `mlir`, `func` or `options`.
  std::string load(const char *mlir, const char *func, const char *options) {
    sourceMgr.AddNewSourceBuffer(
        llvm::MemoryBuffer::getMemBufferCopy(mlir, "<model>"), llvm::SMLoc());
    model = parseSourceFile<ModuleOp>(sourceMgr, &context);
    if (!model)
      return "could not parse the model";
    auto found = pareprop::findLossFunction(*model, func ? func : "");
    if (!found)
      return llvm::toString(found.takeError());
    loss = *found;
    return parseOptions(options, pipeline);
  }

  /// `message` followed by the diagnostics collected so far.
  std::string explain(const std::string &message) const {
    return diagnostics.empty() ? message : message + "\n" + diagnostics;
  }

  OwningOpRef<ModuleOp> model;
  func::FuncOp loss;
  pareprop::RevToLLVMOptions pipeline;

private:
  llvm::SourceMgr sourceMgr;
  std::string diagnostics;
  llvm::raw_string_ostream diagStream;
  SourceMgrDiagnosticHandler handler;
  MLIRContext &context;
};

/// libpareprop_async_runtime.so beside this library (build tree and
/// installation alike), unless PAREPROP_ASYNC_RUNTIME names another.
std::string runtimeLibrary() {
  if (const char *env = std::getenv("PAREPROP_ASYNC_RUNTIME"))
    return env;
  Dl_info info;
  if (!dladdr(reinterpret_cast<void *>(&pareprop_step_compile), &info) ||
      !info.dli_fname)
    return "libpareprop_async_runtime.so";
  llvm::SmallString<256> path(llvm::sys::path::parent_path(info.dli_fname));
  llvm::sys::path::append(path, "libpareprop_async_runtime.so");
  return std::string(path);
}

std::string dtypeName(Type t) {
  Type e = getElementTypeOrSelf(t);
  std::string s;
  llvm::raw_string_ostream os(s);
  os << e;
  return s;
}

llvm::json::Object describe(Type t) {
  std::string text;
  llvm::raw_string_ostream os(text);
  os << t;
  llvm::json::Array shape;
  if (auto r = dyn_cast<RankedTensorType>(t))
    for (int64_t d : r.getShape())
      shape.push_back(d);
  return llvm::json::Object{
      {"type", text}, {"dtype", dtypeName(t)}, {"shape", std::move(shape)}};
}

// Engines are never freed, not even at exit: a worker thread of the async
// runtime may still be returning into a step's code (from freeing a
// coroutine frame) after the step has returned to its caller.
std::mutex graveyardMutex;
auto *graveyard = new std::vector<std::unique_ptr<pareprop::CompiledFunction>>;
} // namespace

extern "C" PaRepropStep *
pareprop_step_compile(const char *mlir, const char *func, const char *schedule,
                      const char *options, char **error) {
  initNativeTarget();
  if (!mlir || !schedule) {
    setError(error, "pareprop_step_compile: mlir and schedule are required");
    return nullptr;
  }
  auto step = std::make_unique<PaRepropStep>();
  step->context = std::make_unique<MLIRContext>(dialects());
  step->context->loadAllAvailableDialects();
  ModelRequest request(*step->context);
  auto fail = [&](const std::string &message) -> PaRepropStep * {
    setError(error, request.explain(message));
    return nullptr;
  };
  if (std::string bad = request.load(mlir, func, options); !bad.empty())
    return fail(bad);
  func::FuncOp loss = request.loss;
  auto sig = pareprop::trainingStepSignature(loss);
  if (!sig)
    return fail(llvm::toString(sig.takeError()));
  pareprop::RevToLLVMOptions &pipeline = request.pipeline;
  std::string name = schedule;
  bool forward = name == "forward";
  if (forward) {
    pipeline.mode = pareprop::rev::StepMode::None;
  } else {
    llvm::Expected<pareprop::NamedSchedule> named =
        pareprop::lookupSchedule(name);
    if (!named)
      return fail(llvm::toString(named.takeError()) +
                  " or 'forward' (the loss alone)");
    pipeline.mode = named->mode;
    pipeline.policy = named->policy;
  }
  pipeline.func = loss.getSymName().str();

  llvm::json::Object out{{"function", loss.getSymName().str()},
                         {"schedule", name}};
  auto onScheduled = [&](ModuleOp scheduled) {
    auto stepFn = scheduled.lookupSymbol<func::FuncOp>(
        (loss.getSymName() + "_step").str());
    if (!stepFn)
      return;
    using pareprop::rev::RevDialect;
    if (auto p = stepFn->getAttrOfType<StringAttr>(RevDialect::kPolicyAttr))
      out["policy"] = p.str();
    if (auto t =
            stepFn->getAttrOfType<FloatAttr>(RevDialect::kPredictedSecondsAttr))
      out["predicted_seconds"] = t.getValueAsDouble();
    if (auto b =
            stepFn->getAttrOfType<IntegerAttr>(RevDialect::kPredictedPeakAttr))
      out["predicted_peak_bytes"] = b.getInt();
  };
  SmallVector<RankedTensorType> resultTypes(sig->resultTypes);
  if (forward)
    resultTypes.resize(1);
  std::string entry =
      forward ? loss.getSymName().str() : (loss.getSymName() + "_step").str();
  auto compiled =
      pareprop::compileFunction(*request.model, pipeline, entry, sig->argTypes,
                                resultTypes, runtimeLibrary(), onScheduled);
  if (!compiled)
    return fail(llvm::toString(compiled.takeError()));
  step->function = std::move(*compiled);

  llvm::json::Array args, results;
  for (auto [i, t] : llvm::enumerate(sig->argTypes)) {
    llvm::json::Object a = describe(t);
    a["grad"] = llvm::is_contained(sig->gradArgs, unsigned(i));
    args.push_back(std::move(a));
  }
  for (auto [i, t] : llvm::enumerate(resultTypes)) {
    llvm::json::Object r = describe(t);
    r["arg"] = i == 0 ? int64_t(-1) : int64_t(sig->gradArgs[i - 1]);
    results.push_back(std::move(r));
  }
  out["args"] = std::move(args);
  out["results"] = std::move(results);
  step->signature = llvm::formatv("{0}", llvm::json::Value(std::move(out)));
  return step.release();
}

extern "C" const char *pareprop_schedule_names(void) {
  static const std::string names = [] {
    std::string joined;
    for (const pareprop::NamedSchedule &s : pareprop::namedSchedules())
      joined += (joined.empty() ? "" : ",") + s.name.str();
    return joined;
  }();
  return names.c_str();
}

extern "C" const char *pareprop_step_signature(const PaRepropStep *step) {
  return step ? step->signature.c_str() : "";
}

extern "C" int pareprop_step_run(PaRepropStep *step, const void *const *args,
                                 void *const *results, int64_t *peakBytes,
                                 char **error) {
  if (!step || !step->function) {
    setError(error, "pareprop_step_run: no compiled step");
    return 1;
  }
  size_t numArgs = step->function->getArgumentTypes().size();
  size_t numResults = step->function->getResultTypes().size();
  int64_t base = pareprop::liveAllocatedBytes();
  pareprop::resetPeakAllocatedBytes();
  pareprop::BufferPool &pool = pareprop::compiledCodeBufferPool();
  int64_t systemBefore = pool.statistics().systemAllocations;
  llvm::Error err =
      step->function->invoke(llvm::ArrayRef<const void *>(args, numArgs),
                             llvm::ArrayRef<void *>(results, numResults),
                             &step->lastPeakActivationBytes);
  if (peakBytes)
    *peakBytes = pareprop::peakAllocatedBytes() - base;
  if (err) {
    // An index out of range is the caller's input, like PyTorch's
    // IndexError: its own status so bindings can raise that.
    int status = err.isA<pareprop::IndexError>() ? 2 : 1;
    setError(error, llvm::toString(std::move(err)));
    return status;
  }
  // Worker threads free coroutine frames just after completing the tokens
  // the step awaited: let them finish before the next step is measured.
  for (int spin = 0; spin < 1000 && pareprop::liveAllocatedBytes() > base;
       ++spin)
    std::this_thread::sleep_for(std::chrono::microseconds(100));
  step->lastSystemAllocations =
      pool.statistics().systemAllocations - systemBefore;
  return 0;
}

extern "C" int64_t
pareprop_step_last_peak_activation_bytes(const PaRepropStep *step) {
  return step ? step->lastPeakActivationBytes : 0;
}

extern "C" int64_t
pareprop_step_last_system_allocations(const PaRepropStep *step) {
  return step ? step->lastSystemAllocations : 0;
}

extern "C" void pareprop_buffer_pool_statistics(int64_t *reservedBytes,
                                                int64_t *peakReservedBytes,
                                                int64_t *systemAllocations) {
  pareprop::BufferPool::Statistics s =
      pareprop::compiledCodeBufferPool().statistics();
  if (reservedBytes)
    *reservedBytes = s.reservedBytes;
  if (peakReservedBytes)
    *peakReservedBytes = s.peakReservedBytes;
  if (systemAllocations)
    *systemAllocations = s.systemAllocations;
}

extern "C" void pareprop_buffer_pool_release(void) {
  pareprop::compiledCodeBufferPool().releaseCached();
}

extern "C" int pareprop_check_schedules(const char *mlir, const char *func,
                                        const char *schedules,
                                        const char *options, uint64_t seed,
                                        double rtol, unsigned fdSamples,
                                        double fdRtol, char **report,
                                        char **error) {
  if (!mlir || !schedules) {
    setError(error, "pareprop_check_schedules: mlir and schedules are "
                    "required");
    return -1;
  }
  initNativeTarget();
  MLIRContext context(dialects());
  context.loadAllAvailableDialects();
  ModelRequest request(context);
  auto fail = [&](const std::string &message) {
    setError(error, request.explain(message));
    return -1;
  };
  if (std::string bad = request.load(mlir, func, options); !bad.empty())
    return fail(bad);

  pareprop::ScheduleCheck check;
  check.schedules.clear();
  for (StringRef name : llvm::split(StringRef(schedules), ','))
    check.schedules.push_back(name.trim().str());
  check.options = &request.pipeline;
  check.seed = seed;
  check.tolerance = rtol;
  check.finiteDifferences.samples = fdSamples;
  check.finiteDifferences.seed = seed;
  check.finiteDifferences.tolerance = fdRtol;
  std::vector<std::unique_ptr<pareprop::CompiledFunction>> engines;
  auto checked = pareprop::checkSchedules(*request.model, request.loss, check,
                                          runtimeLibrary(), engines);
  {
    std::lock_guard<std::mutex> lock(graveyardMutex);
    for (auto &engine : engines)
      graveyard->push_back(std::move(engine));
  }
  if (!checked)
    return fail(llvm::toString(checked.takeError()));
  if (report)
    *report = copyString(checked->toJSON());
  return checked->passed() ? 0 : 1;
}

extern "C" void pareprop_step_destroy(PaRepropStep *step) {
  if (!step)
    return;
  if (step->function) {
    std::lock_guard<std::mutex> lock(graveyardMutex);
    graveyard->push_back(std::move(step->function));
  }
  delete step; // The JIT-compiled code no longer needs the MLIR context.
}

extern "C" void pareprop_string_free(char *str) { std::free(str); }
