//===- Contraction.h - the matrices of a runtime matrix product -*- C++ -*-===//
//
// What the CPU (Kernels.cpp, CBLAS) and GPU (CudaRuntime.cpp, cuBLAS)
// runtimes share about the products pareprop-contractions-to-runtime and
// convert-rev-to-gpu call them for: the memref descriptors they receive, the
// matrices and batch of C[b..., m, n] (+)= op(A)[b..., m, k] op(B)[b..., k, n],
// and how a strided matrix reads as a BLAS operand.
//
//===----------------------------------------------------------------------===//
#ifndef PAREPROP_LIB_RUNTIME_CONTRACTION_H
#define PAREPROP_LIB_RUNTIME_CONTRACTION_H

#include <algorithm>
#include <cstdint>
#include <utility>
#include <vector>

namespace pareprop::runtime {

/// An unranked memref as the LLVM lowering passes it: rank and a pointer to
/// {allocated, aligned, offset, sizes[rank], strides[rank]}. Offset and
/// strides count elements of `elementBytes` bytes (View<char> of any memref).
template <typename T> struct View {
  T *data;
  std::vector<int64_t> sizes, strides;

  View(int64_t rank, void *descriptor, int64_t elementBytes = sizeof(T)) {
    auto *fields = static_cast<int64_t *>(descriptor);
    data = reinterpret_cast<T *>(reinterpret_cast<char *>(fields[1]) +
                                 fields[2] * elementBytes);
    sizes.assign(fields + 3, fields + 3 + rank);
    strides.assign(fields + 3 + rank, fields + 3 + 2 * rank);
  }
  int64_t rank() const { return int64_t(sizes.size()); }
};

/// The matrices of one product: op(A) is m x k, op(B) is k x n, with the
/// element strides of their rows and columns; `count` matrices of C over its
/// leading `batch` dimensions. An operand of rank 2 is shared by every batch
/// element.
template <typename T> struct ProductShape {
  View<T> a, b, c;
  int64_t batch, count, m, n, k, as0, as1, bs0, bs1;

  /// `ta`: A is stored [.., k, m]; `tb`: B is stored [.., n, k].
  ProductShape(View<T> a, View<T> b, View<T> c, bool ta, bool tb)
      : a(std::move(a)), b(std::move(b)), c(std::move(c)) {
    const View<T> &A = this->a, &B = this->b, &C = this->c;
    batch = C.rank() - 2;
    m = C.sizes[batch];
    n = C.sizes[batch + 1];
    k = ta ? A.sizes[A.rank() - 2] : A.sizes[A.rank() - 1];
    as0 = A.strides[A.rank() - 2];
    as1 = A.strides[A.rank() - 1];
    bs0 = B.strides[B.rank() - 2];
    bs1 = B.strides[B.rank() - 1];
    if (ta)
      std::swap(as0, as1);
    if (tb)
      std::swap(bs0, bs1);
    count = 1;
    for (int64_t i = 0; i < batch; ++i)
      count *= C.sizes[i];
  }

  /// Element offsets of batch element `e` (row-major over C's batch
  /// dimensions) in A, B and C.
  void offsets(int64_t e, int64_t &offA, int64_t &offB, int64_t &offC) const {
    offA = offB = offC = 0;
    for (int64_t i = batch - 1, rest = e; i >= 0; --i) {
      int64_t index = rest % c.sizes[i];
      rest /= c.sizes[i];
      if (a.rank() == c.rank())
        offA += index * a.strides[i];
      if (b.rank() == c.rank())
        offB += index * b.strides[i];
      offC += index * c.strides[i];
    }
  }
};

/// How a (rows x cols) matrix with element strides (s0, s1) reads as a BLAS
/// operand: stored row by row (`rowMajor`) or column by column, with leading
/// dimension `ld`; false when neither dimension has a unit stride. BLAS wants
/// the leading dimension >= the row length even when a dimension has size 1
/// (its stride is then arbitrary).
inline bool blasLayout(int64_t rows, int64_t cols, int64_t s0, int64_t s1,
                       bool &rowMajor, int64_t &ld) {
  if ((s1 == 1 || cols == 1) && s0 >= std::max<int64_t>(cols, 1)) {
    rowMajor = true;
    ld = std::max<int64_t>(s0, cols);
    return true;
  }
  if ((s0 == 1 || rows == 1) && s1 >= std::max<int64_t>(rows, 1)) {
    rowMajor = false;
    ld = std::max<int64_t>(s1, rows);
    return true;
  }
  return false;
}

} // namespace pareprop::runtime

#endif
