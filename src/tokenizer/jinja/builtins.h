#pragma once
// Jinja filters, tests, methods of str/dict, and global functions of the subset.
#include "tokenizer/jinja/value.h"

#include <string>
#include <string_view>

namespace rocmforge::tokenizer::jinja {

class Interpreter;

// Throws rocmforge::Error ("chat template: ...") for an unknown name or bad arguments.
Value apply_filter(Interpreter& interp, std::string_view name, const Value& input, const CallArgs& args);
bool apply_test(std::string_view name, const Value& input, const CallArgs& args);
// A bound method of a str, dict or list (e.g. "strip", "items"), or undefined when there is none.
Value get_method(const Value& object, std::string_view name);
// range, namespace, dict, raise_exception, strftime_now.
void add_global_functions(ValueDict& globals);

// Python-style helpers shared with the interpreter.
std::string python_strip(std::string_view s, const Value* chars, bool left, bool right);
int64_t python_length(const Value& v);
// Elements of an iterable (list → items, dict → keys, string → characters, undefined → none).
ValueList iterate(const Value& v);

[[noreturn]] void template_error(const std::string& message);

}  // namespace rocmforge::tokenizer::jinja
