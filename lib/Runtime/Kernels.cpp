//===- Kernels.cpp - BLAS-backed contractions for compiled steps ----------===//
//
// Compiled steps call these for the matrix products of nn.matmul and
// nn.linear (see convert-contractions-to-runtime-calls): strided memrefs in,
// one GEMM per batch element, through CBLAS (OpenBLAS when the build found
// it; a plain loop nest otherwise).
//
// Threads: a task that may overlap another stream's task runs its kernels on
// one thread, so two streams do not fight over the same cores. A task that
// runs alone (the forward, or any task of a one-stream schedule) may use
// PAREPROP_KERNEL_THREADS threads; the default is one as well, because
// OpenBLAS's pool threads keep spinning after a multi-threaded GEMM and slow
// the two streams of the backward that follows (measured: docs/benchmarks.md).
//
//===----------------------------------------------------------------------===//

#include <algorithm>
#include <atomic>
#include <cstdint>
#include <cstdlib>
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

std::atomic<int> kernelThreads{0};

/// Threads a task that runs alone may use: PAREPROP_KERNEL_THREADS, or one.
int exclusiveThreads() {
  static const int threads = [] {
    if (const char *env = std::getenv("PAREPROP_KERNEL_THREADS"))
      if (int n = std::atoi(env); n > 0)
        return n;
    return 1;
  }();
  return threads;
}

void setThreads(int want) {
  if (kernelThreads.exchange(want) == want)
    return;
#ifdef PAREPROP_HAVE_OPENBLAS
  openblas_set_num_threads(want);
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
          float *c, int64_t ldc) {
  cblas_sgemm(CblasRowMajor, ta, tb, m, n, k, 1.0f, a, lda, b, ldb, 1.0f, c,
              ldc);
}
void blas(CBLAS_TRANSPOSE ta, CBLAS_TRANSPOSE tb, int64_t m, int64_t n,
          int64_t k, const double *a, int64_t lda, const double *b, int64_t ldb,
          double *c, int64_t ldc) {
  cblas_dgemm(CblasRowMajor, ta, tb, m, n, k, 1.0, a, lda, b, ldb, 1.0, c, ldc);
}
#endif

/// One (m x k)(k x n) product with element strides: BLAS when every matrix
/// has a unit stride in one dimension (then it is a row- or column-major
/// matrix with a leading dimension), the loop nest otherwise.
template <typename T>
void gemm(int64_t m, int64_t n, int64_t k, const T *a, int64_t as0, int64_t as1,
          const T *b, int64_t bs0, int64_t bs1, T *c, int64_t cs0,
          int64_t cs1) {
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
    blas(ta, tb, m, n, k, a, lda, b, ldb, c, ldc);
    return;
  }
#endif
  gemmNaive(m, n, k, a, as0, as1, b, bs0, bs1, c, cs0, cs1);
}

/// C[batch..., m, n] += op(A)[batch..., m, k] * op(B)[batch..., k, n]; an
/// operand of rank 2 is shared by every batch element. `flags`: bit 0
/// transposes A (stored [.., k, m]), bit 1 transposes B (stored [.., n, k]).
template <typename T>
void contract(int64_t rankA, void *descA, int64_t rankB, void *descB,
              int64_t rankC, void *descC, int64_t flags) {
  // Code compiled without kernel-threads calls still runs one thread per
  // kernel (OpenBLAS would otherwise take every core).
  if (kernelThreads.load() == 0)
    setThreads(1);
  View<T> a(rankA, descA), b(rankB, descB), c(rankC, descC);
  bool ta = flags & 1, tb = flags & 2;
  int64_t batch = c.rank() - 2;
  int64_t m = c.sizes[batch], n = c.sizes[batch + 1];
  int64_t k = ta ? a.sizes[a.rank() - 2] : a.sizes[a.rank() - 1];
  auto matrix = [](const View<T> &v, bool transposed, int64_t &s0,
                   int64_t &s1) {
    s0 = v.strides[v.rank() - 2];
    s1 = v.strides[v.rank() - 1];
    if (transposed)
      std::swap(s0, s1);
  };
  int64_t as0, as1, bs0, bs1;
  matrix(a, ta, as0, as1);
  matrix(b, tb, bs0, bs1);
  int64_t count = 1;
  for (int64_t i = 0; i < batch; ++i)
    count *= c.sizes[i];
  std::vector<int64_t> index(batch, 0);
  for (int64_t e = 0; e < count; ++e) {
    int64_t offA = 0, offB = 0, offC = 0;
    for (int64_t i = 0; i < batch; ++i) {
      // Operands without batch dimensions (a weight) broadcast.
      if (a.rank() == c.rank())
        offA += index[i] * a.strides[i];
      if (b.rank() == c.rank())
        offB += index[i] * b.strides[i];
      offC += index[i] * c.strides[i];
    }
    gemm<T>(m, n, k, a.data + offA, as0, as1, b.data + offB, bs0, bs1,
            c.data + offC, c.strides[batch], c.strides[batch + 1]);
    for (int64_t i = batch - 1; i >= 0; --i) {
      if (++index[i] < c.sizes[i])
        break;
      index[i] = 0;
    }
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

/// Called first in every task: `exclusive` says no other stream's task can
/// run at the same time.
void pareprop_kernel_threads(int64_t exclusive) {
  setThreads(exclusive ? exclusiveThreads() : 1);
}

/// Whether the kernels go through BLAS (for reports and tests).
int64_t pareprop_kernels_use_blas() {
#ifdef PAREPROP_HAVE_OPENBLAS
  return 1;
#else
  return 0;
#endif
}

} // extern "C"
