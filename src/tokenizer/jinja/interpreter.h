#pragma once
// Renders a parsed template against variables: scopes, statements, expression evaluation.
#include "tokenizer/jinja/ast.h"
#include "tokenizer/jinja/value.h"

#include <string>
#include <unordered_map>
#include <vector>

namespace rocmforge::tokenizer::jinja {

class Interpreter {
public:
    // `globals` become the outermost scope (messages, bos_token, ..., plus built-in functions).
    explicit Interpreter(ValueDict globals);

    std::string render(const Body& body);

    Value eval(const Expr& expr);
    Value call(const Value& callee, const CallArgs& args, size_t line);

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
    int depth_ = 0;              // macro/call recursion depth guard
};

}  // namespace rocmforge::tokenizer::jinja
