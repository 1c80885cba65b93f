//===- BufferPoolTest.cpp - the pool compiled steps allocate from ---------===//

#include "pareprop/ExecutionEngine/BufferPool.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <cstring>
#include <thread>
#include <vector>

using pareprop::BufferPool;

namespace {

TEST(BufferPool, SizeClassesBoundTheWaste) {
  EXPECT_EQ(BufferPool::sizeClass(0), 64u);
  EXPECT_EQ(BufferPool::sizeClass(1), 64u);
  EXPECT_EQ(BufferPool::sizeClass(64), 64u);
  EXPECT_EQ(BufferPool::sizeClass(65), 128u);
  EXPECT_EQ(BufferPool::sizeClass(4096), 4096u);
  // Past 4 KiB: eight classes per power of two.
  EXPECT_EQ(BufferPool::sizeClass(4097), 4096u + 512u);
  EXPECT_EQ(BufferPool::sizeClass(197 * 192 * 4),
            10u * 16384u); // 9.2 steps of 16 KiB
  for (size_t bytes = 1; bytes < (size_t(1) << 26); bytes = bytes * 3 + 7) {
    size_t c = BufferPool::sizeClass(bytes);
    EXPECT_GE(c, bytes);
    EXPECT_EQ(c % BufferPool::kAlignment, 0u);
    if (bytes > 4096)
      EXPECT_LE(double(c), double(bytes) * 1.125) << bytes;
  }
}

TEST(BufferPool, FreedBlocksAreReused) {
  BufferPool pool;
  void *a = pool.allocate(1000);
  void *b = pool.allocate(5000);
  ASSERT_NE(a, nullptr);
  ASSERT_NE(b, nullptr);
  EXPECT_EQ(reinterpret_cast<uintptr_t>(a) % BufferPool::kAlignment, 0u);
  EXPECT_EQ(reinterpret_cast<uintptr_t>(b) % BufferPool::kAlignment, 0u);
  EXPECT_EQ(BufferPool::requestedSize(a), 1000u);
  std::memset(a, 1, 1000);
  std::memset(b, 2, 5000);
  EXPECT_EQ(pool.statistics().liveBytes, 6000);
  pool.deallocate(a);
  pool.deallocate(b);
  EXPECT_EQ(pool.statistics().liveBytes, 0);
  EXPECT_EQ(pool.statistics().peakLiveBytes, 6000);
  pool.resetPeakLiveBytes();
  EXPECT_EQ(pool.statistics().peakLiveBytes, 0);
  // Same sizes again (and one of the same class): no new system blocks.
  void *c = pool.allocate(5000);
  void *d = pool.allocate(990);
  EXPECT_EQ(c, b);
  EXPECT_EQ(d, a);
  EXPECT_EQ(BufferPool::requestedSize(d), 990u);
  BufferPool::Statistics s = pool.statistics();
  EXPECT_EQ(s.systemAllocations, 2);
  EXPECT_EQ(s.reusedAllocations, 2);
  EXPECT_EQ(s.liveBytes, 5990);
  // A size of another class takes a new block.
  void *e = pool.allocate(100000);
  EXPECT_EQ(pool.statistics().systemAllocations, 3);
  pool.deallocate(c);
  pool.deallocate(d);
  pool.deallocate(e);
  pool.deallocate(nullptr);
}

TEST(BufferPool, SlightlyLargerIdleBlocksServe) {
  BufferPool pool;
  void *big = pool.allocate(5000); // Class 5120.
  pool.deallocate(big);
  // Class 4608: the idle 5120 block is at most a quarter larger.
  void *close = pool.allocate(4097);
  EXPECT_EQ(close, big);
  // Class 2048: no idle block close enough.
  void *small = pool.allocate(2000);
  EXPECT_NE(small, big);
  EXPECT_EQ(pool.statistics().systemAllocations, 2);
  // The borrowed block goes back to its own class.
  pool.deallocate(close);
  EXPECT_EQ(pool.allocate(5100), big);
  EXPECT_EQ(pool.statistics().reservedBytes, 5120 + 2048);
  pool.deallocate(big);
  pool.deallocate(small);
}

TEST(BufferPool, ReleaseGivesCachedBlocksBack) {
  BufferPool pool;
  void *kept = pool.allocate(4096);
  void *freed = pool.allocate(1 << 20);
  pool.deallocate(freed);
  BufferPool::Statistics before = pool.statistics();
  EXPECT_EQ(before.reservedBytes, 4096 + (1 << 20));
  pool.releaseCached();
  BufferPool::Statistics after = pool.statistics();
  EXPECT_EQ(after.reservedBytes, 4096);
  EXPECT_EQ(after.peakReservedBytes, before.peakReservedBytes);
  // Released blocks are gone: the size is taken from the system again.
  void *again = pool.allocate(1 << 20);
  EXPECT_EQ(pool.statistics().systemAllocations, 3);
  pool.deallocate(again);
  pool.deallocate(kept);
}

TEST(BufferPool, ThreadsShareThePool) {
  BufferPool pool;
  auto work = [&] {
    for (int i = 0; i < 2000; ++i) {
      void *p = pool.allocate(size_t(64 + (i % 7) * 4096));
      std::memset(p, i & 0xff, 64);
      pool.deallocate(p);
    }
  };
  std::thread t1(work), t2(work);
  t1.join();
  t2.join();
  BufferPool::Statistics s = pool.statistics();
  EXPECT_EQ(s.liveBytes, 0);
  EXPECT_EQ(s.systemAllocations + s.reusedAllocations, 4000);
  // Each thread holds one block at a time: at most two per class.
  EXPECT_LE(s.systemAllocations, 14);
}

} // namespace

namespace {
TEST(BufferPool, WithoutCachingEveryBlockIsFreed) {
  BufferPool pool(/*cacheFreedBlocks=*/false);
  pool.deallocate(pool.allocate(1000));
  pool.deallocate(pool.allocate(1000));
  BufferPool::Statistics s = pool.statistics();
  EXPECT_EQ(s.systemAllocations, 2);
  EXPECT_EQ(s.reusedAllocations, 0);
  EXPECT_EQ(s.reservedBytes, 0);
  EXPECT_EQ(s.peakReservedBytes, 1024);
}
} // namespace
