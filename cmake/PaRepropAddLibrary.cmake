# pareprop_add_library(name SOURCES... [DEPENDS targets...] [LINK_LIBS libs...])
# A static library that is installed into the PaRepropTargets export set, so
# that other projects link it through find_package(PaReprop).
function(pareprop_add_library name)
  cmake_parse_arguments(ARG "" "" "DEPENDS;LINK_LIBS" ${ARGN})
  add_library(${name} STATIC ${ARG_UNPARSED_ARGUMENTS})
  add_library(PaReprop::${name} ALIAS ${name})
  if(ARG_DEPENDS)
    add_dependencies(${name} ${ARG_DEPENDS})
  endif()
  target_link_libraries(${name} PUBLIC ${ARG_LINK_LIBS} MLIR LLVM)
  # A sanitized build's libraries need the sanitizer runtime wherever they
  # are linked, in other projects too (the option travels in the export set).
  if(PAREPROP_SANITIZE_LINK_FLAGS)
    target_link_options(${name} INTERFACE ${PAREPROP_SANITIZE_LINK_FLAGS})
  endif()
  target_include_directories(${name} PUBLIC
    $<BUILD_INTERFACE:${PROJECT_SOURCE_DIR}/include>
    $<BUILD_INTERFACE:${PROJECT_BINARY_DIR}/include>
    $<INSTALL_INTERFACE:include>)
  install(TARGETS ${name} EXPORT PaRepropTargets
    ARCHIVE DESTINATION lib LIBRARY DESTINATION lib)
  # The fuzzers' copy: the same sources with coverage instrumentation,
  # ASan, UBSan and assertions (cmake/Fuzzing.cmake), linked to the other
  # libraries' copies. Not installed.
  if(PAREPROP_BUILD_FUZZERS)
    add_library(${name}_fuzz STATIC EXCLUDE_FROM_ALL ${ARG_UNPARSED_ARGUMENTS})
    target_compile_options(${name}_fuzz PRIVATE ${PAREPROP_FUZZ_COMPILE_FLAGS})
    if(ARG_DEPENDS)
      add_dependencies(${name}_fuzz ${ARG_DEPENDS})
    endif()
    set(fuzz_libs)
    foreach(lib IN LISTS ARG_LINK_LIBS)
      if(lib MATCHES "^PaReprop")
        list(APPEND fuzz_libs ${lib}_fuzz)
      else()
        list(APPEND fuzz_libs ${lib})
      endif()
    endforeach()
    target_link_libraries(${name}_fuzz PUBLIC ${fuzz_libs} MLIR LLVM)
    target_include_directories(${name}_fuzz PUBLIC
      ${PROJECT_SOURCE_DIR}/include ${PROJECT_BINARY_DIR}/include)
  endif()
endfunction()
