#pragma once
// Renders a parsed template against variables: scopes, statements, expression evaluation.
#include "tokenizer/jinja/ast.h"
#include "tokenizer/jinja/value.h"

#include <cstddef>
#include <cstdint>
#include <string>
#include <unordered_map>
#include <vector>

namespace rocmforge::tokenizer::jinja {

// Bounds on one render (templates come from model files, so they are untrusted): statements and
// loop iterations executed, the size of any one string or list, and the bytes of text built in
// all. Going past one is a template error ("template ... exceeds ..."), never a hang.
struct RenderLimits {
    int64_t max_steps = 1'000'000;                  // statements + loop iterations + calls
    size_t max_string_bytes = size_t{16} << 20;     // any one string, the output included
    size_t max_list_items = 1'000'000;              // any one list built by the template
    uint64_t max_total_bytes = uint64_t{256} << 20; // all strings and list items built
};

class Interpreter {
public:
    // `globals` become the outermost scope (messages, bos_token, ..., plus built-in functions).
    explicit Interpreter(ValueDict globals, RenderLimits limits = {});

    std::string render(const Body& body);

    Value eval(const Expr& expr);
    Value call(const Value& callee, const CallArgs& args, size_t line);
    // Render budget: one more step; a string of `result_size` bytes of which `built` bytes were
    // copied now (all of it for a new string, the appended part for the output); a new list of
    // `result_size` items. Throw a template error past the limits.
    void charge_step(size_t line);
    void charge_string(size_t result_size, size_t built, size_t line);
    void charge_list(size_t result_size, size_t line);

private:
    enum class Flow { Normal, Break, Continue };
    using Scope = std::unordered_map<std::string, Value>;

    Flow exec_body(const Body& body, std::string& out);
    Flow exec(const Stmt& stmt, std::string& out);
    Flow exec_for(const Stmt& stmt, std::string& out);
    void assign(const std::vector<std::string>& targets, const Value& value, size_t line);
    Value make_macro(const Stmt& stmt);
    Value lookup(const std::string& name) const;
    Value eval_binary(const Expr& expr);
    Value get_attr(const Value& object, const std::string& name, size_t line);
    Value get_item(const Value& object, const Value& key, size_t line);
    CallArgs eval_args(const Expr& expr, size_t first);

    std::vector<Scope> scopes_;  // scopes_[0]: globals
    RenderLimits limits_;
    int64_t steps_ = 0;
    uint64_t total_bytes_ = 0;
    int depth_ = 0;              // macro/call recursion depth guard
};

}  // namespace rocmforge::tokenizer::jinja
