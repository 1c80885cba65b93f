//===- Kernels.cpp - BLAS-backed contractions for compiled steps ----------===//
//
// Compiled steps call these for the matrix products of nn.matmul and
// nn.linear (see pareprop-contractions-to-runtime): strided memrefs in, one
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

#include "Contraction.h"
#include "Helper.h"

#include <algorithm>
#include <cstdint>
#include <vector>

#ifdef PAREPROP_HAVE_OPENBLAS
#include <cblas.h>
#endif

namespace {

using pareprop::runtime::View;

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
  bool aRows, bRows, cRows;
  int64_t lda, ldb, ldc;
  using pareprop::runtime::blasLayout;
  if (blasLayout(m, k, as0, as1, aRows, lda) &&
      blasLayout(k, n, bs0, bs1, bRows, ldb) &&
      blasLayout(m, n, cs0, cs1, cRows, ldc) && cRows) {
    blas(aRows ? CblasNoTrans : CblasTrans, bRows ? CblasNoTrans : CblasTrans,
         m, n, k, a, lda, b, ldb, overwrite ? T(0) : T(1), c, ldc);
    return;
  }
#endif
  if (overwrite)
    for (int64_t i = 0; i < m; ++i)
      for (int64_t j = 0; j < n; ++j)
        c[i * cs0 + j * cs1] = T(0);
  gemmNaive(m, n, k, a, as0, as1, b, bs0, bs1, c, cs0, cs1);
}

/// A product and whether it overwrites C.
template <typename T> struct Product : pareprop::runtime::ProductShape<T> {
  bool overwrite;

  Product(View<T> a, View<T> b, View<T> c, bool ta, bool tb, bool overwrite)
      : pareprop::runtime::ProductShape<T>(std::move(a), std::move(b),
                                           std::move(c), ta, tb),
        overwrite(overwrite) {}

  /// Batch elements [begin, end), rows [row0, row1) of each.
  void run(int64_t begin, int64_t end, int64_t row0, int64_t row1) const {
    const auto &p = *this;
    int64_t cs0 = p.c.strides[p.batch], cs1 = p.c.strides[p.batch + 1];
    for (int64_t e = begin; e < end; ++e) {
      int64_t offA, offB, offC;
      p.offsets(e, offA, offB, offC);
      gemm<T>(row1 - row0, p.n, p.k, p.a.data + offA + row0 * p.as0, p.as0,
              p.as1, p.b.data + offB, p.bs0, p.bs1, overwrite,
              p.c.data + offC + row0 * cs0, cs0, cs1);
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
  bool large = double(p.count) * p.m * p.n * p.k >= kSplitMultiplyAdds &&
               (p.count > 1 || p.m > 1);
  if (!large || p.count > 1) {
    // Batch elements are separate products: cut or not, the same sums.
    if (!large || !pareprop::runtime::mayUseHelper()) {
      p.run(0, p.count, 0, p.m);
      return;
    }
    int64_t half = p.count / 2;
    pareprop::runtime::splitWithHelper([&] { p.run(half, p.count, 0, p.m); },
                                       [&] { p.run(0, half, 0, p.m); });
    return;
  }
  // Half the rows is another BLAS call, which may sum in another order
  // than the whole: the rows are cut the same way with or without the
  // helper, so the result does not depend on whether it was free.
  int64_t half = p.m / 2;
  if (!pareprop::runtime::mayUseHelper()) {
    p.run(0, 1, 0, half);
    p.run(0, 1, half, p.m);
    return;
  }
  pareprop::runtime::splitWithHelper([&] { p.run(0, 1, half, p.m); },
                                     [&] { p.run(0, 1, 0, half); });
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
