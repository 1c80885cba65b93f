//===- BufferPool.h - reused buffers for compiled steps ---------*- C++ -*-===//
//
// Every buffer a compiled step allocates (activations, recomputed internals,
// temporaries, results) comes from here. A training step allocates the same
// sizes in every iteration, so freed blocks are kept in per-size free lists
// and handed out again: after the first steps, a step takes nothing from the
// system (no malloc, no mmap, no page faults on fresh memory).
//
//===----------------------------------------------------------------------===//

#ifndef PAREPROP_EXECUTIONENGINE_BUFFERPOOL_H
#define PAREPROP_EXECUTIONENGINE_BUFFERPOOL_H

#include <cstddef>
#include <cstdint>
#include <map>
#include <mutex>
#include <vector>

namespace pareprop {

class BufferPool {
public:
  /// Every buffer is aligned to this many bytes (a cache line, and enough
  /// for any vector the compiled code loads).
  static constexpr size_t kAlignment = 64;

  struct Statistics {
    /// Bytes requested by buffers in use now, and the most since the last
    /// resetPeakLiveBytes().
    int64_t liveBytes = 0;
    int64_t peakLiveBytes = 0;
    /// Bytes of blocks taken from the system and not given back: in use
    /// (rounded to their size class) plus cached.
    int64_t reservedBytes = 0;
    /// The most reservedBytes has been.
    int64_t peakReservedBytes = 0;
    /// Blocks taken from the system so far, and requests served from the
    /// cache instead.
    int64_t systemAllocations = 0;
    int64_t reusedAllocations = 0;
  };

  /// With `cacheFreedBlocks` false, freed blocks go straight back to the
  /// system (for memory checkers, which a cache would blind to
  /// use-after-free).
  explicit BufferPool(bool cacheFreedBlocks = true)
      : cacheFreedBlocks(cacheFreedBlocks) {}
  BufferPool(const BufferPool &) = delete;
  BufferPool &operator=(const BufferPool &) = delete;
  ~BufferPool();

  /// A block of at least `bytes` bytes, kAlignment-aligned: a cached block
  /// of its size class, or else of a class at most a quarter larger, or
  /// else a new one; null when the system is out of memory. Thread-safe.
  void *allocate(size_t bytes);
  /// Returns a block of allocate() to the cache. Null is ignored.
  void deallocate(void *ptr);
  /// The size a block was requested with.
  static size_t requestedSize(const void *ptr);
  /// Gives every cached block back to the system.
  void releaseCached();
  /// Restarts peakLiveBytes from the bytes in use now.
  void resetPeakLiveBytes();
  Statistics statistics() const;

  /// The block size serving a request of `bytes`: a multiple of kAlignment
  /// up to 4 KiB, then eight classes per power of two (at most 12.5% waste),
  /// so that sizes which differ a little share blocks.
  static size_t sizeClass(size_t bytes);

private:
  /// Counts a block of `bytes` handed out; under the lock.
  void countLive(size_t bytes);

  const bool cacheFreedBlocks;
  mutable std::mutex mutex;
  /// Free blocks by size class.
  std::map<size_t, std::vector<void *>> cached;
  Statistics stats;
};

} // namespace pareprop

#endif // PAREPROP_EXECUTIONENGINE_BUFFERPOOL_H
