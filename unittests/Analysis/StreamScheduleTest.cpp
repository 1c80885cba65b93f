//===- StreamScheduleTest.cpp - the stream assignment algorithm -----------===//

#include "pareprop/Analysis/StreamSchedule.h"

#include "gtest/gtest.h"
#include <algorithm>

using namespace pareprop;

namespace {

/// The work of a reversible backward over `depth` blocks, as the pass sees
/// it: a forward item, then per block (last to first) recompute k, which
/// reads the rebuilt inputs of recompute k+1, and gradient k, which reads
/// recompute k's internals, the rebuilt inputs of recompute k+1 (its Y1) and
/// the previous gradient.
std::vector<WorkItem> reversibleBackward(unsigned depth, double recomputeCost,
                                         double gradCost) {
  std::vector<WorkItem> items;
  items.push_back({WorkKind::Other, 1.0, {}, {}});
  int prevRecompute = -1, prevGrad = 0;
  for (unsigned k = 0; k < depth; ++k) {
    WorkItem r{WorkKind::Recompute, recomputeCost, {}, {}};
    r.deps.push_back(prevRecompute < 0 ? 0u : unsigned(prevRecompute));
    items.push_back(r);
    unsigned rIndex = items.size() - 1;
    WorkItem g{WorkKind::Gradient, gradCost, {rIndex, unsigned(prevGrad)}, {rIndex}};
    if (prevRecompute >= 0)
      g.deps.push_back(prevRecompute);
    items.push_back(g);
    prevRecompute = rIndex;
    prevGrad = items.size() - 1;
  }
  return items;
}

bool respectsDependencies(const StreamSchedule &s) {
  std::vector<int> position(s.issueOrder.size());
  for (size_t i = 0; i < s.issueOrder.size(); ++i)
    position[s.issueOrder[i]] = i;
  for (size_t i = 0; i < s.deps.size(); ++i)
    for (unsigned d : s.deps[i])
      if (position[d] >= position[i] || s.finish[d] > s.start[i] + 1e-12)
        return false;
  return true;
}

TEST(StreamSchedule, ParsesPolicies) {
  EXPECT_EQ(parseSchedulePolicy("vanilla"), SchedulePolicy::Vanilla);
  EXPECT_EQ(parseSchedulePolicy("pareprop"), SchedulePolicy::PaReprop);
  EXPECT_FALSE(parseSchedulePolicy("parallel").has_value());
}

TEST(StreamSchedule, VanillaIsOneStreamInProgramOrder) {
  auto items = reversibleBackward(3, 1.0, 2.0);
  StreamSchedule s = scheduleWork(items, SchedulePolicy::Vanilla);
  EXPECT_EQ(s.numStreams, 1u);
  for (unsigned i = 0; i < items.size(); ++i) {
    EXPECT_EQ(s.stream[i], 0u);
    EXPECT_EQ(s.issueOrder[i], i);
    EXPECT_TRUE(s.waits[i].empty());
  }
  EXPECT_DOUBLE_EQ(s.makespan, 1.0 + 3 * (1.0 + 2.0));
}

TEST(StreamSchedule, PaRepropOverlapsRecomputeWithGradients) {
  for (unsigned depth : {1u, 2u, 3u, 5u, 8u}) {
    auto items = reversibleBackward(depth, 1.0, 2.0);
    StreamSchedule s = scheduleWork(items, SchedulePolicy::PaReprop);
    ASSERT_TRUE(respectsDependencies(s)) << "depth " << depth;
    for (unsigned i = 0; i < items.size(); ++i)
      EXPECT_EQ(s.stream[i], items[i].kind == WorkKind::Recompute ? 1u : 0u);
    // Forward, the first recompute, then gradients back to back.
    EXPECT_DOUBLE_EQ(s.makespan, 1.0 + 1.0 + depth * 2.0) << "depth " << depth;
  }
}

TEST(StreamSchedule, RecomputeWaitsForInternalsToBeConsumed) {
  auto items = reversibleBackward(6, 1.0, 5.0);
  StreamSchedule s = scheduleWork(items, SchedulePolicy::PaReprop, 2);
  std::vector<unsigned> recomputes, grads;
  for (unsigned i = 0; i < items.size(); ++i)
    (items[i].kind == WorkKind::Recompute ? recomputes : grads).push_back(i);
  grads.erase(grads.begin()); // The forward item.
  for (unsigned j = 2; j < recomputes.size(); ++j) {
    // Recompute j starts only once gradient j-2 has consumed its internals.
    EXPECT_GE(s.start[recomputes[j]], s.finish[grads[j - 2]]);
    // ...which is all the budget asks: it does not wait for gradient j-1.
    EXPECT_LT(s.start[recomputes[j]], s.finish[grads[j - 1]]);
  }
  // A looser budget lets recomputes run further ahead.
  StreamSchedule loose = scheduleWork(items, SchedulePolicy::PaReprop, 4);
  EXPECT_LT(loose.start[recomputes[3]], s.start[recomputes[3]]);
}

TEST(StreamSchedule, WaitsAreOnlyCrossStreamAndNotImplied) {
  auto items = reversibleBackward(4, 1.0, 2.0);
  StreamSchedule s = scheduleWork(items, SchedulePolicy::PaReprop);
  for (unsigned i = 0; i < items.size(); ++i) {
    for (unsigned w : s.waits[i])
      EXPECT_NE(s.stream[w], s.stream[i]);
    EXPECT_LE(s.waits[i].size(), 1u) << "item " << i;
  }
  // Gradient of the last block waits for its recompute.
  EXPECT_EQ(s.waits[2], (llvm::SmallVector<unsigned, 2>{1}));
}

} // namespace
