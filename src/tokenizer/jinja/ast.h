#pragma once
// Syntax tree of the Jinja subset. Expressions and statements are small tagged structs; the
// meaning of `args` per kind is listed next to each kind.
#include "tokenizer/jinja/value.h"

#include <memory>
#include <string>
#include <utility>
#include <vector>

namespace rocmforge::tokenizer::jinja {

struct Expr;
using ExprPtr = std::unique_ptr<Expr>;

struct Expr {
    enum class Kind {
        Literal,      // literal
        Name,         // name
        GetAttr,      // args[0].name
        GetItem,      // args[0][args[1]]
        Slice,        // args[0][args[1]:args[2]:args[3]] (null parts allowed)
        Call,         // args[0](args[1..], kwargs)
        Filter,       // args[0] | name(args[1..], kwargs)
        Test,         // args[0] is [not] name(args[1..])   (negated)
        Unary,        // name ("not", "-", "+") args[0]
        Binary,       // args[0] name args[1]  (or and + - * / // % ** ~ == != < > <= >= in notin)
        Conditional,  // args[1] if args[0] else args[2] (args[2] may be null)
        List,         // [args...]
        Tuple,        // (args...)
        Dict,         // {args[0]: args[1], args[2]: args[3], ...}
    };
    Kind kind;
    std::string name;
    Value literal;
    std::vector<ExprPtr> args;
    std::vector<std::pair<std::string, ExprPtr>> kwargs;
    bool negated = false;
    size_t line = 0;
};

struct Stmt;
using StmtPtr = std::unique_ptr<Stmt>;
using Body = std::vector<StmtPtr>;

struct Stmt {
    enum class Kind {
        Text,         // text
        Output,       // {{ expr }}
        If,           // branches: (condition or null for else, body)
        For,          // for targets in expr [if condition]: body [else: else_body]
        Set,          // set targets = expr | set target_object.target_attr = expr
        SetBlock,     // set targets %} body {% endset
        Macro,        // macro name(params) body
        CallBlock,    // call(params) expr (a macro call receiving `caller`): body
        FilterBlock,  // filter expr (a Filter node whose args[0] is null) body
        Break,
        Continue,
    };
    Kind kind;
    std::string text;
    ExprPtr expr;
    ExprPtr condition;
    std::vector<std::pair<ExprPtr, Body>> branches;
    std::vector<std::string> targets;
    std::string target_object;  // set ns.attr: "ns"
    std::string target_attr;    // set ns.attr: "attr"
    std::string name;
    std::vector<std::pair<std::string, ExprPtr>> params;  // macro parameters with optional defaults
    Body body;
    Body else_body;
    size_t line = 0;
};

// Parses a template (lexed with HF's options). Throws rocmforge::Error naming the line.
Body parse_template(std::string_view source);

}  // namespace rocmforge::tokenizer::jinja
