#include "backend/backend_types.h"

#include "util/error.h"

#include <cassert>

namespace rocmforge::backend {

size_t KvStorageShape::layer_bytes() const { return tensor::tensor_bytes(dtype, {row_elements, n_slots(), 1, 1}); }

void validate_kv_shape(const KvStorageShape& shape, const char* device) {
    using gguf::GgmlType;
    if (shape.dtype != GgmlType::F32 && shape.dtype != GgmlType::F16 && shape.dtype != GgmlType::BF16)
        throw_error("--kv-type", "KV type {} is not supported on the {} (f32, f16, bf16)",
                    gguf::ggml_type_name(shape.dtype), device);
    if (shape.n_layers < 1 || shape.n_blocks < 1 || shape.block_size < 1 || shape.row_elements < 1)
        throw_error("kv cache", "invalid shape: {} layers, {} blocks of {}, {} elements per row", shape.n_layers,
                    shape.n_blocks, shape.block_size, shape.row_elements);
}

KvStorage make_kv_storage(const KvStorageShape& shape, tensor::Buffer buffer) {
    assert(buffer.bytes() >= shape.bytes());
    KvStorage kv;
    kv.shape = shape;
    const std::array<int64_t, 4> ne{shape.row_elements, shape.n_slots(), 1, 1};
    const size_t layer_bytes = shape.layer_bytes();
    auto* base = static_cast<uint8_t*>(buffer.data());
    for (int64_t l = 0; l < shape.n_layers; ++l) {
        kv.k.push_back(tensor::make_tensor(shape.dtype, ne, base + (2 * l) * layer_bytes, buffer.device()));
        kv.v.push_back(tensor::make_tensor(shape.dtype, ne, base + (2 * l + 1) * layer_bytes, buffer.device()));
    }
    kv.buffer = std::move(buffer);
    return kv;
}

}  // namespace rocmforge::backend
