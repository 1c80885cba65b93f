//===- TargetDescription.cpp - device descriptions for the cost model -----===//

#include "pareprop/Analysis/TargetDescription.h"

#include "llvm/Support/JSON.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/raw_ostream.h"
#include <algorithm>
#include <cmath>

using namespace pareprop;
using llvm::Expected;
using llvm::StringRef;

double TargetDescription::unitsFor(double elements) const {
  if (elementsPerUnit <= 0)
    return 1.0;
  return std::clamp(std::ceil(elements / elementsPerUnit), 1.0,
                    double(computeUnits));
}

double TargetDescription::splitFor(const OpWork &work, bool alone) const {
  if (!alone || splitUnits <= 1)
    return 1.0;
  // Products split in the runtime library when it runs them; everything
  // else (and products compiled to loops) as loop kernels.
  bool library = work.contraction && contractionFlopsPerUnit > 0;
  double threshold = library ? splitFlops : splitLoopFlops;
  if (threshold <= 0 || work.flops < threshold)
    return 1.0;
  return double(std::min(splitUnits, computeUnits));
}

double TargetDescription::flopRate(const OpWork &work) const {
  return work.contraction && contractionFlopsPerUnit > 0
             ? contractionFlopsPerUnit
             : flopsPerUnit;
}

double TargetDescription::kernelSeconds(const OpWork &work, bool alone) const {
  double units = unitsFor(work.elements) * splitFor(work, alone);
  double compute = work.flops / (flopRate(work) * units);
  double memory = work.bytes / std::min(bandwidth, bandwidthPerUnit * units);
  return kernelOverhead + (overlapComputeAndMemory ? std::max(compute, memory)
                                                   : compute + memory);
}

double TargetDescription::taskSeconds(llvm::ArrayRef<OpWork> kernels,
                                      bool alone) const {
  double seconds = taskOverhead;
  for (const OpWork &k : kernels)
    seconds += kernelSeconds(k, alone);
  return seconds;
}

TargetDescription TargetDescription::withoutContractionLibrary() const {
  TargetDescription t = *this;
  t.contractionFlopsPerUnit = 0;
  t.splitFlops = 0;
  return t;
}

TargetDescription
TargetDescription::withKernels(bool contractionLibrary,
                               int64_t splitMinIterations) const {
  TargetDescription t =
      contractionLibrary ? *this : withoutContractionLibrary();
  if (splitMinIterations >= 0)
    t.splitLoopFlops = double(splitMinIterations);
  return t;
}

Expected<TargetDescription> TargetDescription::builtin(StringRef name) {
  TargetDescription t;
  if (name == "cpu") {
    // This project's CPU machines (2 cores), calibrated with
    // `pareprop-run --calibrate` on the RevViT and MLP examples
    // (docs/benchmarks.md): single-threaded loop kernels.
    t.name = "cpu";
    t.computeUnits = 2;
    t.flopsPerUnit = 1.1e9;
    // Products through OpenBLAS on one thread; a task that runs alone
    // shares products of 4M multiply-adds or more with the helper thread
    // (lib/Runtime/Kernels.cpp).
    t.contractionFlopsPerUnit = 40e9;
    t.splitUnits = 2;
    t.splitFlops = 8e6;
    // pareprop-split-kernels-across-threads cuts loop kernels of 64Ki
    // iterations or more.
    t.splitLoopFlops = 65536;
    t.bandwidthPerUnit = 2.5e9;
    t.bandwidth = 5e9;
    t.elementsPerUnit = 0;
    t.overlapComputeAndMemory = false;
    t.kernelOverhead = 0;
    t.taskOverhead = 4e-6;
    t.maxConcurrentTasks = 2;
    t.contention = 0.15;
    return t;
  }
  if (name == "h100") {
    // H100 SXM, FP32 without tensor cores: 132 SMs, ~67 TFLOP/s, 3.35 TB/s.
    // A kernel fills one SM per 4096 result elements; streams share SMs.
    t.name = "h100";
    t.computeUnits = 132;
    t.flopsPerUnit = 67e12 / 132;
    t.bandwidth = 3.35e12;
    t.bandwidthPerUnit = 3.35e12 / 132 * 4;
    t.elementsPerUnit = 4096;
    t.overlapComputeAndMemory = true;
    t.kernelOverhead = 4e-6;
    t.taskOverhead = 2e-6;
    t.maxConcurrentTasks = 32;
    t.contention = 0.05;
    return t;
  }
  return llvm::createStringError("unknown target '" + name +
                                 "' (built in: 'cpu', 'h100'; or a JSON file)");
}

Expected<TargetDescription> TargetDescription::fromJSON(StringRef text) {
  Expected<llvm::json::Value> parsed = llvm::json::parse(text);
  if (!parsed)
    return parsed.takeError();
  const llvm::json::Object *obj = parsed->getAsObject();
  if (!obj)
    return llvm::createStringError("a target description is a JSON object");
  // Start from the built-in target it names (default "cpu") so a file can
  // override a few fields.
  StringRef base = "cpu";
  if (auto b = obj->getString("base"))
    base = *b;
  Expected<TargetDescription> t = builtin(base);
  if (!t)
    return t.takeError();
  if (auto n = obj->getString("name"))
    t->name = n->str();
  for (const auto &entry : *obj) {
    // Named, not structured bindings: lambdas below capture them (C++17).
    StringRef k = entry.first;
    const llvm::json::Value &value = entry.second;
    if (k == "name" || k == "base" || k == "comment")
      continue;
    auto number = [&](double &field, double min) -> llvm::Error {
      std::optional<double> v = value.getAsNumber();
      if (!v || *v < min || !std::isfinite(*v))
        return llvm::createStringError("target field '" + k +
                                       "' must be a number >= " +
                                       std::to_string(min));
      field = *v;
      return llvm::Error::success();
    };
    auto count = [&](unsigned &field) -> llvm::Error {
      std::optional<int64_t> v = value.getAsInteger();
      if (!v || *v < 1)
        return llvm::createStringError("target field '" + k +
                                       "' must be an integer >= 1");
      field = unsigned(*v);
      return llvm::Error::success();
    };
    llvm::Error err = llvm::Error::success();
    if (k == "compute_units")
      err = count(t->computeUnits);
    else if (k == "max_concurrent_tasks")
      err = count(t->maxConcurrentTasks);
    else if (k == "flops_per_unit")
      err = number(t->flopsPerUnit, 1);
    else if (k == "contraction_flops_per_unit")
      err = number(t->contractionFlopsPerUnit, 0);
    else if (k == "split_units")
      err = count(t->splitUnits);
    else if (k == "split_flops")
      err = number(t->splitFlops, 0);
    else if (k == "split_loop_flops")
      err = number(t->splitLoopFlops, 0);
    else if (k == "bandwidth_per_unit")
      err = number(t->bandwidthPerUnit, 1);
    else if (k == "bandwidth")
      err = number(t->bandwidth, 1);
    else if (k == "elements_per_unit")
      err = number(t->elementsPerUnit, 0);
    else if (k == "kernel_overhead")
      err = number(t->kernelOverhead, 0);
    else if (k == "task_overhead")
      err = number(t->taskOverhead, 0);
    else if (k == "contention")
      err = number(t->contention, 0);
    else if (k == "overlap_compute_and_memory") {
      std::optional<bool> v = value.getAsBoolean();
      if (!v)
        err = llvm::createStringError(
            "target field 'overlap_compute_and_memory' must be a boolean");
      else
        t->overlapComputeAndMemory = *v;
    } else
      err = llvm::createStringError("unknown target field '" + k + "'");
    if (err)
      return std::move(err);
  }
  return t;
}

Expected<TargetDescription> TargetDescription::load(StringRef nameOrPath) {
  if (!nameOrPath.ends_with(".json"))
    return builtin(nameOrPath);
  auto buffer = llvm::MemoryBuffer::getFile(nameOrPath);
  if (!buffer)
    return llvm::createStringError("cannot read target file '" + nameOrPath +
                                   "': " + buffer.getError().message());
  Expected<TargetDescription> t = fromJSON((*buffer)->getBuffer());
  if (!t)
    return llvm::createStringError(nameOrPath + ": " +
                                   llvm::toString(t.takeError()));
  return t;
}

std::string TargetDescription::toJSON() const {
  llvm::json::Object obj{
      {"name", name},
      {"compute_units", int64_t(computeUnits)},
      {"flops_per_unit", flopsPerUnit},
      {"contraction_flops_per_unit", contractionFlopsPerUnit},
      {"split_units", int64_t(splitUnits)},
      {"split_flops", splitFlops},
      {"split_loop_flops", splitLoopFlops},
      {"bandwidth_per_unit", bandwidthPerUnit},
      {"bandwidth", bandwidth},
      {"elements_per_unit", elementsPerUnit},
      {"overlap_compute_and_memory", overlapComputeAndMemory},
      {"kernel_overhead", kernelOverhead},
      {"task_overhead", taskOverhead},
      {"max_concurrent_tasks", int64_t(maxConcurrentTasks)},
      {"contention", contention},
  };
  std::string out;
  llvm::raw_string_ostream os(out);
  os << llvm::formatv("{0:2}", llvm::json::Value(std::move(obj))) << "\n";
  return out;
}

namespace {
/// Columns of the calibration fit: seconds = sum_c coefficient_c * column_c.
enum Column { Flops, ContractionFlops, Bytes, Kernels, Constant, NumColumns };
/// The rate calibrate() writes for work its fit gives no cost.
constexpr double kUnlimitedRate = 1e30;
using Row = std::array<double, NumColumns>;
} // namespace

/// Solves the normal equations of min |A x - y| over the columns in `use`
/// (Gaussian elimination with partial pivoting); false when singular.
static bool leastSquares(llvm::ArrayRef<Row> rows, llvm::ArrayRef<double> y,
                         const bool use[NumColumns], double x[NumColumns]) {
  int cols[NumColumns], n = 0;
  for (int c = 0; c < NumColumns; ++c)
    if (use[c])
      cols[n++] = c;
  double m[NumColumns][NumColumns + 1] = {};
  for (size_t r = 0; r < rows.size(); ++r)
    for (int i = 0; i < n; ++i) {
      for (int j = 0; j < n; ++j)
        m[i][j] += rows[r][cols[i]] * rows[r][cols[j]];
      m[i][n] += rows[r][cols[i]] * y[r];
    }
  for (int i = 0; i < n; ++i) {
    int pivot = i;
    for (int r = i + 1; r < n; ++r)
      if (std::fabs(m[r][i]) > std::fabs(m[pivot][i]))
        pivot = r;
    std::swap(m[i], m[pivot]);
    if (std::fabs(m[i][i]) < 1e-300)
      return false;
    for (int r = 0; r < n; ++r) {
      if (r == i)
        continue;
      double f = m[r][i] / m[i][i];
      for (int c = i; c <= n; ++c)
        m[r][c] -= f * m[i][c];
    }
  }
  for (int c = 0; c < NumColumns; ++c)
    x[c] = 0;
  for (int i = 0; i < n; ++i)
    x[cols[i]] = m[i][n] / m[i][i];
  return true;
}

TimedTask TimedTask::of(const TargetDescription &target,
                        llvm::ArrayRef<OpWork> kernels, bool alone,
                        double seconds) {
  TimedTask t;
  bool library = target.contractionFlopsPerUnit > 0;
  for (const OpWork &k : kernels) {
    // A product spread over several units moves its bytes through all of
    // them too.
    double split = target.splitFor(k, alone);
    // Loop kernels split too (split-kernels), as kernelSeconds assumes.
    if (library && k.contraction)
      t.contractionFlops += k.flops / split;
    else
      t.flops += k.flops / split;
    t.bytes += k.bytes / split;
  }
  t.kernels = double(kernels.size());
  t.seconds = seconds;
  return t;
}

TargetDescription pareprop::calibrate(const TargetDescription &base,
                                      llvm::ArrayRef<TimedTask> alone) {
  TargetDescription t = base;
  if (alone.empty())
    return t;
  // Columns scaled to order 1 so the normal equations are well conditioned.
  std::vector<Row> rows;
  std::vector<double> y;
  for (const TimedTask &s : alone) {
    rows.push_back({s.flops * 1e-9, s.contractionFlops * 1e-9, s.bytes * 1e-9,
                    s.kernels, 1.0});
    y.push_back(s.seconds);
  }
  // Active-set non-negative least squares: drop the most negative
  // coefficient and refit until all are >= 0. A column no sample has is
  // left out from the start.
  bool use[NumColumns], present[NumColumns];
  for (int c = 0; c < NumColumns; ++c) {
    use[c] = false;
    for (const Row &r : rows)
      use[c] |= r[c] != 0;
    present[c] = use[c];
  }
  double x[NumColumns];
  for (int round = 0; round < NumColumns; ++round) {
    if (!leastSquares(rows, y, use, x)) {
      // Collinear columns (e.g. every task has the same kernel count): drop
      // the kernel column, then the constant.
      if (use[Kernels])
        use[Kernels] = false;
      else if (use[Constant])
        use[Constant] = false;
      else
        return t;
      continue;
    }
    int worst = -1;
    for (int c = 0; c < NumColumns; ++c)
      if (use[c] && x[c] < 0 && (worst < 0 || x[c] < x[worst]))
        worst = c;
    if (worst < 0)
      break;
    use[worst] = false;
  }
  // The written target must predict what the fit does: work of a column
  // the samples have but the fit gave no cost (its coefficient was negative
  // or zero, the other columns explain the times) is free, not charged
  // again at the base rate.
  auto fittedRate = [&](int c, double baseRate) {
    if (!present[c])
      return baseRate;
    return use[c] && x[c] > 0 ? 1e9 / x[c] : kUnlimitedRate;
  };
  t.flopsPerUnit = fittedRate(Flops, t.flopsPerUnit);
  if (t.contractionFlopsPerUnit > 0)
    t.contractionFlopsPerUnit =
        fittedRate(ContractionFlops, t.contractionFlopsPerUnit);
  t.bandwidthPerUnit = fittedRate(Bytes, t.bandwidthPerUnit);
  // The fit divides bytes by the units a kernel runs on; the total cap
  // must not undercut that.
  if (present[Bytes])
    t.bandwidth =
        std::max(t.bandwidth, t.bandwidthPerUnit * double(t.computeUnits));
  t.kernelOverhead = use[Kernels] ? x[Kernels] : 0.0;
  t.taskOverhead = use[Constant] ? x[Constant] : 0.0;
  t.overlapComputeAndMemory = false;
  return t;
}

void pareprop::calibrateContention(
    TargetDescription &target,
    llvm::ArrayRef<std::array<double, 3>> overlapped) {
  // measured / predicted - 1 = contention * others: least squares through
  // the origin.
  double num = 0, den = 0;
  for (const auto &[predicted, measured, others] : overlapped) {
    if (predicted <= 0 || others <= 0)
      continue;
    num += (measured / predicted - 1.0) * others;
    den += others * others;
  }
  if (den > 0)
    target.contention = std::max(0.0, num / den);
}
