#include "gguf/ggml_type.h"

#include <array>
#include <cctype>
#include <cstdlib>

namespace rocmforge::gguf {
namespace {

using T = GgmlType;
constexpr std::array kTypes = {
    GgmlTypeInfo{T::F32, "f32", 1, 4},          GgmlTypeInfo{T::F16, "f16", 1, 2},
    GgmlTypeInfo{T::Q4_0, "q4_0", 32, 18},      GgmlTypeInfo{T::Q4_1, "q4_1", 32, 20},
    GgmlTypeInfo{T::Q5_0, "q5_0", 32, 22},      GgmlTypeInfo{T::Q5_1, "q5_1", 32, 24},
    GgmlTypeInfo{T::Q8_0, "q8_0", 32, 34},      GgmlTypeInfo{T::Q8_1, "q8_1", 32, 36},
    GgmlTypeInfo{T::Q2_K, "q2_K", 256, 84},     GgmlTypeInfo{T::Q3_K, "q3_K", 256, 110},
    GgmlTypeInfo{T::Q4_K, "q4_K", 256, 144},    GgmlTypeInfo{T::Q5_K, "q5_K", 256, 176},
    GgmlTypeInfo{T::Q6_K, "q6_K", 256, 210},    GgmlTypeInfo{T::Q8_K, "q8_K", 256, 292},
    GgmlTypeInfo{T::IQ2_XXS, "iq2_xxs", 256, 66}, GgmlTypeInfo{T::IQ2_XS, "iq2_xs", 256, 74},
    GgmlTypeInfo{T::IQ3_XXS, "iq3_xxs", 256, 98}, GgmlTypeInfo{T::IQ1_S, "iq1_s", 256, 50},
    GgmlTypeInfo{T::IQ4_NL, "iq4_nl", 32, 18},  GgmlTypeInfo{T::IQ3_S, "iq3_s", 256, 110},
    GgmlTypeInfo{T::IQ2_S, "iq2_s", 256, 82},   GgmlTypeInfo{T::IQ4_XS, "iq4_xs", 256, 136},
    GgmlTypeInfo{T::I8, "i8", 1, 1},            GgmlTypeInfo{T::I16, "i16", 1, 2},
    GgmlTypeInfo{T::I32, "i32", 1, 4},          GgmlTypeInfo{T::I64, "i64", 1, 8},
    GgmlTypeInfo{T::F64, "f64", 1, 8},          GgmlTypeInfo{T::IQ1_M, "iq1_m", 256, 56},
    GgmlTypeInfo{T::BF16, "bf16", 1, 2},        GgmlTypeInfo{T::TQ1_0, "tq1_0", 256, 54},
    GgmlTypeInfo{T::TQ2_0, "tq2_0", 256, 66},   GgmlTypeInfo{T::MXFP4, "mxfp4", 32, 17},
};

bool iequals(std::string_view a, std::string_view b) {
    if (a.size() != b.size()) return false;
    for (size_t i = 0; i < a.size(); ++i) {
        if (std::tolower(static_cast<unsigned char>(a[i])) != std::tolower(static_cast<unsigned char>(b[i]))) return false;
    }
    return true;
}

}  // namespace

std::optional<GgmlTypeInfo> ggml_type_info(uint32_t type_id) {
    for (const auto& info : kTypes) {
        if (static_cast<uint32_t>(info.type) == type_id) return info;
    }
    return std::nullopt;
}

const GgmlTypeInfo& ggml_type_info(GgmlType type) {
    for (const auto& info : kTypes) {
        if (info.type == type) return info;
    }
    std::abort();  // unreachable for valid enum values
}

std::optional<GgmlType> ggml_type_from_name(std::string_view name) {
    for (const auto& info : kTypes) {
        if (iequals(info.name, name)) return info.type;
    }
    return std::nullopt;
}

const GgmlTypeInfo* ggml_type_table(size_t* count) {
    *count = kTypes.size();
    return kTypes.data();
}

}  // namespace rocmforge::gguf
