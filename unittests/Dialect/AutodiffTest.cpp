//===- AutodiffTest.cpp - differentiation through external gradient rules -===//
//
// A dialect the project does not own gets a gradient rule attached as an
// external model, without touching PaReprop's sources.
//
//===----------------------------------------------------------------------===//

#include "pareprop/Dialect/NN/IR/NNOps.h"
#include "pareprop/Dialect/Rev/Transforms/Autodiff.h"
#include "pareprop/Interfaces/DifferentiableOpInterface.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/Diagnostics.h"
#include "mlir/Parser/Parser.h"

#include "gtest/gtest.h"

using namespace mlir;

namespace {

/// d sin(x) = cos(x) dx, written by a "user" of the library.
struct SinGradient
    : pareprop::DifferentiableOpInterface::ExternalModel<SinGradient,
                                                         math::SinOp> {
  bool vjpNeedsOperand(Operation *, unsigned) const { return true; }
  bool vjpNeedsResult(Operation *, unsigned) const { return false; }
  LogicalResult buildVJP(Operation *, OpBuilder &b, Location loc,
                         ValueRange operands, ValueRange,
                         ValueRange resultGrads,
                         SmallVectorImpl<Value> &operandGrads) const {
    Value cos = math::CosOp::create(b, loc, operands[0]);
    operandGrads.push_back(
        pareprop::nn::MulOp::create(b, loc, resultGrads[0], cos));
    return success();
  }
};

constexpr const char *kModule = R"mlir(
func.func @f(%x: tensor<4x8xf32>, %w: tensor<8x8xf32>) -> tensor<4x8xf32> {
  %h = nn.matmul %x, %w : tensor<4x8xf32>, tensor<8x8xf32>
  %s = math.sin %h : tensor<4x8xf32>
  return %s : tensor<4x8xf32>
}
)mlir";

class AutodiffTest : public ::testing::Test {
protected:
  AutodiffTest() {
    registry.insert<func::FuncDialect, arith::ArithDialect, math::MathDialect,
                    pareprop::nn::NNDialect>();
  }
  DialectRegistry registry;
};

TEST_F(AutodiffTest, DifferentiatesThroughAnAttachedRule) {
  MLIRContext context(registry);
  context.loadAllAvailableDialects();
  math::SinOp::attachInterface<SinGradient>(context);
  OwningOpRef<ModuleOp> module = parseSourceString<ModuleOp>(kModule, &context);
  ASSERT_TRUE(module);
  SymbolTable symbols(*module);
  auto f = symbols.lookup<func::FuncOp>("f");
  auto derived = pareprop::getOrCreateCouplingDerivatives(f, symbols);
  ASSERT_TRUE(succeeded(derived));
  // The forward saves exactly the sine's operand (the matmul result).
  FunctionType fwdType = derived->forward.getFunctionType();
  ASSERT_EQ(fwdType.getNumResults(), 2u);
  // The VJP reads it back and uses the attached rule.
  bool sawCos = false;
  derived->vjp.walk([&](math::CosOp) { sawCos = true; });
  EXPECT_TRUE(sawCos);
  EXPECT_EQ(derived->vjp.getFunctionType().getNumResults(), 2u);
  // Asking again returns the same functions: one derivation per function.
  auto again = pareprop::getOrCreateCouplingDerivatives(f, symbols);
  ASSERT_TRUE(succeeded(again));
  EXPECT_EQ(again->vjp, derived->vjp);
}

TEST_F(AutodiffTest, MissingRuleNamesTheOp) {
  MLIRContext context(registry);
  context.loadAllAvailableDialects();
  OwningOpRef<ModuleOp> module = parseSourceString<ModuleOp>(kModule, &context);
  ASSERT_TRUE(module);
  std::string message;
  ScopedDiagnosticHandler handler(&context, [&](Diagnostic &diag) {
    message = diag.str();
    return success();
  });
  SymbolTable symbols(*module);
  auto f = symbols.lookup<func::FuncOp>("f");
  EXPECT_TRUE(failed(pareprop::getOrCreateCouplingDerivatives(f, symbols)));
  EXPECT_NE(message.find("no gradient rule for 'math.sin'"), std::string::npos)
      << message;
}

} // namespace
