#pragma once
// ROCMFORGE_HOST_DEVICE marks the small pure layout helpers that the GPU element readers call as
// well (backend/gpu/dequant.cuh): __host__ __device__ under nvcc / hipcc, nothing in plain C++.
#if defined(__CUDACC__) || defined(__HIP__)
#define ROCMFORGE_HOST_DEVICE __host__ __device__
#else
#define ROCMFORGE_HOST_DEVICE
#endif
