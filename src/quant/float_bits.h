#pragma once
// Exact scalar conversions between f32 and the 16-bit float formats (IEEE binary16, bfloat16).
#include <bit>
#include <cmath>
#include <cstdint>

namespace rocmforge::quant {

// binary16 bits -> f32 (exact; subnormals, inf and NaN preserved).
inline float half_to_float(uint16_t h) {
    const uint32_t sign = static_cast<uint32_t>(h & 0x8000u) << 16;
    const uint32_t exp = (h >> 10) & 0x1Fu;
    const uint32_t mant = h & 0x3FFu;
    if (exp == 0x1F) return std::bit_cast<float>(sign | 0x7F800000u | (mant << 13));
    if (exp == 0) {
        // Subnormal or zero: mant * 2^-24, exact in f32.
        const float v = static_cast<float>(mant) * 0x1p-24f;
        return sign ? -v : v;
    }
    return std::bit_cast<float>(sign | ((exp + 112u) << 23) | (mant << 13));
}

// f32 -> binary16 bits, round to nearest even; overflow gives inf, NaN stays NaN (quiet).
inline uint16_t float_to_half(float f) {
    const uint32_t x = std::bit_cast<uint32_t>(f);
    const uint32_t sign = (x >> 16) & 0x8000u;
    const uint32_t abs = x & 0x7FFFFFFFu;
    if (abs > 0x7F800000u) return static_cast<uint16_t>(sign | 0x7E00u | ((abs >> 13) & 0x3FFu));
    if (abs >= 0x477FF000u) return static_cast<uint16_t>(sign | 0x7C00u);  // rounds to >= 65520: inf
    if (abs < 0x38800000u) {
        // Result is subnormal (or zero): round abs / 2^-24 to an integer, ties to even.
        const float scaled = std::bit_cast<float>(abs) * 0x1p24f;  // exact: power-of-two scaling
        return static_cast<uint16_t>(sign | static_cast<uint32_t>(std::nearbyint(scaled)));
    }
    // Normal: rebias exponent and round the 13 dropped mantissa bits to nearest even.
    uint32_t h = ((abs - 0x38000000u) >> 13);
    const uint32_t rem = abs & 0x1FFFu;
    if (rem > 0x1000u || (rem == 0x1000u && (h & 1u))) ++h;
    return static_cast<uint16_t>(sign | h);
}

// bfloat16 bits -> f32 (exact).
inline float bf16_to_float(uint16_t b) { return std::bit_cast<float>(static_cast<uint32_t>(b) << 16); }

// f32 -> bfloat16 bits, round to nearest even; NaN stays NaN (quiet bit forced).
inline uint16_t float_to_bf16(float f) {
    const uint32_t x = std::bit_cast<uint32_t>(f);
    if ((x & 0x7FFFFFFFu) > 0x7F800000u) return static_cast<uint16_t>((x >> 16) | 0x0040u);
    return static_cast<uint16_t>((x + 0x7FFFu + ((x >> 16) & 1u)) >> 16);
}

// Round to nearest integer, ties to even (the rounding every quantizer here uses), in the default
// floating-point rounding mode. Inputs are clamped to ±2^22 (NaN gives -2^22), which no quantizer
// reaches: adding 1.5*2^23 then leaves the rounded integer in the low mantissa bits.
inline int nearest_int(float v) {
    v = v < -4194303.0f ? -4194303.0f : (v > 4194303.0f ? 4194303.0f : v);  // no libm calls: this is a hot loop
    const float shifted = v + 12582912.0f;
    return static_cast<int>(std::bit_cast<uint32_t>(shifted) & 0x007FFFFFu) - 0x00400000;
}

}  // namespace rocmforge::quant
