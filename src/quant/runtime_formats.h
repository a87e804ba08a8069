#pragma once
// Runtime-only element formats (no GGUF type id; never written to files): MXFP6 E2M3 / E3M2
// (OCP MX v1.0) and FP8 E4M3 / E5M2 (OCP FP8). Used to re-quantize weights at load time and,
// later, for KV-cache storage. Same kernel signatures as the GGUF types (quant_traits.h).
#include "quant/quant_traits.h"

#include <cstdint>
#include <optional>
#include <string_view>

namespace rocmforge::quant {

enum class RuntimeFormat : uint8_t { MXFP6_E2M3, MXFP6_E3M2, FP8_E4M3, FP8_E5M2 };

// MXFP6 block: 32 elements sharing the E8M0 scale `e` (value = element * 2^(e-127)); codes are a
// little-endian bit stream of 6-bit fields (element j in bits 6j..6j+5 of qs).
struct BlockMXFP6 { uint8_t e; uint8_t qs[24]; };
static_assert(sizeof(BlockMXFP6) == 25);

struct RuntimeFormatTraits {
    RuntimeFormat format;
    const char* name;             // "mxfp6_e2m3", "fp8_e4m3", ...
    uint32_t block_size;          // 32 for MXFP6, 1 for FP8 (one code byte per element, no scale)
    uint32_t type_size;
    ToFloatFn to_float;
    FromFloatFn from_float;       // round to nearest even, saturating (minifloat.h)
    gguf::GgmlType vec_dot_type;  // Q8_0 for MXFP6, F32 for FP8
    VecDotFn vec_dot;
};

// Fastest kernels for this CPU (SIMD vec_dot where available).
const RuntimeFormatTraits& runtime_format_traits(RuntimeFormat format);
// Scalar reference kernels (the oracle of the SIMD tests).
const RuntimeFormatTraits& reference_runtime_format_traits(RuntimeFormat format);
// Decoded value of every code: 64 entries for MXFP6 element formats (scale not applied), 256 for FP8.
const float* runtime_format_code_values(RuntimeFormat format);
std::optional<RuntimeFormat> runtime_format_from_name(std::string_view name);

}  // namespace rocmforge::quant
