#pragma once
// Tensor view: element type, shape, byte strides and a data pointer. A view owns nothing;
// weights point into the GGUF mapping, activations into buffers owned by their user.
// Shapes use GGML order: ne[0] is the contiguous (row) dimension, ne[1] counts rows.
#include "gguf/ggml_type.h"

#include <array>
#include <cstddef>
#include <cstdint>
#include <string>

namespace rocmforge::tensor {

enum class Device { Cpu };

constexpr int kMaxDims = 4;

struct Tensor {
    gguf::GgmlType dtype = gguf::GgmlType::F32;
    std::array<int64_t, kMaxDims> ne{1, 1, 1, 1};  // elements per dimension
    std::array<size_t, kMaxDims> nb{0, 0, 0, 0};   // byte stride per dimension (nb[0] = one block)
    Device device = Device::Cpu;
    void* data = nullptr;

    bool empty() const { return data == nullptr; }
    int64_t n_elements() const { return ne[0] * ne[1] * ne[2] * ne[3]; }
    int64_t row_length() const { return ne[0]; }
    int64_t n_rows() const { return ne[1] * ne[2] * ne[3]; }
    // Bytes of one row of ne[0] elements (ne[0] must be a multiple of the block size).
    size_t row_bytes() const;
    // True when rows follow each other without gaps.
    bool is_contiguous() const;

    template <typename T>
    T* data_as() const { return static_cast<T*>(data); }
    const uint8_t* row_ptr(int64_t row) const { return static_cast<const uint8_t*>(data) + row * nb[1]; }
};

// A contiguous view of `data` with the given shape (unused trailing dims = 1).
Tensor make_tensor(gguf::GgmlType dtype, std::array<int64_t, kMaxDims> ne, void* data);
// "[256, 32000] f16"
std::string describe_shape(const Tensor& t);

}  // namespace rocmforge::tensor
