// Recursive-descent parser for the Jinja subset, following Jinja2's operator precedence:
// conditional < or < and < not < comparison/in < + - < ~ < * / // % < ** < unary < postfix
// (. [] () | is).
#include "tokenizer/jinja/ast.h"
#include "tokenizer/jinja/lexer.h"
#include "util/error.h"

#include <initializer_list>

namespace rocmforge::tokenizer::jinja {

namespace {

class Parser {
public:
    explicit Parser(std::vector<Token> tokens) : tokens_(std::move(tokens)) {}

    Body parse_all() {
        std::string end;
        Body body = parse_body({}, end);
        if (peek().kind != TokenKind::End) fail("unexpected tag");
        return body;
    }

private:
    const Token& peek(size_t ahead = 0) const {
        const size_t i = std::min(pos_ + ahead, tokens_.size() - 1);
        return tokens_[i];
    }
    const Token& next() {
        const Token& t = tokens_[pos_];
        if (pos_ + 1 < tokens_.size()) ++pos_;
        return t;
    }
    [[noreturn]] void fail(const std::string& message) const {
        const Token& t = peek();
        throw_error("chat template", "line {}: {} (at '{}')", t.line, message, t.text);
    }
    bool is_name(std::string_view name, size_t ahead = 0) const {
        return peek(ahead).kind == TokenKind::Name && peek(ahead).text == name;
    }
    bool is_op(std::string_view op, size_t ahead = 0) const {
        return peek(ahead).kind == TokenKind::Operator && peek(ahead).text == op;
    }
    bool accept_op(std::string_view op) {
        if (!is_op(op)) return false;
        next();
        return true;
    }
    bool accept_name(std::string_view name) {
        if (!is_name(name)) return false;
        next();
        return true;
    }
    void expect_op(std::string_view op) {
        if (!accept_op(op)) fail("expected '" + std::string(op) + "'");
    }
    void expect_kind(TokenKind kind, const char* what) {
        if (peek().kind != kind) fail(std::string("expected ") + what);
        next();
    }
    std::string expect_identifier() {
        if (peek().kind != TokenKind::Name) fail("expected a name");
        return next().text;
    }

    // ---- statements ----

    // Parses until a block tag whose keyword is in `enders` (consumed up to the keyword; the
    // keyword itself is returned in `end` and left for the caller to finish the tag).
    Body parse_body(std::initializer_list<std::string_view> enders, std::string& end) {
        Body body;
        while (true) {
            const Token& t = peek();
            if (t.kind == TokenKind::End) {
                if (enders.size() != 0) fail("unexpected end of template (missing {% " + std::string(*(enders.end() - 1)) + " %})");
                return body;
            }
            if (t.kind == TokenKind::Text) {
                auto s = make_stmt(Stmt::Kind::Text);
                s->text = next().text;
                body.push_back(std::move(s));
            } else if (t.kind == TokenKind::VariableBegin) {
                next();
                auto s = make_stmt(Stmt::Kind::Output);
                s->expr = parse_expression();
                expect_kind(TokenKind::VariableEnd, "'}}'");
                body.push_back(std::move(s));
            } else if (t.kind == TokenKind::BlockBegin) {
                const Token& keyword = peek(1);
                if (keyword.kind == TokenKind::Name) {
                    for (std::string_view ender : enders) {
                        if (keyword.text == ender) {
                            next();
                            next();
                            end = std::string(ender);
                            return body;
                        }
                    }
                }
                next();
                body.push_back(parse_statement());
            } else {
                fail("unexpected token");
            }
        }
    }

    StmtPtr make_stmt(Stmt::Kind kind) const {
        auto s = std::make_unique<Stmt>();
        s->kind = kind;
        s->line = peek().line;
        return s;
    }

    StmtPtr parse_statement() {
        DepthGuard guard(*this);
        const std::string keyword = expect_identifier();
        if (keyword == "if") return parse_if();
        if (keyword == "for") return parse_for();
        if (keyword == "set") return parse_set();
        if (keyword == "macro") return parse_macro();
        if (keyword == "call") return parse_call_block();
        if (keyword == "filter") return parse_filter_block();
        if (keyword == "break" || keyword == "continue") {
            auto s = make_stmt(keyword == "break" ? Stmt::Kind::Break : Stmt::Kind::Continue);
            expect_kind(TokenKind::BlockEnd, "'%}'");
            return s;
        }
        if (keyword == "generation") {
            // HF's {% generation %} marks assistant text for masks; it renders its body unchanged.
            expect_kind(TokenKind::BlockEnd, "'%}'");
            auto s = make_stmt(Stmt::Kind::If);
            std::string end;
            Body body = parse_body({"endgeneration"}, end);
            expect_kind(TokenKind::BlockEnd, "'%}'");
            auto always = std::make_unique<Expr>();
            always->kind = Expr::Kind::Literal;
            always->literal = Value(true);
            s->branches.emplace_back(std::move(always), std::move(body));
            return s;
        }
        --pos_;
        fail("unsupported statement '" + keyword + "'");
    }

    StmtPtr parse_if() {
        auto s = make_stmt(Stmt::Kind::If);
        ExprPtr condition = parse_expression();
        expect_kind(TokenKind::BlockEnd, "'%}'");
        while (true) {
            std::string end;
            Body body = parse_body({"elif", "else", "endif"}, end);
            s->branches.emplace_back(std::move(condition), std::move(body));
            if (end == "elif") {
                condition = parse_expression();
                expect_kind(TokenKind::BlockEnd, "'%}'");
            } else if (end == "else") {
                expect_kind(TokenKind::BlockEnd, "'%}'");
                Body else_body = parse_body({"endif"}, end);
                expect_kind(TokenKind::BlockEnd, "'%}'");
                s->branches.emplace_back(nullptr, std::move(else_body));
                return s;
            } else {
                expect_kind(TokenKind::BlockEnd, "'%}'");
                return s;
            }
        }
    }

    StmtPtr parse_for() {
        auto s = make_stmt(Stmt::Kind::For);
        s->targets.push_back(expect_identifier());
        while (accept_op(",")) s->targets.push_back(expect_identifier());
        if (!accept_name("in")) fail("expected 'in'");
        s->expr = parse_or();  // no conditional here: "if" introduces the loop filter
        if (accept_name("if")) s->condition = parse_expression();
        accept_name("recursive");
        expect_kind(TokenKind::BlockEnd, "'%}'");
        std::string end;
        s->body = parse_body({"else", "endfor"}, end);
        expect_kind(TokenKind::BlockEnd, "'%}'");
        if (end == "else") {
            s->else_body = parse_body({"endfor"}, end);
            expect_kind(TokenKind::BlockEnd, "'%}'");
        }
        return s;
    }

    StmtPtr parse_set() {
        const std::string first = expect_identifier();
        if (accept_op(".")) {
            auto s = make_stmt(Stmt::Kind::Set);
            s->target_object = first;
            s->target_attr = expect_identifier();
            expect_op("=");
            s->expr = parse_tuple_or_expression();
            expect_kind(TokenKind::BlockEnd, "'%}'");
            return s;
        }
        std::vector<std::string> targets{first};
        while (accept_op(",")) targets.push_back(expect_identifier());
        if (accept_op("=")) {
            auto s = make_stmt(Stmt::Kind::Set);
            s->targets = std::move(targets);
            s->expr = parse_tuple_or_expression();
            expect_kind(TokenKind::BlockEnd, "'%}'");
            return s;
        }
        auto s = make_stmt(Stmt::Kind::SetBlock);
        s->targets = std::move(targets);
        expect_kind(TokenKind::BlockEnd, "'%}'");
        std::string end;
        s->body = parse_body({"endset"}, end);
        expect_kind(TokenKind::BlockEnd, "'%}'");
        return s;
    }

    void parse_params(Stmt& s) {
        expect_op("(");
        while (!accept_op(")")) {
            std::string name = expect_identifier();
            ExprPtr default_value;
            if (accept_op("=")) default_value = parse_expression();
            s.params.emplace_back(std::move(name), std::move(default_value));
            if (!is_op(")")) expect_op(",");
        }
    }

    StmtPtr parse_macro() {
        auto s = make_stmt(Stmt::Kind::Macro);
        s->name = expect_identifier();
        parse_params(*s);
        expect_kind(TokenKind::BlockEnd, "'%}'");
        std::string end;
        s->body = parse_body({"endmacro"}, end);
        accept_name(s->name);
        expect_kind(TokenKind::BlockEnd, "'%}'");
        return s;
    }

    StmtPtr parse_call_block() {
        auto s = make_stmt(Stmt::Kind::CallBlock);
        if (is_op("(")) parse_params(*s);
        s->expr = parse_expression();
        if (s->expr->kind != Expr::Kind::Call) fail("{% call %} needs a macro call");
        expect_kind(TokenKind::BlockEnd, "'%}'");
        std::string end;
        s->body = parse_body({"endcall"}, end);
        expect_kind(TokenKind::BlockEnd, "'%}'");
        return s;
    }

    StmtPtr parse_filter_block() {
        auto s = make_stmt(Stmt::Kind::FilterBlock);
        ExprPtr chain;  // null input: filled with the body's text at run time
        do {
            chain = parse_filter_call(std::move(chain));
        } while (accept_op("|"));
        s->expr = std::move(chain);
        expect_kind(TokenKind::BlockEnd, "'%}'");
        std::string end;
        s->body = parse_body({"endfilter"}, end);
        expect_kind(TokenKind::BlockEnd, "'%}'");
        return s;
    }

    // ---- expressions ----

    ExprPtr make_expr(Expr::Kind kind, std::string name = {}) const {
        auto e = std::make_unique<Expr>();
        e->kind = kind;
        e->name = std::move(name);
        e->line = peek().line;
        return e;
    }

    ExprPtr binary(std::string op, ExprPtr left, ExprPtr right) const {
        auto e = make_expr(Expr::Kind::Binary, std::move(op));
        e->args.push_back(std::move(left));
        e->args.push_back(std::move(right));
        return e;
    }

    // "a, b" without parentheses (set x = a, b) is a tuple.
    ExprPtr parse_tuple_or_expression() {
        ExprPtr first = parse_expression();
        if (!is_op(",")) return first;
        auto tuple = make_expr(Expr::Kind::Tuple);
        tuple->args.push_back(std::move(first));
        while (accept_op(",")) {
            if (peek().kind == TokenKind::BlockEnd) break;
            tuple->args.push_back(parse_expression());
        }
        return tuple;
    }

    ExprPtr parse_expression() {
        DepthGuard guard(*this);
        ExprPtr value = parse_or();
        if (!is_name("if")) return value;
        next();
        auto e = make_expr(Expr::Kind::Conditional);
        e->args.push_back(parse_or());
        e->args.push_back(std::move(value));
        e->args.push_back(accept_name("else") ? parse_expression() : nullptr);
        return e;
    }

    ExprPtr parse_or() {
        ExprPtr left = parse_and();
        while (accept_name("or")) left = binary("or", std::move(left), parse_and());
        return left;
    }

    ExprPtr parse_and() {
        ExprPtr left = parse_not();
        while (accept_name("and")) left = binary("and", std::move(left), parse_not());
        return left;
    }

    ExprPtr parse_not() {
        DepthGuard guard(*this);
        if (is_name("not")) {
            next();
            auto e = make_expr(Expr::Kind::Unary, "not");
            e->args.push_back(parse_not());
            return e;
        }
        return parse_compare();
    }

    // Python chains comparisons: a < b < c means (a < b) and (b < c).
    ExprPtr parse_compare() {
        ExprPtr left = parse_math1();
        ExprPtr chain;
        const Expr* previous_right = nullptr;
        while (true) {
            std::string op;
            const Token& t = peek();
            if (t.kind == TokenKind::Operator &&
                (t.text == "==" || t.text == "!=" || t.text == "<" || t.text == ">" || t.text == "<=" || t.text == ">=")) {
                op = next().text;
            } else if (is_name("in")) {
                next();
                op = "in";
            } else if (is_name("not") && is_name("in", 1)) {
                next();
                next();
                op = "notin";
            } else {
                break;
            }
            ExprPtr right = parse_math1();
            ExprPtr link_left = previous_right ? clone(*previous_right) : std::move(left);
            previous_right = right.get();
            ExprPtr link = binary(op, std::move(link_left), std::move(right));
            chain = chain ? binary("and", std::move(chain), std::move(link)) : std::move(link);
        }
        return chain ? std::move(chain) : std::move(left);
    }

    static ExprPtr clone(const Expr& e) {
        auto c = std::make_unique<Expr>();
        c->kind = e.kind;
        c->name = e.name;
        c->literal = e.literal;
        c->negated = e.negated;
        c->line = e.line;
        for (const auto& a : e.args) c->args.push_back(a ? clone(*a) : nullptr);
        for (const auto& [k, v] : e.kwargs) c->kwargs.emplace_back(k, v ? clone(*v) : nullptr);
        return c;
    }

    ExprPtr parse_math1() {
        ExprPtr left = parse_concat();
        while (is_op("+") || is_op("-")) {
            const std::string op = next().text;
            left = binary(op, std::move(left), parse_concat());
        }
        return left;
    }

    ExprPtr parse_concat() {
        ExprPtr left = parse_math2();
        while (accept_op("~")) left = binary("~", std::move(left), parse_math2());
        return left;
    }

    ExprPtr parse_math2() {
        ExprPtr left = parse_pow();
        while (is_op("*") || is_op("/") || is_op("//") || is_op("%")) {
            const std::string op = next().text;
            left = binary(op, std::move(left), parse_pow());
        }
        return left;
    }

    ExprPtr parse_pow() {
        ExprPtr left = parse_unary();
        while (accept_op("**")) left = binary("**", std::move(left), parse_unary());
        return left;
    }

    ExprPtr parse_unary() {
        if (is_op("-") || is_op("+")) {
            const std::string op = next().text;
            auto e = make_expr(Expr::Kind::Unary, op);
            e->args.push_back(parse_unary_operand());
            return parse_filters(std::move(e));
        }
        return parse_filters(parse_postfix(parse_primary()));
    }

    // Operand of unary minus: postfix binds tighter, filters apply to the negated value.
    ExprPtr parse_unary_operand() {
        DepthGuard guard(*this);
        if (is_op("-") || is_op("+")) {
            const std::string op = next().text;
            auto e = make_expr(Expr::Kind::Unary, op);
            e->args.push_back(parse_unary_operand());
            return e;
        }
        return parse_postfix(parse_primary());
    }

    void parse_call_args(Expr& call) {
        // After "(": positional and keyword arguments up to ")".
        while (!accept_op(")")) {
            if (peek().kind == TokenKind::Name && is_op("=", 1)) {
                std::string name = next().text;
                next();
                call.kwargs.emplace_back(std::move(name), parse_expression());
            } else {
                call.args.push_back(parse_expression());
            }
            if (!is_op(")")) expect_op(",");
        }
    }

    ExprPtr parse_postfix(ExprPtr node) {
        while (true) {
            if (accept_op(".")) {
                auto e = make_expr(Expr::Kind::GetAttr);
                if (peek().kind == TokenKind::Integer) {
                    // x.0 is item access in Jinja.
                    e->kind = Expr::Kind::GetItem;
                    e->args.push_back(std::move(node));
                    auto index = make_expr(Expr::Kind::Literal);
                    index->literal = Value(next().int_value);
                    e->args.push_back(std::move(index));
                } else {
                    e->name = expect_identifier();
                    e->args.push_back(std::move(node));
                }
                node = std::move(e);
            } else if (accept_op("[")) {
                node = parse_subscript(std::move(node));
            } else if (accept_op("(")) {
                auto e = make_expr(Expr::Kind::Call);
                e->args.push_back(std::move(node));
                parse_call_args(*e);
                node = std::move(e);
            } else {
                return node;
            }
        }
    }

    ExprPtr parse_subscript(ExprPtr object) {
        ExprPtr parts[3];
        int part = 0;
        bool is_slice = false;
        while (!accept_op("]")) {
            if (accept_op(":")) {
                is_slice = true;
                if (++part > 2) fail("too many ':' in slice");
                continue;
            }
            if (parts[part]) fail("expected ']'");
            parts[part] = parse_expression();
        }
        if (!is_slice) {
            if (!parts[0]) fail("empty subscript");
            auto e = make_expr(Expr::Kind::GetItem);
            e->args.push_back(std::move(object));
            e->args.push_back(std::move(parts[0]));
            return e;
        }
        auto e = make_expr(Expr::Kind::Slice);
        e->args.push_back(std::move(object));
        for (auto& p : parts) e->args.push_back(std::move(p));
        return e;
    }

    // "name" or "name(args)" of a filter applied to `input`.
    ExprPtr parse_filter_call(ExprPtr input) {
        auto e = make_expr(Expr::Kind::Filter);
        e->name = expect_identifier();
        e->args.push_back(std::move(input));
        if (accept_op("(")) parse_call_args(*e);
        return e;
    }

    ExprPtr parse_filters(ExprPtr node) {
        while (true) {
            if (accept_op("|")) {
                node = parse_filter_call(std::move(node));
            } else if (is_name("is")) {
                next();
                auto e = make_expr(Expr::Kind::Test);
                e->negated = accept_name("not");
                e->name = expect_identifier();
                e->args.push_back(std::move(node));
                if (accept_op("(")) {
                    parse_call_args(*e);
                } else if (peek().kind == TokenKind::String || peek().kind == TokenKind::Integer ||
                           peek().kind == TokenKind::Float ||
                           (peek().kind == TokenKind::Name && !is_name("and") && !is_name("or") && !is_name("if") &&
                            !is_name("else") && !is_name("in") && !is_name("is") && !is_name("not"))) {
                    // One bare argument: "x is divisibleby 3", "x is sameas none".
                    e->args.push_back(parse_postfix(parse_primary()));
                }
                node = std::move(e);
            } else {
                return node;
            }
        }
    }

    ExprPtr parse_primary() {
        const Token& t = peek();
        switch (t.kind) {
            case TokenKind::String: {
                auto e = make_expr(Expr::Kind::Literal);
                std::string s;
                while (peek().kind == TokenKind::String) s += next().text;  // adjacent literals concatenate
                e->literal = Value(std::move(s));
                return e;
            }
            case TokenKind::Integer: {
                auto e = make_expr(Expr::Kind::Literal);
                e->literal = Value(next().int_value);
                return e;
            }
            case TokenKind::Float: {
                auto e = make_expr(Expr::Kind::Literal);
                e->literal = Value(next().float_value);
                return e;
            }
            case TokenKind::Name: {
                const std::string name = next().text;
                auto e = make_expr(Expr::Kind::Literal);
                if (name == "true" || name == "True") e->literal = Value(true);
                else if (name == "false" || name == "False") e->literal = Value(false);
                else if (name == "none" || name == "None") e->literal = Value::none();
                else {
                    e->kind = Expr::Kind::Name;
                    e->name = name;
                }
                return e;
            }
            case TokenKind::Operator: {
                if (accept_op("(")) {
                    if (accept_op(")")) return make_expr(Expr::Kind::Tuple);
                    ExprPtr first = parse_expression();
                    if (accept_op(")")) return first;
                    auto tuple = make_expr(Expr::Kind::Tuple);
                    tuple->args.push_back(std::move(first));
                    while (accept_op(",")) {
                        if (is_op(")")) break;
                        tuple->args.push_back(parse_expression());
                    }
                    expect_op(")");
                    return tuple;
                }
                if (accept_op("[")) {
                    auto list = make_expr(Expr::Kind::List);
                    while (!accept_op("]")) {
                        list->args.push_back(parse_expression());
                        if (!is_op("]")) expect_op(",");
                    }
                    return list;
                }
                if (accept_op("{")) {
                    auto dict = make_expr(Expr::Kind::Dict);
                    while (!accept_op("}")) {
                        dict->args.push_back(parse_expression());
                        expect_op(":");
                        dict->args.push_back(parse_expression());
                        if (!is_op("}")) expect_op(",");
                    }
                    return dict;
                }
                break;
            }
            default: break;
        }
        fail("expected an expression");
    }

    // Bounds recursion on hostile templates ("((((...", deeply nested blocks).
    struct DepthGuard {
        explicit DepthGuard(Parser& p) : parser(p) {
            if (++parser.depth_ > kMaxNesting) parser.fail("template nests too deeply");
        }
        ~DepthGuard() { --parser.depth_; }
        Parser& parser;
    };
    static constexpr int kMaxNesting = 256;

    std::vector<Token> tokens_;
    size_t pos_ = 0;
    int depth_ = 0;
};

}  // namespace

Body parse_template(std::string_view source) { return Parser(lex(source)).parse_all(); }

}  // namespace rocmforge::tokenizer::jinja
