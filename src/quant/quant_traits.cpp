#include "quant/quant_traits.h"

#include "quant/reference_kernels.h"
#include "quant/simd_dispatch.h"
#include "util/error.h"

#include <array>

namespace rocmforge::quant {
namespace {

using T = gguf::GgmlType;

QuantTraits row(T type, ToFloatFn to_float, FromFloatFn from_float, T vec_dot_type, VecDotFn vec_dot) {
    const auto& info = gguf::ggml_type_info(type);
    return QuantTraits{type, info.name.data(), info.block_size, info.type_size, to_float, from_float, vec_dot_type, vec_dot};
}

// Scalar reference rows. TQ1_0/TQ2_0 have no from_float in the table: ternary models come
// pre-quantized (their quantize_row_* reference exists for tests only).
const std::array<QuantTraits, 19>& reference_table() {
    static const std::array<QuantTraits, 19> table = {
    row(T::F32, ref::dequantize_row_f32, ref::quantize_row_f32, T::F32, ref::vec_dot_f32),
    row(T::F16, ref::dequantize_row_f16, ref::quantize_row_f16, T::F32, ref::vec_dot_f16),
    row(T::BF16, ref::dequantize_row_bf16, ref::quantize_row_bf16, T::F32, ref::vec_dot_bf16),
    row(T::Q4_0, ref::dequantize_row_q4_0, ref::quantize_row_q4_0, T::Q8_0, ref::vec_dot_q4_0),
    row(T::Q4_1, ref::dequantize_row_q4_1, ref::quantize_row_q4_1, T::Q8_0, ref::vec_dot_q4_1),
    row(T::Q5_0, ref::dequantize_row_q5_0, ref::quantize_row_q5_0, T::Q8_0, ref::vec_dot_q5_0),
    row(T::Q5_1, ref::dequantize_row_q5_1, ref::quantize_row_q5_1, T::Q8_0, ref::vec_dot_q5_1),
    row(T::Q8_0, ref::dequantize_row_q8_0, ref::quantize_row_q8_0, T::Q8_0, ref::vec_dot_q8_0),
    row(T::Q2_K, ref::dequantize_row_q2_k, ref::quantize_row_q2_k, T::Q8_K, ref::vec_dot_q2_k),
    row(T::Q3_K, ref::dequantize_row_q3_k, ref::quantize_row_q3_k, T::Q8_K, ref::vec_dot_q3_k),
    row(T::Q4_K, ref::dequantize_row_q4_k, ref::quantize_row_q4_k, T::Q8_K, ref::vec_dot_q4_k),
    row(T::Q5_K, ref::dequantize_row_q5_k, ref::quantize_row_q5_k, T::Q8_K, ref::vec_dot_q5_k),
    row(T::Q6_K, ref::dequantize_row_q6_k, ref::quantize_row_q6_k, T::Q8_K, ref::vec_dot_q6_k),
    row(T::Q8_K, ref::dequantize_row_q8_k, ref::quantize_row_q8_k, T::Q8_K, ref::vec_dot_q8_k),
    row(T::IQ4_NL, ref::dequantize_row_iq4_nl, ref::quantize_row_iq4_nl, T::Q8_0, ref::vec_dot_iq4_nl),
    row(T::IQ4_XS, ref::dequantize_row_iq4_xs, ref::quantize_row_iq4_xs, T::Q8_K, ref::vec_dot_iq4_xs),
    row(T::TQ1_0, ref::dequantize_row_tq1_0, nullptr, T::Q8_K, ref::vec_dot_tq1_0),
    row(T::TQ2_0, ref::dequantize_row_tq2_0, nullptr, T::Q8_K, ref::vec_dot_tq2_0),
    row(T::MXFP4, ref::dequantize_row_mxfp4, ref::quantize_row_mxfp4, T::Q8_0, ref::vec_dot_mxfp4),
    };
    return table;
}

// Reference rows with the fastest kernels this CPU supports substituted in.
std::array<QuantTraits, 19> build_fast_table() {
    std::array<QuantTraits, 19> table = reference_table();
    for (auto& t : table) simd::install_fast_kernels(t);
    return table;
}

}  // namespace

const QuantTraits* find_reference_traits(gguf::GgmlType type) {
    for (const auto& t : reference_table()) {
        if (t.type == type) return &t;
    }
    return nullptr;
}

const QuantTraits& reference_quant_traits(gguf::GgmlType type) {
    if (const QuantTraits* t = find_reference_traits(type)) return *t;
    throw_error("quant", "tensor type {} (id {}) is not supported", gguf::ggml_type_name(type), static_cast<uint32_t>(type));
}

const QuantTraits& quant_traits(gguf::GgmlType type) {
    static const std::array<QuantTraits, 19> fast = build_fast_table();
    for (const auto& t : fast) {
        if (t.type == type) return t;
    }
    throw_error("quant", "tensor type {} (id {}) is not supported", gguf::ggml_type_name(type), static_cast<uint32_t>(type));
}

bool is_supported(gguf::GgmlType type) { return find_reference_traits(type) != nullptr; }

}  // namespace rocmforge::quant
