// Reference kernels of the runtime-only formats MXFP6 (E2M3, E3M2) and FP8 (E4M3, E5M2).
#include "quant/runtime_formats.h"

#include "quant/block_types.h"
#include "quant/float_bits.h"
#include "quant/minifloat.h"
#include "quant/simd/simd_kernels.h"

#include <array>
#include <cmath>
#include <cstring>

namespace rocmforge::quant {
namespace {

constexpr int QK = 32;

int get6(const uint8_t* qs, int j) {
    const int bit = 6 * j;
    const int word = qs[bit / 8] | (bit / 8 + 1 < 24 ? qs[bit / 8 + 1] << 8 : 0);
    return (word >> (bit % 8)) & 63;
}
void put6(uint8_t* qs, int j, int code) {
    const int bit = 6 * j;
    qs[bit / 8] |= static_cast<uint8_t>(code << (bit % 8));
    if (bit % 8 > 2) qs[bit / 8 + 1] |= static_cast<uint8_t>(code >> (8 - bit % 8));
}

// Decoded values of all 64 (MXFP6) or 256 (FP8) codes of a format.
template <int kCodes>
std::array<float, kCodes> decode_table(const MiniFloatFormat& fmt) {
    std::array<float, kCodes> t{};
    for (int c = 0; c < kCodes; ++c) t[c] = minifloat_decode(fmt, static_cast<uint8_t>(c));
    return t;
}

template <const MiniFloatFormat& kFmt>
struct Mxfp6 {
    // Element values times 2^kShift are integers (smallest subnormal is 2^(1-bias-mantissa_bits)).
    static constexpr int kShift = kFmt.bias - 1 + kFmt.mantissa_bits;
    static const std::array<float, 64>& table() {
        static const auto t = decode_table<64>(kFmt);
        return t;
    }
    static void to_float(const void* src, float* dst, int64_t n) {
        const auto* b = static_cast<const BlockMXFP6*>(src);
        for (int64_t i = 0; i < n / QK; ++i) {
            const float scale = e8m0_to_float(b[i].e);
            for (int j = 0; j < QK; ++j) dst[i * QK + j] = table()[get6(b[i].qs, j)] * scale;
        }
    }
    static void from_float(const float* src, void* dst, int64_t n) {
        auto* b = static_cast<BlockMXFP6*>(dst);
        for (int64_t i = 0; i < n / QK; ++i) {
            const float* x = src + i * QK;
            float amax = 0;
            for (int j = 0; j < QK; ++j) amax = std::fmax(amax, std::fabs(x[j]));
            b[i].e = mx_shared_exponent(amax, kFmt);
            const float inv_scale = 1.0f / e8m0_to_float(b[i].e);
            std::memset(b[i].qs, 0, sizeof b[i].qs);
            for (int j = 0; j < QK; ++j) put6(b[i].qs, j, minifloat_encode(kFmt, x[j] * inv_scale));
        }
    }
    // y: Q8_0 blocks. Integer dot of (element * 2^kShift) with q8, scaled by 2^(e-127-kShift) * d_y.
    static void vec_dot(int64_t n, float* result, const void* x, const void* y) {
        const auto* bx = static_cast<const BlockMXFP6*>(x);
        const auto* by = static_cast<const BlockQ8_0*>(y);
        float sum = 0;
        for (int64_t i = 0; i < n / QK; ++i) {
            int sumi = 0;
            for (int j = 0; j < QK; ++j) {
                const int v = static_cast<int>(std::ldexp(table()[get6(bx[i].qs, j)], kShift));
                sumi += v * by[i].qs[j];
            }
            sum += static_cast<float>(sumi) * (std::ldexp(e8m0_to_float(bx[i].e), -kShift) * half_to_float(by[i].d));
        }
        *result = sum;
    }
};

template <const MiniFloatFormat& kFmt>
struct Fp8 {
    static const std::array<float, 256>& table() {
        static const auto t = decode_table<256>(kFmt);
        return t;
    }
    static void to_float(const void* src, float* dst, int64_t n) {
        const auto* c = static_cast<const uint8_t*>(src);
        for (int64_t i = 0; i < n; ++i) dst[i] = table()[c[i]];
    }
    static void from_float(const float* src, void* dst, int64_t n) {
        auto* c = static_cast<uint8_t*>(dst);
        for (int64_t i = 0; i < n; ++i) c[i] = minifloat_encode(kFmt, src[i]);
    }
    static void vec_dot(int64_t n, float* result, const void* x, const void* y) {  // y: f32
        const auto* c = static_cast<const uint8_t*>(x);
        const auto* f = static_cast<const float*>(y);
        double sum = 0;
        for (int64_t i = 0; i < n; ++i) sum += double(table()[c[i]]) * f[i];
        *result = static_cast<float>(sum);
    }
};

using gguf::GgmlType;
template <typename K>
RuntimeFormatTraits make(RuntimeFormat f, const char* name, uint32_t bs, uint32_t ts, GgmlType vdt) {
    return {f, name, bs, ts, &K::to_float, &K::from_float, vdt, &K::vec_dot};
}

const std::array<RuntimeFormatTraits, 4>& reference_table() {
    static const std::array<RuntimeFormatTraits, 4> t = {
        make<Mxfp6<kE2M3>>(RuntimeFormat::MXFP6_E2M3, "mxfp6_e2m3", 32, sizeof(BlockMXFP6), GgmlType::Q8_0),
        make<Mxfp6<kE3M2>>(RuntimeFormat::MXFP6_E3M2, "mxfp6_e3m2", 32, sizeof(BlockMXFP6), GgmlType::Q8_0),
        make<Fp8<kE4M3>>(RuntimeFormat::FP8_E4M3, "fp8_e4m3", 1, 1, GgmlType::F32),
        make<Fp8<kE5M2>>(RuntimeFormat::FP8_E5M2, "fp8_e5m2", 1, 1, GgmlType::F32),
    };
    return t;
}

const std::array<RuntimeFormatTraits, 4>& table() {
    static const std::array<RuntimeFormatTraits, 4> t = [] {
        auto fast = reference_table();
        for (auto& row : fast) {
            if (VecDotFn f = simd::resolve_runtime_vec_dot(row.format)) row.vec_dot = f;
        }
        return fast;
    }();
    return t;
}

}  // namespace

const RuntimeFormatTraits& runtime_format_traits(RuntimeFormat format) { return table()[static_cast<size_t>(format)]; }
const RuntimeFormatTraits& reference_runtime_format_traits(RuntimeFormat format) {
    return reference_table()[static_cast<size_t>(format)];
}

const float* runtime_format_code_values(RuntimeFormat format) {
    switch (format) {
        case RuntimeFormat::MXFP6_E2M3: return Mxfp6<kE2M3>::table().data();
        case RuntimeFormat::MXFP6_E3M2: return Mxfp6<kE3M2>::table().data();
        case RuntimeFormat::FP8_E4M3: return Fp8<kE4M3>::table().data();
        case RuntimeFormat::FP8_E5M2: return Fp8<kE5M2>::table().data();
    }
    return nullptr;
}

std::optional<RuntimeFormat> runtime_format_from_name(std::string_view name) {
    for (const auto& t : table()) {
        if (name == t.name) return t.format;
    }
    return std::nullopt;
}

}  // namespace rocmforge::quant
