// Reference kernels of F32, F16 and BF16 rows (block size 1); dot products take f32 activations.
#include "quant/float_bits.h"
#include "quant/reference_kernels.h"

#include <cstring>

namespace rocmforge::quant::ref {

void dequantize_row_f32(const void* src, float* dst, int64_t n) { std::memcpy(dst, src, n * sizeof(float)); }
void quantize_row_f32(const float* src, void* dst, int64_t n) { std::memcpy(dst, src, n * sizeof(float)); }
void vec_dot_f32(int64_t n, float* result, const void* x, const void* y) {
    const float* a = static_cast<const float*>(x);
    const float* b = static_cast<const float*>(y);
    double sum = 0.0;  // reference: accumulate in double
    for (int64_t i = 0; i < n; ++i) sum += static_cast<double>(a[i]) * b[i];
    *result = static_cast<float>(sum);
}

void dequantize_row_f16(const void* src, float* dst, int64_t n) {
    const uint16_t* h = static_cast<const uint16_t*>(src);
    for (int64_t i = 0; i < n; ++i) dst[i] = half_to_float(h[i]);
}
void quantize_row_f16(const float* src, void* dst, int64_t n) {
    uint16_t* h = static_cast<uint16_t*>(dst);
    for (int64_t i = 0; i < n; ++i) h[i] = float_to_half(src[i]);
}
void vec_dot_f16(int64_t n, float* result, const void* x, const void* y) {
    const uint16_t* a = static_cast<const uint16_t*>(x);
    const float* b = static_cast<const float*>(y);
    double sum = 0.0;
    for (int64_t i = 0; i < n; ++i) sum += static_cast<double>(half_to_float(a[i])) * b[i];
    *result = static_cast<float>(sum);
}

void dequantize_row_bf16(const void* src, float* dst, int64_t n) {
    const uint16_t* h = static_cast<const uint16_t*>(src);
    for (int64_t i = 0; i < n; ++i) dst[i] = bf16_to_float(h[i]);
}
void quantize_row_bf16(const float* src, void* dst, int64_t n) {
    uint16_t* h = static_cast<uint16_t*>(dst);
    for (int64_t i = 0; i < n; ++i) h[i] = float_to_bf16(src[i]);
}
void vec_dot_bf16(int64_t n, float* result, const void* x, const void* y) {
    const uint16_t* a = static_cast<const uint16_t*>(x);
    const float* b = static_cast<const float*>(y);
    double sum = 0.0;
    for (int64_t i = 0; i < n; ++i) sum += static_cast<double>(bf16_to_float(a[i])) * b[i];
    *result = static_cast<float>(sum);
}

}  // namespace rocmforge::quant::ref
