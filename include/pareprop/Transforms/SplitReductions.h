//===- SplitReductions.h - reductions as partials and a combine -*- C++ -*-===//
//
// A reduction lowered one thread per output runs as many threads as it has
// outputs, each walking the whole reduced range: the bias gradient of a
// 768-wide layer is 768 threads of a GPU that holds 270 000, and a loss is
// one. Splitting the reduced range into S strided slices gives S times the
// threads; a second loop combines each output's S partial results, in order
// (the result does not depend on how threads are scheduled). See the
// pareprop-split-linalg-reductions pass in Transforms/Passes.td.
//
//===----------------------------------------------------------------------===//

#ifndef PAREPROP_TRANSFORMS_SPLITREDUCTIONS_H
#define PAREPROP_TRANSFORMS_SPLITREDUCTIONS_H

#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/IR/PatternMatch.h"

#include <string>

namespace pareprop {

/// How many partial reductions a reduction of `reduced` elements into each
/// of `outputs` outputs gets: enough that outputs * splits reaches
/// `targetThreads`, each partial over at least `minPerThread` elements, at
/// most `maxSplits`; 1 (no split) when the outputs alone reach the target.
int64_t chooseReductionSplits(int64_t outputs, int64_t reduced,
                              int64_t targetThreads, int64_t minPerThread,
                              int64_t maxSplits = 1024);

/// Why `op` cannot be rewritten by splitLinalgReduction (empty: it can).
/// It can when it is on buffers, has static loop ranges with at least one
/// reduction, one output that no input is, and a payload of the form
/// `yield combine(out, f(inputs))` whose combining op (add, mul, min, max,
/// and, or, xor of arith) has a neutral element.
std::string whyNotSplittable(mlir::linalg::GenericOp op);

/// The `linalg.fill` right before the splittable reduction `op` that
/// fills its output with a scalar of its element type, or null: a caller
/// may drop it and pass its value as splitLinalgReduction's `initialValue`.
mlir::linalg::FillOp foldableFillBefore(mlir::linalg::GenericOp op);

/// Replaces the reduction `op` (see whyNotSplittable) by scf.parallel loops
/// whose iterations are independent: with S = chooseReductionSplits(...)
/// slices, one loop computes each output's partial over reduction indices
/// s, s + S, s + 2S, ... from the combining op's neutral element into a
/// temporary buffer, and a second combines the output's initial value with
/// its S partials in order of s. With S = 1 one loop per output carries the
/// accumulator in a register. The loop dimensions are ordered so that
/// consecutive iterations (GPU threads) touch consecutive addresses of the
/// largest input. `initialValue`, when given, is a scalar every output
/// starts from instead of its contents (the value of a fill the caller
/// dropped). Fails without changing anything when `op` does not qualify.
mlir::LogicalResult splitLinalgReduction(mlir::RewriterBase &rewriter,
                                         mlir::linalg::GenericOp op,
                                         int64_t targetThreads,
                                         int64_t minPerThread,
                                         mlir::Value initialValue = nullptr);

} // namespace pareprop

#endif // PAREPROP_TRANSFORMS_SPLITREDUCTIONS_H
