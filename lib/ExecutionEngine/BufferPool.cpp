//===- BufferPool.cpp - reused buffers for compiled steps -----------------===//

#include "pareprop/ExecutionEngine/BufferPool.h"

#include <algorithm>
#include <cstdlib>

using namespace pareprop;

namespace {
/// Each block starts with a header (its size class and requested size) one
/// alignment unit long, so that the pointer handed out stays aligned.
struct Header {
  size_t capacity;
  size_t requested;
};
static_assert(sizeof(Header) <= BufferPool::kAlignment, "header too large");

Header *headerOf(const void *ptr) {
  return reinterpret_cast<Header *>(const_cast<char *>(
      static_cast<const char *>(ptr) - BufferPool::kAlignment));
}
void *payloadOf(void *block) {
  return static_cast<char *>(block) + BufferPool::kAlignment;
}
} // namespace

size_t BufferPool::sizeClass(size_t bytes) {
  constexpr size_t kSmall = 4096;
  bytes = std::max<size_t>(bytes, 1);
  if (bytes <= kSmall)
    return (bytes + kAlignment - 1) / kAlignment * kAlignment;
  // Eight classes between consecutive powers of two.
  size_t power = size_t(1) << (63 - __builtin_clzll(bytes));
  size_t step = power / 8;
  return (bytes + step - 1) / step * step;
}

BufferPool::~BufferPool() { releaseCached(); }

void *BufferPool::allocate(size_t bytes) {
  size_t capacity = sizeClass(bytes);
  void *block = nullptr;
  {
    std::lock_guard<std::mutex> lock(mutex);
    // The smallest free block of this class or of one at most a quarter
    // larger: two streams make the number of blocks of a class live at once
    // vary from step to step, and a slightly larger idle block serves better
    // than a new one.
    size_t largest = capacity + capacity / 4;
    for (auto it = cached.lower_bound(capacity);
         it != cached.end() && it->first <= largest; ++it) {
      if (it->second.empty())
        continue;
      block = it->second.back();
      it->second.pop_back();
      capacity = it->first;
      ++stats.reusedAllocations;
      countLive(bytes);
      break;
    }
  }
  if (!block) {
    // Outside the lock: the system allocator may take a while (mmap).
    block = std::aligned_alloc(kAlignment, capacity + kAlignment);
    if (!block)
      return nullptr;
    std::lock_guard<std::mutex> lock(mutex);
    ++stats.systemAllocations;
    countLive(bytes);
    stats.reservedBytes += int64_t(capacity);
    stats.peakReservedBytes =
        std::max(stats.peakReservedBytes, stats.reservedBytes);
  }
  auto *header = static_cast<Header *>(block);
  header->capacity = capacity;
  header->requested = bytes;
  return payloadOf(block);
}

void BufferPool::countLive(size_t bytes) {
  stats.liveBytes += int64_t(bytes);
  stats.peakLiveBytes = std::max(stats.peakLiveBytes, stats.liveBytes);
}

void BufferPool::resetPeakLiveBytes() {
  std::lock_guard<std::mutex> lock(mutex);
  stats.peakLiveBytes = stats.liveBytes;
}

void BufferPool::deallocate(void *ptr) {
  if (!ptr)
    return;
  Header *header = headerOf(ptr);
  std::lock_guard<std::mutex> lock(mutex);
  stats.liveBytes -= int64_t(header->requested);
  if (cacheFreedBlocks) {
    cached[header->capacity].push_back(header);
    return;
  }
  stats.reservedBytes -= int64_t(header->capacity);
  std::free(header);
}

size_t BufferPool::requestedSize(const void *ptr) {
  return headerOf(ptr)->requested;
}

void BufferPool::releaseCached() {
  std::lock_guard<std::mutex> lock(mutex);
  for (auto &[capacity, blocks] : cached) {
    for (void *block : blocks)
      std::free(block);
    stats.reservedBytes -= int64_t(capacity * blocks.size());
  }
  cached.clear();
}

BufferPool::Statistics BufferPool::statistics() const {
  std::lock_guard<std::mutex> lock(mutex);
  return stats;
}
