//===- BufferPlan.h - offsets for buffers with known lifetimes --*- C++ -*-===//
//
// Static memory planning: given buffers whose lifetimes are known at compile
// time (intervals of program points), place them in one arena so that two
// buffers live at the same time never share a byte.
// pareprop-plan-temporary-buffers uses it for the temporaries of a function; it
// is plain C++ so that unit tests can check the packing directly.
//
//===----------------------------------------------------------------------===//
#ifndef PAREPROP_ANALYSIS_BUFFERPLAN_H
#define PAREPROP_ANALYSIS_BUFFERPLAN_H

#include "llvm/ADT/ArrayRef.h"
#include "llvm/ADT/SmallVector.h"
#include <cstdint>

namespace pareprop {

/// A buffer of `bytes`, live from program point `begin` (its allocation) up
/// to and including `end` (its last use or free); `begin <= end`.
struct BufferLifetime {
  int64_t bytes = 0;
  int64_t begin = 0, end = 0;

  bool overlapsInTime(const BufferLifetime &other) const {
    return begin <= other.end && other.begin <= end;
  }
};

struct BufferPlan {
  /// Byte offset of each buffer in the arena, a multiple of the alignment.
  llvm::SmallVector<int64_t> offsets;
  /// Size of the arena: the end of the highest-placed buffer.
  int64_t arenaBytes = 0;
};

/// `bytes` rounded up to a multiple of `alignment` (a power of two).
int64_t alignBufferSize(int64_t bytes, int64_t alignment);

/// The most bytes (each buffer rounded up to `alignment`) live at one
/// program point: no plan's arena is smaller.
int64_t peakLiveBytes(llvm::ArrayRef<BufferLifetime> buffers,
                      int64_t alignment);

/// Places `buffers` greedily, largest first, each at the lowest
/// `alignment`-multiple offset where it overlaps no buffer already placed
/// that is live at the same time. Buffers whose lifetimes are disjoint may
/// share bytes; the arena is at least peakLiveBytes and usually equal to it.
BufferPlan planBuffers(llvm::ArrayRef<BufferLifetime> buffers,
                       int64_t alignment);

} // namespace pareprop

#endif
