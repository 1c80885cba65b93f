# libFuzzer targets (tools/pareprop-opt-fuzzer), built by default when the
# compiler can link -fsanitize=fuzzer (clang-22 with libclang-rt-22-dev).
# The project's libraries get a second, instrumented copy (<lib>_fuzz, see
# PaRepropAddLibrary.cmake) so that coverage guides the fuzzer through the
# passes, not only through the harness.
include(CheckCXXSourceCompiles)
set(PAREPROP_FUZZ_FLAGS -fsanitize=fuzzer-no-link,address,undefined
    -fno-sanitize-recover=undefined -fno-omit-frame-pointer -UNDEBUG -O1)
set(CMAKE_REQUIRED_FLAGS "-fsanitize=fuzzer,address,undefined")
check_cxx_source_compiles([[
#include <cstddef>
#include <cstdint>
extern "C" int LLVMFuzzerTestOneInput(const uint8_t *, size_t) { return 0; }
]] PAREPROP_HAVE_LIBFUZZER)
unset(CMAKE_REQUIRED_FLAGS)
# A sanitized build (cmake/Sanitizers.cmake) has no fuzzers: they carry
# their own sanitizers, and build them in a normal build.
set(fuzzers_by_default ${PAREPROP_HAVE_LIBFUZZER})
if(PAREPROP_SANITIZERS)
  set(fuzzers_by_default OFF)
endif()
option(PAREPROP_BUILD_FUZZERS "Build the libFuzzer targets" ${fuzzers_by_default})
if(PAREPROP_BUILD_FUZZERS AND NOT PAREPROP_HAVE_LIBFUZZER)
  message(FATAL_ERROR "PAREPROP_BUILD_FUZZERS needs a compiler that links "
          "-fsanitize=fuzzer (clang-22 and libclang-rt-22-dev)")
endif()
if(PAREPROP_BUILD_FUZZERS AND PAREPROP_SANITIZERS)
  message(FATAL_ERROR "PAREPROP_BUILD_FUZZERS and PAREPROP_SANITIZERS: the "
          "fuzzers carry their own sanitizers; build them in a normal build")
endif()
if(PAREPROP_BUILD_FUZZERS)
  message(STATUS "Building the fuzzers (pareprop-opt-fuzzer)")
else()
  message(STATUS "No libFuzzer (apt-get install libclang-rt-22-dev): "
                 "fuzzers not built")
endif()
set(PAREPROP_FUZZ_COMPILE_FLAGS ${PAREPROP_FUZZ_FLAGS})
