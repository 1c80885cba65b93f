//===- CompiledFunction.cpp - JIT-compiled training steps -----------------===//

#include "pareprop/ExecutionEngine/CompiledFunction.h"

#include "pareprop/Dialect/Rev/IR/RevOps.h"

#include "mlir/ExecutionEngine/OptUtils.h"
#include "mlir/Pass/PassManager.h"
#include "llvm/ADT/DenseSet.h"
#include "llvm/ADT/SmallPtrSet.h"
#include "llvm/ExecutionEngine/Orc/JITTargetMachineBuilder.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Target/TargetMachine.h"

#include <atomic>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <mutex>
#include <string_view>
#include <vector>

using namespace mlir;

namespace pareprop {

//===----------------------------------------------------------------------===//
// Allocation tracking: the compiled code's malloc/free are routed here.
//===----------------------------------------------------------------------===//

BufferPool &compiledCodeBufferPool() {
  // Never destroyed: runtime worker threads may free a last buffer while
  // the process exits. PAREPROP_NO_BUFFER_CACHING=1 frees every buffer at
  // once, for memory checkers (valgrind, sanitizers).
  static BufferPool *pool = [] {
    const char *off = std::getenv("PAREPROP_NO_BUFFER_CACHING");
    return new BufferPool(!(off && *off && std::string_view(off) != "0"));
  }();
  return *pool;
}

namespace {
/// While a step runs with its memory measured, every allocation (+size) and
/// free (-size) in order, so that the peak can be recomputed without the
/// buffers that turn out to be the step's results.
std::atomic<bool> logging{false};
std::mutex logMutex;
std::vector<std::pair<void *, int64_t>> allocationLog;

void logAllocation(void *ptr, int64_t delta) {
  if (!logging.load(std::memory_order_relaxed))
    return;
  std::lock_guard<std::mutex> lock(logMutex);
  allocationLog.emplace_back(ptr, delta);
}

void *trackedMalloc(size_t size) {
  void *ptr = compiledCodeBufferPool().allocate(size);
  if (!ptr)
    return nullptr;
  logAllocation(ptr, int64_t(size));
  return ptr;
}

void *trackedAlignedAlloc(size_t alignment, size_t size) {
  (void)alignment; // Every pool block is 64-byte aligned.
  return trackedMalloc(size);
}

// LLVM turns malloc + memset(0) into calloc, so calloc must be tracked too.
void *trackedCalloc(size_t count, size_t size) {
  void *p = trackedMalloc(count * size);
  if (p)
    std::memset(p, 0, count * size);
  return p;
}

void trackedFree(void *ptr) {
  if (!ptr)
    return;
  logAllocation(ptr, -int64_t(BufferPool::requestedSize(ptr)));
  compiledCodeBufferPool().deallocate(ptr);
}

void *trackedRealloc(void *ptr, size_t size) {
  void *fresh = trackedMalloc(size);
  if (ptr && fresh) {
    std::memcpy(fresh, ptr, std::min(BufferPool::requestedSize(ptr), size));
    trackedFree(ptr);
  }
  return fresh;
}
} // namespace

/// The largest number of bytes live at once in `log` (relative to its
/// start), not counting the allocations of `results` that are still live at
/// its end.
static int64_t peakWithout(ArrayRef<std::pair<void *, int64_t>> log,
                           const llvm::SmallPtrSetImpl<void *> &results) {
  // The last allocation of a result's address is the result (an address
  // freed earlier may have been reused).
  llvm::DenseSet<size_t> excluded;
  llvm::SmallPtrSet<void *, 16> pending(results.begin(), results.end());
  for (size_t i = log.size(); i-- > 0 && !pending.empty();)
    if (log[i].second > 0 && pending.erase(log[i].first))
      excluded.insert(i);
  int64_t live = 0, peak = 0;
  for (auto [i, event] : llvm::enumerate(log)) {
    if (!excluded.contains(i))
      live += event.second;
    peak = std::max(peak, live);
  }
  return peak;
}

int64_t liveAllocatedBytes() {
  return compiledCodeBufferPool().statistics().liveBytes;
}
int64_t peakAllocatedBytes() {
  return compiledCodeBufferPool().statistics().peakLiveBytes;
}
void resetPeakAllocatedBytes() { compiledCodeBufferPool().resetPeakLiveBytes(); }

//===----------------------------------------------------------------------===//
// The packed calling convention of the JIT.
//===----------------------------------------------------------------------===//

static int64_t elementBytes(Type t) {
  return int64_t((getElementTypeOrSelf(t).getIntOrFloatBitWidth() + 7) / 8);
}

int64_t denseByteSize(Type type) {
  if (auto t = dyn_cast<RankedTensorType>(type))
    return t.getNumElements() * elementBytes(t);
  return 8;
}

/// A strided memref descriptor as LLVM lays it out: every field 8 bytes.
static SmallVector<int64_t> makeDescriptor(const void *data,
                                           RankedTensorType t) {
  SmallVector<int64_t> d{reinterpret_cast<int64_t>(data),
                         reinterpret_cast<int64_t>(data), 0};
  d.append(t.getShape().begin(), t.getShape().end());
  SmallVector<int64_t> strides(t.getRank());
  int64_t stride = 1;
  for (int64_t i = t.getRank() - 1; i >= 0; --i) {
    strides[i] = stride;
    stride *= t.getDimSize(i);
  }
  d.append(strides);
  return d;
}

/// Copies a strided memref (descriptor `d`) into a dense buffer.
static void copyToDense(const int64_t *d, RankedTensorType t, char *out) {
  int64_t width = elementBytes(t), rank = t.getRank();
  const char *base = reinterpret_cast<const char *>(d[1]) + d[2] * width;
  const int64_t *sizes = d + 3, *strides = d + 3 + rank;
  int64_t n = t.getNumElements();
  // Row-major already (what the step returns, unless a result is a view):
  // one copy.
  bool dense = true;
  for (int64_t i = rank - 1, expected = 1; i >= 0; --i) {
    if (sizes[i] != 1 && strides[i] != expected)
      dense = false;
    expected *= sizes[i];
  }
  if (dense) {
    std::memcpy(out, base, size_t(n * width));
    return;
  }
  SmallVector<int64_t> index(rank, 0);
  for (int64_t k = 0; k < n; ++k) {
    int64_t offset = 0;
    for (int64_t i = 0; i < rank; ++i)
      offset += index[i] * strides[i];
    std::memcpy(out + k * width, base + offset * width, width);
    for (int64_t i = rank - 1; i >= 0; --i) {
      if (++index[i] < sizes[i])
        break;
      index[i] = 0;
    }
  }
}

char IndexError::ID = 0;

std::optional<IndexChecks> indexChecksOf(func::FuncOp fn) {
  // The dialect verified the attribute's shape.
  auto dict =
      fn->getAttrOfType<DictionaryAttr>(rev::RevDialect::kIndexChecksAttr);
  if (!dict)
    return std::nullopt;
  IndexChecks result;
  result.func = dict.getAs<FlatSymbolRefAttr>("func").getValue().str();
  for (Attribute entry : dict.getAs<ArrayAttr>("checks")) {
    auto check = cast<DictionaryAttr>(entry);
    IndexChecks::Check c;
    c.arg = unsigned(check.getAs<IntegerAttr>("arg").getInt());
    c.bound = check.getAs<IntegerAttr>("bound").getInt();
    if (auto ignore = check.getAs<IntegerAttr>("ignore_index"))
      c.ignoreIndex = ignore.getInt();
    c.what = check.getAs<StringAttr>("what").str();
    result.checks.push_back(std::move(c));
  }
  return result;
}

CompiledFunction::CompiledFunction(std::unique_ptr<ExecutionEngine> engine,
                                   std::string name, SmallVector<Type> argTypes,
                                   SmallVector<RankedTensorType> resultTypes,
                                   std::optional<IndexChecks> indexChecks)
    : engine(std::move(engine)), name(std::move(name)),
      argTypes(std::move(argTypes)), resultTypes(std::move(resultTypes)),
      indexChecks(std::move(indexChecks)) {}

llvm::Error CompiledFunction::checkIndices(ArrayRef<void *> packed) {
  // The check returns a memref<6xi64>: allocated, aligned, offset, size,
  // stride.
  int64_t descriptor[5] = {0, 0, 0, 0, 0};
  SmallVector<void *> withResult(packed);
  withResult.push_back(descriptor);
  if (llvm::Error err = engine->invokePacked(indexChecks->func, withResult))
    return err;
  const int64_t *found = reinterpret_cast<const int64_t *>(descriptor[1]) +
                         descriptor[2];
  int64_t fields[6];
  for (int i = 0; i < 6; ++i)
    fields[i] = found[i * descriptor[4]];
  trackedFree(reinterpret_cast<void *>(descriptor[0]));
  int64_t k = fields[0];
  if (k < 0)
    return llvm::Error::success();
  if (k >= int64_t(indexChecks->checks.size()))
    return llvm::createStringError("@" + indexChecks->func +
                                   " returned an unknown check");
  const IndexChecks::Check &check = indexChecks->checks[k];
  int64_t position = fields[2], value = fields[3];
  // The element's index in the argument's shape.
  auto type = cast<RankedTensorType>(argTypes[check.arg]);
  SmallVector<int64_t> index(type.getRank());
  for (int64_t d = type.getRank() - 1, rest = position; d >= 0; --d) {
    index[d] = rest % type.getDimSize(d);
    rest /= type.getDimSize(d);
  }
  std::string message;
  llvm::raw_string_ostream os(message);
  os << "argument " << check.arg << " (" << check.what << "): element [";
  llvm::interleaveComma(index, os);
  os << "] is " << value << ", outside [0, " << check.bound << ")";
  if (check.ignoreIndex)
    os << " and not the ignore index " << *check.ignoreIndex;
  return llvm::make_error<IndexError>(message, check.arg, position, value);
}

llvm::Error CompiledFunction::invoke(ArrayRef<const void *> args,
                                     ArrayRef<void *> results,
                                     int64_t *peakWithoutResults) {
  if (args.size() != argTypes.size() || results.size() != resultTypes.size())
    return llvm::createStringError(
        "@" + name + " takes " + std::to_string(argTypes.size()) +
        " arguments and returns " + std::to_string(resultTypes.size()) +
        " results");
  std::vector<SmallVector<int64_t>> descriptors;
  for (auto [data, type] : llvm::zip(args, argTypes)) {
    if (auto t = dyn_cast<RankedTensorType>(type))
      descriptors.push_back(makeDescriptor(data, t));
    else
      descriptors.push_back({*static_cast<const int64_t *>(data)});
  }
  size_t resultFields = 0;
  for (RankedTensorType t : resultTypes)
    resultFields += 3 + 2 * t.getRank();
  std::vector<int64_t> resultStorage(resultFields);
  SmallVector<void *> packed;
  for (SmallVector<int64_t> &d : descriptors)
    for (int64_t &field : d)
      packed.push_back(&field);
  if (indexChecks) {
    auto start = std::chrono::steady_clock::now();
    llvm::Error err = checkIndices(packed);
    lastIndexCheckSeconds = std::chrono::duration<double>(
                                std::chrono::steady_clock::now() - start)
                                .count();
    if (err) {
      if (peakWithoutResults)
        *peakWithoutResults = 0;
      return err;
    }
  }
  void *resultPtr = resultStorage.data();
  packed.push_back(resultPtr);
  if (peakWithoutResults) {
    std::lock_guard<std::mutex> lock(logMutex);
    allocationLog.clear();
    logging.store(true);
  }
  llvm::Error err = engine->invokePacked(name, packed);
  if (peakWithoutResults)
    logging.store(false);
  if (err) {
    if (peakWithoutResults)
      *peakWithoutResults = 0;
    return err;
  }
  // Each result's buffer (field 0 of its descriptor: the pointer malloc
  // returned), freed once even when returned twice.
  llvm::SmallPtrSet<void *, 16> resultBuffers;
  size_t offset = 0;
  for (auto [t, out] : llvm::zip(resultTypes, results)) {
    copyToDense(&resultStorage[offset], t, static_cast<char *>(out));
    void *allocated = reinterpret_cast<void *>(resultStorage[offset]);
    if (resultBuffers.insert(allocated).second)
      trackedFree(allocated);
    offset += 3 + 2 * t.getRank();
  }
  if (peakWithoutResults) {
    // The frees above came after logging stopped: the log ends with the
    // results still live.
    std::lock_guard<std::mutex> lock(logMutex);
    *peakWithoutResults = peakWithout(allocationLog, resultBuffers);
    allocationLog.clear();
  }
  return llvm::Error::success();
}

//===----------------------------------------------------------------------===//
// Compilation.
//===----------------------------------------------------------------------===//

llvm::Expected<SmallVector<Type>> callableArgumentTypes(func::FuncOp fn) {
  SmallVector<Type> types;
  for (auto [i, type] : llvm::enumerate(fn.getArgumentTypes())) {
    auto t = dyn_cast<RankedTensorType>(type);
    bool ok = type.isInteger(64) ||
              (t && t.hasStaticShape() && t.getElementType().isIntOrFloat());
    if (!ok) {
      std::string s;
      llvm::raw_string_ostream os(s);
      os << "argument " << i << " of @" << fn.getSymName() << " has type "
         << type << "; expected a statically shaped tensor or an i64 seed";
      return llvm::createStringError(s);
    }
    types.push_back(type);
  }
  return types;
}

llvm::Expected<TrainingStepSignature> trainingStepSignature(func::FuncOp loss) {
  auto args = callableArgumentTypes(loss);
  if (!args)
    return args.takeError();
  TrainingStepSignature sig;
  sig.argTypes = std::move(*args);
  auto result = loss.getNumResults() == 1
                    ? dyn_cast<RankedTensorType>(loss.getResultTypes()[0])
                    : RankedTensorType();
  if (!result || result.getRank() != 0)
    return llvm::createStringError("@" + loss.getSymName().str() +
                                   " must return one 0-d tensor (the loss)");
  sig.resultTypes.push_back(result);
  for (auto [i, type] : llvm::enumerate(sig.argTypes)) {
    auto t = dyn_cast<RankedTensorType>(type);
    if (!t || !isa<FloatType>(t.getElementType()) ||
        loss.getArgAttr(i, rev::RevDialect::kNoGradAttr))
      continue;
    sig.gradArgs.push_back(unsigned(i));
    sig.resultTypes.push_back(t);
  }
  return sig;
}

llvm::Expected<func::FuncOp> findLossFunction(ModuleOp model, StringRef name) {
  func::FuncOp loss;
  for (auto fn : model.getOps<func::FuncOp>()) {
    bool matches = name.empty()
                       ? fn.isPublic() && fn.walk([](rev::BlockOp) {
                                              return WalkResult::interrupt();
                                            }).wasInterrupted()
                       : fn.getSymName() == name;
    if (!matches)
      continue;
    if (loss)
      return llvm::createStringError(
          "several functions hold rev.block ops; choose one by name");
    loss = fn;
  }
  if (!loss)
    return llvm::createStringError(
        name.empty() ? std::string("no public function holds a rev.block")
                     : "no function named @" + name.str());
  return loss;
}

llvm::Expected<std::unique_ptr<CompiledFunction>> compileFunction(
    ModuleOp model, const RevToLLVMOptions &options, StringRef entry,
    ArrayRef<Type> argTypes, ArrayRef<RankedTensorType> resultTypes,
    StringRef runtimeLibrary, llvm::function_ref<void(ModuleOp)> onScheduled) {
  OwningOpRef<ModuleOp> module(model.clone());
  PassManager schedule(model.getContext());
  buildTrainingStepPipeline(schedule, options);
  if (failed(schedule.run(*module)))
    return llvm::createStringError("compilation failed (see diagnostics)");
  if (onScheduled)
    onScheduled(*module);
  std::optional<IndexChecks> checks;
  if (auto fn = module->lookupSymbol<func::FuncOp>(entry)) {
    checks = indexChecksOf(fn);
    if (checks && !module->lookupSymbol<func::FuncOp>(checks->func))
      return llvm::createStringError("@" + entry.str() +
                                     " names a missing index check @" +
                                     checks->func);
  }
  PassManager pm(model.getContext());
  buildLowerScheduledPipeline(pm, options);
  if (failed(pm.run(*module)))
    return llvm::createStringError("compilation failed (see diagnostics)");
  std::string libDir = PAREPROP_MLIR_LIBDIR;
  if (const char *env = std::getenv("PAREPROP_MLIR_LIBDIR"))
    libDir = env;
  std::string utilsLib = libDir + "/libmlir_c_runner_utils.so";
  for (StringRef lib : {runtimeLibrary, StringRef(utilsLib)})
    if (!llvm::sys::fs::exists(lib))
      return llvm::createStringError("runtime library not found: " + lib.str());
  SmallVector<StringRef> libs{runtimeLibrary, utilsLib};
  ExecutionEngineOptions engineOptions;
  // The host's target machine lets LLVM's loop vectorizer see the vector
  // width (without it, the loop kernels stay scalar).
  auto hostMachine = llvm::orc::JITTargetMachineBuilder::detectHost();
  if (!hostMachine)
    return hostMachine.takeError();
  auto targetMachine = hostMachine->createTargetMachine();
  if (!targetMachine)
    return targetMachine.takeError();
  auto transformer = makeOptimizingTransformer(3, 0, targetMachine->get());
  engineOptions.transformer = transformer;
  engineOptions.sharedLibPaths = libs;
  engineOptions.jitCodeGenOptLevel = llvm::CodeGenOptLevel::Aggressive;
  // Named JIT code in `perf record -k 1` + `perf inject --jit` profiles.
  engineOptions.enablePerfNotificationListener =
      std::getenv("PAREPROP_PERF_JIT") != nullptr;
  auto engine = ExecutionEngine::create(*module, engineOptions);
  if (!engine)
    return engine.takeError();
  (*engine)->registerSymbols([](llvm::orc::MangleAndInterner interner) {
    llvm::orc::SymbolMap map;
    auto add = [&](const char *name, void *fn) {
      map[interner(name)] = {llvm::orc::ExecutorAddr::fromPtr(fn),
                             llvm::JITSymbolFlags::Exported};
    };
    add("malloc", reinterpret_cast<void *>(&trackedMalloc));
    add("aligned_alloc", reinterpret_cast<void *>(&trackedAlignedAlloc));
    add("calloc", reinterpret_cast<void *>(&trackedCalloc));
    add("realloc", reinterpret_cast<void *>(&trackedRealloc));
    add("free", reinterpret_cast<void *>(&trackedFree));
    return map;
  });
  (*engine)->initialize();
  return std::make_unique<CompiledFunction>(
      std::move(*engine), entry.str(), SmallVector<Type>(argTypes),
      SmallVector<RankedTensorType>(resultTypes), std::move(checks));
}

} // namespace pareprop
