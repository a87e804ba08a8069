#pragma once
// The weight types the GPU kernels read (matmul and get_rows), and a plain-C++ view of a weight
// matrix for the launchers. One list, used by GpuBackend::supports() and by every dispatch.
#include "gguf/ggml_type.h"

#include <cstddef>
#include <cstdint>

namespace rocmforge::backend::gpu {

inline bool is_gpu_weight_type(gguf::GgmlType t) {
    using gguf::GgmlType;
    switch (t) {
        case GgmlType::F32: case GgmlType::F16: case GgmlType::BF16: case GgmlType::Q8_0: case GgmlType::Q4_0:
        case GgmlType::Q4_1: case GgmlType::Q5_0: case GgmlType::Q5_1: case GgmlType::IQ4_NL: case GgmlType::MXFP4:
        case GgmlType::Q2_K: case GgmlType::Q3_K: case GgmlType::Q4_K: case GgmlType::Q5_K: case GgmlType::Q6_K:
        case GgmlType::IQ4_XS:
            return true;
        default:
            return false;
    }
}

// W: n_rows rows of k elements of `type`, rows row_bytes apart (device memory).
struct WeightView {
    const void* data = nullptr;
    gguf::GgmlType type = gguf::GgmlType::F32;
    int64_t k = 0;
    int64_t n_rows = 0;
    size_t row_bytes = 0;
};

}  // namespace rocmforge::backend::gpu
