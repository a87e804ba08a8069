#include "tensor/tensor.h"

#include <fmt/format.h>

namespace rocmforge::tensor {

size_t Tensor::row_bytes() const {
    const auto& info = gguf::ggml_type_info(dtype);
    return static_cast<size_t>(ne[0] / info.block_size) * info.type_size;
}

bool Tensor::is_contiguous() const {
    return nb[1] == row_bytes() && nb[2] == nb[1] * static_cast<size_t>(ne[1]) &&
           nb[3] == nb[2] * static_cast<size_t>(ne[2]);
}

Tensor make_tensor(gguf::GgmlType dtype, std::array<int64_t, kMaxDims> ne, void* data) {
    Tensor t;
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
