#include "quant/minifloat.h"

#include <bit>
#include <cmath>
#include <limits>

namespace rocmforge::quant {

float minifloat_decode(const MiniFloatFormat& fmt, uint8_t code) {
    const int m_bits = fmt.mantissa_bits;
    const int e_bits = fmt.exponent_bits;
    const bool negative = (code >> (e_bits + m_bits)) & 1;
    const int exponent = (code >> m_bits) & ((1 << e_bits) - 1);
    const int mantissa = code & ((1 << m_bits) - 1);
    const int exp_all_ones = (1 << e_bits) - 1;
    float magnitude;
    if (fmt.has_inf && exponent == exp_all_ones) {
        magnitude = mantissa == 0 ? std::numeric_limits<float>::infinity() : std::numeric_limits<float>::quiet_NaN();
    } else if (!fmt.has_inf && fmt.has_nan && exponent == exp_all_ones && mantissa == (1 << m_bits) - 1) {
        magnitude = std::numeric_limits<float>::quiet_NaN();
    } else if (exponent == 0) {
        magnitude = std::ldexp(static_cast<float>(mantissa), 1 - fmt.bias - m_bits);
    } else {
        magnitude = std::ldexp(static_cast<float>((1 << m_bits) + mantissa), exponent - fmt.bias - m_bits);
    }
    return negative ? -magnitude : magnitude;
}

uint8_t minifloat_encode(const MiniFloatFormat& fmt, float value) {
    const int m_bits = fmt.mantissa_bits;
    const int e_bits = fmt.exponent_bits;
    const uint8_t sign = std::signbit(value) ? static_cast<uint8_t>(1u << (e_bits + m_bits)) : 0;
    const int exp_all_ones = (1 << e_bits) - 1;
    if (std::isnan(value)) {
        if (!fmt.has_nan) return 0;
        return static_cast<uint8_t>(sign | (exp_all_ones << m_bits) | ((1 << m_bits) - 1));
    }
    float magnitude = std::fabs(value);
    if (std::isinf(magnitude) && fmt.has_inf) return static_cast<uint8_t>(sign | (exp_all_ones << m_bits));
    const int emin = 1 - fmt.bias;  // exponent of the smallest normal
    // Quantum (ulp) at the magnitude's binade, never below the subnormal quantum.
    int binade = magnitude > 0 && std::isfinite(magnitude) ? std::ilogb(magnitude) : emin;
    if (binade < emin) binade = emin;
    float rounded = magnitude;
    if (std::isfinite(magnitude)) {
        const int quantum_exp = binade - m_bits;
        rounded = std::ldexp(std::nearbyint(std::ldexp(magnitude, -quantum_exp)), quantum_exp);  // exact scaling, RNE
    }
    if (!(rounded <= fmt.max_finite)) rounded = fmt.max_finite;  // saturation (also catches inf)
    // Encode the exactly representable `rounded`.
    if (rounded < std::ldexp(1.0f, emin)) {
        const int mantissa = static_cast<int>(std::ldexp(rounded, m_bits - emin));
        return static_cast<uint8_t>(sign | mantissa);
    }
    const int e = std::ilogb(rounded);
    const int mantissa = static_cast<int>(std::ldexp(rounded, m_bits - e)) - (1 << m_bits);
    return static_cast<uint8_t>(sign | ((e + fmt.bias) << m_bits) | mantissa);
}

float e8m0_to_float(uint8_t e) {
    if (e == 0xFF) return std::numeric_limits<float>::quiet_NaN();
    // 2^(e-127): a normal f32 with biased exponent e for e >= 1; e = 0 is the subnormal 2^-127.
    const uint32_t bits = e == 0 ? 0x00400000u : static_cast<uint32_t>(e) << 23;
    return std::bit_cast<float>(bits);
}

uint8_t mx_shared_exponent(float amax, const MiniFloatFormat& element) {
    if (!(amax > 0) || !std::isfinite(amax)) return 0;
    int e = std::ilogb(amax) - element.emax + 127;
    if (e < 0) e = 0;
    if (e > 254) e = 254;
    return static_cast<uint8_t>(e);
}

}  // namespace rocmforge::quant
