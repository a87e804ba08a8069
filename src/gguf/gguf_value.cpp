#include "gguf/gguf_value.h"

#include <array>
#include <limits>

namespace rocmforge::gguf {

std::string_view value_type_name(ValueType type) {
    static constexpr std::array<std::string_view, kValueTypeCount> kNames = {
        "u8", "i8", "u16", "i16", "u32", "i32", "f32", "bool", "str", "arr", "u64", "i64", "f64"};
    const auto index = static_cast<uint32_t>(type);
    return index < kValueTypeCount ? kNames[index] : std::string_view("unknown");
}

bool Value::is_integer() const {
    switch (type()) {
        case ValueType::UINT8: case ValueType::INT8: case ValueType::UINT16: case ValueType::INT16:
        case ValueType::UINT32: case ValueType::INT32: case ValueType::UINT64: case ValueType::INT64:
            return true;
        default:
            return false;
    }
}

bool Value::is_float() const { return type() == ValueType::FLOAT32 || type() == ValueType::FLOAT64; }

std::optional<int64_t> Value::as_int() const {
    return std::visit(
        [](const auto& v) -> std::optional<int64_t> {
            using V = std::decay_t<decltype(v)>;
            if constexpr (std::is_same_v<V, uint64_t>) {
                if (v > static_cast<uint64_t>(std::numeric_limits<int64_t>::max())) return std::nullopt;
                return static_cast<int64_t>(v);
            } else if constexpr (std::is_integral_v<V>) {
                return static_cast<int64_t>(v);
            } else {
                return std::nullopt;
            }
        },
        storage);
}

std::optional<double> Value::as_double() const {
    return std::visit(
        [](const auto& v) -> std::optional<double> {
            using V = std::decay_t<decltype(v)>;
            if constexpr (std::is_arithmetic_v<V> && !std::is_same_v<V, bool>) return static_cast<double>(v);
            else return std::nullopt;
        },
        storage);
}

std::optional<bool> Value::as_bool() const {
    if (const bool* b = std::get_if<bool>(&storage)) return *b;
    return std::nullopt;
}

}  // namespace rocmforge::gguf
