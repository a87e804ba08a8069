#include "tokenizer/jinja/interpreter.h"

#include "tokenizer/jinja/builtins.h"

#include <fmt/format.h>

#include <algorithm>
#include <climits>
#include <cmath>
#include <cstdint>

namespace rocmforge::tokenizer::jinja {

namespace {

constexpr int kMaxDepth = 200;

[[noreturn]] void error_at(size_t line, const std::string& message) {
    template_error(fmt::format("line {}: {}", line, message));
}

double to_number(const Value& v, size_t line, const char* op) {
    if (v.is_number()) return v.as_double();
    if (v.is_bool()) return v.as_bool() ? 1.0 : 0.0;
    error_at(line, fmt::format("unsupported operand type {} for '{}'", v.type_name(), op));
}

int64_t floor_div(int64_t a, int64_t b) {
    int64_t q = a / b;
    if ((a % b != 0) && ((a < 0) != (b < 0))) --q;
    return q;
}

int64_t python_mod(int64_t a, int64_t b) {
    int64_t r = a % b;
    if (r != 0 && ((r < 0) != (b < 0))) r += b;
    return r;
}

// Python slice indices for a sequence of `length`.
std::vector<int64_t> slice_indices(int64_t length, const Value& start_v, const Value& stop_v, const Value& step_v) {
    int64_t step = step_v.is_int() ? step_v.as_int() : 1;
    if (step == 0) template_error("slice step cannot be zero");
    step = std::clamp<int64_t>(step, -length - 1, length + 1);  // same result, no overflow
    auto clamp = [&](const Value& v, int64_t fallback_pos, int64_t fallback_neg) {
        if (!v.is_int()) return step > 0 ? fallback_pos : fallback_neg;
        int64_t i = v.as_int();
        if (i < 0) i += length;
        if (step > 0) return std::clamp<int64_t>(i, 0, length);
        return std::clamp<int64_t>(i, -1, length - 1);
    };
    const int64_t start = clamp(start_v, 0, length - 1);
    const int64_t stop = clamp(stop_v, length, -1);
    std::vector<int64_t> indices;
    if (step > 0) {
        for (int64_t i = start; i < stop; i += step) indices.push_back(i);
    } else {
        for (int64_t i = start; i > stop; i += step) indices.push_back(i);
    }
    return indices;
}

// Byte offsets of each UTF-8 character of s.
std::vector<size_t> char_offsets(const std::string& s) {
    std::vector<size_t> offsets;
    for (size_t i = 0; i < s.size(); ++i) {
        if ((static_cast<unsigned char>(s[i]) & 0xC0) != 0x80) offsets.push_back(i);
    }
    offsets.push_back(s.size());
    return offsets;
}

}  // namespace

Interpreter::Interpreter(ValueDict globals, RenderLimits limits) : limits_(limits) {
    Scope root;
    for (auto& [key, value] : globals.entries) root[key] = std::move(value);
    scopes_.push_back(std::move(root));
}

std::string Interpreter::render(const Body& body) {
    std::string out;
    exec_body(body, out);
    return out;
}

void Interpreter::charge_step(size_t line) {
    if (++steps_ > limits_.max_steps)
        error_at(line, fmt::format("template exceeds {} steps (statements, loop iterations and calls)",
                                   limits_.max_steps));
}

void Interpreter::charge_string(size_t result_size, size_t built, size_t line) {
    if (result_size > limits_.max_string_bytes)
        error_at(line, fmt::format("template builds a string over {} bytes", limits_.max_string_bytes));
    total_bytes_ += built;
    if (total_bytes_ > limits_.max_total_bytes)
        error_at(line, fmt::format("template builds over {} bytes of text in all", limits_.max_total_bytes));
}

void Interpreter::charge_list(size_t result_size, size_t line) {
    if (result_size > limits_.max_list_items)
        error_at(line, fmt::format("template builds a list over {} items", limits_.max_list_items));
    total_bytes_ += result_size * sizeof(Value);
    if (total_bytes_ > limits_.max_total_bytes)
        error_at(line, fmt::format("template builds over {} bytes of text in all", limits_.max_total_bytes));
}

Interpreter::Flow Interpreter::exec_body(const Body& body, std::string& out) {
    for (const auto& stmt : body) {
        const Flow flow = exec(*stmt, out);
        if (flow != Flow::Normal) return flow;
    }
    return Flow::Normal;
}

Interpreter::Flow Interpreter::exec(const Stmt& stmt, std::string& out) {
    charge_step(stmt.line);
    switch (stmt.kind) {
        case Stmt::Kind::Text:
            charge_string(out.size() + stmt.text.size(), stmt.text.size(), stmt.line);
            out += stmt.text;
            return Flow::Normal;
        case Stmt::Kind::Output: {
            const std::string text = eval(*stmt.expr).to_string();
            charge_string(out.size() + text.size(), text.size(), stmt.line);
            out += text;
            return Flow::Normal;
        }
        case Stmt::Kind::If:
            for (const auto& [condition, body] : stmt.branches) {
                if (!condition || eval(*condition).truthy()) return exec_body(body, out);
            }
            return Flow::Normal;
        case Stmt::Kind::For: return exec_for(stmt, out);
        case Stmt::Kind::Set: {
            Value value = eval(*stmt.expr);
            if (!stmt.target_object.empty()) {
                Value object = lookup(stmt.target_object);
                if (!object.is_dict() || !object.dict_ref().is_namespace) {
                    error_at(stmt.line, fmt::format("cannot assign attribute on non-namespace object '{}'", stmt.target_object));
                }
                object.dict_ref().set(stmt.target_attr, std::move(value));
            } else {
                assign(stmt.targets, value, stmt.line);
            }
            return Flow::Normal;
        }
        case Stmt::Kind::SetBlock: {
            std::string captured;
            exec_body(stmt.body, captured);
            assign(stmt.targets, Value(std::move(captured)), stmt.line);
            return Flow::Normal;
        }
        case Stmt::Kind::Macro: scopes_.back()[stmt.name] = make_macro(stmt); return Flow::Normal;
        case Stmt::Kind::CallBlock: {
            // The macro receives `caller`, a function rendering the block body.
            const Stmt* block = &stmt;
            Value caller = Value::function([this, block](const CallArgs& args) {
                scopes_.emplace_back();
                for (size_t i = 0; i < block->params.size(); ++i) {
                    const Value* v = args.get(i, block->params[i].first);
                    scopes_.back()[block->params[i].first] =
                        v ? *v : (block->params[i].second ? eval(*block->params[i].second) : Value());
                }
                std::string text;
                exec_body(block->body, text);
                scopes_.pop_back();
                return Value(std::move(text));
            });
            const Expr& call_expr = *stmt.expr;
            Value callee = eval(*call_expr.args[0]);
            CallArgs args = eval_args(call_expr, 1);
            args.keyword.emplace_back("caller", caller);
            out += call(callee, args, stmt.line).to_string();
            return Flow::Normal;
        }
        case Stmt::Kind::FilterBlock: {
            std::string text;
            exec_body(stmt.body, text);
            // Apply the chain innermost first: the chain's leaf has a null input.
            std::vector<const Expr*> chain;
            for (const Expr* e = stmt.expr.get(); e != nullptr; e = e->args[0].get()) chain.push_back(e);
            Value value(std::move(text));
            for (auto it = chain.rbegin(); it != chain.rend(); ++it) {
                value = apply_filter(*this, (*it)->name, value, eval_args(**it, 1));
            }
            out += value.to_string();
            return Flow::Normal;
        }
        case Stmt::Kind::Break: return Flow::Break;
        case Stmt::Kind::Continue: return Flow::Continue;
    }
    return Flow::Normal;
}

Interpreter::Flow Interpreter::exec_for(const Stmt& stmt, std::string& out) {
    const Value iterable = eval(*stmt.expr);
    if (iterable.is_none()) error_at(stmt.line, "'NoneType' object is not iterable");
    ValueList items = iterate(iterable);
    if (stmt.condition) {
        ValueList kept;
        for (auto& item : items) {
            charge_step(stmt.line);
            scopes_.emplace_back();
            assign(stmt.targets, item, stmt.line);
            const bool keep = eval(*stmt.condition).truthy();
            scopes_.pop_back();
            if (keep) kept.push_back(std::move(item));
        }
        items = std::move(kept);
    }
    // Each iteration gets a fresh scope, as in Jinja: assignments in the body do not survive
    // into the next iteration or past the loop (use namespace() for that).
    const auto length = static_cast<int64_t>(items.size());
    for (int64_t i = 0; i < length; ++i) {
        charge_step(stmt.line);
        const auto index = static_cast<size_t>(i);
        ValueDict loop;
        loop.entries = {
            {"index", Value(i + 1)},
            {"index0", Value(i)},
            {"revindex", Value(length - i)},
            {"revindex0", Value(length - i - 1)},
            {"first", Value(i == 0)},
            {"last", Value(i == length - 1)},
            {"length", Value(length)},
            {"previtem", i > 0 ? items[index - 1] : Value()},
            {"nextitem", i + 1 < length ? items[index + 1] : Value()},
            {"depth", Value(int64_t{1})},
            {"depth0", Value(int64_t{0})},
        };
        loop.entries.emplace_back("cycle", Value::function([i](const CallArgs& args) {
            if (args.positional.empty()) return Value();
            return args.positional[static_cast<size_t>(i) % args.positional.size()];
        }));
        scopes_.emplace_back();
        scopes_.back()["loop"] = Value::dict(std::move(loop));
        assign(stmt.targets, items[index], stmt.line);
        Flow flow;
        try {
            flow = exec_body(stmt.body, out);
        } catch (...) {
            scopes_.pop_back();
            throw;
        }
        scopes_.pop_back();
        if (flow == Flow::Break) break;
    }
    if (items.empty() && !stmt.else_body.empty()) exec_body(stmt.else_body, out);
    return Flow::Normal;
}

void Interpreter::assign(const std::vector<std::string>& targets, const Value& value, size_t line) {
    if (targets.size() == 1) {
        scopes_.back()[targets[0]] = value;
        return;
    }
    const ValueList parts = iterate(value);
    if (parts.size() != targets.size()) {
        error_at(line, fmt::format("cannot unpack {} values into {} names", parts.size(), targets.size()));
    }
    for (size_t i = 0; i < targets.size(); ++i) scopes_.back()[targets[i]] = parts[i];
}

Value Interpreter::make_macro(const Stmt& stmt) {
    const Stmt* macro = &stmt;
    return Value::function([this, macro](const CallArgs& args) {
        if (++depth_ > kMaxDepth) error_at(macro->line, "macro recursion too deep");
        // A macro sees the globals and its own parameters (plus `caller` from a call block).
        std::vector<Scope> saved;
        saved.swap(scopes_);
        scopes_.push_back(saved.front());
        Scope params;
        for (size_t i = 0; i < macro->params.size(); ++i) {
            const auto& [name, default_expr] = macro->params[i];
            const Value* v = args.get(i, name);
            params[name] = v ? *v : (default_expr ? eval(*default_expr) : Value());
        }
        for (const auto& [name, v] : args.keyword) {
            if (name == "caller") params["caller"] = v;
        }
        scopes_.push_back(std::move(params));
        std::string text;
        try {
            exec_body(macro->body, text);
        } catch (...) {
            scopes_.swap(saved);
            --depth_;
            throw;
        }
        // Keep global-scope changes (macros defined inside), drop the rest.
        saved.front() = std::move(scopes_.front());
        scopes_.swap(saved);
        --depth_;
        return Value(std::move(text));
    });
}

Value Interpreter::lookup(const std::string& name) const {
    for (auto it = scopes_.rbegin(); it != scopes_.rend(); ++it) {
        const auto found = it->find(name);
        if (found != it->end()) return found->second;
    }
    return Value();
}

CallArgs Interpreter::eval_args(const Expr& expr, size_t first) {
    CallArgs args;
    for (size_t i = first; i < expr.args.size(); ++i) args.positional.push_back(eval(*expr.args[i]));
    for (const auto& [name, e] : expr.kwargs) args.keyword.emplace_back(name, eval(*e));
    return args;
}

Value Interpreter::call(const Value& callee, const CallArgs& args, size_t line) {
    if (!callee.is_function()) {
        error_at(line, callee.is_undefined() ? "call of an undefined function" : fmt::format("'{}' object is not callable", callee.type_name()));
    }
    charge_step(line);
    return callee.function_ref()(args);
}

Value Interpreter::get_attr(const Value& object, const std::string& name, size_t line) {
    if (object.is_undefined()) error_at(line, fmt::format("undefined value has no attribute '{}'", name));
    if (object.is_dict()) {
        // Jinja tries the Python attribute first: dict methods win over keys of the same name.
        if (!object.dict_ref().is_namespace) {
            Value method = get_method(object, name);
            if (!method.is_undefined()) return method;
        }
        const Value* v = object.dict_ref().find(name);
        return v ? *v : Value();
    }
    return get_method(object, name);
}

Value Interpreter::get_item(const Value& object, const Value& key, size_t line) {
    if (object.is_undefined()) error_at(line, "undefined value is not subscriptable");
    if (object.is_dict()) {
        if (key.is_string()) {
            const Value* v = object.dict_ref().find(key.as_string());
            if (v) return *v;
            return get_method(object, key.as_string());
        }
        const Value* v = object.dict_ref().find(key.to_string());
        return v ? *v : Value();
    }
    if (object.is_list() && key.is_int()) {
        int64_t i = key.as_int();
        const auto n = static_cast<int64_t>(object.list().size());
        if (i < 0) i += n;
        if (i < 0 || i >= n) return Value();
        return object.list()[static_cast<size_t>(i)];
    }
    if (object.is_string() && key.is_int()) {
        const auto offsets = char_offsets(object.as_string());
        const auto n = static_cast<int64_t>(offsets.size()) - 1;
        int64_t i = key.as_int();
        if (i < 0) i += n;
        if (i < 0 || i >= n) return Value();
        const size_t begin = offsets[static_cast<size_t>(i)];
        return Value(object.as_string().substr(begin, offsets[static_cast<size_t>(i) + 1] - begin));
    }
    if (key.is_string()) return get_attr(object, key.as_string(), line);
    return Value();
}

Value Interpreter::eval(const Expr& expr) {
    switch (expr.kind) {
        case Expr::Kind::Literal: return expr.literal;
        case Expr::Kind::Name: return lookup(expr.name);
        case Expr::Kind::GetAttr: return get_attr(eval(*expr.args[0]), expr.name, expr.line);
        case Expr::Kind::GetItem: return get_item(eval(*expr.args[0]), eval(*expr.args[1]), expr.line);
        case Expr::Kind::Slice: {
            const Value object = eval(*expr.args[0]);
            const Value start = expr.args[1] ? eval(*expr.args[1]) : Value();
            const Value stop = expr.args[2] ? eval(*expr.args[2]) : Value();
            const Value step = expr.args[3] ? eval(*expr.args[3]) : Value();
            if (object.is_list()) {
                ValueList result;
                for (int64_t i : slice_indices(static_cast<int64_t>(object.list().size()), start, stop, step)) {
                    result.push_back(object.list()[static_cast<size_t>(i)]);
                }
                return Value(std::move(result));
            }
            if (object.is_string()) {
                const std::string& s = object.as_string();
                const auto offsets = char_offsets(s);
                std::string result;
                for (int64_t i : slice_indices(static_cast<int64_t>(offsets.size()) - 1, start, stop, step)) {
                    const size_t b = offsets[static_cast<size_t>(i)];
                    result.append(s, b, offsets[static_cast<size_t>(i) + 1] - b);
                }
                return Value(std::move(result));
            }
            error_at(expr.line, fmt::format("'{}' object is not sliceable", object.type_name()));
        }
        case Expr::Kind::Call: {
            const Value callee = eval(*expr.args[0]);
            return call(callee, eval_args(expr, 1), expr.line);
        }
        case Expr::Kind::Filter: return apply_filter(*this, expr.name, eval(*expr.args[0]), eval_args(expr, 1));
        case Expr::Kind::Test: {
            const bool result = apply_test(expr.name, eval(*expr.args[0]), eval_args(expr, 1));
            return Value(expr.negated ? !result : result);
        }
        case Expr::Kind::Unary: {
            const Value v = eval(*expr.args[0]);
            if (expr.name == "not") return Value(!v.truthy());
            if (v.is_int()) {
                if (expr.name == "-" && v.as_int() == INT64_MIN) error_at(expr.line, "integer overflow");
                return Value(expr.name == "-" ? -v.as_int() : v.as_int());
            }
            const double d = to_number(v, expr.line, expr.name.c_str());
            return Value(expr.name == "-" ? -d : d);
        }
        case Expr::Kind::Binary: return eval_binary(expr);
        case Expr::Kind::Conditional:
            if (eval(*expr.args[0]).truthy()) return eval(*expr.args[1]);
            return expr.args[2] ? eval(*expr.args[2]) : Value();
        case Expr::Kind::List:
        case Expr::Kind::Tuple: {
            ValueList list;
            for (const auto& e : expr.args) list.push_back(eval(*e));
            return expr.kind == Expr::Kind::Tuple ? Value::tuple(std::move(list)) : Value(std::move(list));
        }
        case Expr::Kind::Dict: {
            ValueDict dict;
            for (size_t i = 0; i + 1 < expr.args.size(); i += 2) {
                dict.set(eval(*expr.args[i]).to_string(), eval(*expr.args[i + 1]));
            }
            return Value::dict(std::move(dict));
        }
    }
    return Value();
}

Value Interpreter::eval_binary(const Expr& expr) {
    const std::string& op = expr.name;
    if (op == "and") {
        Value left = eval(*expr.args[0]);
        return left.truthy() ? eval(*expr.args[1]) : left;
    }
    if (op == "or") {
        Value left = eval(*expr.args[0]);
        return left.truthy() ? left : eval(*expr.args[1]);
    }
    const Value a = eval(*expr.args[0]);
    const Value b = eval(*expr.args[1]);
    if (op == "~") {
        std::string left = a.to_string();
        const std::string right = b.to_string();
        charge_string(left.size() + right.size(), left.size() + right.size(), expr.line);
        return Value(left + right);
    }
    if (op == "==") return Value(a.equals(b));
    if (op == "!=") return Value(!a.equals(b));
    if (op == "in" || op == "notin") {
        bool found = false;
        if (b.is_string()) {
            if (!a.is_string()) error_at(expr.line, "'in <string>' requires string as left operand");
            found = b.as_string().find(a.as_string()) != std::string::npos;
        } else if (b.is_list()) {
            for (const auto& item : b.list()) found = found || item.equals(a);
        } else if (b.is_dict()) {
            found = a.is_string() && b.dict_ref().find(a.as_string()) != nullptr;
        } else if (!b.is_undefined()) {
            error_at(expr.line, fmt::format("argument of type '{}' is not iterable", b.type_name()));
        } else {
            error_at(expr.line, "'in' test on an undefined value");
        }
        return Value(op == "in" ? found : !found);
    }
    if (op == "<" || op == ">" || op == "<=" || op == ">=") {
        int cmp = 0;
        if (a.is_string() && b.is_string()) {
            cmp = a.as_string().compare(b.as_string());
        } else {
            const double x = to_number(a, expr.line, op.c_str());
            const double y = to_number(b, expr.line, op.c_str());
            cmp = x < y ? -1 : x > y ? 1 : 0;
        }
        if (op == "<") return Value(cmp < 0);
        if (op == ">") return Value(cmp > 0);
        if (op == "<=") return Value(cmp <= 0);
        return Value(cmp >= 0);
    }
    if (op == "+") {
        if (a.is_string() && b.is_string()) {
            const size_t n = a.as_string().size() + b.as_string().size();
            charge_string(n, n, expr.line);
            return Value(a.as_string() + b.as_string());
        }
        if (a.is_list() && b.is_list()) {
            charge_list(a.list().size() + b.list().size(), expr.line);
            ValueList list = a.list();
            list.insert(list.end(), b.list().begin(), b.list().end());
            return Value(std::move(list));
        }
        if (a.is_int() && b.is_int()) {
            int64_t r = 0;
            if (__builtin_add_overflow(a.as_int(), b.as_int(), &r)) error_at(expr.line, "integer overflow");
            return Value(r);
        }
        if ((a.is_string() || b.is_string()) && !(a.is_undefined() || b.is_undefined())) {
            error_at(expr.line, fmt::format("can only concatenate str (not \"{}\") to str", a.is_string() ? b.type_name() : a.type_name()));
        }
        return Value(to_number(a, expr.line, "+") + to_number(b, expr.line, "+"));
    }
    if (op == "*") {
        if ((a.is_string() && b.is_int()) || (a.is_int() && b.is_string())) {
            const std::string& s = a.is_string() ? a.as_string() : b.as_string();
            const int64_t n = a.is_int() ? a.as_int() : b.as_int();
            if (n > 0 && static_cast<size_t>(n) > limits_.max_string_bytes / std::max<size_t>(s.size(), 1)) {
                error_at(expr.line, fmt::format("template builds a string over {} bytes", limits_.max_string_bytes));
            }
            const size_t bytes = static_cast<size_t>(std::max<int64_t>(n, 0)) * s.size();
            charge_string(bytes, bytes, expr.line);
            std::string out;
            for (int64_t i = 0; i < n; ++i) out += s;
            return Value(std::move(out));
        }
        if (a.is_int() && b.is_int()) {
            int64_t r = 0;
            if (__builtin_mul_overflow(a.as_int(), b.as_int(), &r)) error_at(expr.line, "integer overflow");
            return Value(r);
        }
        return Value(to_number(a, expr.line, "*") * to_number(b, expr.line, "*"));
    }
    if (op == "-") {
        if (a.is_int() && b.is_int()) {
            int64_t r = 0;
            if (__builtin_sub_overflow(a.as_int(), b.as_int(), &r)) error_at(expr.line, "integer overflow");
            return Value(r);
        }
        return Value(to_number(a, expr.line, "-") - to_number(b, expr.line, "-"));
    }
    if (op == "/") {
        const double y = to_number(b, expr.line, "/");
        if (y == 0.0) error_at(expr.line, "division by zero");
        return Value(to_number(a, expr.line, "/") / y);
    }
    if (op == "//" || op == "%") {
        if (a.is_int() && b.is_int()) {
            if (b.as_int() == 0) error_at(expr.line, "integer division or modulo by zero");
            if (a.as_int() == INT64_MIN && b.as_int() == -1) error_at(expr.line, "integer overflow");
            return Value(op == "//" ? floor_div(a.as_int(), b.as_int()) : python_mod(a.as_int(), b.as_int()));
        }
        const double x = to_number(a, expr.line, op.c_str());
        const double y = to_number(b, expr.line, op.c_str());
        if (y == 0.0) error_at(expr.line, "float division by zero");
        if (op == "//") return Value(std::floor(x / y));
        double r = std::fmod(x, y);
        if (r != 0 && ((r < 0) != (y < 0))) r += y;
        return Value(r);
    }
    if (op == "**") {
        if (a.is_int() && b.is_int() && b.as_int() >= 0) {
            const int64_t base = a.as_int();
            const int64_t exponent = b.as_int();
            if (base == 0 || base == 1) return Value(exponent == 0 ? int64_t{1} : base);
            if (base == -1) return Value(exponent % 2 == 0 ? int64_t{1} : int64_t{-1});
            int64_t result = 1;  // |base| >= 2: overflows within 63 steps
            for (int64_t i = 0; i < exponent; ++i) {
                if (__builtin_mul_overflow(result, base, &result)) error_at(expr.line, "integer overflow");
            }
            return Value(result);
        }
        return Value(std::pow(to_number(a, expr.line, "**"), to_number(b, expr.line, "**")));
    }
    error_at(expr.line, "unknown operator '" + op + "'");
}

}  // namespace rocmforge::tokenizer::jinja
