//===- Harness.h - run compiled steps and check their gradients -*- C++ -*-===//
//
// The checking harness every runner shares (pareprop-run, the C API and,
// through it, Python): inputs drawn from a seed, compiled functions run on
// host tensors, results compared with a reference schedule's, gradients
// compared with central finite differences of the forward, and the text
// dumps that carry inputs and results between builds (TensorDump.h).
//
//===----------------------------------------------------------------------===//

#ifndef PAREPROP_HARNESS_HARNESS_H
#define PAREPROP_HARNESS_HARNESS_H

#include "pareprop/ExecutionEngine/CompiledFunction.h"
#include "pareprop/Runtime/TensorDump.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/BuiltinTypes.h"
#include "llvm/Support/Error.h"

#include <string>
#include <vector>

namespace pareprop {

/// A tensor on the host, its values held as doubles and converted to and
/// from the element type at the call (f32, f64, i32, i64).
struct HostTensor {
  mlir::RankedTensorType type; // An i64 seed is a rank-0 i64 tensor here.
  std::vector<double> values;
};

/// Runs `fn` once on host tensors; results in its result types.
llvm::Expected<std::vector<HostTensor>>
runOnHost(CompiledFunction &fn, const std::vector<HostTensor> &args);

/// Deterministic arguments for `fn`: splitmix64 per (seed, argument).
/// Floating-point tensors are uniform in (-0.5, 0.5), or for rank >= 2
/// (weights) in +-initScale/sqrt(dim 0); integer tensors (token ids, labels)
/// uniform in [0, rev.index_bound), an error without the attribute; an i64
/// seed argument an integer a double holds exactly.
llvm::Expected<std::vector<HostTensor>>
makeInputs(mlir::func::FuncOp fn, uint64_t seed, double initScale = 1.0);

/// The largest difference of `got` from `reference`, relative to the
/// reference's largest magnitude; NaN when a difference is (std::max would
/// drop it and let a NaN result pass).
double relativeDifference(const std::vector<double> &got,
                          const std::vector<double> &reference);
/// Whether `rel` is worse than `worst`: NaN is the worst, and stays so.
bool isWorse(double rel, double worst);
/// The worst relativeDifference over tensors paired in order.
double maxRelativeDifference(const std::vector<HostTensor> &got,
                             const std::vector<HostTensor> &reference);

/// The default tolerance of a schedule against the reference: 1e-9 for f64
/// steps, 1e-4 for f32.
double defaultGradientTolerance(mlir::RankedTensorType loss);

/// Checks gradients against central finite differences of the forward.
struct FiniteDifferenceCheck {
  /// Coordinates sampled per gradient argument.
  unsigned samples = 4;
  /// Picks the coordinates.
  uint64_t seed = 0;
  /// Tolerance on the error relative to each argument's largest gradient;
  /// negative: 1e-6 for f64, 1e-2 for f32.
  double tolerance = -1;
};
struct FiniteDifferenceResult {
  double epsilon = 0, tolerance = 0;
  /// The worst error relative to the argument's largest gradient (NaN if
  /// any is).
  double worstError = 0;
  bool passed() const { return worstError <= tolerance; }
};
/// `forward` computes the loss from `inputs`; `results` are a step's (loss,
/// then the gradients of `gradArgs`, in order).
llvm::Expected<FiniteDifferenceResult> checkFiniteDifferences(
    CompiledFunction &forward, const std::vector<HostTensor> &inputs,
    llvm::ArrayRef<unsigned> gradArgs, const std::vector<HostTensor> &results,
    const FiniteDifferenceCheck &check);

/// The dump type name of an element type: "f32", "f64" or "i64".
std::string dumpTypeName(mlir::Type elementType);
/// Writes `t` to `os` as one dump entry headed `header`.
void dumpTensor(llvm::raw_ostream &os, const std::string &header,
                const HostTensor &t);
/// Replaces `inputs` by the arguments a dump recorded, checking that they
/// are the step's (count, element types, shapes, gradient arguments).
llvm::Error takeDumpedInputs(const runtime::Dump &dump, const std::string &path,
                             llvm::ArrayRef<unsigned> gradArgs,
                             std::vector<HostTensor> &inputs);

/// One result set of a dump compared with this run's reference results.
struct DumpComparison {
  std::string set;
  /// False when the results differ in number or shape.
  bool comparable = true;
  double worst = 0;
  /// The result the worst difference is in.
  int64_t worstResult = 0;
};
/// Compares every result set of `dump` with `reference`.
std::vector<DumpComparison>
compareDumpedResults(const runtime::Dump &dump,
                     const std::vector<HostTensor> &reference);

/// What checkSchedules compiles, runs and checks.
struct ScheduleCheck {
  /// Schedule names (namedSchedules); the first is the reference.
  std::vector<std::string> schedules = {"stored", "vanilla", "pareprop"};
  /// rev-to-llvm options for every schedule besides mode, policy, func.
  RevToLLVMOptions *options = nullptr;
  uint64_t seed = 0;
  double initScale = 1.0;
  /// Tolerance against the reference; negative: defaultGradientTolerance.
  double tolerance = -1;
  /// With samples > 0, the reference's gradients against finite
  /// differences.
  FiniteDifferenceCheck finiteDifferences{/*samples=*/0};
};
struct ScheduleResult {
  std::string schedule;
  double loss = 0;
  /// Worst relative difference from the reference (0 for the reference).
  double error = 0;
  bool passed = true;
};
struct ScheduleCheckReport {
  std::string function;
  double tolerance = 0;
  std::vector<ScheduleResult> schedules;
  std::optional<FiniteDifferenceResult> finiteDifferences;
  bool passed() const;
  /// {"function", "tolerance", "passed", "schedules": [{"schedule", "loss",
  /// "error", "passed"}], "finite_differences": {"epsilon", "tolerance",
  /// "worst_error", "passed"}}.
  std::string toJSON() const;
};
/// Compiles the training step of `loss` under each schedule, runs each on
/// the same inputs drawn from the seed, and compares loss and gradients with
/// the first schedule's (and, if asked, with finite differences). The
/// compiled functions go to `engines`: the runtime's worker threads may
/// still run their code's last continuations after a call returns, so the
/// caller keeps them (until exit, say).
llvm::Expected<ScheduleCheckReport>
checkSchedules(mlir::ModuleOp model, mlir::func::FuncOp loss,
               const ScheduleCheck &check, llvm::StringRef runtimeLibrary,
               std::vector<std::unique_ptr<CompiledFunction>> &engines);

} // namespace pareprop

#endif // PAREPROP_HARNESS_HARNESS_H
