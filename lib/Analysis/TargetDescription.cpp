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

double TargetDescription::kernelSeconds(const OpWork &work) const {
  double units = unitsFor(work.elements);
  double compute = work.flops / (flopsPerUnit * units);
  double memory =
      work.bytes / std::min(bandwidth, bandwidthPerUnit * units);
  return kernelOverhead + (overlapComputeAndMemory ? std::max(compute, memory)
                                                   : compute + memory);
}

double TargetDescription::taskSeconds(llvm::ArrayRef<OpWork> kernels) const {
  double seconds = taskOverhead;
  for (const OpWork &k : kernels)
    seconds += kernelSeconds(k);
  return seconds;
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

/// Solves the normal equations of min |A x - y| over the columns in `use`
/// (Gaussian elimination with partial pivoting); false when singular.
static bool leastSquares(llvm::ArrayRef<std::array<double, 4>> rows,
                         llvm::ArrayRef<double> y, const bool use[4],
                         double x[4]) {
  int cols[4], n = 0;
  for (int c = 0; c < 4; ++c)
    if (use[c])
      cols[n++] = c;
  double m[4][5] = {};
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
  for (int c = 0; c < 4; ++c)
    x[c] = 0;
  for (int i = 0; i < n; ++i)
    x[cols[i]] = m[i][n] / m[i][i];
  return true;
}

TargetDescription pareprop::calibrate(const TargetDescription &base,
                                      llvm::ArrayRef<TimedTask> alone) {
  TargetDescription t = base;
  if (alone.empty())
    return t;
  // Columns scaled to order 1 so the normal equations are well conditioned.
  std::vector<std::array<double, 4>> rows;
  std::vector<double> y;
  for (const TimedTask &s : alone) {
    rows.push_back({s.flops * 1e-9, s.bytes * 1e-9, s.kernels, 1.0});
    y.push_back(s.seconds);
  }
  // Active-set non-negative least squares: drop the most negative
  // coefficient and refit until all are >= 0.
  bool use[4] = {true, true, true, true};
  double x[4];
  for (int round = 0; round < 4; ++round) {
    if (!leastSquares(rows, y, use, x)) {
      // Collinear columns (e.g. every task has the same kernel count): drop
      // the kernel column, then the constant.
      if (use[2])
        use[2] = false;
      else if (use[3])
        use[3] = false;
      else
        return t;
      continue;
    }
    int worst = -1;
    for (int c = 0; c < 4; ++c)
      if (use[c] && x[c] < 0 && (worst < 0 || x[c] < x[worst]))
        worst = c;
    if (worst < 0)
      break;
    use[worst] = false;
  }
  if (use[0] && x[0] > 0)
    t.flopsPerUnit = 1e9 / x[0];
  if (use[1] && x[1] > 0)
    t.bandwidthPerUnit = 1e9 / x[1];
  t.kernelOverhead = use[2] ? x[2] : 0.0;
  t.taskOverhead = use[3] ? x[3] : 0.0;
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
