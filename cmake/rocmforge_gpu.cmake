# The GPU backend (src/backend/gpu/): kernels (*.cu) written once for CUDA and HIP, host code
# (*.cpp) in plain C++. Built into rocmforge_backend_gpu when ROCMFORGE_CUDA or ROCMFORGE_HIP is
# ON; engine/ then links it and defines ROCMFORGE_WITH_GPU. The default build needs no GPU toolkit.
if(NOT ROCMFORGE_CUDA AND NOT ROCMFORGE_HIP)
  return()
endif()

file(GLOB ROCMFORGE_GPU_KERNELS CONFIGURE_DEPENDS ${PROJECT_SOURCE_DIR}/src/backend/gpu/*.cu)
file(GLOB ROCMFORGE_GPU_HOST CONFIGURE_DEPENDS ${PROJECT_SOURCE_DIR}/src/backend/gpu/*.cpp)

if(ROCMFORGE_CUDA)
  if(NOT DEFINED CMAKE_CUDA_ARCHITECTURES)
    set(CMAKE_CUDA_ARCHITECTURES 80 90)
  endif()
  if(NOT CMAKE_CUDA_COMPILER AND EXISTS /usr/local/cuda/bin/nvcc)
    set(CMAKE_CUDA_COMPILER /usr/local/cuda/bin/nvcc)
  endif()
  enable_language(CUDA)
  # CMake < 3.26 does not know nvcc's C++20 flag; the layers' C++20 requirement reaches the kernels.
  if(NOT CMAKE_CUDA20_STANDARD_COMPILE_OPTION)
    set(CMAKE_CUDA20_STANDARD_COMPILE_OPTION "-std=c++20")
    set(CMAKE_CUDA20_EXTENSION_COMPILE_OPTION "-std=c++20")
    list(APPEND CMAKE_CUDA_COMPILE_FEATURES cuda_std_20)
    set(CMAKE_CUDA20_COMPILE_FEATURES cuda_std_20)
  endif()
  set(CMAKE_CUDA_STANDARD 20)
  find_package(CUDAToolkit REQUIRED)
  add_library(rocmforge_backend_gpu STATIC ${ROCMFORGE_GPU_KERNELS} ${ROCMFORGE_GPU_HOST})
  # cudart static (no libcudart to carry); cuBLAS shared (the GPU machine has it with its driver stack).
  target_link_libraries(rocmforge_backend_gpu PUBLIC CUDA::cudart_static CUDA::cublas)
  target_compile_options(rocmforge_backend_gpu PRIVATE $<$<COMPILE_LANGUAGE:CUDA>:-Xcompiler=-Wall>)
else()
  # HIP: the kernels compile as HIP with hipcc's clang; ROCm 5.2 (Debian's hipcc) knows gfx1030 (RDNA2,
  # wave32), gfx90a and gfx908 (CDNA, wave64).
  set(ROCMFORGE_HIP_ARCHS "gfx1030;gfx90a" CACHE STRING "--offload-arch list of the HIP build")
  if(NOT DEFINED CMAKE_HIP_ARCHITECTURES)
    set(CMAKE_HIP_ARCHITECTURES ${ROCMFORGE_HIP_ARCHS})
  endif()
  enable_language(HIP)
  set_source_files_properties(${ROCMFORGE_GPU_KERNELS} PROPERTIES LANGUAGE HIP)
  add_library(rocmforge_backend_gpu STATIC ${ROCMFORGE_GPU_KERNELS} ${ROCMFORGE_GPU_HOST})
  target_compile_definitions(rocmforge_backend_gpu PUBLIC ROCMFORGE_HIP)
  target_compile_options(rocmforge_backend_gpu PRIVATE $<$<COMPILE_LANGUAGE:HIP>:-std=c++20>)
  find_package(hip QUIET)
  if(hip_FOUND)
    target_link_libraries(rocmforge_backend_gpu PUBLIC hip::host)
  endif()
endif()

target_include_directories(rocmforge_backend_gpu PUBLIC ${PROJECT_SOURCE_DIR}/src ${PROJECT_SOURCE_DIR}/include)
target_link_libraries(rocmforge_backend_gpu PUBLIC rocmforge_backend rocmforge_util)
set(ROCMFORGE_LAYERS ${ROCMFORGE_LAYERS} rocmforge_backend_gpu)
target_link_libraries(rocmforge_engine PUBLIC rocmforge_backend_gpu)
target_compile_definitions(rocmforge_engine PUBLIC ROCMFORGE_WITH_GPU)
