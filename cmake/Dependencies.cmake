# Every dependency is a Debian package (`./gort setup` installs them).

find_package(mimalloc 2.0 REQUIRED CONFIG)          # libmimalloc-dev: per-P GC heaps
# Static: a context switch is then a direct call, not one through the PLT.
set(Boost_USE_STATIC_LIBS ON)
find_package(Boost 1.74 REQUIRED COMPONENTS context) # libboost-context-dev: fcontext switches

# libbacktrace ships inside GCC's own library directory (libgcc-12-dev, which g++
# depends on). It turns a PC into function, file and line from the DWARF info
# in-process, which is what Go-style tracebacks need; dladdr alone cannot name
# static functions or lambdas.
execute_process(
  COMMAND ${CMAKE_CXX_COMPILER} -print-file-name=libbacktrace.a
  OUTPUT_VARIABLE GORT_LIBBACKTRACE OUTPUT_STRIP_TRAILING_WHITESPACE)
execute_process(
  COMMAND ${CMAKE_CXX_COMPILER} -print-file-name=include
  OUTPUT_VARIABLE GORT_GCC_INCLUDE OUTPUT_STRIP_TRAILING_WHITESPACE)
if(NOT EXISTS "${GORT_LIBBACKTRACE}" OR NOT EXISTS "${GORT_GCC_INCLUDE}/backtrace.h")
  message(FATAL_ERROR "libbacktrace not found next to ${CMAKE_CXX_COMPILER}; install g++ (libgcc-12-dev)")
endif()
add_library(gort_libbacktrace STATIC IMPORTED GLOBAL)
set_target_properties(gort_libbacktrace PROPERTIES IMPORTED_LOCATION "${GORT_LIBBACKTRACE}")
# Only backtrace.h is wanted from GCC's private include dir; add it as a system
# include after the default ones so nothing else there shadows libc headers.
target_compile_options(gort_libbacktrace INTERFACE "-idirafter${GORT_GCC_INCLUDE}")

if(GORT_BUILD_TESTS)
  find_package(GTest 1.12 REQUIRED CONFIG)           # googletest / libgtest-dev
endif()
if(GORT_BUILD_BENCHMARKS)
  find_package(benchmark 1.7 REQUIRED CONFIG)        # libbenchmark-dev
endif()
