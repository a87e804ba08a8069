#include "tensor/tensor.h"

#include <fmt/format.h>

#include <cassert>

namespace rocmforge::tensor {

size_t Tensor::row_bytes() const {
    const auto& info = gguf::ggml_type_info(dtype);
    return static_cast<size_t>(ne[0] / info.block_size) * info.type_size;
}

bool Tensor::is_contiguous() const {
    return nb[1] == row_bytes() && nb[2] == nb[1] * static_cast<size_t>(ne[1]) &&
           nb[3] == nb[2] * static_cast<size_t>(ne[2]);
}

const char* device_name(Device device) { return device == Device::Gpu ? "gpu" : "cpu"; }

Tensor Tensor::first_rows(int64_t n) const {
    assert(n >= 0 && n <= ne[1] && ne[2] == 1 && ne[3] == 1);
    Tensor t = *this;
    t.ne[1] = n;
    t.nb[2] = t.nb[1] * static_cast<size_t>(n);
    t.nb[3] = t.nb[2];
    return t;
}

Tensor Tensor::reshaped(std::array<int64_t, kMaxDims> new_ne) const {
    assert(is_contiguous());
    Tensor t = make_tensor(dtype, new_ne, data, device);
    assert(t.n_elements() == n_elements());
    return t;
}

Buffer& Buffer::operator=(Buffer&& other) noexcept {
    if (this != &other) {
        reset();
        std::swap(device_, other.device_);
        std::swap(data_, other.data_);
        std::swap(bytes_, other.bytes_);
        std::swap(deleter_, other.deleter_);
    }
    return *this;
}

void Buffer::reset() {
    if (data_ != nullptr && deleter_ != nullptr) deleter_(data_);
    data_ = nullptr;
    bytes_ = 0;
    deleter_ = nullptr;
}

size_t tensor_bytes(gguf::GgmlType dtype, std::array<int64_t, kMaxDims> ne) {
    const auto& info = gguf::ggml_type_info(dtype);
    return static_cast<size_t>(ne[0] / info.block_size) * info.type_size * static_cast<size_t>(ne[1] * ne[2] * ne[3]);
}

Tensor make_tensor(gguf::GgmlType dtype, std::array<int64_t, kMaxDims> ne, void* data, Device device) {
    Tensor t;
    t.device = device;
    t.dtype = dtype;
    t.ne = ne;
    t.data = data;
    t.nb[0] = gguf::ggml_type_info(dtype).type_size;
    t.nb[1] = t.row_bytes();
    for (int d = 2; d < kMaxDims; ++d) t.nb[d] = t.nb[d - 1] * static_cast<size_t>(ne[d - 1]);
    return t;
}

std::string describe_shape(const Tensor& t) {
    int n_dims = kMaxDims;
    while (n_dims > 1 && t.ne[n_dims - 1] == 1) --n_dims;
    std::string dims;
    for (int d = 0; d < n_dims; ++d) dims += (d ? ", " : "") + std::to_string(t.ne[d]);
    return fmt::format("[{}] {}", dims, gguf::ggml_type_name(t.dtype));
}

}  // namespace rocmforge::tensor
