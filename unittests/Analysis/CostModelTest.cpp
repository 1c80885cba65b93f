//===- CostModelTest.cpp - the work the scheduler assigns to ops ----------===//

#include "pareprop/Analysis/CostModel.h"
#include "pareprop/Analysis/TargetDescription.h"
#include "pareprop/Dialect/NN/IR/NNDialect.h"
#include "pareprop/Dialect/NN/IR/NNOps.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/Parser/Parser.h"

#include "gtest/gtest.h"

using namespace mlir;

namespace {

// layer_norm and softmax become row kernels that make three passes over
// each row; pareprop-split-kernels-across-threads weighs a row kernel by rows
// times its passes, so the cost model must count the same to predict which ones
// the helper thread shares.
TEST(CostModel, RowKernelsCountThreePassesPerElement) {
  MLIRContext ctx;
  ctx.loadDialect<func::FuncDialect, pareprop::nn::NNDialect>();
  const char *source = R"mlir(
    func.func @f(%x: tensor<100x300xf32>, %g: tensor<300xf32>, %b: tensor<300xf32>) -> (tensor<100x300xf32>, tensor<100x300xf32>) {
      %y:3 = nn.layer_norm %x, %g, %b : tensor<100x300xf32>, tensor<300xf32>
      %s = nn.softmax %x dim 1 : tensor<100x300xf32>
      return %y#0, %s : tensor<100x300xf32>, tensor<100x300xf32>
    })mlir";
  OwningOpRef<ModuleOp> module = parseSourceString<ModuleOp>(source, &ctx);
  ASSERT_TRUE(module);
  pareprop::OpCostModel model(*module);
  auto fn = cast<func::FuncOp>(module->getBody()->front());
  SmallVector<pareprop::OpWork> kernels;
  fn.walk([&](Operation *op) {
    if (!isa<pareprop::nn::LayerNormOp, pareprop::nn::SoftmaxOp>(op))
      return;
    pareprop::OpCostModel::Work work;
    model.add(op, work);
    ASSERT_EQ(work.kernels.size(), 1u);
    kernels.push_back(work.kernels.front());
  });
  ASSERT_EQ(kernels.size(), 2u);
  llvm::Expected<pareprop::TargetDescription> cpu =
      pareprop::TargetDescription::builtin("cpu");
  ASSERT_TRUE(bool(cpu));
  for (const pareprop::OpWork &k : kernels) {
    EXPECT_EQ(k.elements, 30000.0);
    EXPECT_EQ(k.flops, 90000.0);
    // 30000 elements are below the 64Ki iterations a loop kernel needs to
    // be split, three passes over them are not.
    EXPECT_EQ(cpu->splitFor(k, /*alone=*/true), 2.0);
    EXPECT_EQ(cpu->splitFor(k, /*alone=*/false), 1.0);
  }
}

} // namespace
