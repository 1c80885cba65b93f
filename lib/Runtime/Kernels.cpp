//===- Kernels.cpp - BLAS-backed contractions for compiled steps ----------===//
//
// Compiled steps call these for the matrix products of nn.matmul and
// nn.linear (see convert-contractions-to-runtime): strided memrefs in, one
// GEMM per batch element, through CBLAS (OpenBLAS when the build found it; a
// plain loop nest otherwise).
//
// Threads: BLAS always runs one thread, so two streams do not fight over the
// same cores. A task that runs alone (the forward, or any task of a
// one-stream schedule) shares its large products with a helper thread that
// blocks between jobs; OpenBLAS's own pool threads keep spinning after a
// multi-threaded GEMM and slowed the two-stream backward that follows
// (measured: docs/benchmarks.md).
//
//===----------------------------------------------------------------------===//

#include "Helper.h"

#include <algorithm>
#include <cstdint>
#include <vector>

#ifdef PAREPROP_HAVE_OPENBLAS
#include <cblas.h>
#endif

namespace {

/// An unranked memref as the LLVM lowering passes it: rank and a pointer to
/// {allocated, aligned, offset, sizes[rank], strides[rank]}.
template <typename T> struct View {
  T *data;
  std::vector<int64_t> sizes, strides;

  View(int64_t rank, void *descriptor) {
    auto *fields = static_cast<int64_t *>(descriptor);
    T *aligned = reinterpret_cast<T *>(fields[1]);
    data = aligned + fields[2];
    sizes.assign(fields + 3, fields + 3 + rank);
    strides.assign(fields + 3 + rank, fields + 3 + 2 * rank);
  }
  int64_t rank() const { return int64_t(sizes.size()); }
};

/// Products smaller than this many multiply-adds are not split: waking the
/// helper costs about as much as half of one (measured: splitting products
/// of 2M multiply-adds made the MLP example slower, splitting RevViT-Tiny's
/// 30M ones made it faster; docs/benchmarks.md).
constexpr double kSplitMultiplyAdds = 4.0 * 1024 * 1024;

/// Keeps OpenBLAS to one thread (by default it takes every core).
void useOneBlasThread() {
#ifdef PAREPROP_HAVE_OPENBLAS
  static const bool once = [] {
    openblas_set_num_threads(1);
    return true;
  }();
  (void)once;
#endif
}

/// C += op(A) op(B) for one matrix: (m x k) by (k x n), element strides.
template <typename T>
void gemmNaive(int64_t m, int64_t n, int64_t k, const T *a, int64_t as0,
               int64_t as1, const T *b, int64_t bs0, int64_t bs1, T *c,
               int64_t cs0, int64_t cs1) {
  for (int64_t i = 0; i < m; ++i)
    for (int64_t p = 0; p < k; ++p) {
      T av = a[i * as0 + p * as1];
      for (int64_t j = 0; j < n; ++j)
        c[i * cs0 + j * cs1] += av * b[p * bs0 + j * bs1];
    }
}

#ifdef PAREPROP_HAVE_OPENBLAS
void blas(CBLAS_TRANSPOSE ta, CBLAS_TRANSPOSE tb, int64_t m, int64_t n,
          int64_t k, const float *a, int64_t lda, const float *b, int64_t ldb,
          float beta, float *c, int64_t ldc) {
  cblas_sgemm(CblasRowMajor, ta, tb, m, n, k, 1.0f, a, lda, b, ldb, beta, c,
              ldc);
}
void blas(CBLAS_TRANSPOSE ta, CBLAS_TRANSPOSE tb, int64_t m, int64_t n,
          int64_t k, const double *a, int64_t lda, const double *b, int64_t ldb,
          double beta, double *c, int64_t ldc) {
  cblas_dgemm(CblasRowMajor, ta, tb, m, n, k, 1.0, a, lda, b, ldb, beta, c,
              ldc);
}
#endif

/// One (m x k)(k x n) product with element strides: BLAS when every matrix
/// has a unit stride in one dimension (then it is a row- or column-major
/// matrix with a leading dimension), the loop nest otherwise.
template <typename T>
void gemm(int64_t m, int64_t n, int64_t k, const T *a, int64_t as0, int64_t as1,
          const T *b, int64_t bs0, int64_t bs1, bool overwrite, T *c,
          int64_t cs0, int64_t cs1) {
#ifdef PAREPROP_HAVE_OPENBLAS
  // BLAS wants the leading dimension >= the row length even when a
  // dimension has size 1 (its stride is then arbitrary).
  auto layout = [](int64_t rows, int64_t cols, int64_t s0, int64_t s1,
                   CBLAS_TRANSPOSE &t, int64_t &ld) {
    if ((s1 == 1 || cols == 1) && s0 >= std::max<int64_t>(cols, 1)) {
      t = CblasNoTrans;
      ld = std::max<int64_t>(s0, cols);
      return true;
    }
    if ((s0 == 1 || rows == 1) && s1 >= std::max<int64_t>(rows, 1)) {
      t = CblasTrans;
      ld = std::max<int64_t>(s1, rows);
      return true;
    }
    return false;
  };
  CBLAS_TRANSPOSE ta, tb, tc;
  int64_t lda, ldb, ldc;
  if (layout(m, k, as0, as1, ta, lda) && layout(k, n, bs0, bs1, tb, ldb) &&
      layout(m, n, cs0, cs1, tc, ldc) && tc == CblasNoTrans) {
    blas(ta, tb, m, n, k, a, lda, b, ldb, overwrite ? T(0) : T(1), c, ldc);
    return;
  }
#endif
  if (overwrite)
    for (int64_t i = 0; i < m; ++i)
      for (int64_t j = 0; j < n; ++j)
        c[i * cs0 + j * cs1] = T(0);
  gemmNaive(m, n, k, a, as0, as1, b, bs0, bs1, c, cs0, cs1);
}

/// The matrices of one product: op(A) is m x k, op(B) is k x n, with the
/// element strides of their rows and columns.
template <typename T> struct Product {
  View<T> a, b, c;
  int64_t batch, count, m, n, k, as0, as1, bs0, bs1;
  bool overwrite;

  Product(View<T> a, View<T> b, View<T> c, bool ta, bool tb, bool overwrite)
      : a(std::move(a)), b(std::move(b)), c(std::move(c)),
        overwrite(overwrite) {
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

  /// Batch elements [begin, end), rows [row0, row1) of each.
  void run(int64_t begin, int64_t end, int64_t row0, int64_t row1) const {
    for (int64_t e = begin; e < end; ++e) {
      // Row-major decomposition of e over the batch dimensions; an operand
      // without batch dimensions (a weight) is shared.
      int64_t offA = 0, offB = 0, offC = 0;
      for (int64_t i = batch - 1, rest = e; i >= 0; --i) {
        int64_t index = rest % c.sizes[i];
        rest /= c.sizes[i];
        if (a.rank() == c.rank())
          offA += index * a.strides[i];
        if (b.rank() == c.rank())
          offB += index * b.strides[i];
        offC += index * c.strides[i];
      }
      int64_t cs0 = c.strides[batch], cs1 = c.strides[batch + 1];
      gemm<T>(row1 - row0, n, k, a.data + offA + row0 * as0, as0, as1,
              b.data + offB, bs0, bs1, overwrite, c.data + offC + row0 * cs0,
              cs0, cs1);
    }
  }
};

/// C[batch..., m, n] += op(A)[batch..., m, k] * op(B)[batch..., k, n]; an
/// operand of rank 2 is shared by every batch element. `flags`: bit 0
/// transposes A (stored [.., k, m]), bit 1 transposes B (stored [.., n, k]),
/// bit 2 overwrites C (=) instead of accumulating (+=).
template <typename T>
void contract(int64_t rankA, void *descA, int64_t rankB, void *descB,
              int64_t rankC, void *descC, int64_t flags) {
  useOneBlasThread();
  Product<T> p(View<T>(rankA, descA), View<T>(rankB, descB),
               View<T>(rankC, descC), flags & 1, flags & 2, flags & 4);
  // A task that runs alone shares a large product with the helper thread:
  // half the batch elements, or half the rows of a single matrix.
  bool split = pareprop::runtime::mayUseHelper() &&
               double(p.count) * p.m * p.n * p.k >= kSplitMultiplyAdds &&
               (p.count > 1 || p.m > 1);
  if (!split) {
    p.run(0, p.count, 0, p.m);
    return;
  }
  if (p.count > 1) {
    int64_t half = p.count / 2;
    pareprop::runtime::splitWithHelper([&] { p.run(half, p.count, 0, p.m); },
                                       [&] { p.run(0, half, 0, p.m); });
  } else {
    int64_t half = p.m / 2;
    pareprop::runtime::splitWithHelper([&] { p.run(0, 1, half, p.m); },
                                       [&] { p.run(0, 1, 0, half); });
  }
}

} // namespace

extern "C" {

void pareprop_contract_f32(int64_t rankA, void *descA, int64_t rankB,
                           void *descB, int64_t rankC, void *descC,
                           int64_t flags) {
  contract<float>(rankA, descA, rankB, descB, rankC, descC, flags);
}

void pareprop_contract_f64(int64_t rankA, void *descA, int64_t rankB,
                           void *descB, int64_t rankC, void *descC,
                           int64_t flags) {
  contract<double>(rankA, descA, rankB, descB, rankC, descC, flags);
}

} // extern "C"
