//===- BufferPlanTest.cpp - static buffer placement -----------------------===//

#include "pareprop/Analysis/BufferPlan.h"

#include "gtest/gtest.h"
#include <random>

using namespace pareprop;

namespace {

/// No two buffers live at the same time share a byte, every offset is
/// aligned and every buffer lies inside the arena.
void expectValid(llvm::ArrayRef<BufferLifetime> buffers,
                 const BufferPlan &plan, int64_t alignment) {
  ASSERT_EQ(plan.offsets.size(), buffers.size());
  for (size_t i = 0; i < buffers.size(); ++i) {
    EXPECT_EQ(plan.offsets[i] % alignment, 0) << "buffer " << i;
    EXPECT_LE(plan.offsets[i] + buffers[i].bytes, plan.arenaBytes);
    for (size_t j = i + 1; j < buffers.size(); ++j) {
      if (!buffers[i].overlapsInTime(buffers[j]))
        continue;
      bool disjoint = plan.offsets[i] + buffers[i].bytes <= plan.offsets[j] ||
                      plan.offsets[j] + buffers[j].bytes <= plan.offsets[i];
      EXPECT_TRUE(disjoint) << "buffers " << i << " and " << j
                            << " are live together and overlap";
    }
  }
  EXPECT_GE(plan.arenaBytes, peakLiveBytes(buffers, alignment));
}

TEST(BufferPlanTest, BuffersLiveTogetherGetDisjointBytes) {
  std::vector<BufferLifetime> buffers = {{100, 0, 5}, {200, 1, 3}, {64, 2, 4}};
  BufferPlan plan = planBuffers(buffers, 64);
  expectValid(buffers, plan, 64);
  // 128 + 256 + 64 bytes after rounding, all live at point 2.
  EXPECT_EQ(plan.arenaBytes, 448);
}

TEST(BufferPlanTest, BuffersWithDisjointLifetimesShareBytes) {
  // A chain of temporaries, each freed before the next is made: one slot.
  std::vector<BufferLifetime> buffers = {
      {4096, 0, 1}, {4096, 2, 3}, {1024, 4, 5}, {4096, 6, 7}};
  BufferPlan plan = planBuffers(buffers, 64);
  expectValid(buffers, plan, 64);
  EXPECT_EQ(plan.arenaBytes, 4096);
  for (int64_t offset : plan.offsets)
    EXPECT_EQ(offset, 0);
}

TEST(BufferPlanTest, APointWhereOneDiesAndAnotherIsBornIsShared) {
  // The program point of a free is still inside the lifetime: a buffer made
  // at that same point must not reuse the bytes.
  std::vector<BufferLifetime> buffers = {{256, 0, 3}, {256, 3, 6}};
  BufferPlan plan = planBuffers(buffers, 64);
  expectValid(buffers, plan, 64);
  EXPECT_EQ(plan.arenaBytes, 512);
}

TEST(BufferPlanTest, SmallBuffersFillTheGapsOfLargeOnes) {
  // Two large buffers at different times and a small one live across both:
  // the large ones share a slot, the small one sits above it.
  std::vector<BufferLifetime> buffers = {
      {8192, 0, 2}, {8192, 3, 5}, {512, 1, 4}};
  BufferPlan plan = planBuffers(buffers, 64);
  expectValid(buffers, plan, 64);
  EXPECT_EQ(plan.arenaBytes, 8192 + 512);
  EXPECT_EQ(plan.arenaBytes, peakLiveBytes(buffers, 64));
}

TEST(BufferPlanTest, OffsetsFollowTheAlignment) {
  std::vector<BufferLifetime> buffers = {{3, 0, 9}, {5, 0, 9}, {300, 1, 2}};
  for (int64_t alignment : {1, 16, 256}) {
    BufferPlan plan = planBuffers(buffers, alignment);
    expectValid(buffers, plan, alignment);
  }
  EXPECT_EQ(planBuffers(buffers, 1).arenaBytes, 308);
  EXPECT_EQ(planBuffers(buffers, 256).arenaBytes, 256 + 256 + 512);
}

TEST(BufferPlanTest, RandomLifetimesArePackedSafelyAndTightly) {
  std::mt19937 rng(7);
  for (int trial = 0; trial < 200; ++trial) {
    std::vector<BufferLifetime> buffers;
    int count = 1 + rng() % 40;
    for (int i = 0; i < count; ++i) {
      int64_t begin = rng() % 100;
      buffers.push_back(
          {int64_t(1 + rng() % 100000), begin, begin + int64_t(rng() % 30)});
    }
    BufferPlan plan = planBuffers(buffers, 64);
    expectValid(buffers, plan, 64);
    // Greedy by size stays close to the lower bound on such inputs.
    EXPECT_LE(plan.arenaBytes, 1.5 * peakLiveBytes(buffers, 64))
        << "trial " << trial;
  }
}

TEST(BufferPlanTest, NoBuffersNoArena) {
  BufferPlan plan = planBuffers({}, 64);
  EXPECT_TRUE(plan.offsets.empty());
  EXPECT_EQ(plan.arenaBytes, 0);
}

} // namespace
