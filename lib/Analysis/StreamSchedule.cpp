//===- StreamSchedule.cpp - assigning backward work to streams ------------===//

#include "pareprop/Analysis/StreamSchedule.h"

#include "llvm/ADT/BitVector.h"
#include "llvm/ADT/STLExtras.h"
#include <algorithm>
#include <numeric>

using namespace pareprop;
using llvm::SmallVector;

std::optional<SchedulePolicy>
pareprop::parseSchedulePolicy(llvm::StringRef name) {
  if (name == "vanilla")
    return SchedulePolicy::Vanilla;
  if (name == "pareprop")
    return SchedulePolicy::PaReprop;
  return std::nullopt;
}

llvm::StringRef pareprop::stringifySchedulePolicy(SchedulePolicy policy) {
  return policy == SchedulePolicy::Vanilla ? "vanilla" : "pareprop";
}

StreamSchedule pareprop::scheduleWork(llvm::ArrayRef<WorkItem> items,
                                      SchedulePolicy policy,
                                      unsigned maxLiveBlocks) {
  unsigned n = items.size();
  StreamSchedule s;
  s.numStreams = policy == SchedulePolicy::PaReprop ? 2 : 1;
  s.stream.resize(n, 0);
  s.deps.resize(n);
  s.waits.resize(n);
  s.start.resize(n, 0);
  s.finish.resize(n, 0);
  for (unsigned i = 0; i < n; ++i) {
    s.deps[i].assign(items[i].deps.begin(), items[i].deps.end());
    if (policy == SchedulePolicy::PaReprop &&
        items[i].kind == WorkKind::Recompute)
      s.stream[i] = 1;
  }

  // Memory bound: recompute j starts after every reader of the internals of
  // recompute j - maxLiveBlocks, so at most maxLiveBlocks sets of recomputed
  // internals exist at once. (Rebuilt block inputs are not counted: they are
  // the previous block's outputs and are read by its gradient as well.)
  if (policy == SchedulePolicy::PaReprop) {
    maxLiveBlocks = std::max(2u, maxLiveBlocks);
    SmallVector<unsigned> recomputes;
    for (unsigned i = 0; i < n; ++i)
      if (items[i].kind == WorkKind::Recompute)
        recomputes.push_back(i);
    for (unsigned j = maxLiveBlocks; j < recomputes.size(); ++j) {
      unsigned freed = recomputes[j - maxLiveBlocks], r = recomputes[j];
      for (unsigned c = freed + 1; c < r; ++c)
        if (llvm::is_contained(items[c].internalsRead, freed) &&
            !llvm::is_contained(s.deps[r], c))
          s.deps[r].push_back(c);
    }
  }

  // Simulate: each stream runs its items in program order as soon as their
  // dependencies have finished.
  SmallVector<double> streamFree(s.numStreams, 0.0);
  for (unsigned i = 0; i < n; ++i) {
    double start = streamFree[s.stream[i]];
    for (unsigned d : s.deps[i])
      start = std::max(start, s.finish[d]);
    s.start[i] = start;
    s.finish[i] = start + std::max(items[i].cost, 1e-9);
    streamFree[s.stream[i]] = s.finish[i];
    s.makespan = std::max(s.makespan, s.finish[i]);
  }
  s.issueOrder.resize(n);
  std::iota(s.issueOrder.begin(), s.issueOrder.end(), 0u);
  std::stable_sort(s.issueOrder.begin(), s.issueOrder.end(),
                   [&](unsigned a, unsigned b) { return s.start[a] < s.start[b]; });

  // Cross-stream waits, skipping those already implied.
  SmallVector<llvm::BitVector> before(n, llvm::BitVector(n));
  SmallVector<int> lastOnStream(s.numStreams, -1);
  for (unsigned i : s.issueOrder) {
    llvm::BitVector &hb = before[i];
    int prev = lastOnStream[s.stream[i]];
    if (prev >= 0) {
      hb |= before[prev];
      hb.set(prev);
    }
    SmallVector<unsigned, 4> deps(s.deps[i]);
    llvm::sort(deps, [&](unsigned a, unsigned b) {
      return s.finish[a] > s.finish[b];
    });
    for (unsigned d : deps) {
      if (hb.test(d))
        continue;
      s.waits[i].push_back(d);
      hb |= before[d];
      hb.set(d);
    }
    lastOnStream[s.stream[i]] = i;
  }
  return s;
}
