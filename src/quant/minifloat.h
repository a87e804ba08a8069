#pragma once
// Small floating-point element formats of the OCP specs: FP8 E4M3/E5M2 (OCP 8-bit Floating Point
// Specification, OFP8) and the MX element types E2M1 (FP4), E2M3/E3M2 (FP6) with the E8M0 shared
// scale (OCP Microscaling Formats (MX) v1.0). Codes are the raw bit patterns in the low bits of a byte.
#include <cstdint>

namespace rocmforge::quant {

struct MiniFloatFormat {
    const char* name;
    int exponent_bits;
    int mantissa_bits;
    int bias;
    float max_finite;     // largest finite magnitude
    bool has_inf;         // E5M2 only: exponent all-ones with mantissa 0 is inf
    bool has_nan;         // E5M2: exponent all-ones, mantissa != 0; E4M3: S.1111.111 only
    int emax;             // exponent of max_finite (used for the MX shared scale)
    int total_bits() const { return 1 + exponent_bits + mantissa_bits; }
};

inline constexpr MiniFloatFormat kE4M3{"fp8_e4m3", 4, 3, 7, 448.0f, false, true, 8};
inline constexpr MiniFloatFormat kE5M2{"fp8_e5m2", 5, 2, 15, 57344.0f, true, true, 15};
inline constexpr MiniFloatFormat kE2M3{"fp6_e2m3", 2, 3, 1, 7.5f, false, false, 2};
inline constexpr MiniFloatFormat kE3M2{"fp6_e3m2", 3, 2, 3, 28.0f, false, false, 4};
inline constexpr MiniFloatFormat kE2M1{"fp4_e2m1", 2, 1, 1, 6.0f, false, false, 2};

// Decodes a code of `fmt` (NaN codes give quiet NaN, E5M2 inf codes give ±inf).
float minifloat_decode(const MiniFloatFormat& fmt, uint8_t code);
// Encodes with round-to-nearest-even and saturation: finite values beyond max_finite (and ±inf for
// formats without inf) become ±max_finite; ±inf stays inf in E5M2; NaN becomes the format's NaN,
// or +0 in formats without NaN (the MX spec leaves that case implementation-defined).
uint8_t minifloat_encode(const MiniFloatFormat& fmt, float value);

// E8M0 shared scale: 2^(e-127) for e in [0,254], NaN for 255.
float e8m0_to_float(uint8_t e);
// Shared-scale exponent per OCP MX v1.0 §6.3: floor(log2(amax)) - emax of the element format,
// clamped to the E8M0 range; 0 (2^-127) when amax is 0 or not finite.
uint8_t mx_shared_exponent(float amax, const MiniFloatFormat& element);

}  // namespace rocmforge::quant
