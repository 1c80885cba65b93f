//===- CudaRuntime.cpp - the mgpu* ABI of lowered GPU code ----------------===//
//
// MLIR's gpu-to-llvm lowering (and the gpu.binary translation) emits calls to
// `mgpu*` functions: streams, events, stream-ordered allocation, copies,
// module loading and kernel launches. This library implements them on the
// CUDA driver API.
//
// The driver (libcuda.so.1) is opened at the first call, not linked, so that
// executables built against this library start on machines without a GPU
// and fail there with a clear message instead of a loader error;
// PAREPROP_CUDA_DRIVER names another driver library. Every CUDA error is
// reported with the failing driver call, the mgpu function that made it and
// its source line, and ends the process: the lowered code has no error
// channel to return it through, and carrying on would compute garbage.
//
// Beyond the mgpu* ABI, it provides what the project's GPU lowering calls
// (pareprop_cuda_*): cuBLAS matrix products on a stream (cuBLAS is opened at
// the first product; PAREPROP_CUBLAS names another library), and the clock,
// peak memory, checksum and report of benchmark executables.
//
//===----------------------------------------------------------------------===//

#include "Contraction.h"
#include "pareprop/Runtime/TensorDump.h"

#include <cublas_api.h>
#include <cuda.h>

#include <algorithm>
#include <chrono>
#include <initializer_list>
#include <mutex>
#include <string>
#include <unordered_map>
#include <vector>

#include <atomic>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <dlfcn.h>

namespace {

[[noreturn]] void fail(const char *function, int line, const char *what) {
  std::fprintf(stderr, "pareprop CUDA runtime: %s (in %s, %s:%d)\n", what,
               function, __FILE__, line);
  std::fflush(stderr);
  std::abort();
}

/// Opens the library that environment variable `envVar` names, or else the
/// first of `defaults` that loads; ends the process naming `what` (with
/// `hint`) when it cannot, as a failure in `where`.
void *openLibrary(const char *envVar,
                  std::initializer_list<const char *> defaults,
                  const char *what, const char *hint, const char *where) {
  const char *chosen = std::getenv(envVar);
  std::vector<const char *> paths;
  if (chosen && *chosen)
    paths.push_back(chosen);
  else
    paths.assign(defaults.begin(), defaults.end());
  for (const char *path : paths)
    if (void *library = dlopen(path, RTLD_NOW | RTLD_LOCAL))
      return library;
  char message[512];
  std::snprintf(message, sizeof message, "cannot load %s %s: %s (%s)", what,
                paths.back(), dlerror(), hint);
  fail(where, __LINE__, message);
}

/// The driver entry points this library calls, resolved by name from the
/// driver library. cuda.h maps some names to versioned symbols
/// (cuMemAlloc -> cuMemAlloc_v2); STRINGIFY sees the mapped name.
#define PAREPROP_CUDA_FUNCTIONS(X)                                             \
  X(cuInit)                                                                    \
  X(cuGetErrorName)                                                            \
  X(cuGetErrorString)                                                          \
  X(cuDeviceGet)                                                               \
  X(cuDevicePrimaryCtxRetain)                                                  \
  X(cuCtxSetCurrent)                                                           \
  X(cuStreamCreate)                                                            \
  X(cuStreamSynchronize)                                                       \
  X(cuStreamDestroy)                                                           \
  X(cuStreamWaitEvent)                                                         \
  X(cuEventCreate)                                                             \
  X(cuEventRecord)                                                             \
  X(cuEventSynchronize)                                                        \
  X(cuEventDestroy)                                                            \
  X(cuMemAllocAsync)                                                           \
  X(cuMemAllocManaged)                                                         \
  X(cuMemFreeAsync)                                                            \
  X(cuMemFree)                                                                 \
  X(cuMemcpyAsync)                                                             \
  X(cuMemsetD32Async)                                                          \
  X(cuMemsetD16Async)                                                          \
  X(cuModuleLoadData)                                                          \
  X(cuModuleUnload)                                                            \
  X(cuModuleGetFunction)                                                       \
  X(cuFuncSetAttribute)                                                        \
  X(cuLaunchKernel)                                                            \
  X(cuDeviceGetDefaultMemPool)                                                 \
  X(cuMemPoolSetAttribute)                                                     \
  X(cuMemPoolGetAttribute)                                                     \
  X(cuMemcpyDtoH)

#define PAREPROP_STRINGIFY_EXPANDED(x) #x
#define PAREPROP_STRINGIFY(x) PAREPROP_STRINGIFY_EXPANDED(x)

struct Driver {
#define PAREPROP_DECLARE(name) decltype(&name) name##Fn = nullptr;
  PAREPROP_CUDA_FUNCTIONS(PAREPROP_DECLARE)
#undef PAREPROP_DECLARE
  CUcontext context = nullptr;
  CUmemoryPool pool = nullptr;
  int deviceOrdinal = 0;
};

Driver &driver();

/// Set by mgpuSetDefaultDevice before the driver is loaded; -1: the
/// PAREPROP_CUDA_DEVICE environment variable's, or device 0.
std::atomic<int> requestedDevice{-1};
std::atomic<bool> driverLoading{false};

/// Reports `result` of `call` (made through `d`) when it is an error.
void check(const Driver &d, CUresult result, const char *call,
           const char *function, int line) {
  if (result == CUDA_SUCCESS)
    return;
  // The driver's stub library (linked on machines without a GPU) names no
  // error: the number is always printed.
  const char *name = nullptr, *text = nullptr;
  if (d.cuGetErrorNameFn && d.cuGetErrorNameFn(result, &name) != CUDA_SUCCESS)
    name = nullptr;
  if (d.cuGetErrorStringFn &&
      d.cuGetErrorStringFn(result, &text) != CUDA_SUCCESS)
    text = nullptr;
  char what[512];
  std::snprintf(what, sizeof what, "%s failed with CUresult %d%s%s%s%s", call,
                int(result), name ? " " : "", name ? name : "",
                text ? ": " : "", text ? text : "");
  fail(function, line, what);
}

void useContext();

/// Calls driver function `name` with the device's context current on this
/// thread, and reports its error.
#define PAREPROP_CUDA_CHECK(name, ...)                                         \
  do {                                                                         \
    useContext();                                                              \
    check(driver(), driver().name##Fn(__VA_ARGS__), #name, __func__,           \
          __LINE__);                                                           \
  } while (false)

Driver &loadDriver() {
  static Driver d;
  driverLoading = true;
  void *library = openLibrary(
      "PAREPROP_CUDA_DRIVER", {"libcuda.so.1"}, "the CUDA driver",
      "is an NVIDIA driver installed? PAREPROP_CUDA_DRIVER names another "
      "library",
      "driver initialization");
#define PAREPROP_RESOLVE(name)                                                 \
  d.name##Fn = reinterpret_cast<decltype(&name)>(                              \
      dlsym(library, PAREPROP_STRINGIFY(name)));                               \
  if (!d.name##Fn)                                                             \
    fail("driver initialization", __LINE__,                                    \
         "the CUDA driver lacks " PAREPROP_STRINGIFY(name));
  PAREPROP_CUDA_FUNCTIONS(PAREPROP_RESOLVE)
#undef PAREPROP_RESOLVE
  if (requestedDevice >= 0)
    d.deviceOrdinal = requestedDevice;
  else if (const char *ordinal = std::getenv("PAREPROP_CUDA_DEVICE"))
    d.deviceOrdinal = std::atoi(ordinal);
  const char *init = "driver initialization";
  check(d, d.cuInitFn(0), "cuInit", init, __LINE__);
  CUdevice device;
  check(d, d.cuDeviceGetFn(&device, d.deviceOrdinal), "cuDeviceGet", init,
        __LINE__);
  check(d, d.cuDevicePrimaryCtxRetainFn(&d.context, device),
        "cuDevicePrimaryCtxRetain", init, __LINE__);
  check(d, d.cuCtxSetCurrentFn(d.context), "cuCtxSetCurrent", init, __LINE__);
  // Freed blocks stay in the stream-ordered pool (a training step frees and
  // allocates the same sizes every time; by default the pool gives memory
  // back to the driver at every synchronization).
  check(d, d.cuDeviceGetDefaultMemPoolFn(&d.pool, device),
        "cuDeviceGetDefaultMemPool", init, __LINE__);
  cuuint64_t keepAll = ~cuuint64_t(0);
  check(d,
        d.cuMemPoolSetAttributeFn(d.pool, CU_MEMPOOL_ATTR_RELEASE_THRESHOLD,
                                  &keepAll),
        "cuMemPoolSetAttribute", init, __LINE__);
  return d;
}

Driver &driver() {
  static Driver &d = loadDriver();
  return d;
}

/// Makes the device's primary context current on the calling thread (once
/// per thread): the async runtime calls in from its worker threads.
void useContext() {
  thread_local bool current = false;
  if (current)
    return;
  Driver &d = driver();
  check(d, d.cuCtxSetCurrentFn(d.context), "cuCtxSetCurrent", "useContext",
        __LINE__);
  current = true;
}

/// Streams and events the lowered code is done with, for reuse: every join
/// of a step (gpu.wait async [...]) creates a stream and events, and
/// creating them through the driver each time costs microseconds.
template <typename Handle> class Pool {
public:
  Handle take() {
    std::lock_guard<std::mutex> lock(mutex);
    if (free.empty())
      return nullptr;
    Handle h = free.back();
    free.pop_back();
    return h;
  }
  void give(Handle h) {
    std::lock_guard<std::mutex> lock(mutex);
    free.push_back(h);
  }

private:
  std::mutex mutex;
  std::vector<Handle> free;
};

Pool<CUstream> &streamPool() {
  static Pool<CUstream> pool;
  return pool;
}

Pool<CUevent> &eventPool() {
  static Pool<CUevent> pool;
  return pool;
}

//===----------------------------------------------------------------------===//
// cuBLAS, opened at the first product
//===----------------------------------------------------------------------===//

struct Blas {
  decltype(&cublasCreate_v2) create = nullptr;
  decltype(&cublasSetStream_v2) setStream = nullptr;
  cublasStatus_t (*gemm)(cublasHandle_t, cublasOperation_t, cublasOperation_t,
                         int, int, int, const void *, const void *,
                         cudaDataType, int, long long, const void *,
                         cudaDataType, int, long long, const void *, void *,
                         cudaDataType, int, long long, int, cublasComputeType_t,
                         cublasGemmAlgo_t) = nullptr;
  std::mutex mutex;
  /// One handle per stream: cuBLAS keeps a workspace per handle, which two
  /// streams must not share.
  std::unordered_map<CUstream, cublasHandle_t> handles;
};

Blas &blas() {
  static Blas &b = *[] {
    auto *b = new Blas;
    void *library = openLibrary(
        "PAREPROP_CUBLAS", {"libcublas.so.13", "libcublas.so"}, "cuBLAS",
        "PAREPROP_CUBLAS names the library", "cuBLAS initialization");
    b->create = reinterpret_cast<decltype(b->create)>(
        dlsym(library, "cublasCreate_v2"));
    b->setStream = reinterpret_cast<decltype(b->setStream)>(
        dlsym(library, "cublasSetStream_v2"));
    b->gemm = reinterpret_cast<decltype(b->gemm)>(
        dlsym(library, "cublasGemmStridedBatchedEx"));
    if (!b->create || !b->setStream || !b->gemm)
      fail("cuBLAS initialization", __LINE__,
           "the cuBLAS library lacks cublasCreate_v2, cublasSetStream_v2 or "
           "cublasGemmStridedBatchedEx");
    return b;
  }();
  return b;
}

void checkBlas(cublasStatus_t status, const char *call, int line) {
  if (status == CUBLAS_STATUS_SUCCESS)
    return;
  char what[256];
  std::snprintf(what, sizeof what, "%s failed with cublasStatus_t %d", call,
                int(status));
  fail("pareprop_cuda_contract", line, what);
}

cublasHandle_t blasHandleFor(CUstream stream) {
  Blas &b = blas();
  std::lock_guard<std::mutex> lock(b.mutex);
  cublasHandle_t &handle = b.handles[stream];
  if (!handle) {
    useContext();
    checkBlas(b.create(&handle), "cublasCreate", __LINE__);
    checkBlas(b.setStream(handle, reinterpret_cast<cudaStream_t>(stream)),
              "cublasSetStream", __LINE__);
  }
  return handle;
}

using pareprop::runtime::blasLayout;
using pareprop::runtime::DumpTensor;
using pareprop::runtime::ProductShape;
using pareprop::runtime::View;
using pareprop::runtime::writeDumpHeader;
using pareprop::runtime::writeDumpTensor;

/// The stride between consecutive elements of the flattened batch
/// dimensions [0, batch) of `v` (0 when `v` has none), or -1 when they do
/// not flatten into one stride.
template <typename T>
int64_t flatBatchStride(const View<T> &v, int64_t batch,
                        const std::vector<int64_t> &batchSizes) {
  if (v.rank() == 2)
    return 0;
  int64_t stride = -1;
  int64_t expected = -1;
  for (int64_t i = batch - 1; i >= 0; --i) {
    if (batchSizes[i] == 1)
      continue;
    if (stride < 0) {
      stride = v.strides[i];
    } else if (v.strides[i] != expected) {
      return -1;
    }
    expected = v.strides[i] * batchSizes[i];
  }
  return stride < 0 ? 0 : stride;
}

/// C[b..., m, n] (+)= op(A)[b..., m, k] op(B)[b..., k, n] on `stream`; the
/// flags are those of pareprop_contract_f32 (bit 0: A stored transposed,
/// bit 1: B stored transposed, bit 2: overwrite C) plus, for f32, bit 3:
/// TF32 tensor cores, bit 4: BF16 tensor cores (operands rounded to bf16,
/// f32 accumulation).
template <typename T>
void contract(CUstream stream, int64_t rankA, void *descA, int64_t rankB,
              void *descB, int64_t rankC, void *descC, int64_t flags) {
  constexpr bool f64 = sizeof(T) == 8;
  ProductShape<T> p(View<T>(rankA, descA), View<T>(rankB, descB),
                    View<T>(rankC, descC), flags & 1, flags & 2);
  // Row-major C = opA opB is column-major C^T = opB^T opA^T.
  bool cRowMajor, bRowMajor, aRowMajor;
  int64_t ldc, ldb, lda;
  if (!blasLayout(p.m, p.n, p.c.strides[p.batch], p.c.strides[p.batch + 1],
                  cRowMajor, ldc) ||
      !cRowMajor || !blasLayout(p.k, p.n, p.bs0, p.bs1, bRowMajor, ldb) ||
      !blasLayout(p.m, p.k, p.as0, p.as1, aRowMajor, lda))
    fail(__func__, __LINE__,
         "a matrix product whose operands have no unit-stride dimension "
         "cannot run through cuBLAS");
  // A row-major opB reads column-major as opB^T: no transpose then.
  cublasOperation_t opFirst = bRowMajor ? CUBLAS_OP_N : CUBLAS_OP_T;
  cublasOperation_t opSecond = aRowMajor ? CUBLAS_OP_N : CUBLAS_OP_T;

  std::vector<int64_t> batchSizes(p.c.sizes.begin(),
                                  p.c.sizes.begin() + p.batch);
  int64_t strideA = flatBatchStride(p.a, p.batch, batchSizes),
          strideB = flatBatchStride(p.b, p.batch, batchSizes),
          strideC = flatBatchStride(p.c, p.batch, batchSizes);
  // Batches that do not flatten into one stride: one call per element.
  bool flat = strideA >= 0 && strideB >= 0 && strideC >= 0;
  if (!flat)
    strideA = strideB = strideC = 0;
  int64_t calls = flat ? 1 : p.count, perCall = flat ? p.count : 1;

  T one = 1, zero = 0;
  const T *beta = (flags & 4) ? &zero : &one;
  cudaDataType type = f64 ? CUDA_R_64F : CUDA_R_32F;
  cublasComputeType_t compute = f64          ? CUBLAS_COMPUTE_64F
                                : flags & 8  ? CUBLAS_COMPUTE_32F_FAST_TF32
                                : flags & 16 ? CUBLAS_COMPUTE_32F_FAST_16BF
                                             : CUBLAS_COMPUTE_32F;
  cublasHandle_t handle = blasHandleFor(stream);
  useContext();
  for (int64_t e = 0; e < calls; ++e) {
    int64_t offA = 0, offB = 0, offC = 0;
    if (!flat)
      p.offsets(e, offA, offB, offC);
    checkBlas(blas().gemm(handle, opFirst, opSecond, int(p.n), int(p.m),
                          int(p.k), &one, p.b.data + offB, type, int(ldb),
                          strideB, p.a.data + offA, type, int(lda), strideA,
                          beta, p.c.data + offC, type, int(ldc), strideC,
                          int(perCall), compute, CUBLAS_GEMM_DEFAULT),
              "cublasGemmStridedBatchedEx", __LINE__);
  }
}

/// The dump a benchmark executable writes (`--dump FILE`), opened at the
/// first tensor.
struct DumpFile {
  std::string path, name = "gpu";
  std::vector<int64_t> gradArgs;
  std::FILE *file = nullptr;
};

DumpFile &dumpFile() {
  static DumpFile dump;
  return dump;
}

/// The open dump, or null when the executable writes none.
std::FILE *openDump() {
  DumpFile &d = dumpFile();
  if (d.path.empty() || d.file)
    return d.file;
  d.file = std::fopen(d.path.c_str(), "w");
  if (!d.file) {
    std::string what = "cannot write the dump file " + d.path;
    fail(__func__, __LINE__, what.c_str());
  }
  writeDumpHeader(d.file,
                  "pareprop GPU benchmark executable dump (" + d.name + ")",
                  d.gradArgs);
  return d.file;
}

/// The elements of a dense, row-major device buffer, on the host.
template <typename T> std::vector<T> copyToHost(const View<T> &v) {
  int64_t count = 1;
  for (int64_t s : v.sizes)
    count *= s;
  std::vector<T> host(size_t(std::max<int64_t>(count, 0)));
  if (count > 0)
    PAREPROP_CUDA_CHECK(cuMemcpyDtoH, host.data(),
                        reinterpret_cast<CUdeviceptr>(v.data),
                        size_t(count) * sizeof(T));
  return host;
}

/// Copies a dense device buffer to the host and appends it to the dump.
template <typename T>
void dumpTensor(int64_t kind, int64_t index, int64_t rank, void *descriptor,
                const char *dtype) {
  std::FILE *out = openDump();
  if (!out)
    return;
  View<T> v(rank, descriptor);
  DumpTensor tensor{dtype, v.sizes, {}};
  std::vector<T> host = copyToHost(v);
  tensor.values.assign(host.begin(), host.end());
  std::string header =
      kind == 0 ? "arg " + std::to_string(index) + " -"
                : "result " + dumpFile().name + " " + std::to_string(index);
  writeDumpTensor(out, header, tensor);
  std::fflush(out);
}

/// An unranked memref as memrefCopy receives it.
struct UnrankedDescriptor {
  int64_t rank;
  void *descriptor;
};

} // namespace

extern "C" {

/// Which device later calls use (before the first call only).
void mgpuSetDefaultDevice(int32_t ordinal) {
  if (driverLoading)
    fail(__func__, __LINE__,
         "the device can only be chosen before the first GPU call");
  requestedDevice = ordinal;
}

CUstream mgpuStreamCreate() {
  if (CUstream stream = streamPool().take())
    return stream;
  CUstream stream = nullptr;
  PAREPROP_CUDA_CHECK(cuStreamCreate, &stream, CU_STREAM_NON_BLOCKING);
  return stream;
}

void mgpuStreamSynchronize(CUstream stream) {
  PAREPROP_CUDA_CHECK(cuStreamSynchronize, stream);
}

/// Lowered code destroys a stream right after synchronizing it: the stream
/// is idle and goes back to the pool.
void mgpuStreamDestroy(CUstream stream) { streamPool().give(stream); }

void mgpuStreamWaitEvent(CUstream stream, CUevent event) {
  PAREPROP_CUDA_CHECK(cuStreamWaitEvent, stream, event, 0);
}

CUevent mgpuEventCreate() {
  if (CUevent event = eventPool().take())
    return event;
  CUevent event = nullptr;
  PAREPROP_CUDA_CHECK(cuEventCreate, &event, CU_EVENT_DISABLE_TIMING);
  return event;
}

void mgpuEventRecord(CUevent event, CUstream stream) {
  PAREPROP_CUDA_CHECK(cuEventRecord, event, stream);
}

void mgpuEventSynchronize(CUevent event) {
  PAREPROP_CUDA_CHECK(cuEventSynchronize, event);
}

/// A stream that waits for an event waits for the record made before the
/// wait call, so an event can be recorded again as soon as the lowered code
/// destroys it (right after the waits): it goes back to the pool.
void mgpuEventDestroy(CUevent event) { eventPool().give(event); }

/// Stream-ordered device memory (`hostShared`: managed memory the host can
/// read too, allocated at once).
void *mgpuMemAlloc(uint64_t bytes, CUstream stream, bool hostShared) {
  if (bytes == 0)
    return nullptr;
  CUdeviceptr ptr = 0;
  if (hostShared)
    PAREPROP_CUDA_CHECK(cuMemAllocManaged, &ptr, bytes, CU_MEM_ATTACH_GLOBAL);
  else
    PAREPROP_CUDA_CHECK(cuMemAllocAsync, &ptr, bytes, stream);
  return reinterpret_cast<void *>(ptr);
}

void mgpuMemFree(void *ptr, CUstream stream) {
  if (!ptr)
    return;
  PAREPROP_CUDA_CHECK(cuMemFreeAsync, reinterpret_cast<CUdeviceptr>(ptr),
                      stream);
}

void mgpuMemcpy(void *dst, void *src, size_t bytes, CUstream stream) {
  PAREPROP_CUDA_CHECK(cuMemcpyAsync, reinterpret_cast<CUdeviceptr>(dst),
                      reinterpret_cast<CUdeviceptr>(src), bytes, stream);
}

void mgpuMemset32(void *dst, uint32_t value, size_t count, CUstream stream) {
  PAREPROP_CUDA_CHECK(cuMemsetD32Async, reinterpret_cast<CUdeviceptr>(dst),
                      value, count, stream);
}

void mgpuMemset16(void *dst, unsigned short value, size_t count,
                  CUstream stream) {
  PAREPROP_CUDA_CHECK(cuMemsetD16Async, reinterpret_cast<CUdeviceptr>(dst),
                      value, count, stream);
}

/// Loads a module from an embedded cubin, PTX or fatbin image.
CUmodule mgpuModuleLoad(void *data, size_t /*bytes*/) {
  CUmodule module = nullptr;
  PAREPROP_CUDA_CHECK(cuModuleLoadData, &module, data);
  return module;
}

void mgpuModuleUnload(CUmodule module) {
  PAREPROP_CUDA_CHECK(cuModuleUnload, module);
}

CUfunction mgpuModuleGetFunction(CUmodule module, const char *name) {
  CUfunction function = nullptr;
  PAREPROP_CUDA_CHECK(cuModuleGetFunction, &function, module, name);
  return function;
}

void mgpuLaunchKernel(CUfunction function, intptr_t gridX, intptr_t gridY,
                      intptr_t gridZ, intptr_t blockX, intptr_t blockY,
                      intptr_t blockZ, int32_t sharedBytes, CUstream stream,
                      void **params, void **extra, size_t /*paramCount*/) {
  // More than the default 48 KiB of dynamic shared memory must be asked for.
  if (sharedBytes > 48 * 1024)
    PAREPROP_CUDA_CHECK(cuFuncSetAttribute, function,
                        CU_FUNC_ATTRIBUTE_MAX_DYNAMIC_SHARED_SIZE_BYTES,
                        sharedBytes);
  PAREPROP_CUDA_CHECK(cuLaunchKernel, function, gridX, gridY, gridZ, blockX,
                      blockY, blockZ, sharedBytes, stream, params, extra);
}

void pareprop_cuda_contract_f32(CUstream stream, int64_t rankA, void *descA,
                                int64_t rankB, void *descB, int64_t rankC,
                                void *descC, int64_t flags) {
  contract<float>(stream, rankA, descA, rankB, descB, rankC, descC, flags);
}

void pareprop_cuda_contract_f64(CUstream stream, int64_t rankA, void *descA,
                                int64_t rankB, void *descB, int64_t rankC,
                                void *descC, int64_t flags) {
  contract<double>(stream, rankA, descA, rankB, descB, rankC, descC, flags);
}

//===----------------------------------------------------------------------===//
// Benchmark executables (pareprop-add-gpu-benchmark-entry)
//===----------------------------------------------------------------------===//

/// Host seconds on a monotonic clock (steps synchronize before returning).
double pareprop_cuda_clock_seconds() {
  using namespace std::chrono;
  return duration<double>(steady_clock::now().time_since_epoch()).count();
}

/// Starts measuring the stream-ordered pool's high-water mark anew.
void pareprop_cuda_reset_peak() {
  Driver &d = driver();
  cuuint64_t zero = 0;
  check(d,
        d.cuMemPoolSetAttributeFn(d.pool, CU_MEMPOOL_ATTR_USED_MEM_HIGH, &zero),
        "cuMemPoolSetAttribute", __func__, __LINE__);
}

/// Bytes of device memory in use at the peak since the last reset.
int64_t pareprop_cuda_peak_bytes() {
  Driver &d = driver();
  cuuint64_t high = 0;
  check(d,
        d.cuMemPoolGetAttributeFn(d.pool, CU_MEMPOOL_ATTR_USED_MEM_HIGH, &high),
        "cuMemPoolGetAttribute", __func__, __LINE__);
  return int64_t(high);
}

/// Sum of a device buffer's f32 elements (dense, row-major), in f64.
double pareprop_cuda_sum_f32(int64_t rank, void *descriptor) {
  double sum = 0;
  for (float x : copyToHost(View<float>(rank, descriptor)))
    sum += x;
  return sum;
}

/// The result of a step's index check (rev-add-index-checks): when an
/// index is out of range, stops the executable with a message naming the
/// argument, the element and its value, before any step runs.
void pareprop_cuda_index_check_result(int64_t check, int64_t arg,
                                      int64_t position, int64_t value,
                                      int64_t bound, int64_t ignoreIndex) {
  if (check < 0)
    return;
  std::fprintf(stderr,
               "error: argument %lld: element %lld (row-major) is %lld, "
               "outside [0, %lld)",
               static_cast<long long>(arg), static_cast<long long>(position),
               static_cast<long long>(value), static_cast<long long>(bound));
  if (ignoreIndex != INT64_MIN) // INT64_MIN: the check has no ignore index.
    std::fprintf(stderr, " and not the ignore index %lld",
                 static_cast<long long>(ignoreIndex));
  std::fprintf(stderr, "; no step ran\n");
  std::exit(1);
}

void pareprop_cuda_report(int64_t steps, double seconds, int64_t images,
                          double loss, double checksum) {
  double perStep = steps > 0 ? seconds / double(steps) : 0;
  std::printf("steps: %lld\n", static_cast<long long>(steps));
  std::printf("step time: %.3f ms\n", perStep * 1e3);
  std::printf("throughput: %.1f images/s\n",
              perStep > 0 ? double(images) / perStep : 0.0);
  std::printf("peak device memory: %.1f MiB\n",
              double(pareprop_cuda_peak_bytes()) / (1024.0 * 1024.0));
  std::printf("loss: %.9g\n", loss);
  std::printf("gradient checksum: %.9g\n", checksum);
  std::fflush(stdout);
}

//===----------------------------------------------------------------------===//
// Dumps of a benchmark executable's inputs and results (`--dump`)
//===----------------------------------------------------------------------===//

/// Where the executable's main() asked for the dump, and the name of its
/// result set (pareprop/Runtime/TensorDump.h).
void pareprop_cuda_set_dump(const char *path, const char *name) {
  DumpFile &d = dumpFile();
  if (d.file)
    fail(__func__, __LINE__, "the dump file is already open");
  d.path = path ? path : "";
  d.name = name && *name ? name : "gpu";
}

/// Records that result k (k >= 1) is the gradient of argument `index`, in
/// result order, before the first tensor is dumped.
void pareprop_cuda_dump_gradient_of(int64_t index) {
  DumpFile &d = dumpFile();
  if (d.file)
    fail(__func__, __LINE__, "gradient arguments come before any tensor");
  d.gradArgs.push_back(index);
}

/// `kind` 0: argument `index`; 1: result `index` of the last step.
void pareprop_cuda_dump_f32(int64_t kind, int64_t index, int64_t rank,
                            void *descriptor) {
  dumpTensor<float>(kind, index, rank, descriptor, "f32");
}

void pareprop_cuda_dump_f64(int64_t kind, int64_t index, int64_t rank,
                            void *descriptor) {
  dumpTensor<double>(kind, index, rank, descriptor, "f64");
}

void pareprop_cuda_dump_i64(int64_t kind, int64_t index, int64_t rank,
                            void *descriptor) {
  dumpTensor<int64_t>(kind, index, rank, descriptor, "i64");
}

void pareprop_cuda_dump_i32(int64_t kind, int64_t index, int64_t rank,
                            void *descriptor) {
  dumpTensor<int32_t>(kind, index, rank, descriptor, "i64");
}

/// An i64 scalar argument (a dropout seed).
void pareprop_cuda_dump_scalar(int64_t index, int64_t value) {
  if (std::FILE *out = openDump()) {
    writeDumpTensor(out, "arg " + std::to_string(index) + " -",
                    DumpTensor{"i64", {}, {double(value)}});
    std::fflush(out);
  }
}

//===----------------------------------------------------------------------===//
// Host code of the lowered module
//===----------------------------------------------------------------------===//

/// memref.copy between strided host buffers, as the LLVM lowering calls it
/// for layouts it cannot copy with one memcpy (MLIR's C runner utils have
/// it; benchmark executables link no MLIR library). Only host functions of a
/// module (a model's forward) reach it: the step's copies run on the GPU.
void memrefCopy(int64_t elementBytes, UnrankedDescriptor *source,
                UnrankedDescriptor *destination) {
  if (source->rank != destination->rank)
    fail(__func__, __LINE__, "memref.copy between memrefs of other ranks");
  View<char> from(source->rank, source->descriptor, elementBytes),
      to(destination->rank, destination->descriptor, elementBytes);
  if (from.sizes != to.sizes)
    fail(__func__, __LINE__, "memref.copy between memrefs of other shapes");
  int64_t rank = source->rank, count = 1;
  for (int64_t s : from.sizes)
    count *= s;
  std::vector<int64_t> index(size_t(rank), 0);
  for (int64_t n = 0; n < count; ++n) {
    int64_t fromOffset = 0, toOffset = 0;
    for (int64_t d = 0; d < rank; ++d) {
      fromOffset += index[d] * from.strides[d];
      toOffset += index[d] * to.strides[d];
    }
    std::memcpy(to.data + toOffset * elementBytes,
                from.data + fromOffset * elementBytes, size_t(elementBytes));
    // Next row-major index.
    for (int64_t d = rank - 1; d >= 0 && ++index[d] == from.sizes[d]; --d)
      index[d] = 0;
  }
}

} // extern "C"
