#pragma once
// Dot products of one weight row with one f32 activation row, accumulated in f32.
// Each has a scalar reference; the dispatched version picks AVX2+FMA(+F16C) when the CPU has it.
#include <cstdint>

namespace rocmforge::backend::cpu {

// sum_i a[i] * b[i]
float dot_f32_reference(const float* a, const float* b, int64_t n);
float dot_f32(const float* a, const float* b, int64_t n);

// sum_i half_to_float(w[i]) * x[i]; w holds IEEE half bits.
float dot_f16_f32_reference(const uint16_t* w, const float* x, int64_t n);
float dot_f16_f32(const uint16_t* w, const float* x, int64_t n);

// dst[i] = half_to_float(src[i])
void convert_f16_to_f32(const uint16_t* src, float* dst, int64_t n);

// True when the AVX2 variants are in use (for logs and tests).
bool cpu_has_avx2_fma_f16c();
// AVX-512F on top of cpu_has_avx2_fma_f16c (the 512-bit kernels use both).
bool cpu_has_avx512f();

}  // namespace rocmforge::backend::cpu
