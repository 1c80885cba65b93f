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
  target_include_directories(${name} PUBLIC
    $<BUILD_INTERFACE:${PROJECT_SOURCE_DIR}/include>
    $<BUILD_INTERFACE:${PROJECT_BINARY_DIR}/include>
    $<INSTALL_INTERFACE:include>)
  install(TARGETS ${name} EXPORT PaRepropTargets
    ARCHIVE DESTINATION lib LIBRARY DESTINATION lib)
endfunction()
