#include "engine/expr/condition.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <limits>
#include <memory>
#include <nlohmann/json.hpp>
#include <string_view>
#include <type_traits>
#include <vector>

#include "engine/expr/regex.hpp"

// An interpreter for the expr-lang subset Argo Rollouts conditions use
// (../shared/reference/rollouts.md section 7; utils/evaluate/evaluate.go).
//
// Pipeline: a tokenizer, a Pratt parser with expr-lang's operator precedences
// (parser/operator: or/|| 10, and/&& 15, comparisons and in/matches/contains/startsWith/
// endsWith 20, .. 25, + - 30, * / % 60, ** ^ 100 right-associative, ?? 500; unary not/! 50,
// unary - + 90; ternary ?: lowest) building an AST once, then a tree-walking evaluator.
//
// Typing follows Go as Argo feeds expr: every number a metric provider produces is a
// float64 (Prometheus scalars, []float64 vectors, JSON-decoded web bodies); literals without
// a dot are int. expr's checker knows the concrete type of `result` (expr.Env(env) with the
// value in the map), so `result == "x"` with a float64 result is a compile error, while values
// reached through interface{} (fields of a decoded JSON object, elements of a mixed array)
// are only checked at run time, where `==` on mismatched types is false. Each Value carries
// that distinction (`dynamic`). Ordering and arithmetic on mismatched types are errors in
// both cases.
//
// Cost: conditions are evaluated once per measurement, so evaluation avoids the heap. Values
// are small trivially copyable views (see Value); only strings and arrays the expression
// itself builds (concatenation, lower(), filter(), literals like [1, 2], ...) are allocated,
// in an arena that lives for one evaluation.

namespace rehearse::expr {

using nlohmann::json;

namespace {

// ---------------------------------------------------------------------------------------
// Values

enum class Type : uint8_t { Nil, Bool, Int, Float, String, Array, Map };

struct Value;
using List = std::vector<Value>;

// A Value owns nothing: evaluation returns and copies Values freely, so they are plain views
// (trivially copyable, no allocation, no reference counts). What they point at outlives the
// evaluation that uses them:
//   - the bound result (`j`, and `s` for a JSON string) belongs to the caller of evaluate;
//   - a string literal's text belongs to its AST node (Node::text), i.e. to the Condition;
//   - strings and arrays built during evaluation belong to that evaluation's Arena.
struct Value {
  Type type = Type::Nil;
  bool dynamic = false;     // reached through interface{}: runtime typing rules apply
  bool float_slice = false; // Array backed by json whose elements are all numbers ([]float64)
  bool b = false;
  int64_t i = 0;
  double f = 0;
  std::string_view s;              // String (borrowed, see above)
  const json* j = nullptr;         // Array/Map borrowed from the bound result
  const List* list = nullptr;      // Array built by the expression (owned by the Arena)

  static Value nil() { return {}; }
  static Value boolean(bool v) {
    Value x;
    x.type = Type::Bool;
    x.b = v;
    return x;
  }
  static Value integer(int64_t v) {
    Value x;
    x.type = Type::Int;
    x.i = v;
    return x;
  }
  static Value real(double v) {
    Value x;
    x.type = Type::Float;
    x.f = v;
    return x;
  }
  // `v` must outlive the evaluation (see above); Arena::string makes such a copy.
  static Value string(std::string_view v) {
    Value x;
    x.type = Type::String;
    x.s = v;
    return x;
  }
  // `v` must outlive the evaluation; Arena::array makes such a copy.
  static Value array(const List* v) {
    Value x;
    x.type = Type::Array;
    x.list = v;
    return x;
  }
  bool numeric() const { return type == Type::Int || type == Type::Float; }
  double as_double() const { return type == Type::Int ? static_cast<double>(i) : f; }
};
static_assert(std::is_trivially_copyable_v<Value>, "Values are views, copied freely");

// Owns the strings and arrays one evaluation builds, so the Values viewing them stay valid
// until Condition::evaluate returns. Each is heap-allocated on its own: its address (and a
// string's characters) must not move when more are added. Empty until something is built.
class Arena {
 public:
  Value string(std::string v) {
    strings_.push_back(std::make_unique<const std::string>(std::move(v)));
    return Value::string(*strings_.back());
  }
  Value array(List v) {
    lists_.push_back(std::make_unique<const List>(std::move(v)));
    return Value::array(lists_.back().get());
  }

 private:
  std::vector<std::unique_ptr<const std::string>> strings_;
  std::vector<std::unique_ptr<const List>> lists_;
};

Value from_json(const json& v, bool dynamic) {
  Value x;
  x.dynamic = dynamic;
  switch (v.type()) {
    case json::value_t::null:
    case json::value_t::discarded:
      x.type = Type::Nil;
      break;
    case json::value_t::boolean:
      x.type = Type::Bool;
      x.b = v.get<bool>();
      break;
    case json::value_t::number_integer:
    case json::value_t::number_unsigned:
    case json::value_t::number_float:
      x.type = Type::Float;  // Go decodes every JSON / Prometheus number as float64
      x.f = v.get<double>();
      break;
    case json::value_t::string:
      x.type = Type::String;
      x.s = v.get_ref<const std::string&>();
      break;
    case json::value_t::array: {
      x.type = Type::Array;
      x.j = &v;
      const auto& items = v.get_ref<const json::array_t&>();
      x.float_slice = std::all_of(items.begin(), items.end(), [](const json& e) { return e.is_number(); });
      break;
    }
    case json::value_t::object:
    case json::value_t::binary:
      x.type = Type::Map;
      x.j = &v;
      break;
  }
  return x;
}

std::string type_name(const Value& v) {
  switch (v.type) {
    case Type::Nil:
      return "<nil>";
    case Type::Bool:
      return "bool";
    case Type::Int:
      return "int";
    case Type::Float:
      return "float64";
    case Type::String:
      return "string";
    case Type::Array:
      return (v.j && v.float_slice) ? "[]float64" : "[]interface {}";
    case Type::Map:
      return "map[string]interface {}";
  }
  return "?";
}

size_t array_size(const Value& v) { return v.j ? v.j->size() : v.list->size(); }
Value array_at(const Value& v, size_t k) {
  if (v.j) return from_json((*v.j)[k], !v.float_slice);
  return (*v.list)[k];
}

// Go's %v for the few places that print values (string(), error messages).
std::string format_value(const Value& v) {
  switch (v.type) {
    case Type::Nil:
      return "<nil>";
    case Type::Bool:
      return v.b ? "true" : "false";
    case Type::Int:
      return std::to_string(v.i);
    case Type::Float: {
      if (std::isnan(v.f)) return "NaN";
      if (std::isinf(v.f)) return v.f > 0 ? "+Inf" : "-Inf";
      return fmt::format("{}", v.f);
    }
    case Type::String:
      return std::string(v.s);
    case Type::Array: {
      std::string out = "[";
      for (size_t k = 0; k < array_size(v); ++k) {
        if (k) out += ' ';
        out += format_value(array_at(v, k));
      }
      return out + "]";
    }
    case Type::Map:
      return v.j->dump();
  }
  return "";
}

struct EvalError {
  std::string message;
};
[[noreturn]] void raise(std::string message) { throw EvalError{std::move(message)}; }

bool deep_equal(const Value& a, const Value& b) {
  if (a.numeric() && b.numeric()) {
    if (a.type == Type::Int && b.type == Type::Int) return a.i == b.i;
    return a.as_double() == b.as_double();
  }
  if (a.type != b.type) return false;
  switch (a.type) {
    case Type::Nil:
      return true;
    case Type::Bool:
      return a.b == b.b;
    case Type::String:
      return a.s == b.s;
    case Type::Array: {
      size_t n = array_size(a);
      if (n != array_size(b)) return false;
      for (size_t k = 0; k < n; ++k) {
        if (!deep_equal(array_at(a, k), array_at(b, k))) return false;
      }
      return true;
    }
    case Type::Map:
      return *a.j == *b.j;
    default:
      return false;
  }
}

// ---------------------------------------------------------------------------------------
// Tokens

enum class Tok { End, Number, String, Ident, Op, Punct };

struct Token {
  Tok kind = Tok::End;
  std::string text;
  size_t pos = 0;  // byte offset
  Value value;     // numbers
  std::string literal;  // strings, unquoted and unescaped
};

struct SyntaxError {
  std::string message;
  size_t pos;
};

class Lexer {
 public:
  explicit Lexer(std::string_view s) : s_(s) {}

  std::vector<Token> run() {
    std::vector<Token> out;
    while (true) {
      skip_ws();
      Token t;
      t.pos = i_;
      if (i_ >= s_.size()) {
        out.push_back(t);
        return out;
      }
      // Bounds the AST (and so evaluation recursion): analysis conditions are one-liners.
      if (out.size() >= 4096) throw SyntaxError{"expression too long (more than 4096 tokens)", i_};
      char c = s_[i_];
      if (std::isdigit(static_cast<unsigned char>(c))) {
        lex_number(t);
      } else if (c == '"' || c == '\'' || c == '`') {
        lex_string(t);
      } else if (std::isalpha(static_cast<unsigned char>(c)) || c == '_' || c == '$') {
        size_t b = i_;
        while (i_ < s_.size() && (std::isalnum(static_cast<unsigned char>(s_[i_])) || s_[i_] == '_' || s_[i_] == '$')) ++i_;
        t.kind = Tok::Ident;
        t.text = std::string(s_.substr(b, i_ - b));
      } else {
        static const char* kOps[] = {"**", "==", "!=", "<=", ">=", "&&", "||", "??", "?.", "..",
                                     "<",  ">",  "+",  "-",  "*",  "/",  "%",  "^",  "!",  "?",
                                     ":",  "(",  ")",  "[",  "]",  "{",  "}",  ",",  ".",  "#",
                                     "|"};
        bool found = false;
        for (const char* op : kOps) {
          std::string_view sv(op);
          if (s_.substr(i_, sv.size()) == sv) {
            // `?.` followed by a digit is a ternary with a number (`a ?.5 : 1` is not valid
            // expr anyway); keep it simple.
            t.kind = Tok::Op;
            t.text = op;
            i_ += sv.size();
            found = true;
            break;
          }
        }
        if (!found) throw SyntaxError{fmt::format("unexpected character {:?}", std::string(1, c)), i_};
      }
      out.push_back(std::move(t));
    }
  }

 private:
  void skip_ws() {
    while (i_ < s_.size() && std::isspace(static_cast<unsigned char>(s_[i_]))) ++i_;
  }

  void lex_number(Token& t) {
    size_t b = i_;
    t.kind = Tok::Number;
    if (s_[i_] == '0' && i_ + 1 < s_.size() && (s_[i_ + 1] == 'x' || s_[i_ + 1] == 'X')) {
      i_ += 2;
      std::string digits;
      while (i_ < s_.size() && (std::isxdigit(static_cast<unsigned char>(s_[i_])) || s_[i_] == '_')) {
        if (s_[i_] != '_') digits += s_[i_];
        ++i_;
      }
      if (digits.empty()) throw SyntaxError{"invalid hex literal", b};
      t.value = Value::integer(static_cast<int64_t>(std::strtoull(digits.c_str(), nullptr, 16)));
      t.text = std::string(s_.substr(b, i_ - b));
      return;
    }
    std::string digits;
    bool is_float = false;
    auto take_digits = [&] {
      while (i_ < s_.size() && (std::isdigit(static_cast<unsigned char>(s_[i_])) || s_[i_] == '_')) {
        if (s_[i_] != '_') digits += s_[i_];
        ++i_;
      }
    };
    take_digits();
    // `1..3` is a range, not `1.` followed by `.3`.
    if (i_ + 1 < s_.size() && s_[i_] == '.' && std::isdigit(static_cast<unsigned char>(s_[i_ + 1]))) {
      is_float = true;
      digits += '.';
      ++i_;
      take_digits();
    }
    if (i_ < s_.size() && (s_[i_] == 'e' || s_[i_] == 'E')) {
      size_t save = i_;
      std::string exp = "e";
      ++i_;
      if (i_ < s_.size() && (s_[i_] == '+' || s_[i_] == '-')) exp += s_[i_++];
      if (i_ < s_.size() && std::isdigit(static_cast<unsigned char>(s_[i_]))) {
        is_float = true;
        digits += exp;
        take_digits();
      } else {
        i_ = save;
      }
    }
    if (i_ < s_.size() && (std::isalpha(static_cast<unsigned char>(s_[i_])) || s_[i_] == '_')) {
      throw SyntaxError{fmt::format("invalid number literal {:?}", std::string(s_.substr(b, i_ - b + 1))), b};
    }
    t.text = std::string(s_.substr(b, i_ - b));
    if (is_float) {
      t.value = Value::real(std::strtod(digits.c_str(), nullptr));
    } else {
      errno = 0;
      long long v = std::strtoll(digits.c_str(), nullptr, 10);
      if (errno == ERANGE) throw SyntaxError{fmt::format("integer literal {} is too large", t.text), b};
      t.value = Value::integer(v);
    }
  }

  void lex_string(Token& t) {
    char q = s_[i_];
    size_t b = i_;
    ++i_;
    std::string out;
    while (i_ < s_.size() && s_[i_] != q) {
      char c = s_[i_];
      if (c == '\\' && q != '`') {
        if (i_ + 1 >= s_.size()) break;
        char e = s_[i_ + 1];
        i_ += 2;
        switch (e) {
          case 'n': out += '\n'; break;
          case 't': out += '\t'; break;
          case 'r': out += '\r'; break;
          case 'a': out += '\a'; break;
          case 'b': out += '\b'; break;
          case 'f': out += '\f'; break;
          case 'v': out += '\v'; break;
          case '\\': out += '\\'; break;
          case '"': out += '"'; break;
          case '\'': out += '\''; break;
          case 'u': {
            if (i_ + 4 > s_.size()) throw SyntaxError{"invalid \\u escape", i_ - 2};
            unsigned cp = static_cast<unsigned>(std::strtoul(std::string(s_.substr(i_, 4)).c_str(), nullptr, 16));
            i_ += 4;
            if (cp < 0x80) {
              out += static_cast<char>(cp);
            } else if (cp < 0x800) {
              out += static_cast<char>(0xC0 | (cp >> 6));
              out += static_cast<char>(0x80 | (cp & 0x3F));
            } else {
              out += static_cast<char>(0xE0 | (cp >> 12));
              out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
              out += static_cast<char>(0x80 | (cp & 0x3F));
            }
            break;
          }
          default:
            throw SyntaxError{fmt::format("invalid escape sequence \\{}", e), i_ - 2};
        }
        continue;
      }
      out += c;
      ++i_;
    }
    if (i_ >= s_.size()) throw SyntaxError{"literal not terminated", b};
    ++i_;
    t.kind = Tok::String;
    t.text = std::string(s_.substr(b, i_ - b));
    t.literal = std::move(out);
  }

  std::string_view s_;
  size_t i_ = 0;
};

// ---------------------------------------------------------------------------------------
// AST

enum class Op {
  Lit, Result, Pointer, Member, Index, Slice, ArrayLit,
  Neg, Pos, Not,
  Add, Sub, Mul, Div, Mod, Pow,
  Eq, Ne, Lt, Gt, Le, Ge,
  And, Or, In, Matches, Contains, StartsWith, EndsWith, Coalesce, Range,
  Ternary, Call, Negate  // Negate wraps `not in`, `not matches`, ...
};

enum class Fn {
  Len, All, Any, None, One, Filter, Map, Count, Sum, Abs, Ceil, Floor, Round, Int, Float,
  String, Max, Min, Mean, First, Last, Lower, Upper, Trim, IsNaN, IsInf, IsNil, Default, AsInt,
  AsFloat
};

struct FnInfo {
  const char* name;
  Fn fn;
  int min_args;
  int max_args;  // -1 = variadic
  bool closure;  // second argument is a predicate over `#`
};

constexpr FnInfo kFunctions[] = {
    {"len", Fn::Len, 1, 1, false},       {"all", Fn::All, 2, 2, true},
    {"any", Fn::Any, 2, 2, true},        {"none", Fn::None, 2, 2, true},
    {"one", Fn::One, 2, 2, true},        {"filter", Fn::Filter, 2, 2, true},
    {"map", Fn::Map, 2, 2, true},        {"count", Fn::Count, 1, 2, true},
    {"sum", Fn::Sum, 1, 1, false},       {"abs", Fn::Abs, 1, 1, false},
    {"ceil", Fn::Ceil, 1, 1, false},     {"floor", Fn::Floor, 1, 1, false},
    {"round", Fn::Round, 1, 1, false},   {"int", Fn::Int, 1, 1, false},
    {"float", Fn::Float, 1, 1, false},   {"string", Fn::String, 1, 1, false},
    {"max", Fn::Max, 1, -1, false},      {"min", Fn::Min, 1, -1, false},
    {"mean", Fn::Mean, 1, 1, false},     {"first", Fn::First, 1, 1, false},
    {"last", Fn::Last, 1, 1, false},     {"lower", Fn::Lower, 1, 1, false},
    {"upper", Fn::Upper, 1, 1, false},   {"trim", Fn::Trim, 1, 1, false},
    {"isNaN", Fn::IsNaN, 1, 1, false},   {"isInf", Fn::IsInf, 1, 1, false},
    {"isNil", Fn::IsNil, 1, 1, false},   {"default", Fn::Default, 2, 2, false},
    {"asInt", Fn::AsInt, 1, 1, false},   {"asFloat", Fn::AsFloat, 1, 1, false},
};

struct Node {
  Op op = Op::Lit;
  size_t pos = 0;
  Value value;         // Lit (a string literal views `text`)
  std::string text;    // Lit: a string literal's contents
  std::string name;    // Member name; Call name; operator text for messages
  bool optional = false;  // `?.`
  Fn fn = Fn::Len;
  std::vector<std::unique_ptr<Node>> kids;
  std::shared_ptr<const Regex> regex;  // Matches with a literal pattern, compiled once
};
using NodePtr = std::unique_ptr<Node>;

NodePtr make(Op op, size_t pos) {
  auto n = std::make_unique<Node>();
  n->op = op;
  n->pos = pos;
  return n;
}

// ---------------------------------------------------------------------------------------
// Parser

struct BinInfo {
  const char* text;
  Op op;
  int prec;
  bool right;
};

constexpr BinInfo kBinary[] = {
    {"||", Op::Or, 10, false},        {"or", Op::Or, 10, false},
    {"&&", Op::And, 15, false},       {"and", Op::And, 15, false},
    {"==", Op::Eq, 20, false},        {"!=", Op::Ne, 20, false},
    {"<", Op::Lt, 20, false},         {">", Op::Gt, 20, false},
    {"<=", Op::Le, 20, false},        {">=", Op::Ge, 20, false},
    {"in", Op::In, 20, false},        {"matches", Op::Matches, 20, false},
    {"contains", Op::Contains, 20, false}, {"startsWith", Op::StartsWith, 20, false},
    {"endsWith", Op::EndsWith, 20, false}, {"..", Op::Range, 25, false},
    {"+", Op::Add, 30, false},        {"-", Op::Sub, 30, false},
    {"*", Op::Mul, 60, false},        {"/", Op::Div, 60, false},
    {"%", Op::Mod, 60, false},        {"**", Op::Pow, 100, true},
    {"^", Op::Pow, 100, true},        {"??", Op::Coalesce, 500, false},
};

class Parser {
 public:
  explicit Parser(std::vector<Token> toks) : t_(std::move(toks)) {}

  NodePtr parse_all() {
    auto n = parse_expression(0);
    if (cur().kind != Tok::End) {
      throw SyntaxError{fmt::format("unexpected token {:?}", cur().text), cur().pos};
    }
    return n;
  }

 private:
  const Token& cur() const { return t_[k_]; }
  const Token& peek_tok(size_t d = 1) const { return t_[std::min(k_ + d, t_.size() - 1)]; }
  bool is(std::string_view text) const {
    return (cur().kind == Tok::Op || cur().kind == Tok::Ident) && cur().text == text;
  }
  void expect(std::string_view text) {
    if (!(cur().kind == Tok::Op && cur().text == text)) {
      if (cur().kind == Tok::End) {
        throw SyntaxError{fmt::format("unexpected end of expression, expected {:?}", std::string(text)), cur().pos};
      }
      throw SyntaxError{fmt::format("unexpected token {:?}, expected {:?}", cur().text, std::string(text)), cur().pos};
    }
    ++k_;
  }

  const BinInfo* binary_at(size_t k) const {
    const Token& t = t_[k];
    if (t.kind != Tok::Op && t.kind != Tok::Ident) return nullptr;
    for (const auto& b : kBinary) {
      if (t.text == b.text) return &b;
    }
    return nullptr;
  }

  // Nesting bound: deep input turns into a syntax error, not a stack overflow (evaluation
  // recursion is bounded by the same depth).
  static constexpr int kMaxDepth = 200;
  struct DepthGuard {
    DepthGuard(int& d, size_t pos) : d_(d) {
      if (++d_ > kMaxDepth) throw SyntaxError{"expression nested too deeply", pos};
    }
    ~DepthGuard() { --d_; }
    int& d_;
  };

  NodePtr parse_expression(int min_prec) {
    DepthGuard guard(depth_, cur().pos);
    NodePtr left = parse_unary();
    while (true) {
      size_t pos = cur().pos;
      bool negated = false;
      const BinInfo* b = nullptr;
      if (cur().kind == Tok::Ident && cur().text == "not") {
        const BinInfo* nb = binary_at(k_ + 1);
        if (nb && (nb->op == Op::In || nb->op == Op::Matches || nb->op == Op::Contains ||
                   nb->op == Op::StartsWith || nb->op == Op::EndsWith)) {
          b = nb;
          negated = true;
        }
      } else {
        b = binary_at(k_);
      }
      if (!b || b->prec < min_prec) break;
      k_ += negated ? 2 : 1;
      NodePtr right = parse_expression(b->right ? b->prec : b->prec + 1);
      auto n = make(b->op, pos);
      n->name = b->text;
      if (b->op == Op::Matches && right->op == Op::Lit && right->value.type == Type::String) {
        auto re = Regex::compile(right->value.s);
        if (!re) throw SyntaxError{re.error().message, right->pos};
        n->regex = std::make_shared<const Regex>(std::move(*re));
      }
      n->kids.push_back(std::move(left));
      n->kids.push_back(std::move(right));
      if (negated) {
        auto w = make(Op::Negate, pos);
        w->name = std::string("not ") + b->text;
        w->kids.push_back(std::move(n));
        left = std::move(w);
      } else {
        left = std::move(n);
      }
    }
    if (min_prec == 0) {
      if (cur().kind == Tok::Op && cur().text == "?") {
        size_t pos = cur().pos;
        ++k_;
        auto n = make(Op::Ternary, pos);
        n->kids.push_back(std::move(left));
        n->kids.push_back(parse_expression(0));
        expect(":");
        n->kids.push_back(parse_expression(0));
        left = std::move(n);
      }
      if (cur().kind == Tok::Op && cur().text == "|") {  // pipe: a | f(b) == f(a, b)
        ++k_;
        if (cur().kind != Tok::Ident) throw SyntaxError{"expected a function call after '|'", cur().pos};
        auto call = parse_call(std::move(left));
        return call;
      }
    }
    return left;
  }

  NodePtr parse_unary() {
    const Token& t = cur();
    if ((t.kind == Tok::Op && t.text == "!") || (t.kind == Tok::Ident && t.text == "not")) {
      size_t pos = t.pos;
      ++k_;
      auto n = make(Op::Not, pos);
      n->name = "!";
      n->kids.push_back(parse_expression(50));
      return n;
    }
    if (t.kind == Tok::Op && (t.text == "-" || t.text == "+")) {
      size_t pos = t.pos;
      bool neg = t.text == "-";
      ++k_;
      auto n = make(neg ? Op::Neg : Op::Pos, pos);
      n->name = neg ? "-" : "+";
      n->kids.push_back(parse_expression(90));
      return n;
    }
    return parse_postfix(parse_primary());
  }

  NodePtr parse_primary() {
    const Token& t = cur();
    size_t pos = t.pos;
    switch (t.kind) {
      case Tok::End:
        throw SyntaxError{"unexpected end of expression", pos};
      case Tok::Number: {
        auto n = make(Op::Lit, pos);
        n->value = t.value;
        ++k_;
        return n;
      }
      case Tok::String: {
        auto n = make(Op::Lit, pos);
        n->text = t.literal;
        n->value = Value::string(n->text);  // the node is heap-allocated: `text` stays put
        ++k_;
        return n;
      }
      case Tok::Ident: {
        std::string name = t.text;
        if (name == "true" || name == "false") {
          auto n = make(Op::Lit, pos);
          n->value = Value::boolean(name == "true");
          ++k_;
          return n;
        }
        if (name == "nil") {
          ++k_;
          return make(Op::Lit, pos);
        }
        if (peek_tok().kind == Tok::Op && peek_tok().text == "(") return parse_call(nullptr);
        if (name == "result") {
          ++k_;
          return make(Op::Result, pos);
        }
        for (const auto& f : kFunctions) {
          if (name == f.name) throw SyntaxError{fmt::format("function {} must be called", name), pos};
        }
        throw SyntaxError{fmt::format("unknown name {}", name), pos};
      }
      case Tok::Op:
      case Tok::Punct:
        break;
    }
    if (t.text == "(") {
      ++k_;
      auto n = parse_expression(0);
      expect(")");
      return n;
    }
    if (t.text == "#") {
      if (closure_depth_ == 0) throw SyntaxError{"cannot use pointer accessor outside closure", pos};
      ++k_;
      return make(Op::Pointer, pos);
    }
    if (t.text == "." && closure_depth_ > 0 && peek_tok().kind == Tok::Ident) {
      // `.field` inside a closure is `#.field`.
      ++k_;
      auto n = make(Op::Member, pos);
      n->name = cur().text;
      ++k_;
      n->kids.push_back(make(Op::Pointer, pos));
      return n;
    }
    if (t.text == "[") {
      ++k_;
      auto n = make(Op::ArrayLit, pos);
      if (!is("]")) {
        while (true) {
          n->kids.push_back(parse_expression(0));
          if (is(",")) {
            ++k_;
            if (is("]")) break;  // trailing comma
            continue;
          }
          break;
        }
      }
      expect("]");
      return n;
    }
    if (t.text == "{") throw SyntaxError{"map literals are not supported", pos};
    throw SyntaxError{fmt::format("unexpected token {:?}", t.text), pos};
  }

  NodePtr parse_call(NodePtr piped) {
    const Token& t = cur();
    size_t pos = t.pos;
    std::string name = t.text;
    const FnInfo* info = nullptr;
    for (const auto& f : kFunctions) {
      if (name == f.name) info = &f;
    }
    if (!info) throw SyntaxError{fmt::format("unknown func {}", name), pos};
    ++k_;
    expect("(");
    auto n = make(Op::Call, pos);
    n->name = name;
    n->fn = info->fn;
    if (piped) n->kids.push_back(std::move(piped));
    if (!is(")")) {
      while (true) {
        bool closure = info->closure && n->kids.size() == 1;
        if (closure) ++closure_depth_;
        n->kids.push_back(parse_expression(0));
        if (closure) --closure_depth_;
        if (is(",")) {
          ++k_;
          continue;
        }
        break;
      }
    }
    expect(")");
    int argc = static_cast<int>(n->kids.size());
    if (argc < info->min_args) throw SyntaxError{fmt::format("not enough arguments to call {}", name), pos};
    if (info->max_args >= 0 && argc > info->max_args) {
      throw SyntaxError{fmt::format("too many arguments to call {}", name), pos};
    }
    return parse_postfix(std::move(n));
  }

  NodePtr parse_postfix(NodePtr n) {
    while (true) {
      const Token& t = cur();
      if (t.kind != Tok::Op) return n;
      if (t.text == "." || t.text == "?.") {
        size_t pos = t.pos;
        bool opt = t.text == "?.";
        ++k_;
        if (cur().kind != Tok::Ident) throw SyntaxError{"expected name after '.'", cur().pos};
        auto m = make(Op::Member, pos);
        m->name = cur().text;
        m->optional = opt;
        ++k_;
        m->kids.push_back(std::move(n));
        n = std::move(m);
        continue;
      }
      if (t.text == "[") {
        size_t pos = t.pos;
        ++k_;
        if (is(":")) {  // [:b]
          ++k_;
          auto s = make(Op::Slice, pos);
          s->kids.push_back(std::move(n));
          s->kids.push_back(nullptr);
          s->kids.push_back(is("]") ? nullptr : parse_expression(0));
          expect("]");
          n = std::move(s);
          continue;
        }
        auto idx = parse_expression(0);
        if (is(":")) {
          ++k_;
          auto s = make(Op::Slice, pos);
          s->kids.push_back(std::move(n));
          s->kids.push_back(std::move(idx));
          s->kids.push_back(is("]") ? nullptr : parse_expression(0));
          expect("]");
          n = std::move(s);
          continue;
        }
        expect("]");
        auto m = make(Op::Index, pos);
        m->kids.push_back(std::move(n));
        m->kids.push_back(std::move(idx));
        n = std::move(m);
        continue;
      }
      return n;
    }
  }

  std::vector<Token> t_;
  size_t k_ = 0;
  int closure_depth_ = 0;
  int depth_ = 0;
};

// ---------------------------------------------------------------------------------------
// Evaluator

struct Ctx {
  const json* raw;       // the bound result as given
  Value result;
  const Value* pointer = nullptr;  // `#` inside a closure
  Arena arena;           // what this evaluation builds
};

Value eval(const Node& n, Ctx& c);

[[noreturn]] void mismatch(const std::string& op, const Value& a, const Value& b) {
  raise(fmt::format("invalid operation: {} (mismatched types {} and {})", op, type_name(a),
                    type_name(b)));
}

bool expect_bool(const Value& v, const char* op, const Value& other) {
  if (v.type != Type::Bool) mismatch(op, v, other);
  return v.b;
}

int64_t wrap_int(uint64_t v) { return static_cast<int64_t>(v); }

Value arith(Op op, const std::string& text, const Value& a, const Value& b, Arena& arena) {
  if (op == Op::Add && a.type == Type::String && b.type == Type::String) {
    return arena.string(std::string(a.s).append(b.s));
  }
  if (!a.numeric() || !b.numeric()) mismatch(text, a, b);
  if (op == Op::Pow) return Value::real(std::pow(a.as_double(), b.as_double()));
  if (op == Op::Div) return Value::real(a.as_double() / b.as_double());
  if (op == Op::Mod) {
    if (a.type != Type::Int || b.type != Type::Int) mismatch(text, a, b);
    if (b.i == 0) raise("integer divide by zero");
    if (b.i == -1) return Value::integer(0);
    return Value::integer(a.i % b.i);
  }
  if (a.type == Type::Int && b.type == Type::Int) {
    uint64_t x = static_cast<uint64_t>(a.i), y = static_cast<uint64_t>(b.i);
    switch (op) {
      case Op::Add: return Value::integer(wrap_int(x + y));
      case Op::Sub: return Value::integer(wrap_int(x - y));
      default: return Value::integer(wrap_int(x * y));
    }
  }
  double x = a.as_double(), y = b.as_double();
  switch (op) {
    case Op::Add: return Value::real(x + y);
    case Op::Sub: return Value::real(x - y);
    default: return Value::real(x * y);
  }
}

bool ordered(Op op, const std::string& text, const Value& a, const Value& b) {
  if (a.numeric() && b.numeric()) {
    if (a.type == Type::Int && b.type == Type::Int) {
      switch (op) {
        case Op::Lt: return a.i < b.i;
        case Op::Gt: return a.i > b.i;
        case Op::Le: return a.i <= b.i;
        default: return a.i >= b.i;
      }
    }
    double x = a.as_double(), y = b.as_double();  // NaN: every ordered comparison is false
    switch (op) {
      case Op::Lt: return x < y;
      case Op::Gt: return x > y;
      case Op::Le: return x <= y;
      default: return x >= y;
    }
  }
  if (a.type == Type::String && b.type == Type::String) {
    int r = a.s.compare(b.s);
    switch (op) {
      case Op::Lt: return r < 0;
      case Op::Gt: return r > 0;
      case Op::Le: return r <= 0;
      default: return r >= 0;
    }
  }
  mismatch(text, a, b);
}

bool equal(const std::string& text, const Value& a, const Value& b) {
  // expr's checker rejects == between two known, different, non-numeric types; through
  // interface{} the runtime falls back to reflect.DeepEqual, which is false.
  if (!a.dynamic && !b.dynamic && a.type != Type::Nil && b.type != Type::Nil &&
      !(a.numeric() && b.numeric()) && type_name(a) != type_name(b)) {
    mismatch(text, a, b);
  }
  return deep_equal(a, b);
}

Value fetch(const Value& from, const Value& key, bool optional) {
  if (from.type == Type::Nil) {
    if (optional) return Value::nil();
    raise(fmt::format("cannot fetch {} from {}", format_value(key), type_name(from)));
  }
  if (from.type == Type::Map) {
    if (key.type != Type::String) {
      raise(fmt::format("cannot fetch {} from {}", format_value(key), type_name(from)));
    }
    auto it = from.j->find(key.s);
    if (it == from.j->end()) return Value::nil();
    return from_json(*it, true);
  }
  if (from.type == Type::Array || from.type == Type::String) {
    if (!key.numeric()) raise(fmt::format("cannot fetch {} from {}", format_value(key), type_name(from)));
    int64_t len = from.type == Type::String ? static_cast<int64_t>(from.s.size())
                                            : static_cast<int64_t>(array_size(from));
    int64_t idx = key.type == Type::Int ? key.i : static_cast<int64_t>(key.f);
    int64_t orig = idx;
    if (idx < 0) idx += len;
    if (idx < 0 || idx >= len) {
      raise(fmt::format("index out of range: {} (array length is {})", orig, len));
    }
    // A one-byte view into the same string, which outlives the evaluation like `from` does.
    if (from.type == Type::String) return Value::string(from.s.substr(static_cast<size_t>(idx), 1));
    return array_at(from, static_cast<size_t>(idx));
  }
  raise(fmt::format("cannot fetch {} from {}", format_value(key), type_name(from)));
}

double num_arg(const Value& v, const char* fn) {
  if (!v.numeric()) {
    raise(fmt::format("cannot use {} as argument (type float64) to call {}", type_name(v), fn));
  }
  return v.as_double();
}

const Value& need_array(const Value& v, const std::string& fn) {
  if (v.type != Type::Array) raise(fmt::format("invalid argument for {} (type {})", fn, type_name(v)));
  return v;
}

bool predicate(const Node& body, Ctx& c, const Value& elem) {
  const Value* saved = c.pointer;
  c.pointer = &elem;
  Value r = eval(body, c);
  c.pointer = saved;
  if (r.type != Type::Bool) raise(fmt::format("predicate should return boolean, got {}", type_name(r)));
  return r.b;
}

Value parse_go_int(std::string_view text) {
  // strconv.ParseInt(s, 10, 64)
  const std::string s(text);  // strtoll needs a terminated string
  size_t k = 0;
  if (k < s.size() && (s[k] == '+' || s[k] == '-')) ++k;
  bool ok = k < s.size();
  for (size_t m = k; m < s.size(); ++m) ok = ok && std::isdigit(static_cast<unsigned char>(s[m]));
  errno = 0;
  long long v = ok ? std::strtoll(s.c_str(), nullptr, 10) : 0;
  if (!ok) raise(fmt::format("strconv.ParseInt: parsing {:?}: invalid syntax", s));
  if (errno == ERANGE) raise(fmt::format("strconv.ParseInt: parsing {:?}: value out of range", s));
  Value r = Value::integer(v);
  return r;
}

Value parse_go_float(std::string_view text) {
  // strconv.ParseFloat(s, 64): decimal/hex floats, inf, infinity, nan (any case).
  const std::string s(text);  // strtod needs a terminated string
  std::string lower;
  for (char ch : s) lower += static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
  std::string body = lower;
  if (!body.empty() && (body[0] == '+' || body[0] == '-')) body = body.substr(1);
  if (body == "inf" || body == "infinity") {
    return Value::real(lower[0] == '-' ? -std::numeric_limits<double>::infinity()
                                       : std::numeric_limits<double>::infinity());
  }
  if (body == "nan") return Value::real(std::numeric_limits<double>::quiet_NaN());
  bool ok = !body.empty() && (std::isdigit(static_cast<unsigned char>(body[0])) || body[0] == '.');
  for (char ch : body) {
    if (!(std::isxdigit(static_cast<unsigned char>(ch)) || ch == '.' || ch == 'e' || ch == '+' ||
          ch == '-' || ch == 'x' || ch == 'p')) {
      ok = false;
    }
  }
  char* end = nullptr;
  double v = ok ? std::strtod(s.c_str(), &end) : 0;
  if (!ok || end == nullptr || *end != '\0' ||
      (body.starts_with("0x") && body.find('p') == std::string::npos)) {
    raise(fmt::format("strconv.ParseFloat: parsing {:?}: invalid syntax", s));
  }
  return Value::real(v);
}

Value call(const Node& n, Ctx& c) {
  auto arg = [&](size_t k) { return eval(*n.kids[k], c); };
  switch (n.fn) {
    case Fn::Len: {
      Value v = arg(0);
      if (v.type == Type::String) return Value::integer(static_cast<int64_t>(v.s.size()));
      if (v.type == Type::Array) return Value::integer(static_cast<int64_t>(array_size(v)));
      if (v.type == Type::Map) return Value::integer(static_cast<int64_t>(v.j->size()));
      raise(fmt::format("invalid argument for len (type {})", type_name(v)));
    }
    case Fn::All:
    case Fn::Any:
    case Fn::None:
    case Fn::One:
    case Fn::Filter:
    case Fn::Map:
    case Fn::Count: {
      Value arr = arg(0);
      need_array(arr, n.name);
      size_t len = array_size(arr);
      if (n.fn == Fn::Count && n.kids.size() == 1) {
        int64_t cnt = 0;
        for (size_t k = 0; k < len; ++k) {
          Value e = array_at(arr, k);
          if (e.type != Type::Bool) raise(fmt::format("invalid argument for count (type {})", type_name(e)));
          cnt += e.b ? 1 : 0;
        }
        return Value::integer(cnt);
      }
      const Node& body = *n.kids[1];
      List out;
      int64_t hits = 0;
      for (size_t k = 0; k < len; ++k) {
        Value e = array_at(arr, k);
        if (n.fn == Fn::Map) {
          const Value* saved = c.pointer;
          c.pointer = &e;
          out.push_back(eval(body, c));
          c.pointer = saved;
          continue;
        }
        bool p = predicate(body, c, e);
        switch (n.fn) {
          case Fn::All:
            if (!p) return Value::boolean(false);
            break;
          case Fn::Any:
            if (p) return Value::boolean(true);
            break;
          case Fn::None:
            if (p) return Value::boolean(false);
            break;
          case Fn::Filter:
            if (p) out.push_back(std::move(e));
            break;
          default:
            hits += p ? 1 : 0;
        }
      }
      switch (n.fn) {
        case Fn::All: return Value::boolean(true);
        case Fn::Any: return Value::boolean(false);
        case Fn::None: return Value::boolean(true);
        case Fn::One: return Value::boolean(hits == 1);
        case Fn::Count: return Value::integer(hits);
        default: return c.arena.array(std::move(out));
      }
    }
    case Fn::Sum:
    case Fn::Mean: {
      Value arr = arg(0);
      need_array(arr, n.name);
      size_t len = array_size(arr);
      bool all_int = true;
      int64_t isum = 0;
      double fsum = 0;
      for (size_t k = 0; k < len; ++k) {
        Value e = array_at(arr, k);
        if (!e.numeric()) raise(fmt::format("invalid argument for {} (type {})", n.name, type_name(e)));
        if (e.type == Type::Int) isum = wrap_int(static_cast<uint64_t>(isum) + static_cast<uint64_t>(e.i));
        else all_int = false;
        fsum += e.as_double();
      }
      if (n.fn == Fn::Mean) return Value::real(len == 0 ? 0.0 : fsum / static_cast<double>(len));
      return all_int ? Value::integer(isum) : Value::real(fsum);
    }
    case Fn::Abs: {
      Value v = arg(0);
      if (v.type == Type::Int) return Value::integer(v.i < 0 ? -v.i : v.i);
      if (v.type == Type::Float) return Value::real(std::fabs(v.f));
      raise(fmt::format("invalid argument for abs (type {})", type_name(v)));
    }
    case Fn::Ceil:
    case Fn::Floor:
    case Fn::Round: {
      Value v = arg(0);
      if (!v.numeric()) raise(fmt::format("invalid argument for {} (type {})", n.name, type_name(v)));
      double d = v.as_double();
      return Value::real(n.fn == Fn::Ceil ? std::ceil(d) : n.fn == Fn::Floor ? std::floor(d) : std::round(d));
    }
    case Fn::Int: {
      Value v = arg(0);
      if (v.type == Type::Int) return v;
      if (v.type == Type::Float) return Value::integer(static_cast<int64_t>(v.f));
      if (v.type == Type::String) return parse_go_int(v.s);
      raise(fmt::format("invalid operation: int({})", type_name(v)));
    }
    case Fn::Float: {
      Value v = arg(0);
      if (v.numeric()) return Value::real(v.as_double());
      if (v.type == Type::String) return parse_go_float(v.s);
      raise(fmt::format("invalid operation: float({})", type_name(v)));
    }
    case Fn::String:
      return c.arena.string(format_value(arg(0)));
    case Fn::Max:
    case Fn::Min: {
      List items;
      if (n.kids.size() == 1) {
        Value v = arg(0);
        if (v.type == Type::Array) {
          for (size_t k = 0; k < array_size(v); ++k) items.push_back(array_at(v, k));
        } else {
          items.push_back(std::move(v));
        }
      } else {
        for (size_t k = 0; k < n.kids.size(); ++k) items.push_back(arg(k));
      }
      if (items.empty()) raise(fmt::format("not enough arguments to call {}", n.name));
      Value best = items[0];
      for (const auto& v : items) {
        if (!v.numeric()) raise(fmt::format("invalid argument for {} (type {})", n.name, type_name(v)));
        bool better = n.fn == Fn::Max ? ordered(Op::Gt, ">", v, best) : ordered(Op::Lt, "<", v, best);
        if (better) best = v;
      }
      return best;
    }
    case Fn::First:
    case Fn::Last: {
      Value v = arg(0);
      need_array(v, n.name);
      size_t len = array_size(v);
      if (len == 0) return Value::nil();
      return array_at(v, n.fn == Fn::First ? 0 : len - 1);
    }
    case Fn::Lower:
    case Fn::Upper:
    case Fn::Trim: {
      Value v = arg(0);
      if (v.type != Type::String) raise(fmt::format("invalid argument for {} (type {})", n.name, type_name(v)));
      std::string s(v.s);
      if (n.fn == Fn::Trim) {
        size_t b = s.find_first_not_of(" \t\n\r\v\f");
        size_t e = s.find_last_not_of(" \t\n\r\v\f");
        s = b == std::string::npos ? "" : s.substr(b, e - b + 1);
      } else {
        for (auto& ch : s) {
          ch = static_cast<char>(n.fn == Fn::Lower ? std::tolower(static_cast<unsigned char>(ch))
                                                   : std::toupper(static_cast<unsigned char>(ch)));
        }
      }
      return c.arena.string(std::move(s));
    }
    case Fn::IsNaN:
      return Value::boolean(std::isnan(num_arg(arg(0), "isNaN")));
    case Fn::IsInf:
      return Value::boolean(std::isinf(num_arg(arg(0), "isInf")));
    case Fn::IsNil:
      // Argo's isNil ignores its argument and looks at the raw measurement value.
      (void)arg(0);
      return Value::boolean(c.raw->is_null());
    case Fn::Default: {
      // default(_, d): d when the raw measurement is nil, else the measurement (interface{}).
      (void)arg(0);
      if (c.raw->is_null()) {
        Value d = arg(1);
        d.dynamic = true;
        return d;
      }
      Value r = c.result;
      r.dynamic = true;
      return r;
    }
    case Fn::AsInt: {
      Value v = arg(0);
      if (v.type == Type::Int) return v;
      if (v.type == Type::Float) return Value::integer(static_cast<int64_t>(v.f));
      if (v.type == Type::String) return parse_go_int(v.s);
      raise(fmt::format("asInt: unsupported type {}", type_name(v)));
    }
    case Fn::AsFloat: {
      Value v = arg(0);
      if (v.numeric()) return Value::real(v.as_double());
      if (v.type == Type::String) return parse_go_float(v.s);
      raise(fmt::format("asFloat: unsupported type {}", type_name(v)));
    }
  }
  raise("unknown function");
}

Value eval(const Node& n, Ctx& c) {
  switch (n.op) {
    case Op::Lit:
      return n.value;
    case Op::Result:
      return c.result;
    case Op::Pointer:
      return *c.pointer;
    case Op::Member:
      return fetch(eval(*n.kids[0], c), Value::string(n.name), n.optional);
    case Op::Index: {
      Value from = eval(*n.kids[0], c);
      return fetch(from, eval(*n.kids[1], c), false);
    }
    case Op::Slice: {
      Value from = eval(*n.kids[0], c);
      if (from.type != Type::Array && from.type != Type::String) {
        raise(fmt::format("cannot slice {}", type_name(from)));
      }
      int64_t len = from.type == Type::String ? static_cast<int64_t>(from.s.size())
                                              : static_cast<int64_t>(array_size(from));
      auto bound = [&](const NodePtr& k, int64_t dflt) -> int64_t {
        if (!k) return dflt;
        Value v = eval(*k, c);
        if (!v.numeric()) raise(fmt::format("invalid slice index type {}", type_name(v)));
        int64_t x = v.type == Type::Int ? v.i : static_cast<int64_t>(v.f);
        if (x < 0) x += len;
        return std::clamp<int64_t>(x, 0, len);
      };
      int64_t a = bound(n.kids[1], 0), b = bound(n.kids[2], len);
      if (a > b) a = b;
      if (from.type == Type::String) {  // a view into the same string, which outlives the evaluation
        return Value::string(from.s.substr(static_cast<size_t>(a), static_cast<size_t>(b - a)));
      }
      List out;
      for (int64_t k = a; k < b; ++k) out.push_back(array_at(from, static_cast<size_t>(k)));
      return c.arena.array(std::move(out));
    }
    case Op::ArrayLit: {
      List out;
      for (const auto& k : n.kids) out.push_back(eval(*k, c));
      return c.arena.array(std::move(out));
    }
    case Op::Neg:
    case Op::Pos: {
      Value v = eval(*n.kids[0], c);
      if (!v.numeric()) raise(fmt::format("invalid operation: {}{} (unary operator on {})", n.name, type_name(v), type_name(v)));
      if (n.op == Op::Pos) return v;
      if (v.type == Type::Int) return Value::integer(wrap_int(0 - static_cast<uint64_t>(v.i)));
      return Value::real(-v.f);
    }
    case Op::Not: {
      Value v = eval(*n.kids[0], c);
      if (v.type != Type::Bool) raise(fmt::format("invalid operation: ! (mismatched type {})", type_name(v)));
      return Value::boolean(!v.b);
    }
    case Op::Negate: {
      Value v = eval(*n.kids[0], c);
      return Value::boolean(!v.b);
    }
    case Op::And:
    case Op::Or: {
      Value a = eval(*n.kids[0], c);
      if (a.type != Type::Bool) {
        Value b = eval(*n.kids[1], c);
        mismatch(n.name, a, b);
      }
      if (n.op == Op::And ? !a.b : a.b) return a;
      Value b = eval(*n.kids[1], c);
      expect_bool(b, n.name.c_str(), a);
      return b;
    }
    case Op::Ternary: {
      Value cond = eval(*n.kids[0], c);
      if (cond.type != Type::Bool) raise(fmt::format("non-bool expression (type {}) used as condition", type_name(cond)));
      return eval(*n.kids[cond.b ? 1 : 2], c);
    }
    case Op::Coalesce: {
      Value a = eval(*n.kids[0], c);
      if (a.type != Type::Nil) return a;
      return eval(*n.kids[1], c);
    }
    case Op::Call:
      return call(n, c);
    default:
      break;
  }
  Value a = eval(*n.kids[0], c);
  Value b = eval(*n.kids[1], c);
  switch (n.op) {
    case Op::Add:
    case Op::Sub:
    case Op::Mul:
    case Op::Div:
    case Op::Mod:
    case Op::Pow:
      return arith(n.op, n.name, a, b, c.arena);
    case Op::Eq:
      return Value::boolean(equal(n.name, a, b));
    case Op::Ne:
      return Value::boolean(!equal(n.name, a, b));
    case Op::Lt:
    case Op::Gt:
    case Op::Le:
    case Op::Ge:
      return Value::boolean(ordered(n.op, n.name, a, b));
    case Op::In: {
      if (b.type == Type::Array) {
        size_t len = array_size(b);
        for (size_t k = 0; k < len; ++k) {
          if (deep_equal(a, array_at(b, k))) return Value::boolean(true);
        }
        return Value::boolean(false);
      }
      if (b.type == Type::Map) {
        if (a.type != Type::String) mismatch("in", a, b);
        return Value::boolean(b.j->contains(a.s));
      }
      mismatch("in", a, b);
    }
    case Op::Matches: {
      if (a.type != Type::String || b.type != Type::String) mismatch("matches", a, b);
      if (n.regex) return Value::boolean(n.regex->search(a.s));
      auto re = Regex::compile(b.s);
      if (!re) raise(re.error().message);
      return Value::boolean(re->search(a.s));
    }
    case Op::Contains:
    case Op::StartsWith:
    case Op::EndsWith: {
      if (a.type != Type::String || b.type != Type::String) mismatch(n.name, a, b);
      if (n.op == Op::Contains) return Value::boolean(a.s.find(b.s) != std::string::npos);
      if (n.op == Op::StartsWith) return Value::boolean(a.s.starts_with(b.s));
      return Value::boolean(a.s.ends_with(b.s));
    }
    case Op::Range: {
      if (a.type != Type::Int || b.type != Type::Int) mismatch("..", a, b);
      if (b.i - a.i > 1'000'000) raise("range is too large");
      List out;
      for (int64_t k = a.i; k <= b.i; ++k) out.push_back(Value::integer(k));
      return c.arena.array(std::move(out));
    }
    default:
      break;
  }
  raise("internal: unknown operator");
}

std::string line_col(std::string_view src, size_t pos) {
  int line = 1, col = 1;
  for (size_t k = 0; k < pos && k < src.size(); ++k) {
    if (src[k] == '\n') {
      ++line;
      col = 1;
    } else {
      ++col;
    }
  }
  return fmt::format("({}:{})", line, col);
}

}  // namespace

struct Condition::Impl {
  std::string source;
  NodePtr root;
};

Condition::Condition() = default;
Condition::Condition(const Condition&) = default;
Condition::Condition(Condition&&) noexcept = default;
Condition& Condition::operator=(const Condition&) = default;
Condition& Condition::operator=(Condition&&) noexcept = default;
Condition::~Condition() = default;

Result<Condition> Condition::compile(std::string_view source) {
  auto impl = std::make_shared<Impl>();
  impl->source = std::string(source);
  try {
    Lexer lex(source);
    Parser p(lex.run());
    impl->root = p.parse_all();
  } catch (const SyntaxError& e) {
    return fail("invalid-condition", fmt::format("{} {}", e.message, line_col(source, e.pos)));
  }
  Condition c;
  c.impl_ = std::move(impl);
  return c;
}

Result<bool> Condition::evaluate(const json& result) const {
  REHEARSE_CHECK(impl_ != nullptr, "Condition::evaluate on a default-constructed Condition");
  Ctx ctx;
  ctx.raw = &result;
  ctx.result = from_json(result, false);
  try {
    Value v = eval(*impl_->root, ctx);
    if (v.type != Type::Bool) {
      return fail("condition-error", fmt::format("expected bool, but got {}", type_name(v)));
    }
    return v.b;
  } catch (const EvalError& e) {
    return fail("condition-error", e.message);
  }
}

const std::string& Condition::source() const {
  static const std::string kEmpty;
  return impl_ ? impl_->source : kEmpty;
}

}  // namespace rehearse::expr
