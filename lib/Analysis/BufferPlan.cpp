//===- BufferPlan.cpp - offsets for buffers with known lifetimes ----------===//

#include "pareprop/Analysis/BufferPlan.h"

#include "llvm/ADT/STLExtras.h"
#include <algorithm>
#include <cassert>
#include <numeric>

using namespace pareprop;

int64_t pareprop::alignBufferSize(int64_t bytes, int64_t alignment) {
  assert(alignment > 0 && (alignment & (alignment - 1)) == 0 &&
         "alignment must be a power of two");
  return (bytes + alignment - 1) & ~(alignment - 1);
}

int64_t pareprop::peakLiveBytes(llvm::ArrayRef<BufferLifetime> buffers,
                                int64_t alignment) {
  // Sweep the program points where something is allocated: the live set
  // only grows there.
  int64_t peak = 0;
  for (const BufferLifetime &at : buffers) {
    int64_t live = 0;
    for (const BufferLifetime &b : buffers)
      if (b.begin <= at.begin && at.begin <= b.end)
        live += alignBufferSize(b.bytes, alignment);
    peak = std::max(peak, live);
  }
  return peak;
}

BufferPlan pareprop::planBuffers(llvm::ArrayRef<BufferLifetime> buffers,
                                 int64_t alignment) {
  BufferPlan plan;
  plan.offsets.assign(buffers.size(), 0);
  // Largest first (then earliest): the big buffers fix the arena's shape and
  // small ones fill the gaps between them.
  llvm::SmallVector<unsigned> order(buffers.size());
  std::iota(order.begin(), order.end(), 0u);
  llvm::stable_sort(order, [&](unsigned a, unsigned b) {
    if (buffers[a].bytes != buffers[b].bytes)
      return buffers[a].bytes > buffers[b].bytes;
    return buffers[a].begin < buffers[b].begin;
  });
  struct Extent {
    int64_t begin, end;
  };
  llvm::SmallVector<unsigned> placed;
  for (unsigned index : order) {
    const BufferLifetime &buffer = buffers[index];
    int64_t size = alignBufferSize(buffer.bytes, alignment);
    // Byte ranges of the placed buffers live at the same time, by offset.
    llvm::SmallVector<Extent> taken;
    for (unsigned other : placed)
      if (buffers[other].overlapsInTime(buffer))
        taken.push_back(
            {plan.offsets[other],
             plan.offsets[other] +
                 alignBufferSize(buffers[other].bytes, alignment)});
    llvm::sort(taken, [](const Extent &a, const Extent &b) {
      return a.begin < b.begin;
    });
    // The lowest gap that holds the buffer (offsets stay aligned: every
    // extent starts and ends on a multiple of the alignment).
    int64_t offset = 0;
    for (const Extent &extent : taken) {
      if (extent.begin - offset >= size)
        break;
      offset = std::max(offset, extent.end);
    }
    plan.offsets[index] = offset;
    plan.arenaBytes = std::max(plan.arenaBytes, offset + size);
    placed.push_back(index);
  }
  return plan;
}
