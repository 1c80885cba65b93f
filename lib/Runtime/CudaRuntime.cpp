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
//===----------------------------------------------------------------------===//

#include <cuda.h>

#include <atomic>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <dlfcn.h>

namespace {

[[noreturn]] void fail(const char *function, int line, const char *what) {
  std::fprintf(stderr, "pareprop CUDA runtime: %s (in %s, %s:%d)\n", what,
               function, __FILE__, line);
  std::fflush(stderr);
  std::abort();
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
  X(cuLaunchKernel)

#define PAREPROP_STRINGIFY_EXPANDED(x) #x
#define PAREPROP_STRINGIFY(x) PAREPROP_STRINGIFY_EXPANDED(x)

struct Driver {
#define PAREPROP_DECLARE(name) decltype(&name) name##Fn = nullptr;
  PAREPROP_CUDA_FUNCTIONS(PAREPROP_DECLARE)
#undef PAREPROP_DECLARE
  CUcontext context = nullptr;
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
  const char *path = std::getenv("PAREPROP_CUDA_DRIVER");
  if (!path || !*path)
    path = "libcuda.so.1";
  void *library = dlopen(path, RTLD_NOW | RTLD_LOCAL);
  if (!library) {
    char what[512];
    std::snprintf(what, sizeof what,
                  "cannot load the CUDA driver %s: %s (is an NVIDIA driver "
                  "installed? PAREPROP_CUDA_DRIVER names another library)",
                  path, dlerror());
    fail("driver initialization", __LINE__, what);
  }
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
  CUstream stream = nullptr;
  PAREPROP_CUDA_CHECK(cuStreamCreate, &stream, CU_STREAM_NON_BLOCKING);
  return stream;
}

void mgpuStreamSynchronize(CUstream stream) {
  PAREPROP_CUDA_CHECK(cuStreamSynchronize, stream);
}

void mgpuStreamDestroy(CUstream stream) {
  PAREPROP_CUDA_CHECK(cuStreamDestroy, stream);
}

void mgpuStreamWaitEvent(CUstream stream, CUevent event) {
  PAREPROP_CUDA_CHECK(cuStreamWaitEvent, stream, event, 0);
}

CUevent mgpuEventCreate() {
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

void mgpuEventDestroy(CUevent event) {
  PAREPROP_CUDA_CHECK(cuEventDestroy, event);
}

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

} // extern "C"
