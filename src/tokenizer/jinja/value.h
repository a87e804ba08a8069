#pragma once
// Runtime values of the Jinja subset: Python-like undefined/None/bool/int/float/str/list/dict
// plus callables. Lists and dicts are shared (reference semantics, as in Python).
#include <nlohmann/json.hpp>

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <utility>
#include <vector>

namespace rocmforge::tokenizer::jinja {

class Value;
using ValueList = std::vector<Value>;

// Insertion-ordered string-keyed dict (template data is JSON-like).
struct ValueDict {
    std::vector<std::pair<std::string, Value>> entries;
    bool is_namespace = false;  // namespace(): attributes may be assigned with {% set ns.x = ... %}
    // (a namespace's set() refuses values of depth >= kNamespaceDepth: Value::check_namespace_item)

    const Value* find(std::string_view key) const;
    Value* find(std::string_view key);
    void set(const std::string& key, Value value);
};

// Positional and keyword arguments of a call.
struct CallArgs {
    std::vector<Value> positional;
    std::vector<std::pair<std::string, Value>> keyword;

    // Positional i, else keyword `name`, else nullptr.
    const Value* get(size_t index, std::string_view name) const;
};

using Function = std::function<Value(const CallArgs&)>;

// Nesting bounds. Every list, tuple and dict records its depth (1 + its deepest item's; scalars
// are 0) when built and may not exceed kMaxValueDepth; a namespace, the one container a template
// can change after building it, counts as kNamespaceDepth wherever it is stored and holds only
// values of depth < kNamespaceDepth. So a namespace never holds a namespace (in particular not
// itself: no cycles), and every value's real depth stays within kMaxValueDepth: printing,
// comparing, serializing and freeing values recurse at most that deep.
constexpr int kMaxValueDepth = 128;
constexpr int kNamespaceDepth = 64;

class Value {
public:
    enum class Kind { Undefined, None, Bool, Int, Float, String, List, Dict, Function };

    Value() = default;  // undefined
    static Value none();
    Value(bool b);
    Value(int64_t i);
    Value(int i) : Value(static_cast<int64_t>(i)) {}
    Value(size_t i) : Value(static_cast<int64_t>(i)) {}
    Value(double f);
    Value(std::string s);
    Value(const char* s) : Value(std::string(s)) {}
    Value(ValueList list);
    // A tuple is a list that prints as "(a, b)" (Python tuple literals, dict items).
    static Value tuple(ValueList items);
    static Value dict(ValueDict dict = {});
    static Value function(Function fn);
    // Throws a template error for JSON nested deeper than kMaxValueDepth.
    static Value from_json(const nlohmann::ordered_json& json);

    Kind kind() const { return kind_; }
    bool is_undefined() const { return kind_ == Kind::Undefined; }
    bool is_none() const { return kind_ == Kind::None; }
    bool is_bool() const { return kind_ == Kind::Bool; }
    bool is_int() const { return kind_ == Kind::Int; }
    bool is_float() const { return kind_ == Kind::Float; }
    bool is_number() const { return kind_ == Kind::Int || kind_ == Kind::Float; }
    bool is_string() const { return kind_ == Kind::String; }
    bool is_list() const { return kind_ == Kind::List; }
    bool is_tuple() const { return kind_ == Kind::List && tuple_; }
    bool is_dict() const { return kind_ == Kind::Dict; }
    bool is_function() const { return kind_ == Kind::Function; }

    bool as_bool() const { return bool_; }
    int64_t as_int() const { return int_; }
    double as_double() const { return kind_ == Kind::Int ? static_cast<double>(int_) : float_; }
    const std::string& as_string() const { return string_; }
    ValueList& list() const { return *list_; }
    ValueDict& dict_ref() const { return *dict_; }
    const Function& function_ref() const { return *function_; }

    // Nesting depth (see kMaxValueDepth): 0 for scalars.
    int depth() const;
    // Throws a template error unless `v` may be stored in a namespace (depth < kNamespaceDepth).
    static void check_namespace_item(const Value& v);

    // Python truthiness.
    bool truthy() const;
    // Python str(): None → "None", True → "True", lists/dicts as their repr; undefined → "".
    std::string to_string() const;
    // Python repr() (strings quoted).
    std::string repr() const;
    // JSON text as Python json.dumps(ensure_ascii=False) with the given indent (<0: one line).
    std::string to_json(int indent) const;
    // Python ==.
    bool equals(const Value& other) const;
    const char* type_name() const;

private:
    Kind kind_ = Kind::Undefined;
    bool bool_ = false;
    bool tuple_ = false;
    int depth_ = 0;  // lists and dicts: as built (namespaces report kNamespaceDepth)
    int64_t int_ = 0;
    double float_ = 0.0;
    std::string string_;
    std::shared_ptr<ValueList> list_;
    std::shared_ptr<ValueDict> dict_;
    std::shared_ptr<Function> function_;
};

}  // namespace rocmforge::tokenizer::jinja
