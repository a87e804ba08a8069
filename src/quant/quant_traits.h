#pragma once
// The traits table of every tensor element type (DESIGN.md §3: quant formats are data).
// One row per GGML type: block geometry plus the row kernels the backends call.
#include "gguf/ggml_type.h"

#include <cstddef>
#include <cstdint>

namespace rocmforge::quant {

// Dequantizes n values (n a multiple of block_size) from `src` blocks into `dst` f32.
using ToFloatFn = void (*)(const void* src, float* dst, int64_t n);
// Quantizes n f32 values (n a multiple of block_size) into blocks at `dst`.
using FromFloatFn = void (*)(const float* src, void* dst, int64_t n);
// *result = dot(x, y) over n values: x is a weight row of this type, y the activations already
// converted to `vec_dot_type` (see QuantTraits). n is a multiple of both block sizes.
// Q8_0 / Q8_K activations must hold values in [-127, 127] (quant_traits(Q8_*).from_float does).
using VecDotFn = void (*)(int64_t n, float* result, const void* x, const void* y);

// out[t * 2 + r] = vec_dot(n, x[r], y[t]) for 2 weight rows and 4 activation rows, bit-identical
// to four times two vec_dot calls (the same operations per output) but loading each block once.
using VecDotTileFn = void (*)(int64_t n, float* out, const void* const* x, const void* const* y);
constexpr int kVecDotTileRows = 2;
constexpr int kVecDotTileCols = 4;

struct QuantTraits {
    gguf::GgmlType type;
    const char* name;           // "q4_K"
    uint32_t block_size;        // elements per block
    uint32_t type_size;         // bytes per block
    ToFloatFn to_float;         // scalar reference is used when no SIMD variant exists; never null for supported types
    FromFloatFn from_float;     // null when quantizing to this type is not supported (e.g. TQ1_0)
    gguf::GgmlType vec_dot_type;  // activation format vec_dot expects (F32, F16, Q8_0 or Q8_K)
    VecDotFn vec_dot;           // fastest variant for this CPU (runtime dispatch)
    VecDotTileFn vec_dot_tile = nullptr;  // 2 rows x 4 activations at once, where a SIMD variant exists
};

// Row of a supported type; throws rocmforge::Error naming the type when it has no kernels.
const QuantTraits& quant_traits(gguf::GgmlType type);
// The same row with only the scalar reference kernels (tests compare the fast kernels against it).
const QuantTraits& reference_quant_traits(gguf::GgmlType type);
// True when `type` has to_float and vec_dot kernels.
bool is_supported(gguf::GgmlType type);

// Bytes needed for one row of n values of `type` (n a multiple of the block size).
inline size_t row_size(const QuantTraits& t, int64_t n) { return static_cast<size_t>(n / t.block_size) * t.type_size; }

}  // namespace rocmforge::quant
