# A sanitized build (utils/sanitize.sh): -DPAREPROP_SANITIZERS=address;undefined
# instruments every target of the project with clang's ASan and UBSan.
# LLVM/MLIR stay the Debian packages' uninstrumented libraries: ASan checks
# the accesses our code makes, which is where our bugs are.
set(PAREPROP_SANITIZERS "" CACHE STRING
    "Sanitizers for every target, e.g. address;undefined (clang only)")
set(PAREPROP_SANITIZER_RUNTIME "")
if(PAREPROP_SANITIZERS)
  if(NOT CMAKE_CXX_COMPILER_ID STREQUAL "Clang")
    message(FATAL_ERROR "PAREPROP_SANITIZERS needs clang (clang++-22)")
  endif()
  foreach(sanitizer IN LISTS PAREPROP_SANITIZERS)
    if(NOT sanitizer MATCHES "^(address|undefined)$")
      message(FATAL_ERROR "PAREPROP_SANITIZERS: '${sanitizer}' is not one of "
              "address, undefined")
    endif()
  endforeach()
  string(REPLACE ";" "," sanitizer_list "${PAREPROP_SANITIZERS}")
  # A UBSan finding stops the program (and fails its test) instead of
  # printing and going on. Line tables make the reports name lines.
  add_compile_options(-fsanitize=${sanitizer_list} -fno-sanitize-recover=all
                      -fno-omit-frame-pointer -gline-tables-only)
  # One sanitizer runtime per process, the shared one: a Python process
  # preloads it before it loads libPaRepropCAPI.so (test/lit.cfg.py), and
  # the tools it starts (pareprop-import) inherit the preload, which a
  # statically linked runtime would collide with.
  if("address" IN_LIST PAREPROP_SANITIZERS)
    set(runtime_name libclang_rt.asan-${CMAKE_SYSTEM_PROCESSOR}.so)
    set(runtime_flag -shared-libasan)
  else()
    set(runtime_name libclang_rt.ubsan_standalone-${CMAKE_SYSTEM_PROCESSOR}.so)
    set(runtime_flag -shared-libsan)
  endif()
  execute_process(COMMAND ${CMAKE_CXX_COMPILER} -print-file-name=${runtime_name}
                  OUTPUT_VARIABLE PAREPROP_SANITIZER_RUNTIME
                  OUTPUT_STRIP_TRAILING_WHITESPACE)
  if(NOT EXISTS "${PAREPROP_SANITIZER_RUNTIME}")
    message(FATAL_ERROR "PAREPROP_SANITIZERS: ${runtime_name} is missing "
            "(apt-get install libclang-rt-22-dev)")
  endif()
  get_filename_component(runtime_dir "${PAREPROP_SANITIZER_RUNTIME}" DIRECTORY)
  # Libraries linked into other projects (the export set) need the runtime
  # there too (PaRepropAddLibrary.cmake).
  set(PAREPROP_SANITIZE_LINK_FLAGS -fsanitize=${sanitizer_list} ${runtime_flag}
      "-Wl,-rpath,${runtime_dir}")
  add_link_options(${PAREPROP_SANITIZE_LINK_FLAGS})
  # Tests link programs against the project's libraries (%cxx in lit).
  string(JOIN " " PAREPROP_SANITIZE_LINK_FLAGS_STRING ${PAREPROP_SANITIZE_LINK_FLAGS})
  message(STATUS "Sanitizers: ${sanitizer_list} (runtime ${PAREPROP_SANITIZER_RUNTIME})")
endif()
