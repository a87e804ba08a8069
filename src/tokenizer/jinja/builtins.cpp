#include "tokenizer/jinja/builtins.h"

#include "tokenizer/jinja/interpreter.h"
#include "tokenizer/jinja/unicode_case.h"
#include "util/error.h"

#include <fmt/chrono.h>
#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cmath>
#include <ctime>

namespace rocmforge::tokenizer::jinja {

void template_error(const std::string& message) { throw_error("chat template", "{}", message); }

namespace {

bool is_py_space(unsigned char c) { return c == ' ' || (c >= '\t' && c <= '\r') || c == 0x1C || c == 0x1D || c == 0x1E || c == 0x1F; }

std::string py_upper(const std::string& s) { return unicode_upper(s); }
std::string py_lower(const std::string& s) { return unicode_lower(s); }
std::string python_title(const std::string& s) { return unicode_title(s); }
std::string python_capitalize(const std::string& s) { return unicode_capitalize(s); }

const std::string& require_string(const Value& v, std::string_view what) {
    if (!v.is_string()) template_error(fmt::format("{} expects a string, got {}", what, v.type_name()));
    return v.as_string();
}

int64_t int_arg(const CallArgs& args, size_t index, std::string_view name, int64_t fallback) {
    const Value* v = args.get(index, name);
    if (v == nullptr || v->is_none() || v->is_undefined()) return fallback;
    if (v->is_int()) return v->as_int();
    if (v->is_bool()) return v->as_bool() ? 1 : 0;
    template_error(fmt::format("argument '{}' must be an integer", name));
}

bool bool_arg(const CallArgs& args, size_t index, std::string_view name, bool fallback) {
    const Value* v = args.get(index, name);
    return v == nullptr ? fallback : v->truthy();
}

// Truncates toward zero like Python int(); `fallback` when the value has no int64 form.
int64_t double_to_int(double d, int64_t fallback) {
    if (!std::isfinite(d) || d >= 9.2e18 || d <= -9.2e18) return fallback;
    return static_cast<int64_t>(d);
}

std::vector<std::string> python_split(const std::string& s, const Value* sep_value, int64_t max_split) {
    std::vector<std::string> parts;
    if (sep_value == nullptr || sep_value->is_none()) {
        size_t i = 0;
        while (true) {
            while (i < s.size() && is_py_space(static_cast<unsigned char>(s[i]))) ++i;
            if (i >= s.size()) break;
            if (max_split >= 0 && static_cast<int64_t>(parts.size()) == max_split) {
                std::string rest = s.substr(i);
                while (!rest.empty() && is_py_space(static_cast<unsigned char>(rest.back()))) rest.pop_back();
                parts.push_back(rest);
                break;
            }
            size_t j = i;
            while (j < s.size() && !is_py_space(static_cast<unsigned char>(s[j]))) ++j;
            parts.push_back(s.substr(i, j - i));
            i = j;
        }
        return parts;
    }
    const std::string& sep = require_string(*sep_value, "split");
    if (sep.empty()) template_error("split: empty separator");
    size_t start = 0;
    while (true) {
        if (max_split >= 0 && static_cast<int64_t>(parts.size()) == max_split) break;
        const size_t at = s.find(sep, start);
        if (at == std::string::npos) break;
        parts.push_back(s.substr(start, at - start));
        start = at + sep.size();
    }
    parts.push_back(s.substr(start));
    return parts;
}

// Results of replace() larger than this are template errors (the interpreter's string bound).
constexpr size_t kMaxReplaceBytes = size_t{16} << 20;

std::string python_replace(const std::string& s, const std::string& from, const std::string& to, int64_t count) {
    const auto check = [](const std::string& out) {
        if (out.size() > kMaxReplaceBytes) template_error("replace() builds a string over 16 MiB");
    };
    std::string out;
    size_t pos = 0;
    int64_t done = 0;
    if (from.empty()) {
        // Python inserts `to` between characters (and at both ends).
        for (size_t i = 0; i <= s.size(); ++i) {
            if (count < 0 || done < count) {
                out += to;
                ++done;
            }
            if (i < s.size()) out += s[i];
            check(out);
        }
        return out;
    }
    while (count < 0 || done < count) {
        const size_t at = s.find(from, pos);
        if (at == std::string::npos) break;
        out.append(s, pos, at - pos);
        out += to;
        check(out);
        pos = at + from.size();
        ++done;
    }
    out.append(s, pos, std::string::npos);
    return out;
}

bool starts_or_ends_with(const std::string& s, const Value& affix, bool starts) {
    auto check = [&](const Value& v) {
        const std::string& a = require_string(v, starts ? "startswith" : "endswith");
        if (a.size() > s.size()) return false;
        return starts ? s.compare(0, a.size(), a) == 0 : s.compare(s.size() - a.size(), a.size(), a) == 0;
    };
    if (affix.is_list()) {
        return std::any_of(affix.list().begin(), affix.list().end(), check);
    }
    return check(affix);
}

Value make_list(const std::vector<std::string>& parts) {
    ValueList list;
    for (const auto& p : parts) list.emplace_back(p);
    return Value(std::move(list));
}

Value string_method(const std::string& s, std::string_view name) {
    const std::string self = s;
    auto method = [](auto fn) { return Value::function(fn); };
    if (name == "strip" || name == "lstrip" || name == "rstrip") {
        const bool left = name != "rstrip";
        const bool right = name != "lstrip";
        return method([self, left, right](const CallArgs& a) { return Value(python_strip(self, a.get(0, "chars"), left, right)); });
    }
    if (name == "upper") return method([self](const CallArgs&) { return Value(py_upper(self)); });
    if (name == "lower") return method([self](const CallArgs&) { return Value(py_lower(self)); });
    if (name == "title") return method([self](const CallArgs&) { return Value(python_title(self)); });
    if (name == "capitalize") return method([self](const CallArgs&) { return Value(python_capitalize(self)); });
    if (name == "startswith" || name == "endswith") {
        const bool starts = name == "startswith";
        return method([self, starts](const CallArgs& a) {
            const Value* affix = a.get(0, "prefix");
            if (affix == nullptr) template_error("startswith/endswith needs an argument");
            return Value(starts_or_ends_with(self, *affix, starts));
        });
    }
    if (name == "split") {
        return method([self](const CallArgs& a) { return make_list(python_split(self, a.get(0, "sep"), int_arg(a, 1, "maxsplit", -1))); });
    }
    if (name == "splitlines") {
        return method([self](const CallArgs&) {
            std::vector<std::string> lines;
            size_t start = 0;
            for (size_t i = 0; i < self.size(); ++i) {
                if (self[i] == '\n' || self[i] == '\r') {
                    lines.push_back(self.substr(start, i - start));
                    if (self[i] == '\r' && i + 1 < self.size() && self[i + 1] == '\n') ++i;
                    start = i + 1;
                }
            }
            if (start < self.size()) lines.push_back(self.substr(start));
            return make_list(lines);
        });
    }
    if (name == "replace") {
        return method([self](const CallArgs& a) {
            const Value* from = a.get(0, "old");
            const Value* to = a.get(1, "new");
            if (from == nullptr || to == nullptr) template_error("replace needs two arguments");
            return Value(python_replace(self, require_string(*from, "replace"), require_string(*to, "replace"), int_arg(a, 2, "count", -1)));
        });
    }
    if (name == "find" || name == "count" || name == "index") {
        const std::string which(name);
        return method([self, which](const CallArgs& a) {
            const Value* needle_v = a.get(0, "sub");
            if (needle_v == nullptr) template_error(which + " needs an argument");
            const std::string& needle = require_string(*needle_v, which);
            if (which == "count") {
                if (needle.empty()) return Value(static_cast<int64_t>(self.size() + 1));
                int64_t n = 0;
                for (size_t at = self.find(needle); at != std::string::npos; at = self.find(needle, at + needle.size())) ++n;
                return Value(n);
            }
            const size_t at = self.find(needle);
            if (at == std::string::npos && which == "index") template_error("substring not found");
            return Value(at == std::string::npos ? int64_t{-1} : static_cast<int64_t>(at));
        });
    }
    if (name == "join") {
        return method([self](const CallArgs& a) {
            const Value* items = a.get(0, "iterable");
            std::string out;
            if (items != nullptr) {
                bool first = true;
                for (const auto& item : iterate(*items)) {
                    if (!first) out += self;
                    out += item.to_string();
                    first = false;
                }
            }
            return Value(std::move(out));
        });
    }
    if (name == "isdigit" || name == "isalpha" || name == "isspace" || name == "isalnum") {
        const std::string which(name);
        return method([self, which](const CallArgs&) {
            if (self.empty()) return Value(false);
            return Value(std::all_of(self.begin(), self.end(), [&](char ch) {
                const auto c = static_cast<unsigned char>(ch);
                if (which == "isdigit") return std::isdigit(c) != 0;
                if (which == "isalpha") return std::isalpha(c) != 0;
                if (which == "isalnum") return std::isalnum(c) != 0;
                return is_py_space(c);
            }));
        });
    }
    return Value();
}

Value dict_method(const Value& object, std::string_view name) {
    const Value self = object;
    if (name == "items") {
        return Value::function([self](const CallArgs&) {
            ValueList list;
            for (const auto& [k, v] : self.dict_ref().entries) list.push_back(Value::tuple({Value(k), v}));
            return Value(std::move(list));
        });
    }
    if (name == "keys") {
        return Value::function([self](const CallArgs&) {
            ValueList list;
            for (const auto& [k, v] : self.dict_ref().entries) list.emplace_back(k);
            return Value(std::move(list));
        });
    }
    if (name == "values") {
        return Value::function([self](const CallArgs&) {
            ValueList list;
            for (const auto& [k, v] : self.dict_ref().entries) list.push_back(v);
            return Value(std::move(list));
        });
    }
    if (name == "get") {
        return Value::function([self](const CallArgs& a) {
            const Value* key = a.get(0, "key");
            const Value* fallback = a.get(1, "default");
            const Value* found = key && key->is_string() ? self.dict_ref().find(key->as_string()) : nullptr;
            if (found) return *found;
            return fallback ? *fallback : Value::none();
        });
    }
    return Value();
}

Value attribute_of(const Value& item, const std::string& path);

ValueList sorted_values(ValueList items, bool reverse, const Value* attribute, bool case_sensitive) {
    auto key = [&](const Value& v) -> Value {
        Value k = attribute != nullptr && attribute->is_string() ? attribute_of(v, attribute->as_string()) : v;
        if (!case_sensitive && k.is_string()) return Value(py_lower(k.as_string()));
        return k;
    };
    auto less = [&](const Value& a, const Value& b) {
        const Value ka = key(a);
        const Value kb = key(b);
        if (ka.is_string() && kb.is_string()) return ka.as_string() < kb.as_string();
        if ((ka.is_number() || ka.is_bool()) && (kb.is_number() || kb.is_bool())) {
            const double x = ka.is_bool() ? (ka.as_bool() ? 1.0 : 0.0) : ka.as_double();
            const double y = kb.is_bool() ? (kb.as_bool() ? 1.0 : 0.0) : kb.as_double();
            return x < y;
        }
        template_error(fmt::format("cannot compare {} and {} when sorting", ka.type_name(), kb.type_name()));
    };
    // Python's sorted(reverse=True) is stable too: equal keys keep their order.
    std::stable_sort(items.begin(), items.end(), [&](const Value& a, const Value& b) { return reverse ? less(b, a) : less(a, b); });
    return items;
}

Value attribute_of(const Value& item, const std::string& path) {
    Value current = item;
    size_t start = 0;
    while (start <= path.size()) {
        const size_t dot = path.find('.', start);
        const std::string part = path.substr(start, dot == std::string::npos ? std::string::npos : dot - start);
        if (current.is_dict()) {
            const Value* f = current.dict_ref().find(part);
            current = f ? *f : Value();
        } else if (current.is_list() && !part.empty() && std::all_of(part.begin(), part.end(), ::isdigit)) {
            size_t i = 0;
            const auto [ptr, ec] = std::from_chars(part.data(), part.data() + part.size(), i);
            current = ec == std::errc() && i < current.list().size() ? current.list()[i] : Value();
        } else {
            return Value();
        }
        if (dot == std::string::npos) break;
        start = dot + 1;
    }
    return current;
}

std::string html_escape(const std::string& s) {
    std::string out;
    for (char c : s) {
        switch (c) {
            case '&': out += "&amp;"; break;
            case '<': out += "&lt;"; break;
            case '>': out += "&gt;"; break;
            case '"': out += "&#34;"; break;
            case '\'': out += "&#39;"; break;
            default: out += c;
        }
    }
    return out;
}

// select/reject/selectattr/rejectattr: args after the attribute are (test name, test args...).
Value select_filter(const Value& input, const CallArgs& args, bool keep_if, bool by_attribute) {
    size_t next = 0;
    std::string attribute;
    if (by_attribute) {
        const Value* a = args.get(0, "attribute");
        if (a == nullptr) template_error("selectattr/rejectattr need an attribute name");
        attribute = a->to_string();
        next = 1;
    }
    std::string test;
    CallArgs test_args;
    if (next < args.positional.size()) {
        test = args.positional[next].to_string();
        test_args.positional.assign(args.positional.begin() + static_cast<std::ptrdiff_t>(next + 1), args.positional.end());
    }
    ValueList out;
    for (const auto& item : iterate(input)) {
        const Value subject = by_attribute ? attribute_of(item, attribute) : item;
        const bool passed = test.empty() ? subject.truthy() : apply_test(test, subject, test_args);
        if (passed == keep_if) out.push_back(item);
    }
    return Value(std::move(out));
}

std::string indent_text(const std::string& s, const Value* width_v, bool first, bool blank) {
    std::string pad = "    ";
    if (width_v != nullptr) {
        pad = width_v->is_string() ? width_v->as_string()
                                   : std::string(static_cast<size_t>(std::clamp<int64_t>(width_v->as_int(), 0, 1024)), ' ');
    }
    std::string out;
    size_t start = 0;
    bool is_first = true;
    while (start <= s.size()) {
        const size_t nl = s.find('\n', start);
        const std::string line = s.substr(start, nl == std::string::npos ? std::string::npos : nl - start);
        const bool add = (is_first ? first : true) && (blank || !line.empty());
        if (!is_first) out += '\n';
        if (add) out += pad;
        out += line;
        is_first = false;
        if (nl == std::string::npos) break;
        start = nl + 1;
    }
    return out;
}

}  // namespace

std::string python_strip(std::string_view s, const Value* chars, bool left, bool right) {
    auto strip_char = [&](unsigned char c) {
        if (chars == nullptr || chars->is_none() || chars->is_undefined()) return is_py_space(c);
        return chars->to_string().find(static_cast<char>(c)) != std::string::npos;
    };
    size_t b = 0;
    size_t e = s.size();
    if (left) {
        while (b < e && strip_char(static_cast<unsigned char>(s[b]))) ++b;
    }
    if (right) {
        while (e > b && strip_char(static_cast<unsigned char>(s[e - 1]))) --e;
    }
    return std::string(s.substr(b, e - b));
}

int64_t python_length(const Value& v) {
    if (v.is_string()) {
        int64_t n = 0;
        for (char c : v.as_string()) n += (static_cast<unsigned char>(c) & 0xC0) != 0x80;
        return n;
    }
    if (v.is_list()) return static_cast<int64_t>(v.list().size());
    if (v.is_dict()) return static_cast<int64_t>(v.dict_ref().entries.size());
    if (v.is_undefined()) return 0;
    template_error(fmt::format("object of type '{}' has no len()", v.type_name()));
}

ValueList iterate(const Value& v) {
    if (v.is_list()) return v.list();
    if (v.is_dict()) {
        ValueList keys;
        for (const auto& [k, value] : v.dict_ref().entries) keys.emplace_back(k);
        return keys;
    }
    if (v.is_string()) {
        ValueList chars;
        const std::string& s = v.as_string();
        for (size_t i = 0; i < s.size();) {
            size_t n = 1;
            while (i + n < s.size() && (static_cast<unsigned char>(s[i + n]) & 0xC0) == 0x80) ++n;
            chars.emplace_back(s.substr(i, n));
            i += n;
        }
        return chars;
    }
    if (v.is_undefined()) return {};
    template_error(fmt::format("'{}' object is not iterable", v.type_name()));
}

Value get_method(const Value& object, std::string_view name) {
    if (object.is_string()) return string_method(object.as_string(), name);
    if (object.is_dict()) return dict_method(object, name);
    return Value();
}

Value apply_filter(Interpreter& interp, std::string_view name, const Value& input, const CallArgs& args) {
    if (name == "trim") return Value(python_strip(input.to_string(), args.get(0, "chars"), true, true));
    if (name == "length" || name == "count") return Value(python_length(input));
    if (name == "tojson") {
        const Value* indent = args.get(0, "indent");
        const bool indented = indent != nullptr && indent->is_int();
        return Value(input.to_json(indented ? static_cast<int>(std::clamp<int64_t>(indent->as_int(), -1, 64)) : -1));
    }
    if (name == "items") {
        if (input.is_undefined()) return Value(ValueList{});
        if (!input.is_dict()) template_error("items filter expects a mapping");
        return dict_method(input, "items").function_ref()(CallArgs{});
    }
    if (name == "upper") return Value(py_upper(input.to_string()));
    if (name == "lower") return Value(py_lower(input.to_string()));
    if (name == "title") return Value(python_title(input.to_string()));
    if (name == "capitalize") return Value(python_capitalize(input.to_string()));
    if (name == "default" || name == "d") {
        const Value* fallback = args.get(0, "default_value");
        const bool boolean = bool_arg(args, 1, "boolean", false);
        if (input.is_undefined() || (boolean && !input.truthy())) return fallback ? *fallback : Value(std::string());
        return input;
    }
    if (name == "join") {
        const Value* sep = args.get(0, "d");
        const Value* attribute = args.get(1, "attribute");
        std::string out;
        bool first = true;
        for (const auto& item : iterate(input)) {
            if (!first && sep) out += sep->to_string();
            out += (attribute ? attribute_of(item, attribute->to_string()) : item).to_string();
            first = false;
        }
        return Value(std::move(out));
    }
    if (name == "first" || name == "last") {
        const ValueList items = iterate(input);
        if (items.empty()) return Value();
        return name == "first" ? items.front() : items.back();
    }
    if (name == "list") return Value(iterate(input));
    if (name == "string") return Value(input.to_string());
    if (name == "safe" || name == "forceescape" || name == "e" || name == "escape") {
        if (name == "safe") return input;
        return Value(html_escape(input.to_string()));
    }
    if (name == "int") {
        const int64_t fallback = int_arg(args, 0, "default", 0);
        if (input.is_int()) return input;
        if (input.is_bool()) return Value(int64_t{input.as_bool() ? 1 : 0});
        if (input.is_float()) return Value(double_to_int(input.as_double(), fallback));
        if (input.is_string()) {
            try {
                size_t used = 0;
                const std::string s = python_strip(input.as_string(), nullptr, true, true);
                const int64_t v = std::stoll(s, &used);
                if (used == s.size()) return Value(v);
                return Value(double_to_int(std::stod(s), fallback));
            } catch (...) {
                return Value(fallback);
            }
        }
        return Value(fallback);
    }
    if (name == "float") {
        if (input.is_number()) return Value(input.as_double());
        if (input.is_string()) {
            try {
                return Value(std::stod(input.as_string()));
            } catch (...) {
            }
        }
        return Value(0.0);
    }
    if (name == "abs") {
        if (input.is_int()) return Value(input.as_int() < 0 ? -input.as_int() : input.as_int());
        return Value(std::fabs(input.as_double()));
    }
    if (name == "round") {
        const int64_t precision = int_arg(args, 0, "precision", 0);
        const double scale = std::pow(10.0, static_cast<double>(precision));
        // Python's round(): halves go to the even neighbour.
        return Value(std::nearbyint(input.as_double() * scale) / scale);
    }
    if (name == "replace") {
        const Value* from = args.get(0, "old");
        const Value* to = args.get(1, "new");
        if (from == nullptr || to == nullptr) template_error("replace filter needs two arguments");
        return Value(python_replace(input.to_string(), from->to_string(), to->to_string(), int_arg(args, 2, "count", -1)));
    }
    if (name == "reverse") {
        if (input.is_string()) {
            ValueList chars = iterate(input);
            std::string out;
            for (auto it = chars.rbegin(); it != chars.rend(); ++it) out += it->as_string();
            return Value(std::move(out));
        }
        ValueList items = iterate(input);
        std::reverse(items.begin(), items.end());
        return Value(std::move(items));
    }
    if (name == "sort") {
        return Value(sorted_values(iterate(input), bool_arg(args, 0, "reverse", false), args.get(2, "attribute"),
                                   bool_arg(args, 1, "case_sensitive", false)));
    }
    if (name == "dictsort") {
        if (!input.is_dict()) template_error("dictsort expects a mapping");
        ValueList pairs = dict_method(input, "items").function_ref()(CallArgs{}).list();
        std::stable_sort(pairs.begin(), pairs.end(), [](const Value& a, const Value& b) {
            return py_lower(a.list()[0].as_string()) < py_lower(b.list()[0].as_string());
        });
        return Value(std::move(pairs));
    }
    if (name == "unique") {
        ValueList out;
        for (const auto& item : iterate(input)) {
            if (std::none_of(out.begin(), out.end(), [&](const Value& o) { return o.equals(item); })) out.push_back(item);
        }
        return Value(std::move(out));
    }
    if (name == "select") return select_filter(input, args, true, false);
    if (name == "reject") return select_filter(input, args, false, false);
    if (name == "selectattr") return select_filter(input, args, true, true);
    if (name == "rejectattr") return select_filter(input, args, false, true);
    if (name == "map") {
        ValueList out;
        const Value* attribute = nullptr;
        for (const auto& [k, v] : args.keyword) {
            if (k == "attribute") attribute = &v;
        }
        const Value* fallback = nullptr;
        for (const auto& [k, v] : args.keyword) {
            if (k == "default") fallback = &v;
        }
        for (const auto& item : iterate(input)) {
            if (attribute != nullptr) {
                Value v = attribute_of(item, attribute->to_string());
                out.push_back(v.is_undefined() && fallback ? *fallback : v);
            } else if (!args.positional.empty()) {
                CallArgs rest;
                rest.positional.assign(args.positional.begin() + 1, args.positional.end());
                out.push_back(apply_filter(interp, args.positional[0].to_string(), item, rest));
            } else {
                out.push_back(item);
            }
        }
        return Value(std::move(out));
    }
    if (name == "indent") {
        return Value(indent_text(input.to_string(), args.get(0, "width"), bool_arg(args, 1, "first", false), bool_arg(args, 2, "blank", false)));
    }
    if (name == "wordcount") return Value(static_cast<int64_t>(python_split(input.to_string(), nullptr, -1).size()));
    if (name == "min" || name == "max") {
        ValueList items = sorted_values(iterate(input), false, args.get(1, "attribute"), bool_arg(args, 0, "case_sensitive", false));
        if (items.empty()) return Value();
        return name == "min" ? items.front() : items.back();
    }
    if (name == "sum") {
        double total = 0;
        bool all_int = true;
        int64_t itotal = 0;
        for (const auto& item : iterate(input)) {
            all_int = all_int && item.is_int();
            if (item.is_int()) itotal += item.as_int();
            total += item.as_double();
        }
        return all_int ? Value(itotal) : Value(total);
    }
    if (name == "batch" || name == "slice") template_error(fmt::format("filter '{}' is not supported", name));
    template_error(fmt::format("unknown filter '{}'", name));
}

bool apply_test(std::string_view name, const Value& v, const CallArgs& args) {
    const Value* arg = args.get(0, "other");
    if (name == "defined") return !v.is_undefined();
    if (name == "undefined") return v.is_undefined();
    if (name == "none") return v.is_none();
    if (name == "string") return v.is_string();
    if (name == "number") return v.is_number();
    if (name == "integer") return v.is_int();
    if (name == "float") return v.is_float();
    if (name == "boolean") return v.is_bool();
    if (name == "true") return v.is_bool() && v.as_bool();
    if (name == "false") return v.is_bool() && !v.as_bool();
    if (name == "mapping") return v.is_dict();
    if (name == "iterable") return v.is_list() || v.is_dict() || v.is_string();
    if (name == "sequence") return v.is_list() || v.is_dict() || v.is_string();
    if (name == "callable") return v.is_function();
    if (name == "lower") return v.is_string() && py_lower(v.as_string()) == v.as_string();
    if (name == "upper") return v.is_string() && py_upper(v.as_string()) == v.as_string();
    if (name == "odd" || name == "even") {
        if (!v.is_int()) template_error(fmt::format("test '{}' expects an integer", name));
        return (v.as_int() % 2 != 0) == (name == "odd");
    }
    if (name == "divisibleby") {
        if (!v.is_int() || arg == nullptr || !arg->is_int() || arg->as_int() == 0) template_error("divisibleby expects integers");
        return v.as_int() % arg->as_int() == 0;
    }
    if (arg == nullptr && (name == "eq" || name == "equalto" || name == "ne" || name == "sameas" || name == "in" ||
                           name == "lt" || name == "le" || name == "gt" || name == "ge")) {
        template_error(fmt::format("test '{}' needs an argument", name));
    }
    if (name == "eq" || name == "equalto" || name == "==") return v.equals(*arg);
    if (name == "ne" || name == "!=") return !v.equals(*arg);
    if (name == "sameas") {
        if (v.is_none() || v.is_bool() || arg->is_none() || arg->is_bool()) return v.kind() == arg->kind() && v.equals(*arg);
        return v.equals(*arg) && v.kind() == arg->kind() && (v.is_list() || v.is_dict() ? &v.list() == &arg->list() : true);
    }
    if (name == "in") {
        if (arg->is_string()) return v.is_string() && arg->as_string().find(v.as_string()) != std::string::npos;
        const ValueList items = iterate(*arg);
        return std::any_of(items.begin(), items.end(), [&](const Value& i) { return i.equals(v); });
    }
    if (name == "lt" || name == "le" || name == "gt" || name == "ge") {
        const double a = v.as_double();
        const double b = arg->as_double();
        if (name == "lt") return a < b;
        if (name == "le") return a <= b;
        if (name == "gt") return a > b;
        return a >= b;
    }
    template_error(fmt::format("unknown test '{}'", name));
}

void add_global_functions(ValueDict& globals) {
    globals.set("range", Value::function([](const CallArgs& a) {
        int64_t start = 0, stop = 0, step = 1;
        if (a.positional.size() == 1) {
            stop = a.positional[0].as_int();
        } else if (a.positional.size() >= 2) {
            start = a.positional[0].as_int();
            stop = a.positional[1].as_int();
            if (a.positional.size() >= 3) step = a.positional[2].as_int();
        }
        if (step == 0) template_error("range() step must not be zero");
        ValueList list;
        // Jinja's sandbox refuses ranges longer than 100000 items (MAX_RANGE); so do we.
        const double count = std::ceil((static_cast<double>(stop) - static_cast<double>(start)) / static_cast<double>(step));
        if (count > 100000) template_error("range() too big (more than 100000 items)");
        for (int64_t i = start; step > 0 ? i < stop : i > stop; i += step) list.emplace_back(i);
        return Value(std::move(list));
    }));
    globals.set("namespace", Value::function([](const CallArgs& a) {
        ValueDict ns;
        ns.is_namespace = true;  // set() keeps what a namespace may hold (value.h)
        if (!a.positional.empty() && a.positional[0].is_dict())
            for (const auto& [k, v] : a.positional[0].dict_ref().entries) ns.set(k, v);
        for (const auto& [k, v] : a.keyword) ns.set(k, v);
        return Value::dict(std::move(ns));
    }));
    globals.set("dict", Value::function([](const CallArgs& a) {
        ValueDict d;
        if (!a.positional.empty() && a.positional[0].is_dict()) d.entries = a.positional[0].dict_ref().entries;
        for (const auto& [k, v] : a.keyword) d.set(k, v);
        return Value::dict(std::move(d));
    }));
    globals.set("raise_exception", Value::function([](const CallArgs& a) -> Value {
        throw Error("chat template", a.positional.empty() ? std::string("raise_exception") : a.positional[0].to_string());
    }));
    globals.set("strftime_now", Value::function([](const CallArgs& a) {
        const std::string format = a.positional.empty() ? std::string("%Y-%m-%d") : a.positional[0].to_string();
        const std::time_t now = std::time(nullptr);
        std::tm local{};
        localtime_r(&now, &local);
        char buffer[256];
        const size_t n = std::strftime(buffer, sizeof(buffer), format.c_str(), &local);
        return Value(std::string(buffer, n));
    }));
}

}  // namespace rocmforge::tokenizer::jinja
