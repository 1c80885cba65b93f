//===- KernelsTest.cpp - the runtime's contraction kernels ----------------===//
//
// pareprop_contract_f32/f64 against a plain triple loop: transposed and
// strided operands, shared (rank-2) weights, batches, accumulation into C,
// and the split with the helper thread that tasks running alone use.
//
//===----------------------------------------------------------------------===//

#include <gtest/gtest.h>

#include <cstdint>
#include <random>
#include <vector>

extern "C" {
void pareprop_contract_f32(int64_t, void *, int64_t, void *, int64_t, void *,
                           int64_t);
void pareprop_contract_f64(int64_t, void *, int64_t, void *, int64_t, void *,
                           int64_t);
void pareprop_kernel_threads(int64_t exclusive);
}

namespace {

/// A dense row-major tensor and its memref descriptor.
template <typename T> struct Tensor {
  std::vector<int64_t> shape;
  std::vector<T> data;
  std::vector<int64_t> descriptor;

  explicit Tensor(std::vector<int64_t> s, unsigned seed = 0) : shape(s) {
    int64_t n = 1;
    for (int64_t d : shape)
      n *= d;
    std::mt19937 gen(seed);
    std::uniform_real_distribution<double> dist(-1, 1);
    for (int64_t i = 0; i < n; ++i)
      data.push_back(seed ? T(dist(gen)) : T(0));
  }
  int64_t rank() const { return int64_t(shape.size()); }
  int64_t stride(int64_t i) const {
    int64_t s = 1;
    for (int64_t j = i + 1; j < rank(); ++j)
      s *= shape[j];
    return s;
  }
  void *desc() {
    descriptor = {reinterpret_cast<int64_t>(data.data()),
                  reinterpret_cast<int64_t>(data.data()), 0};
    descriptor.insert(descriptor.end(), shape.begin(), shape.end());
    for (int64_t i = 0; i < rank(); ++i)
      descriptor.push_back(stride(i));
    return descriptor.data();
  }
  T at(std::vector<int64_t> idx) const {
    int64_t off = 0;
    for (int64_t i = 0; i < rank(); ++i)
      off += idx[i] * stride(i);
    return data[off];
  }
};

/// C[b, i, j] (+)= sum_p op(A)[b, i, p] op(B)[b, p, j], by the definition.
template <typename T>
std::vector<T> reference(const Tensor<T> &a, const Tensor<T> &b,
                         const Tensor<T> &c, bool ta, bool tb) {
  int64_t batch = c.rank() == 3 ? c.shape[0] : 1;
  int64_t m = c.shape[c.rank() - 2], n = c.shape[c.rank() - 1];
  int64_t k = ta ? a.shape[a.rank() - 2] : a.shape[a.rank() - 1];
  std::vector<T> out = c.data;
  for (int64_t e = 0; e < batch; ++e)
    for (int64_t i = 0; i < m; ++i)
      for (int64_t j = 0; j < n; ++j) {
        double sum = 0;
        for (int64_t p = 0; p < k; ++p) {
          auto ai =
              ta ? std::vector<int64_t>{p, i} : std::vector<int64_t>{i, p};
          auto bi =
              tb ? std::vector<int64_t>{j, p} : std::vector<int64_t>{p, j};
          if (a.rank() == 3)
            ai.insert(ai.begin(), e);
          if (b.rank() == 3)
            bi.insert(bi.begin(), e);
          sum += double(a.at(ai)) * double(b.at(bi));
        }
        out[(e * m + i) * n + j] += T(sum);
      }
  return out;
}

template <typename T>
void check(std::vector<int64_t> as, std::vector<int64_t> bs,
           std::vector<int64_t> cs, int64_t flags, bool alone, double tol) {
  Tensor<T> a(as, 1), b(bs, 2), c(cs, 3);
  std::vector<T> expected = reference(a, b, c, flags & 1, flags & 2);
  pareprop_kernel_threads(alone);
  if constexpr (sizeof(T) == 4)
    pareprop_contract_f32(a.rank(), a.desc(), b.rank(), b.desc(), c.rank(),
                          c.desc(), flags);
  else
    pareprop_contract_f64(a.rank(), a.desc(), b.rank(), b.desc(), c.rank(),
                          c.desc(), flags);
  pareprop_kernel_threads(0);
  for (size_t i = 0; i < expected.size(); ++i)
    ASSERT_NEAR(c.data[i], expected[i], tol) << "element " << i;
}

TEST(Kernels, PlainProductAccumulates) {
  check<double>({5, 7}, {7, 3}, {5, 3}, 0, false, 1e-12);
}

TEST(Kernels, TransposedOperands) {
  check<double>({7, 5}, {7, 3}, {5, 3}, 1, false, 1e-12);
  check<double>({5, 7}, {3, 7}, {5, 3}, 2, false, 1e-12);
  check<double>({7, 5}, {3, 7}, {5, 3}, 3, false, 1e-12);
}

TEST(Kernels, BatchedWithSharedWeight) {
  // nn.linear on [batch, rows, in] with a [out, in] weight.
  check<float>({4, 6, 9}, {5, 9}, {4, 6, 5}, 2, false, 1e-4);
  check<float>({4, 9, 6}, {4, 9, 5}, {4, 6, 5}, 1, false, 1e-4);
}

TEST(Kernels, TasksThatRunAloneSplitWithTheHelper) {
  // Large enough to split (4M multiply-adds or more): by batch elements,
  // and by the rows of one matrix (an odd number of them).
  check<double>({5, 128, 96}, {96, 130}, {5, 128, 130}, 0, true, 1e-10);
  check<double>({301, 200}, {200, 210}, {301, 210}, 0, true, 1e-10);
  check<double>({301, 200}, {210, 200}, {301, 210}, 2, true, 1e-10);
}

} // namespace
