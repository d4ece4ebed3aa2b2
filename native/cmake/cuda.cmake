# The CUDA backend: libdw_cuda.so next to the addon, dlopen()ed on first use (see
# src/core/backend_registry.cpp), so the addon itself never links the CUDA runtime.
#
# DW_CUDA=AUTO builds it when a toolkit is found and says loudly why not otherwise; ON fails the
# configure without a toolkit; OFF skips it. The toolkit is looked up in this order:
#   CMAKE_CUDA_COMPILER / CUDAToolkit_ROOT given on the command line, $DW_CUDA_HOME (the root that
#   tools/cuda/install-toolkit.sh prints, or the cache folder it installed into), the default cache
#   ~/.cache/distil-whisper/cuda-13.0, $CUDA_HOME / $CUDA_PATH, /usr/local/cuda, nvcc on PATH.

# `DW_CUDA=ON npm run build:native`: cmake-js passes no -D for it, so honour the environment too.
if(DEFINED ENV{DW_CUDA} AND DW_CUDA STREQUAL "AUTO")
  string(TOUPPER "$ENV{DW_CUDA}" DW_CUDA)
endif()
if(DW_CUDA STREQUAL "OFF")
  message(STATUS "CUDA backend disabled (DW_CUDA=OFF)")
  return()
endif()

function(dw_cuda_skip why)
  if(DW_CUDA STREQUAL "ON")
    message(FATAL_ERROR "DW_CUDA=ON but the CUDA backend cannot be built: ${why}\n"
                        "Install a toolkit with `bash tools/cuda/install-toolkit.sh` and set DW_CUDA_HOME "
                        "to the path it prints, or configure with -DDW_CUDA=AUTO/OFF.")
  endif()
  message(WARNING "\n*** CUDA backend skipped: ${why}\n"
                  "*** Building the CPU backend only. To build the CUDA backend run "
                  "`bash tools/cuda/install-toolkit.sh` (or install a CUDA 13 toolkit) and reconfigure.\n")
endfunction()

# ---- locate nvcc --------------------------------------------------------------------------------
set(_dw_nvcc "")
if(CMAKE_CUDA_COMPILER)
  set(_dw_nvcc "${CMAKE_CUDA_COMPILER}")
else()
  set(_dw_roots "")
  if(CUDAToolkit_ROOT)
    list(APPEND _dw_roots "${CUDAToolkit_ROOT}")
  endif()
  if(DEFINED ENV{DW_CUDA_HOME})
    list(APPEND _dw_roots "$ENV{DW_CUDA_HOME}" "$ENV{DW_CUDA_HOME}/cuda")
  endif()
  if(DEFINED ENV{HOME})
    list(APPEND _dw_roots "$ENV{HOME}/.cache/distil-whisper/cuda-13.0/cuda")
  endif()
  foreach(_v CUDA_HOME CUDA_PATH)
    if(DEFINED ENV{${_v}})
      list(APPEND _dw_roots "$ENV{${_v}}")
    endif()
  endforeach()
  list(APPEND _dw_roots /usr/local/cuda /usr/local/cuda-13.0)
  foreach(_r ${_dw_roots})
    # Wheel layouts: <site>/nvidia/cu13/bin/nvcc (CUDA 13) or <site>/nvidia/cuda_nvcc/bin/nvcc (12).
    foreach(_cand "${_r}/bin/nvcc" "${_r}/nvidia/cu13/bin/nvcc" "${_r}/site/nvidia/cu13/bin/nvcc")
      if(NOT _dw_nvcc AND EXISTS "${_cand}")
        set(_dw_nvcc "${_cand}")
      endif()
    endforeach()
  endforeach()
  if(NOT _dw_nvcc)
    find_program(_dw_nvcc_path nvcc)
    if(_dw_nvcc_path)
      set(_dw_nvcc "${_dw_nvcc_path}")
    endif()
  endif()
endif()

if(NOT _dw_nvcc)
  dw_cuda_skip("no CUDA toolkit found (looked at DW_CUDA_HOME, ~/.cache/distil-whisper/cuda-13.0, CUDA_HOME, /usr/local/cuda and PATH)")
  return()
endif()
get_filename_component(_dw_nvcc "${_dw_nvcc}" REALPATH)
get_filename_component(_dw_cuda_root "${_dw_nvcc}" DIRECTORY)
get_filename_component(_dw_cuda_root "${_dw_cuda_root}" DIRECTORY)

execute_process(COMMAND "${_dw_nvcc}" --version OUTPUT_VARIABLE _dw_nvcc_version RESULT_VARIABLE _dw_nvcc_rc
                ERROR_QUIET)
if(NOT _dw_nvcc_rc EQUAL 0)
  dw_cuda_skip("${_dw_nvcc} does not run")
  return()
endif()
string(REGEX MATCH "release ([0-9]+)\\.([0-9]+)" _dw_rel "${_dw_nvcc_version}")
set(_dw_cuda_major "${CMAKE_MATCH_1}")
if(NOT _dw_cuda_major OR _dw_cuda_major LESS 12)
  dw_cuda_skip("${_dw_nvcc} is CUDA ${CMAKE_MATCH_1}.${CMAKE_MATCH_2}; CUDA 12 or newer is needed")
  return()
endif()

set(CMAKE_CUDA_COMPILER "${_dw_nvcc}" CACHE FILEPATH "nvcc used for the CUDA backend" FORCE)
set(CUDAToolkit_ROOT "${_dw_cuda_root}" CACHE PATH "CUDA toolkit of the CUDA backend" FORCE)
if(NOT CMAKE_CUDA_HOST_COMPILER)
  set(CMAKE_CUDA_HOST_COMPILER "${CMAKE_CXX_COMPILER}" CACHE FILEPATH "host compiler for nvcc")
endif()
# SASS for Ampere (A100) and Hopper (H100), plus PTX for 90 so newer GPUs can JIT.
if(NOT DEFINED CMAKE_CUDA_ARCHITECTURES OR CMAKE_CUDA_ARCHITECTURES STREQUAL "")
  set(CMAKE_CUDA_ARCHITECTURES "80-real;90-real;90-virtual")
endif()

include(CheckLanguage)
check_language(CUDA)
if(NOT CMAKE_CUDA_COMPILER)
  dw_cuda_skip("${_dw_nvcc} could not compile a test program (see CMakeFiles/CheckCUDA)")
  return()
endif()
enable_language(CUDA)
find_package(CUDAToolkit QUIET)
if(NOT TARGET CUDA::cublas OR NOT TARGET CUDA::cudart_static)
  dw_cuda_skip("cuBLAS or the static CUDA runtime not found under ${_dw_cuda_root}")
  return()
endif()
message(STATUS "CUDA backend: building libdw_cuda.so with ${_dw_nvcc} (CUDA ${CUDAToolkit_VERSION}, "
               "architectures ${CMAKE_CUDA_ARCHITECTURES})")

# ---- libdw_cuda.so ------------------------------------------------------------------------------
file(GLOB DW_CUDA_SOURCES CONFIGURE_DEPENDS ${CMAKE_CURRENT_LIST_DIR}/../src/cuda/*.cu
     ${CMAKE_CURRENT_LIST_DIR}/../src/cuda/*.cpp)
add_library(dw_cuda SHARED ${DW_CUDA_SOURCES})
target_include_directories(dw_cuda PRIVATE ${CMAKE_CURRENT_LIST_DIR}/../src/cuda)
target_link_libraries(dw_cuda PRIVATE dw_tensor CUDA::cudart_static CUDA::cublas)
set_target_properties(dw_cuda PROPERTIES
  CUDA_STANDARD 17
  CUDA_STANDARD_REQUIRED ON
  CXX_VISIBILITY_PRESET hidden
  CUDA_VISIBILITY_PRESET hidden
  VISIBILITY_INLINES_HIDDEN ON
  LIBRARY_OUTPUT_DIRECTORY ${DW_OUTPUT_DIR}
  # Found next to the addon first, then in the usual system toolkit folders; anything else
  # (a Python venv's nvidia/cu13/lib) comes from LD_LIBRARY_PATH.
  BUILD_RPATH "\$ORIGIN;/usr/local/cuda-13.0/lib64;/usr/local/cuda/lib64;${CUDAToolkit_LIBRARY_DIR}"
  INSTALL_RPATH "\$ORIGIN;/usr/local/cuda-13.0/lib64;/usr/local/cuda/lib64")
target_compile_options(dw_cuda PRIVATE
  $<$<COMPILE_LANGUAGE:CUDA>:--expt-relaxed-constexpr -Xcompiler=-fno-math-errno -lineinfo>
  $<$<COMPILE_LANGUAGE:CUDA>:-Xcudafe=--diag_suppress=177>)
# Only the entry point is exported; dw_tensor's symbols stay private to the library.
target_link_options(dw_cuda PRIVATE -Wl,--exclude-libs,ALL -Wl,--no-undefined)

# ---- GPU tests and benchmark --------------------------------------------------------------------
# They link the CPU backend (for references) and dlopen libdw_cuda.so through DW_CUDA_LIB, because
# dladdr inside a test executable points at the executable, not the library folder.
if(DW_BUILD_TESTS)
  enable_testing()
  file(GLOB DW_CUDA_TEST_SOURCES CONFIGURE_DEPENDS ${CMAKE_CURRENT_LIST_DIR}/../tests/cuda/test_*.cpp)
  foreach(src ${DW_CUDA_TEST_SOURCES})
    get_filename_component(name ${src} NAME_WE)
    add_executable(${name} ${src})
    # src/cpu: check.h reads the CPU's instruction-set level (cpu_features.h) to skip pinned runs.
    target_include_directories(${name} PRIVATE ${CMAKE_CURRENT_LIST_DIR}/../tests
                                               ${CMAKE_CURRENT_LIST_DIR}/../tests/cuda
                                               ${CMAKE_CURRENT_LIST_DIR}/../src/cpu)
    target_link_libraries(${name} PRIVATE dw_cpu)
    add_dependencies(${name} dw_cuda)
    add_test(NAME ${name} COMMAND ${name})
    set_tests_properties(${name} PROPERTIES SKIP_RETURN_CODE 77
                                            ENVIRONMENT "DW_CUDA_LIB=$<TARGET_FILE:dw_cuda>")
  endforeach()
endif()
set(_dw_bench_src ${CMAKE_CURRENT_LIST_DIR}/../../benchmarks/cuda/bench_cuda_ops.cpp)
if(EXISTS ${_dw_bench_src})
  add_executable(bench_cuda_ops ${_dw_bench_src})
  target_link_libraries(bench_cuda_ops PRIVATE dw_cpu)
  add_dependencies(bench_cuda_ops dw_cuda)
endif()
