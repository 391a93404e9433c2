# `cmake --install`: the shared library (SONAME libclrnn.so.<CLRNN_SOVERSION>), the static
# library, the public header, the tools, clrnn.pc for pkg-config and the CMake package
# (find_package(clrnn): clrnn::clrnn, the shared library, and clrnn::clrnn_static).
# Every installed file finds the others relative to itself, so the tree can be moved
# (cmake --install --prefix DIR).
include(GNUInstallDirs)
include(CMakePackageConfigHelpers)

target_include_directories(clrnn INTERFACE $<INSTALL_INTERFACE:${CMAKE_INSTALL_INCLUDEDIR}>)
install(TARGETS clrnn EXPORT clrnnTargets
        LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR} NAMELINK_COMPONENT Development)
# the static library is the same objects; libclrnn.a beside libclrnn.so
set_target_properties(clrnn_static PROPERTIES OUTPUT_NAME clrnn)
install(FILES $<TARGET_FILE:clrnn_static> DESTINATION ${CMAKE_INSTALL_LIBDIR})
install(FILES ${PROJECT_SOURCE_DIR}/include/clrnn.h DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})
install(TARGETS clrnn-info clrnn-train clrnn-eval clrnn-data clrnn-generate clrnn-bench
        RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})

# pkg-config: the dependencies are private (the shared library links them itself);
# `pkg-config --static` adds them for libclrnn.a.
set(CLRNN_PC_REQUIRES_PRIVATE "OpenCL clblast hdf5 libcjson libzip")
if(IS_ABSOLUTE "${CMAKE_INSTALL_LIBDIR}" OR IS_ABSOLUTE "${CMAKE_INSTALL_INCLUDEDIR}")
  set(CLRNN_PC_PREFIX "${CMAKE_INSTALL_PREFIX}")
else()
  # ${pcfiledir} is LIBDIR/pkgconfig: climb back to the prefix
  file(RELATIVE_PATH up "/x/${CMAKE_INSTALL_LIBDIR}/pkgconfig" "/x")
  string(REGEX REPLACE "/$" "" up "${up}")
  set(CLRNN_PC_PREFIX "\${pcfiledir}/${up}")
endif()
configure_file(${PROJECT_SOURCE_DIR}/cmake/clrnn.pc.in ${CMAKE_BINARY_DIR}/clrnn.pc @ONLY)
install(FILES ${CMAKE_BINARY_DIR}/clrnn.pc DESTINATION ${CMAKE_INSTALL_LIBDIR}/pkgconfig)

set(CLRNN_CMAKE_DIR ${CMAKE_INSTALL_LIBDIR}/cmake/clrnn)
install(EXPORT clrnnTargets NAMESPACE clrnn:: DESTINATION ${CLRNN_CMAKE_DIR})
configure_package_config_file(${PROJECT_SOURCE_DIR}/cmake/clrnnConfig.cmake.in
  ${CMAKE_BINARY_DIR}/clrnnConfig.cmake INSTALL_DESTINATION ${CLRNN_CMAKE_DIR}
  PATH_VARS CMAKE_INSTALL_LIBDIR CMAKE_INSTALL_INCLUDEDIR)
# 0.x: only the same minor version is compatible (as the SONAME says)
if(PROJECT_VERSION_MAJOR EQUAL 0)
  set(compat SameMinorVersion)
else()
  set(compat SameMajorVersion)
endif()
write_basic_package_version_file(${CMAKE_BINARY_DIR}/clrnnConfigVersion.cmake
  VERSION ${PROJECT_VERSION} COMPATIBILITY ${compat})
install(FILES ${CMAKE_BINARY_DIR}/clrnnConfig.cmake ${CMAKE_BINARY_DIR}/clrnnConfigVersion.cmake
        DESTINATION ${CLRNN_CMAKE_DIR})
