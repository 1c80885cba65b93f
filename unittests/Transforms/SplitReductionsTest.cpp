//===- SplitReductionsTest.cpp - how many partial reductions -------------===//

#include "pareprop/Transforms/SplitReductions.h"

#include <gtest/gtest.h>

using pareprop::chooseReductionSplits;

namespace {

// Shapes of RevViT-B at batch 8 (1576 tokens, width 768, 12 heads of 197).
TEST(ChooseReductionSplits, BiasGradientFillsTheTarget) {
  // 768 outputs: 86 slices reach 65536 threads; 1576 rows allow 98.
  EXPECT_EQ(chooseReductionSplits(768, 1576, 65536, 16), 86);
}

TEST(ChooseReductionSplits, ShortRowsAreBoundedByWorkPerThread) {
  // Softmax rows of 197 over 18912 rows: 4 slices would do, 12 allowed.
  EXPECT_EQ(chooseReductionSplits(18912, 197, 65536, 16), 4);
  // 16 elements: one slice at 16 per thread.
  EXPECT_EQ(chooseReductionSplits(8, 16, 65536, 16), 1);
  EXPECT_EQ(chooseReductionSplits(8, 63, 65536, 16), 3);
}

TEST(ChooseReductionSplits, FullReductionIsCapped) {
  EXPECT_EQ(chooseReductionSplits(1, 1 << 24, 65536, 16), 1024);
  EXPECT_EQ(chooseReductionSplits(1, 1 << 24, 65536, 16, 256), 256);
}

TEST(ChooseReductionSplits, EnoughOutputsNeedNoSplit) {
  EXPECT_EQ(chooseReductionSplits(65536, 4096, 65536, 16), 1);
  EXPECT_EQ(chooseReductionSplits(1 << 20, 4096, 65536, 16), 1);
}

TEST(ChooseReductionSplits, DegenerateInputsGiveOneSlice) {
  EXPECT_EQ(chooseReductionSplits(0, 100, 65536, 16), 1);
  EXPECT_EQ(chooseReductionSplits(10, 0, 65536, 16), 1);
  EXPECT_EQ(chooseReductionSplits(10, 100, 0, 16), 1);
  // A minimum of 0 per thread is taken as 1: never more slices than
  // elements.
  EXPECT_EQ(chooseReductionSplits(1, 5, 65536, 0), 5);
}

} // namespace
