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
