#pragma once
// Tensor view: element type, shape, byte strides, device and a data pointer. A view owns nothing;
// weights point into the GGUF mapping (CPU) or a device pool, activations into a Buffer owned by
// their user. Data is const through a const view: write through a non-const Tensor.
// Shapes use GGML order: ne[0] is the contiguous (row) dimension, ne[1] counts rows.
#include "gguf/ggml_type.h"

#include <array>
#include <cstddef>
#include <cstdint>
#include <string>
#include <utility>

namespace rocmforge::tensor {

enum class Device { Cpu, Gpu };
const char* device_name(Device device);  // "cpu", "gpu"

constexpr int kMaxDims = 4;

// How the rows of a 2-D weight are stored. Rows: one row after another (GGUF order, nb[1] apart).
// Interleaved8: the CPU backend's decode layout of some quantized types (backend/cpu/
// interleaved_weights.h): groups of 8 rows with their blocks interleaved, then the ne[1] % 8 last
// rows as plain rows; row_ptr() and nb[1] do not apply, readers go through the CPU backend.
enum class Layout { Rows, Interleaved8 };

struct Tensor {
    gguf::GgmlType dtype = gguf::GgmlType::F32;
    std::array<int64_t, kMaxDims> ne{1, 1, 1, 1};  // elements per dimension
    std::array<size_t, kMaxDims> nb{0, 0, 0, 0};   // byte stride per dimension (nb[0] = one block)
    Device device = Device::Cpu;
    Layout layout = Layout::Rows;
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
    const T* data_as() const { return static_cast<const T*>(data); }
    template <typename T>
    T* data_as() { return static_cast<T*>(data); }
    // Start of a row; only for Layout::Rows.
    const uint8_t* row_ptr(int64_t row) const { return static_cast<const uint8_t*>(data) + row * nb[1]; }

    // The first n rows (ne[1] = n) of a 2-D view: the same data, a smaller shape.
    Tensor first_rows(int64_t n) const;
    // The same contiguous data seen with another shape of equal element count.
    Tensor reshaped(std::array<int64_t, kMaxDims> new_ne) const;
};

// Memory owned on one device, freed by the deleter its allocator gave. Move-only.
class Buffer {
public:
    using Deleter = void (*)(void* data);
    Buffer() = default;
    Buffer(Device device, void* data, size_t bytes, Deleter deleter)
        : device_(device), data_(data), bytes_(bytes), deleter_(deleter) {}
    Buffer(Buffer&& other) noexcept { *this = std::move(other); }
    Buffer& operator=(Buffer&& other) noexcept;
    Buffer(const Buffer&) = delete;
    Buffer& operator=(const Buffer&) = delete;
    ~Buffer() { reset(); }

    void reset();
    Device device() const { return device_; }
    void* data() const { return data_; }
    size_t bytes() const { return bytes_; }

private:
    Device device_ = Device::Cpu;
    void* data_ = nullptr;
    size_t bytes_ = 0;
    Deleter deleter_ = nullptr;
};

// A contiguous view of `data` with the given shape (unused trailing dims = 1).
Tensor make_tensor(gguf::GgmlType dtype, std::array<int64_t, kMaxDims> ne, void* data, Device device = Device::Cpu);
// Bytes of a contiguous tensor of this type and shape.
size_t tensor_bytes(gguf::GgmlType dtype, std::array<int64_t, kMaxDims> ne);
// "[256, 32000] f16"
std::string describe_shape(const Tensor& t);

}  // namespace rocmforge::tensor
