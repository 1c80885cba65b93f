//===- Harness.cpp - run compiled steps and check their gradients ---------===//

#include "pareprop/Harness/Harness.h"

#include "pareprop/Dialect/Rev/IR/RevOps.h"

#include "llvm/Support/FormatVariadic.h"
#include "llvm/Support/JSON.h"

#include <cmath>

using namespace mlir;
using namespace pareprop;

static bool isF64(RankedTensorType t) { return t.getElementType().isF64(); }

static std::vector<char> toBytes(const HostTensor &h) {
  Type e = h.type.getElementType();
  std::vector<char> bytes(std::max<int64_t>(8, denseByteSize(h.type)));
  for (size_t i = 0; i < h.values.size(); ++i) {
    double v = h.values[i];
    if (e.isF32())
      reinterpret_cast<float *>(bytes.data())[i] = float(v);
    else if (e.isF64())
      reinterpret_cast<double *>(bytes.data())[i] = v;
    else if (e.isInteger(32))
      reinterpret_cast<int32_t *>(bytes.data())[i] = int32_t(v);
    else
      reinterpret_cast<int64_t *>(bytes.data())[i] = int64_t(v);
  }
  return bytes;
}

llvm::Expected<std::vector<HostTensor>>
pareprop::runOnHost(CompiledFunction &fn, const std::vector<HostTensor> &args) {
  std::vector<std::vector<char>> argBytes;
  std::vector<const void *> argPtrs;
  for (const HostTensor &h : args)
    argPtrs.push_back(argBytes.emplace_back(toBytes(h)).data());
  std::vector<HostTensor> results;
  std::vector<std::vector<char>> resultBytes;
  std::vector<void *> resultPtrs;
  for (RankedTensorType t : fn.getResultTypes())
    resultPtrs.push_back(resultBytes.emplace_back(denseByteSize(t)).data());
  if (llvm::Error err = fn.invoke(argPtrs, resultPtrs))
    return std::move(err);
  for (auto [t, bytes] : llvm::zip(fn.getResultTypes(), resultBytes)) {
    HostTensor h{t, std::vector<double>(t.getNumElements())};
    for (size_t i = 0; i < h.values.size(); ++i)
      h.values[i] = isF64(t) ? reinterpret_cast<double *>(bytes.data())[i]
                             : reinterpret_cast<float *>(bytes.data())[i];
    results.push_back(std::move(h));
  }
  return results;
}

llvm::Expected<std::vector<HostTensor>>
pareprop::makeInputs(func::FuncOp fn, uint64_t seed, double initScale) {
  std::vector<HostTensor> out;
  for (auto [i, type] : llvm::enumerate(fn.getArgumentTypes())) {
    auto t = dyn_cast<RankedTensorType>(type);
    uint64_t state =
        seed * 0x9E3779B97F4A7C15ull + i * 0xBF58476D1CE4E5B9ull + 1;
    auto next = [&]() {
      uint64_t z = (state += 0x9E3779B97F4A7C15ull);
      z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
      z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
      return z ^ (z >> 31);
    };
    if (!t) { // An i64 seed: an integer that a double holds exactly.
      t = RankedTensorType::get({}, type);
      out.push_back({t, {double(next() >> 12)}});
      continue;
    }
    HostTensor h{t, {}};
    if (t.getElementType().isInteger()) {
      auto bound =
          fn.getArgAttrOfType<IntegerAttr>(i, rev::RevDialect::kIndexBoundAttr);
      if (!bound || bound.getInt() < 1)
        return llvm::createStringError(
            "integer argument " + std::to_string(i) +
            " needs a positive rev.index_bound attribute (the range its "
            "values are drawn from)");
      for (int64_t k = 0; k < t.getNumElements(); ++k)
        h.values.push_back(double(next() % uint64_t(bound.getInt())));
      out.push_back(std::move(h));
      continue;
    }
    // Weights-like (rank 2) get 1/sqrt(fan-in) so deep stacks stay tame.
    double scale =
        t.getRank() >= 2 ? initScale / std::sqrt(double(t.getDimSize(0))) : 0.5;
    for (int64_t k = 0; k < t.getNumElements(); ++k)
      h.values.push_back(scale * (double(next() >> 11) * 0x1.0p-53 * 2 - 1));
    out.push_back(std::move(h));
  }
  return out;
}

double pareprop::relativeDifference(const std::vector<double> &got,
                                    const std::vector<double> &reference) {
  double scale = 0, diff = 0;
  for (size_t k = 0; k < reference.size(); ++k) {
    double d = std::fabs(got[k] - reference[k]);
    if (std::isnan(d))
      return d;
    scale = std::max(scale, std::fabs(reference[k]));
    diff = std::max(diff, d);
  }
  return scale > 0 ? diff / scale : diff;
}

bool pareprop::isWorse(double rel, double worst) {
  return !std::isnan(worst) && !(rel <= worst);
}

double
pareprop::maxRelativeDifference(const std::vector<HostTensor> &got,
                                const std::vector<HostTensor> &reference) {
  double worst = 0;
  for (size_t i = 0; i < got.size(); ++i) {
    double rel = relativeDifference(got[i].values, reference[i].values);
    if (isWorse(rel, worst))
      worst = rel;
  }
  return worst;
}

double pareprop::defaultGradientTolerance(RankedTensorType loss) {
  return isF64(loss) ? 1e-9 : 1e-4;
}

llvm::Expected<FiniteDifferenceResult> pareprop::checkFiniteDifferences(
    CompiledFunction &forward, const std::vector<HostTensor> &inputs,
    ArrayRef<unsigned> gradArgs, const std::vector<HostTensor> &results,
    const FiniteDifferenceCheck &check) {
  bool f64 = isF64(results[0].type);
  FiniteDifferenceResult out;
  out.epsilon = f64 ? 1e-6 : 1e-3;
  out.tolerance = check.tolerance >= 0 ? check.tolerance : (f64 ? 1e-6 : 1e-2);
  double eps = out.epsilon;
  uint64_t pick = check.seed * 7919 + 17;
  for (auto [g, argIndex] : llvm::enumerate(gradArgs)) {
    const HostTensor &grad = results[g + 1];
    double scale = 0;
    for (double x : grad.values)
      scale = std::max(scale, std::fabs(x));
    for (unsigned s = 0; s < check.samples; ++s) {
      pick = pick * 6364136223846793005ull + 1442695040888963407ull;
      size_t k = (pick >> 33) % grad.values.size();
      std::vector<HostTensor> plus = inputs, minus = inputs;
      plus[argIndex].values[k] += eps;
      minus[argIndex].values[k] -= eps;
      auto fp = runOnHost(forward, plus);
      if (!fp)
        return fp.takeError();
      auto fm = runOnHost(forward, minus);
      if (!fm)
        return fm.takeError();
      double fd = ((*fp)[0].values[0] - (*fm)[0].values[0]) / (2 * eps);
      double err = std::fabs(fd - grad.values[k]) / std::max(scale, 1e-12);
      if (isWorse(err, out.worstError))
        out.worstError = err;
    }
  }
  return out;
}

std::string pareprop::dumpTypeName(Type elementType) {
  return elementType.isF64() ? "f64" : elementType.isF32() ? "f32" : "i64";
}

void pareprop::dumpTensor(llvm::raw_ostream &os, const std::string &header,
                          const HostTensor &t) {
  runtime::DumpTensor d{dumpTypeName(t.type.getElementType()),
                        t.type.getShape().vec(), t.values};
  os << runtime::formatDumpTensor(header, d);
}

llvm::Error pareprop::takeDumpedInputs(const runtime::Dump &dump,
                                       const std::string &path,
                                       ArrayRef<unsigned> gradArgs,
                                       std::vector<HostTensor> &inputs) {
  auto error = [&](const Twine &what) {
    return llvm::createStringError(path + ": " + what.str());
  };
  if (dump.args.size() != inputs.size())
    return error("has " + Twine(dump.args.size()) + " arguments, the step " +
                 Twine(inputs.size()));
  if (dump.hasGradArgs &&
      !llvm::equal(dump.gradArgs, gradArgs,
                   [](int64_t a, unsigned b) { return a == int64_t(b); }))
    return error("its results are the gradients of other arguments than the "
                 "step's: is it a dump of this model?");
  for (auto [i, input] : llvm::enumerate(inputs)) {
    auto it = dump.args.find(int64_t(i));
    if (it == dump.args.end())
      return error("has no argument " + Twine(i));
    const runtime::DumpTensor &t = it->second;
    std::string expected = dumpTypeName(input.type.getElementType());
    if (t.dtype != expected || t.shape != input.type.getShape().vec()) {
      std::string shape;
      llvm::raw_string_ostream os(shape);
      llvm::interleave(t.shape, os, "x");
      return error("argument " + Twine(i) + " is " + t.dtype + " [" + shape +
                   "], the step takes " +
                   llvm::formatv("{0}", input.type).str());
    }
    input.values = t.values;
  }
  return llvm::Error::success();
}

std::vector<DumpComparison>
pareprop::compareDumpedResults(const runtime::Dump &dump,
                               const std::vector<HostTensor> &reference) {
  std::vector<DumpComparison> out;
  for (const std::string &set : dump.resultSets) {
    const auto &results = dump.results.at(set);
    DumpComparison c;
    c.set = set;
    c.comparable = results.size() == reference.size();
    for (size_t k = 0; c.comparable && k < reference.size(); ++k) {
      auto it = results.find(int64_t(k));
      if (it == results.end() ||
          it->second.shape != reference[k].type.getShape().vec()) {
        c.comparable = false;
        break;
      }
      double rel = relativeDifference(it->second.values, reference[k].values);
      if (isWorse(rel, c.worst)) {
        c.worst = rel;
        c.worstResult = int64_t(k);
      }
    }
    out.push_back(std::move(c));
  }
  return out;
}

bool ScheduleCheckReport::passed() const {
  return llvm::all_of(schedules,
                      [](const ScheduleResult &s) { return s.passed; }) &&
         (!finiteDifferences || finiteDifferences->passed());
}

/// JSON has no NaN or infinity: such a number is written as null.
static llvm::json::Value number(double x) {
  return std::isfinite(x) ? llvm::json::Value(x) : llvm::json::Value(nullptr);
}

std::string ScheduleCheckReport::toJSON() const {
  llvm::json::Array runs;
  for (const ScheduleResult &s : schedules)
    runs.push_back(llvm::json::Object{{"schedule", s.schedule},
                                      {"loss", number(s.loss)},
                                      {"error", number(s.error)},
                                      {"passed", s.passed}});
  llvm::json::Object out{{"function", function},
                         {"tolerance", tolerance},
                         {"passed", passed()},
                         {"schedules", std::move(runs)}};
  if (finiteDifferences)
    out["finite_differences"] = llvm::json::Object{
        {"epsilon", finiteDifferences->epsilon},
        {"tolerance", finiteDifferences->tolerance},
        {"worst_error", number(finiteDifferences->worstError)},
        {"passed", finiteDifferences->passed()}};
  return llvm::formatv("{0}", llvm::json::Value(std::move(out)));
}

llvm::Expected<ScheduleCheckReport> pareprop::checkSchedules(
    ModuleOp model, func::FuncOp loss, const ScheduleCheck &check,
    StringRef runtimeLibrary,
    std::vector<std::unique_ptr<CompiledFunction>> &engines) {
  if (check.schedules.empty())
    return llvm::createStringError("no schedule to check");
  auto signature = trainingStepSignature(loss);
  if (!signature)
    return signature.takeError();
  auto inputs = makeInputs(loss, check.seed, check.initScale);
  if (!inputs)
    return inputs.takeError();
  ScheduleCheckReport report;
  report.function = loss.getSymName().str();
  report.tolerance = check.tolerance >= 0
                         ? check.tolerance
                         : defaultGradientTolerance(signature->resultTypes[0]);
  std::vector<HostTensor> reference;
  for (const std::string &name : check.schedules) {
    llvm::Expected<NamedSchedule> named = lookupSchedule(name);
    if (!named)
      return named.takeError();
    RevToLLVMOptions options;
    if (check.options)
      options.copyOptionValuesFrom(*check.options);
    options.mode = named->mode;
    options.policy = named->policy;
    options.func = report.function;
    auto step = compileFunction(model, options, report.function + "_step",
                                signature->argTypes, signature->resultTypes,
                                runtimeLibrary);
    if (!step)
      return llvm::createStringError("schedule " + name + ": " +
                                     llvm::toString(step.takeError()));
    engines.push_back(std::move(*step));
    auto results = runOnHost(*engines.back(), *inputs);
    if (!results)
      return llvm::createStringError("schedule " + name + ": " +
                                     llvm::toString(results.takeError()));
    ScheduleResult r{name, (*results)[0].values[0], 0, true};
    if (reference.empty()) {
      reference = std::move(*results);
    } else {
      r.error = maxRelativeDifference(*results, reference);
      r.passed = r.error <= report.tolerance;
    }
    report.schedules.push_back(r);
  }
  if (check.finiteDifferences.samples > 0) {
    RevToLLVMOptions options;
    options.mode = rev::StepMode::None;
    if (check.options)
      options.runtimeContractions = check.options->runtimeContractions;
    auto forward =
        compileFunction(model, options, report.function, signature->argTypes,
                        {signature->resultTypes[0]}, runtimeLibrary);
    if (!forward)
      return llvm::createStringError("forward: " +
                                     llvm::toString(forward.takeError()));
    engines.push_back(std::move(*forward));
    auto result =
        checkFiniteDifferences(*engines.back(), *inputs, signature->gradArgs,
                               reference, check.finiteDifferences);
    if (!result)
      return result.takeError();
    report.finiteDifferences = *result;
  }
  return report;
}
