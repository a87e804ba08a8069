#pragma once
// GGUF metadata values: the 13 scalar/string/array types of the spec, arrays possibly nested.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace rocmforge::gguf {

enum class ValueType : uint32_t {
    UINT8 = 0, INT8 = 1, UINT16 = 2, INT16 = 3, UINT32 = 4, INT32 = 5, FLOAT32 = 6,
    BOOL = 7, STRING = 8, ARRAY = 9, UINT64 = 10, INT64 = 11, FLOAT64 = 12,
};
constexpr uint32_t kValueTypeCount = 13;

std::string_view value_type_name(ValueType type);

struct Value;

// A homogeneous array; `element_type` is kept even when the array is empty.
struct Array {
    ValueType element_type = ValueType::UINT8;
    std::vector<Value> items;
    bool operator==(const Array&) const = default;
};

struct Value {
    using Storage = std::variant<uint8_t, int8_t, uint16_t, int16_t, uint32_t, int32_t, float, bool,
                                 std::string, Array, uint64_t, int64_t, double>;
    Storage storage;

    Value() = default;
    template <typename T>
    explicit Value(T v) : storage(std::move(v)) {}

    // The variant index equals the GGUF type id by construction.
    ValueType type() const { return static_cast<ValueType>(storage.index()); }

    bool is_integer() const;
    bool is_float() const;
    // Any integer type (or bool), as int64; nullopt for non-integers or uint64 values above INT64_MAX.
    std::optional<int64_t> as_int() const;
    // Any integer or float type as double; nullopt otherwise.
    std::optional<double> as_double() const;
    const std::string* as_string() const { return std::get_if<std::string>(&storage); }
    const Array* as_array() const { return std::get_if<Array>(&storage); }
    std::optional<bool> as_bool() const;

    bool operator==(const Value&) const = default;
};

static_assert(std::variant_size_v<Value::Storage> == kValueTypeCount);

}  // namespace rocmforge::gguf
