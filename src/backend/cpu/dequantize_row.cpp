#include "backend/cpu/dequantize_row.h"

#include "backend/cpu/dot.h"
#include "backend/cpu/interleaved_weights.h"
#include "quant/quant_traits.h"
#include "util/error.h"

#include <algorithm>

namespace rocmforge::backend::cpu {

void dequantize_row(const tensor::Tensor& t, int64_t row, float* dst) {
    if (t.layout == tensor::Layout::Interleaved8) return dequantize_interleaved_row(t, row, dst);
    const uint8_t* p = t.row_ptr(row);
    switch (t.dtype) {
        case gguf::GgmlType::F32:
            std::copy_n(reinterpret_cast<const float*>(p), t.ne[0], dst);
            return;
        case gguf::GgmlType::F16:
            convert_f16_to_f32(reinterpret_cast<const uint16_t*>(p), dst, t.ne[0]);
            return;
        default:
            quant::quant_traits(t.dtype).to_float(p, dst, t.ne[0]);
            return;
    }
}

void check_weight_type_supported(gguf::GgmlType type, const std::string& tensor_name) {
    if (type == gguf::GgmlType::F32 || type == gguf::GgmlType::F16 || quant::is_supported(type)) return;
    throw_error(tensor_name, "tensor type {} is not supported by the CPU backend", gguf::ggml_type_name(type));
}

}  // namespace rocmforge::backend::cpu
