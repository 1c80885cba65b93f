//===- MathToPolynomials.cpp - vectorizable transcendental functions ------===//
//
// f32 exp/erf/tanh/log as polynomial approximations in arith (upstream
// math's patterns), so the loops that compute them vectorize instead of
// calling libm once per element.
//
//===----------------------------------------------------------------------===//

#include "pareprop/Conversion/Passes.h"

#include "mlir/Dialect/Math/Transforms/Passes.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"
#include "llvm/ADT/StringSet.h"

namespace pareprop {
#define GEN_PASS_DEF_CONVERTMATHTOPOLYNOMIALS
#include "pareprop/Conversion/Passes.h.inc"
} // namespace pareprop

using namespace mlir;

namespace {
/// The math ops upstream has f32 polynomial approximations for, by mnemonic.
constexpr llvm::StringLiteral kApproximable[] = {
    "acos", "asin",  "atan", "atan2", "cbrt", "cos",   "erf", "erfc",
    "exp",  "expm1", "log",  "log1p", "log2", "rsqrt", "sin", "tanh"};
/// Expanded by default: the functions the nn lowering emits, and their
/// relatives; `rsqrt` (exact enough as an LLVM intrinsic) and the
/// trigonometric functions stay.
constexpr llvm::StringLiteral kDefaults[] = {"exp", "erf",   "tanh",
                                             "log", "log1p", "expm1"};

struct ConvertMathToPolynomialsPass
    : pareprop::impl::ConvertMathToPolynomialsBase<
          ConvertMathToPolynomialsPass> {
  using Base::Base;

  void runOnOperation() override {
    llvm::StringSet<> expanded;
    for (const std::string &name : functions) {
      if (!llvm::is_contained(kApproximable, name)) {
        std::string known;
        for (StringRef k : kApproximable)
          known += (known.empty() ? "" : ", ") + k.str();
        getOperation()->emitError("pareprop-math-to-polynomials: no "
                                  "polynomial approximation of math.")
            << name << " (known: " << known << ")";
        return signalPassFailure();
      }
      expanded.insert(name);
    }
    if (functions.empty())
      for (StringRef name : kDefaults)
        expanded.insert(name);

    RewritePatternSet patterns(&getContext());
    // The patterns rewrite f32 (and f32-element vector) forms only: an f64
    // function keeps its precision.
    populateMathPolynomialApproximationPatterns(patterns, [&](StringRef name) {
      return name.consume_front("math.") && expanded.contains(name);
    });
    if (failed(applyPatternsGreedily(getOperation(), std::move(patterns))))
      signalPassFailure();
  }
};
} // namespace
