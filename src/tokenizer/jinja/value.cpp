#include "tokenizer/jinja/value.h"

#include "tokenizer/jinja/builtins.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>

namespace rocmforge::tokenizer::jinja {

const Value* ValueDict::find(std::string_view key) const {
    for (const auto& [k, v] : entries) {
        if (k == key) return &v;
    }
    return nullptr;
}

Value* ValueDict::find(std::string_view key) {
    for (auto& [k, v] : entries) {
        if (k == key) return &v;
    }
    return nullptr;
}

void ValueDict::set(const std::string& key, Value value) {
    if (is_namespace) Value::check_namespace_item(value);
    if (Value* existing = find(key)) {
        *existing = std::move(value);
    } else {
        entries.emplace_back(key, std::move(value));
    }
}

const Value* CallArgs::get(size_t index, std::string_view name) const {
    if (index < positional.size()) return &positional[index];
    for (const auto& [k, v] : keyword) {
        if (k == name) return &v;
    }
    return nullptr;
}

Value Value::none() {
    Value v;
    v.kind_ = Kind::None;
    return v;
}
Value::Value(bool b) : kind_(Kind::Bool), bool_(b) {}
Value::Value(int64_t i) : kind_(Kind::Int), int_(i) {}
Value::Value(double f) : kind_(Kind::Float), float_(f) {}
Value::Value(std::string s) : kind_(Kind::String), string_(std::move(s)) {}
namespace {

// 1 + the deepest of `items`; a template error past kMaxValueDepth.
template <typename Items, typename ValueOf>
int container_depth(const Items& items, ValueOf value_of) {
    int deepest = 0;
    for (const auto& item : items) deepest = std::max(deepest, value_of(item).depth());
    if (deepest + 1 > kMaxValueDepth)
        template_error(fmt::format("a list or dict nested deeper than {} levels", kMaxValueDepth));
    return deepest + 1;
}

Value from_json_at(const nlohmann::ordered_json& json, int depth) {
    if (depth > kMaxValueDepth) template_error(fmt::format("input JSON nested deeper than {} levels", kMaxValueDepth));
    switch (json.type()) {
        case nlohmann::ordered_json::value_t::null: return Value::none();
        case nlohmann::ordered_json::value_t::boolean: return Value(json.get<bool>());
        case nlohmann::ordered_json::value_t::number_integer: return Value(json.get<int64_t>());
        case nlohmann::ordered_json::value_t::number_unsigned: return Value(static_cast<int64_t>(json.get<uint64_t>()));
        case nlohmann::ordered_json::value_t::number_float: return Value(json.get<double>());
        case nlohmann::ordered_json::value_t::string: return Value(json.get<std::string>());
        case nlohmann::ordered_json::value_t::array: {
            ValueList list;
            for (const auto& item : json) list.push_back(from_json_at(item, depth + 1));
            return Value(std::move(list));
        }
        case nlohmann::ordered_json::value_t::object: {
            ValueDict dict;
            for (const auto& [key, item] : json.items()) dict.entries.emplace_back(key, from_json_at(item, depth + 1));
            return Value::dict(std::move(dict));
        }
        default: return Value();
    }
}

}  // namespace

Value::Value(ValueList list)
    : kind_(Kind::List), depth_(container_depth(list, [](const Value& v) -> const Value& { return v; })),
      list_(std::make_shared<ValueList>(std::move(list))) {}

Value Value::tuple(ValueList items) {
    Value v(std::move(items));
    v.tuple_ = true;
    return v;
}

Value Value::dict(ValueDict dict) {
    const auto value_of = [](const auto& entry) -> const Value& { return entry.second; };
    Value v;
    v.kind_ = Kind::Dict;
    v.depth_ = container_depth(dict.entries, value_of);
    v.dict_ = std::make_shared<ValueDict>(std::move(dict));
    return v;
}

int Value::depth() const {
    if (kind_ == Kind::Dict && dict_->is_namespace) return kNamespaceDepth;
    return kind_ == Kind::List || kind_ == Kind::Dict ? depth_ : 0;
}

void Value::check_namespace_item(const Value& v) {
    if (v.depth() >= kNamespaceDepth)
        template_error(fmt::format("a namespace holds values nested less than {} levels deep, and no namespace "
                                   "(not itself, not another)",
                                   kNamespaceDepth));
}

Value Value::function(Function fn) {
    Value v;
    v.kind_ = Kind::Function;
    v.function_ = std::make_shared<Function>(std::move(fn));
    return v;
}

Value Value::from_json(const nlohmann::ordered_json& json) { return from_json_at(json, 0); }

bool Value::truthy() const {
    switch (kind_) {
        case Kind::Undefined:
        case Kind::None: return false;
        case Kind::Bool: return bool_;
        case Kind::Int: return int_ != 0;
        case Kind::Float: return float_ != 0.0;
        case Kind::String: return !string_.empty();
        case Kind::List: return !list_->empty();
        case Kind::Dict: return !dict_->entries.empty();
        case Kind::Function: return true;
    }
    return false;
}

namespace {

std::string python_float(double f) {
    if (std::isnan(f)) return "nan";
    if (std::isinf(f)) return f > 0 ? "inf" : "-inf";
    std::string s = fmt::format("{}", f);
    if (s.find_first_of(".en") == std::string::npos) s += ".0";
    return s;
}

std::string python_string_repr(const std::string& s) {
    const bool has_single = s.find('\'') != std::string::npos;
    const bool has_double = s.find('"') != std::string::npos;
    const char quote = has_single && !has_double ? '"' : '\'';
    std::string out(1, quote);
    for (char ch : s) {
        const auto c = static_cast<unsigned char>(ch);
        if (ch == quote || ch == '\\') {
            out += '\\';
            out += ch;
        } else if (ch == '\n') {
            out += "\\n";
        } else if (ch == '\r') {
            out += "\\r";
        } else if (ch == '\t') {
            out += "\\t";
        } else if (c < 0x20 || c == 0x7F) {
            out += fmt::format("\\x{:02x}", c);
        } else {
            out += ch;
        }
    }
    out += quote;
    return out;
}

void json_string(std::string& out, const std::string& s) {
    out += '"';
    for (char ch : s) {
        const auto c = static_cast<unsigned char>(ch);
        switch (ch) {
            case '"': out += "\\\""; break;
            case '\\': out += "\\\\"; break;
            case '\n': out += "\\n"; break;
            case '\r': out += "\\r"; break;
            case '\t': out += "\\t"; break;
            case '\b': out += "\\b"; break;
            case '\f': out += "\\f"; break;
            default:
                if (c < 0x20) out += fmt::format("\\u{:04x}", c);
                else out += ch;
        }
    }
    out += '"';
}

void json_dump(std::string& out, const Value& v, int indent, int depth) {
    const auto newline = [&](int d) {
        out += '\n';
        out.append(static_cast<size_t>(indent * d), ' ');
    };
    switch (v.kind()) {
        case Value::Kind::Undefined:
        case Value::Kind::None: out += "null"; return;
        case Value::Kind::Bool: out += v.as_bool() ? "true" : "false"; return;
        case Value::Kind::Int: out += std::to_string(v.as_int()); return;
        case Value::Kind::Float: {
            const double f = v.as_double();
            out += std::isnan(f) ? "NaN" : std::isinf(f) ? (f > 0 ? "Infinity" : "-Infinity") : python_float(f);
            return;
        }
        case Value::Kind::String: json_string(out, v.as_string()); return;
        case Value::Kind::Function: out += "null"; return;
        case Value::Kind::List: {
            const auto& list = v.list();
            if (list.empty()) {
                out += "[]";
                return;
            }
            out += '[';
            for (size_t i = 0; i < list.size(); ++i) {
                if (i > 0) out += indent < 0 ? ", " : ",";
                if (indent >= 0) newline(depth + 1);
                json_dump(out, list[i], indent, depth + 1);
            }
            if (indent >= 0) newline(depth);
            out += ']';
            return;
        }
        case Value::Kind::Dict: {
            const auto& entries = v.dict_ref().entries;
            if (entries.empty()) {
                out += "{}";
                return;
            }
            out += '{';
            for (size_t i = 0; i < entries.size(); ++i) {
                if (i > 0) out += indent < 0 ? ", " : ",";
                if (indent >= 0) newline(depth + 1);
                json_string(out, entries[i].first);
                out += ": ";
                json_dump(out, entries[i].second, indent, depth + 1);
            }
            if (indent >= 0) newline(depth);
            out += '}';
            return;
        }
    }
}

}  // namespace

std::string Value::to_string() const {
    switch (kind_) {
        case Kind::Undefined: return "";
        case Kind::String: return string_;
        default: return repr();
    }
}

std::string Value::repr() const {
    switch (kind_) {
        case Kind::Undefined: return "";
        case Kind::None: return "None";
        case Kind::Bool: return bool_ ? "True" : "False";
        case Kind::Int: return std::to_string(int_);
        case Kind::Float: return python_float(float_);
        case Kind::String: return python_string_repr(string_);
        case Kind::Function: return "<function>";
        case Kind::List: {
            std::string out = tuple_ ? "(" : "[";
            for (size_t i = 0; i < list_->size(); ++i) {
                if (i > 0) out += ", ";
                out += (*list_)[i].repr();
            }
            if (tuple_ && list_->size() == 1) out += ",";
            return out + (tuple_ ? ")" : "]");
        }
        case Kind::Dict: {
            std::string out = "{";
            for (size_t i = 0; i < dict_->entries.size(); ++i) {
                if (i > 0) out += ", ";
                out += python_string_repr(dict_->entries[i].first) + ": " + dict_->entries[i].second.repr();
            }
            return out + "}";
        }
    }
    return "";
}

std::string Value::to_json(int indent) const {
    std::string out;
    json_dump(out, *this, indent, 0);
    return out;
}

bool Value::equals(const Value& other) const {
    if (is_number() && other.is_number()) {
        if (is_int() && other.is_int()) return int_ == other.int_;
        return as_double() == other.as_double();
    }
    if ((is_bool() && other.is_number()) || (is_number() && other.is_bool())) {
        const double a = is_bool() ? (bool_ ? 1.0 : 0.0) : as_double();
        const double b = other.is_bool() ? (other.bool_ ? 1.0 : 0.0) : other.as_double();
        return a == b;
    }
    if (kind_ != other.kind_) return false;
    switch (kind_) {
        case Kind::Undefined:
        case Kind::None: return true;
        case Kind::Bool: return bool_ == other.bool_;
        case Kind::String: return string_ == other.string_;
        case Kind::List: {
            if (list_->size() != other.list_->size()) return false;
            for (size_t i = 0; i < list_->size(); ++i) {
                if (!(*list_)[i].equals((*other.list_)[i])) return false;
            }
            return true;
        }
        case Kind::Dict: {
            if (dict_->entries.size() != other.dict_->entries.size()) return false;
            for (const auto& [k, v] : dict_->entries) {
                const Value* o = other.dict_->find(k);
                if (o == nullptr || !v.equals(*o)) return false;
            }
            return true;
        }
        case Kind::Function: return function_ == other.function_;
        default: return false;
    }
}

const char* Value::type_name() const {
    switch (kind_) {
        case Kind::Undefined: return "undefined";
        case Kind::None: return "NoneType";
        case Kind::Bool: return "bool";
        case Kind::Int: return "int";
        case Kind::Float: return "float";
        case Kind::String: return "str";
        case Kind::List: return "list";
        case Kind::Dict: return "dict";
        case Kind::Function: return "function";
    }
    return "?";
}

}  // namespace rocmforge::tokenizer::jinja
