# Headers (sources and TableGen output), the export set and a package
# config, so that `find_package(PaReprop)` gives PaReprop::<library> targets.
include(CMakePackageConfigHelpers)

install(DIRECTORY ${PROJECT_SOURCE_DIR}/include/pareprop
  DESTINATION include FILES_MATCHING PATTERN "*.h" PATTERN "*.td")
install(DIRECTORY ${PROJECT_BINARY_DIR}/include/pareprop
  DESTINATION include FILES_MATCHING PATTERN "*.inc" PATTERN "CMakeFiles" EXCLUDE)

set(PAREPROP_INSTALL_CMAKEDIR lib/cmake/PaReprop)
install(EXPORT PaRepropTargets NAMESPACE PaReprop::
  DESTINATION ${PAREPROP_INSTALL_CMAKEDIR})
configure_package_config_file(
  ${PROJECT_SOURCE_DIR}/cmake/PaRepropConfig.cmake.in
  ${PROJECT_BINARY_DIR}/PaRepropConfig.cmake
  INSTALL_DESTINATION ${PAREPROP_INSTALL_CMAKEDIR})
write_basic_package_version_file(
  ${PROJECT_BINARY_DIR}/PaRepropConfigVersion.cmake
  VERSION ${PROJECT_VERSION} COMPATIBILITY SameMinorVersion)
install(FILES ${PROJECT_BINARY_DIR}/PaRepropConfig.cmake
  ${PROJECT_BINARY_DIR}/PaRepropConfigVersion.cmake
  DESTINATION ${PAREPROP_INSTALL_CMAKEDIR})

# The Python frontend, ready for `pip install <prefix>/share/pareprop/python`:
# a copy of python-frontend/ whose package records where this installation
# put the C API, so that the installed package loads it without
# PAREPROP_LIBRARY.
install(DIRECTORY ${PROJECT_SOURCE_DIR}/python-frontend/
  DESTINATION share/pareprop/python
  PATTERN "__pycache__" EXCLUDE PATTERN "*.egg-info" EXCLUDE
  PATTERN "build" EXCLUDE)
install(CODE [[
  set(paths "${CMAKE_INSTALL_PREFIX}/share/pareprop/python/pareprop/_install_paths.py")
  file(WRITE "${paths}"
    "\"\"\"Written by cmake --install: where this installation put PaReprop.\"\"\"\n"
    "PREFIX = r\"${CMAKE_INSTALL_PREFIX}\"\n"
    "LIBRARY = r\"${CMAKE_INSTALL_PREFIX}/lib/libPaRepropCAPI.so\"\n")
  message(STATUS "Installing: ${paths}")
]])
