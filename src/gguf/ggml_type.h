#pragma once
// GGML tensor element types as GGUF stores them: id, name and block geometry.
// Ids follow the GGUF spec; retired ids (4, 5, 31-33, 36-38) are unknown here on purpose.
#include <cstdint>
#include <optional>
#include <string_view>

namespace rocmforge::gguf {

enum class GgmlType : uint32_t {
    F32 = 0, F16 = 1, Q4_0 = 2, Q4_1 = 3, Q5_0 = 6, Q5_1 = 7, Q8_0 = 8, Q8_1 = 9,
    Q2_K = 10, Q3_K = 11, Q4_K = 12, Q5_K = 13, Q6_K = 14, Q8_K = 15,
    IQ2_XXS = 16, IQ2_XS = 17, IQ3_XXS = 18, IQ1_S = 19, IQ4_NL = 20, IQ3_S = 21, IQ2_S = 22, IQ4_XS = 23,
    I8 = 24, I16 = 25, I32 = 26, I64 = 27, F64 = 28, IQ1_M = 29, BF16 = 30,
    TQ1_0 = 34, TQ2_0 = 35, MXFP4 = 39,
};

struct GgmlTypeInfo {
    GgmlType type;
    std::string_view name;   // as llama.cpp prints it, e.g. "q4_K"
    uint32_t block_size;     // elements per block
    uint32_t type_size;      // bytes per block
};

// Geometry of a known type id, or nullopt for ids this build does not know.
std::optional<GgmlTypeInfo> ggml_type_info(uint32_t type_id);
// Same for a valid enum value (never fails).
const GgmlTypeInfo& ggml_type_info(GgmlType type);
// Looks a type up by name, case-insensitively ("Q4_K", "q4_k", "f16").
std::optional<GgmlType> ggml_type_from_name(std::string_view name);
// Every known type, in id order.
const GgmlTypeInfo* ggml_type_table(size_t* count);

inline std::string_view ggml_type_name(GgmlType type) { return ggml_type_info(type).name; }

}  // namespace rocmforge::gguf
