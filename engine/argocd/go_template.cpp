#include "engine/argocd/go_template.hpp"

#include <cctype>
#include <memory>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

namespace rehearse::argocd {

using nlohmann::json;

namespace {

// A template value: a JSON value, or Go's "invalid" reflect.Value (a missing map key under
// missingkey=default), which prints "<no value>" and propagates through field chains.
struct Val {
  json v;
  bool invalid = false;
  static Val missing() { return Val{json(), true}; }
};

struct Fail {
  std::string message;
};

// ---- lexer ---------------------------------------------------------------------------

enum class Tok { LParen, RParen, Pipe, Dot, Field, Var, String, Number, Ident, End };

struct Token {
  Tok type;
  std::string text;  // field name without '.', var name with '$', decoded string, ident
  bool space_before = false;
};

bool ident_char(char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '_'; }

std::vector<Token> lex(std::string_view s) {
  std::vector<Token> out;
  size_t i = 0;
  bool space = false;
  while (i < s.size()) {
    char c = s[i];
    if (c == ' ' || c == '\t' || c == '\n' || c == '\r') {
      space = true;
      ++i;
      continue;
    }
    Token t{Tok::End, {}, space};
    space = false;
    if (c == '(') {
      t.type = Tok::LParen;
      ++i;
    } else if (c == ')') {
      t.type = Tok::RParen;
      ++i;
    } else if (c == '|') {
      t.type = Tok::Pipe;
      ++i;
    } else if (c == '.') {
      size_t b = ++i;
      while (i < s.size() && ident_char(s[i])) ++i;
      if (b == i) {
        t.type = Tok::Dot;
      } else if (std::isdigit(static_cast<unsigned char>(s[b]))) {
        throw Fail{fmt::format("bad number syntax: \".{}\"", s.substr(b, i - b))};
      } else {
        t.type = Tok::Field;
        t.text = std::string(s.substr(b, i - b));
      }
    } else if (c == '$') {
      size_t b = i++;
      while (i < s.size() && ident_char(s[i])) ++i;
      t.type = Tok::Var;
      t.text = std::string(s.substr(b, i - b));
    } else if (c == '"') {
      ++i;
      std::string v;
      bool closed = false;
      while (i < s.size()) {
        char d = s[i++];
        if (d == '"') {
          closed = true;
          break;
        }
        if (d == '\\' && i < s.size()) {
          char e = s[i++];
          switch (e) {
            case 'n': v += '\n'; break;
            case 't': v += '\t'; break;
            case 'r': v += '\r'; break;
            case '\\': v += '\\'; break;
            case '"': v += '"'; break;
            default: throw Fail{fmt::format("invalid syntax in string escape \\{}", e)};
          }
        } else {
          v += d;
        }
      }
      if (!closed) throw Fail{"unterminated quoted string"};
      t.type = Tok::String;
      t.text = std::move(v);
    } else if (c == '`') {
      size_t e = s.find('`', i + 1);
      if (e == std::string_view::npos) throw Fail{"unterminated raw quoted string"};
      t.type = Tok::String;
      t.text = std::string(s.substr(i + 1, e - i - 1));
      i = e + 1;
    } else if (std::isdigit(static_cast<unsigned char>(c)) ||
               (c == '-' && i + 1 < s.size() && std::isdigit(static_cast<unsigned char>(s[i + 1])))) {
      size_t b = i++;
      while (i < s.size() && std::isdigit(static_cast<unsigned char>(s[i]))) ++i;
      t.type = Tok::Number;
      t.text = std::string(s.substr(b, i - b));
    } else if (ident_char(c)) {
      size_t b = i;
      while (i < s.size() && ident_char(s[i])) ++i;
      t.type = Tok::Ident;
      t.text = std::string(s.substr(b, i - b));
    } else {
      throw Fail{fmt::format("unexpected \"{}\" in command", c)};
    }
    out.push_back(std::move(t));
  }
  out.push_back(Token{Tok::End, {}, true});
  return out;
}

// ---- parser --------------------------------------------------------------------------

struct Pipeline;

struct Operand {
  enum class Type { Dot, Var, Literal, Func, Sub } type = Type::Dot;
  std::string name;  // var or function name
  json literal;
  std::shared_ptr<Pipeline> sub;
  std::vector<std::string> fields;  // chain applied after the term
};

struct Command {
  std::vector<Operand> operands;
};

struct Pipeline {
  std::vector<Command> commands;
};

bool is_function(std::string_view n);

class Parser {
 public:
  explicit Parser(std::vector<Token> toks) : t_(std::move(toks)) {}

  Pipeline parse_all() {
    Pipeline p = pipeline();
    if (peek().type != Tok::End) throw Fail{fmt::format("unexpected \"{}\" in operand", peek().text)};
    return p;
  }

 private:
  const Token& peek() const { return t_[i_]; }
  Token next() { return t_[i_++]; }

  Pipeline pipeline() {
    Pipeline p;
    for (;;) {
      Command c;
      while (peek().type != Tok::Pipe && peek().type != Tok::RParen && peek().type != Tok::End)
        c.operands.push_back(operand());
      if (c.operands.empty()) throw Fail{"missing value for command"};
      p.commands.push_back(std::move(c));
      if (peek().type != Tok::Pipe) break;
      next();
    }
    return p;
  }

  Operand operand() {
    Token tok = next();
    Operand o;
    switch (tok.type) {
      case Tok::Dot: o.type = Operand::Type::Dot; break;
      case Tok::Field:
        o.type = Operand::Type::Dot;
        o.fields.push_back(tok.text);
        break;
      case Tok::Var:
        if (tok.text != "$") throw Fail{fmt::format("undefined variable \"{}\"", tok.text)};
        o.type = Operand::Type::Var;
        o.name = tok.text;
        break;
      case Tok::String:
        o.type = Operand::Type::Literal;
        o.literal = tok.text;
        break;
      case Tok::Number:
        o.type = Operand::Type::Literal;
        o.literal = std::stoll(tok.text);
        break;
      case Tok::Ident:
        if (tok.text == "true" || tok.text == "false") {
          o.type = Operand::Type::Literal;
          o.literal = tok.text == "true";
        } else if (tok.text == "nil") {
          o.type = Operand::Type::Literal;
        } else if (tok.text == "if" || tok.text == "else" || tok.text == "end" || tok.text == "range" ||
                   tok.text == "with" || tok.text == "define" || tok.text == "template" ||
                   tok.text == "block" || tok.text == "break" || tok.text == "continue") {
          throw Fail{fmt::format("the \"{}\" action is not supported by rehearse's template subset",
                                 tok.text)};
        } else if (is_function(tok.text)) {
          o.type = Operand::Type::Func;
          o.name = tok.text;
        } else {
          throw Fail{fmt::format("function \"{}\" not defined", tok.text)};
        }
        break;
      case Tok::LParen: {
        o.type = Operand::Type::Sub;
        o.sub = std::make_shared<Pipeline>(pipeline());
        if (next().type != Tok::RParen) throw Fail{"unclosed left paren"};
        break;
      }
      default: throw Fail{"unexpected token in operand"};
    }
    while (peek().type == Tok::Field && !peek().space_before) o.fields.push_back(next().text);
    return o;
  }

  std::vector<Token> t_;
  size_t i_ = 0;
};

// ---- evaluation ----------------------------------------------------------------------

std::string type_name(const json& v) {
  switch (v.type()) {
    case json::value_t::string: return "string";
    case json::value_t::boolean: return "bool";
    case json::value_t::number_integer:
    case json::value_t::number_unsigned: return "int";
    case json::value_t::number_float: return "float64";
    case json::value_t::array: return "[]interface {}";
    case json::value_t::object: return "map[string]interface {}";
    default: return "interface {}";
  }
}

bool truthy(const Val& x) {
  if (x.invalid) return false;
  const json& v = x.v;
  switch (v.type()) {
    case json::value_t::null: return false;
    case json::value_t::boolean: return v.get<bool>();
    case json::value_t::string: return !v.get_ref<const std::string&>().empty();
    case json::value_t::array:
    case json::value_t::object: return !v.empty();
    case json::value_t::number_float: return v.get<double>() != 0;
    default: return v.get<int64_t>() != 0;
  }
}

class Exec {
 public:
  Exec(const json& data, const GoTemplateOptions& o) : data_(data), opts_(o) {}

  Val pipeline(const Pipeline& p) {
    Val value;
    bool have = false;
    for (const auto& c : p.commands) {
      value = command(c, have ? &value : nullptr);
      have = true;
      // Go turns a nil interface result into "no value" between commands.
      if (!value.invalid && value.v.is_null()) value = Val::missing();
    }
    return value;
  }

 private:
  Val command(const Command& c, const Val* piped) {
    const Operand& first = c.operands.front();
    if (first.type == Operand::Type::Func) {
      std::vector<Val> args;
      for (size_t i = 1; i < c.operands.size(); ++i) args.push_back(operand(c.operands[i]));
      if (piped) args.push_back(*piped);
      return call(first.name, args);
    }
    if (c.operands.size() > 1 || piped)
      throw Fail{"can't give argument to non-function " + describe(first)};
    return operand(first);
  }

  static std::string describe(const Operand& o) {
    std::string s = o.type == Operand::Type::Var ? o.name : "";
    for (const auto& f : o.fields) s += "." + f;
    return s.empty() ? "." : s;
  }

  Val operand(const Operand& o) {
    Val v;
    switch (o.type) {
      case Operand::Type::Dot:
      case Operand::Type::Var: v.v = data_; break;
      case Operand::Type::Literal: v.v = o.literal; break;
      case Operand::Type::Sub: v = pipeline(*o.sub); break;
      case Operand::Type::Func: v = call(o.name, {}); break;
    }
    for (const auto& f : o.fields) v = field(v, f);
    return v;
  }

  Val field(const Val& recv, const std::string& name) {
    if (recv.invalid) {
      if (opts_.missing_key == MissingKey::Error)
        throw Fail{fmt::format("nil data; no entry for key \"{}\"", name)};
      return Val::missing();
    }
    if (recv.v.is_null()) throw Fail{fmt::format("nil pointer evaluating interface {{}}.{}", name)};
    if (!recv.v.is_object())
      throw Fail{fmt::format("can't evaluate field {} in type {}", name, type_name(recv.v))};
    auto it = recv.v.find(name);
    if (it != recv.v.end()) return Val{*it};
    switch (opts_.missing_key) {
      case MissingKey::Default: return Val::missing();
      case MissingKey::Zero: return Val{json()};  // the zero interface: nil
      case MissingKey::Error: throw Fail{fmt::format("map has no entry for key \"{}\"", name)};
    }
    return Val::missing();
  }

  static const std::string& str_arg(const std::string& fn, const Val& a) {
    if (a.invalid || a.v.is_null())
      throw Fail{fmt::format("error calling {}: invalid value; expected string", fn)};
    if (!a.v.is_string())
      throw Fail{fmt::format("wrong type for value; expected string; got {}", type_name(a.v))};
    return a.v.get_ref<const std::string&>();
  }
  static int64_t int_arg(const Val& a) {
    if (!a.invalid && a.v.is_number_integer()) return a.v.get<int64_t>();
    if (!a.invalid && a.v.is_number_float()) return static_cast<int64_t>(a.v.get<double>());
    throw Fail{fmt::format("wrong type for value; expected int; got {}",
                           a.invalid ? "<no value>" : type_name(a.v))};
  }
  static void arity(const std::string& fn, const std::vector<Val>& a, size_t n) {
    if (a.size() != n)
      throw Fail{fmt::format("wrong number of args for {}: want {} got {}", fn, n, a.size())};
  }
  static Val s(std::string x) { return Val{json(std::move(x))}; }
  static std::string print_val(const Val& v) { return v.invalid ? "<no value>" : go_print(v.v); }

  Val call(const std::string& fn, const std::vector<Val>& a) {
    if (fn == "index") {
      if (a.empty()) throw Fail{"wrong number of args for index: want at least 1 got 0"};
      Val cur = a[0];
      for (size_t i = 1; i < a.size(); ++i) {
        if (cur.invalid || cur.v.is_null()) throw Fail{"error calling index: index of untyped nil"};
        if (cur.v.is_array()) {
          int64_t k = int_arg(a[i]);
          if (k < 0 || static_cast<size_t>(k) >= cur.v.size())
            throw Fail{fmt::format("error calling index: index out of range: {}", k)};
          cur = Val{cur.v[static_cast<size_t>(k)]};
        } else if (cur.v.is_object()) {
          const std::string& k = str_arg("index", a[i]);
          auto it = cur.v.find(k);
          cur = it == cur.v.end() ? Val{json()} : Val{*it};
        } else {
          throw Fail{fmt::format("error calling index: can't index item of type {}", type_name(cur.v))};
        }
      }
      return cur;
    }
    if (fn == "len") {
      arity(fn, a, 1);
      if (a[0].invalid || a[0].v.is_null()) throw Fail{"error calling len: len of nil pointer"};
      if (a[0].v.is_string()) return Val{json(a[0].v.get_ref<const std::string&>().size())};
      if (a[0].v.is_array() || a[0].v.is_object()) return Val{json(a[0].v.size())};
      throw Fail{fmt::format("error calling len: len of type {}", type_name(a[0].v))};
    }
    if (fn == "lower" || fn == "upper") {
      arity(fn, a, 1);
      std::string r = str_arg(fn, a[0]);
      for (char& ch : r) ch = static_cast<char>(fn == "lower" ? std::tolower(static_cast<unsigned char>(ch))
                                                              : std::toupper(static_cast<unsigned char>(ch)));
      return s(r);
    }
    if (fn == "title") {
      arity(fn, a, 1);
      std::string r = str_arg(fn, a[0]);
      bool start = true;
      for (char& ch : r) {
        if (start && std::isalpha(static_cast<unsigned char>(ch)))
          ch = static_cast<char>(std::toupper(static_cast<unsigned char>(ch)));
        start = !std::isalnum(static_cast<unsigned char>(ch));
      }
      return s(r);
    }
    if (fn == "replace") {
      arity(fn, a, 3);
      const std::string& from = str_arg(fn, a[0]);
      const std::string& to = str_arg(fn, a[1]);
      std::string src = str_arg(fn, a[2]);
      if (from.empty()) {  // Go's strings.Replace with an empty old inserts between runes
        std::string r = to;
        for (char ch : src) {
          r += ch;
          r += to;
        }
        return s(r);
      }
      std::string r;
      size_t pos = 0;
      for (size_t f; (f = src.find(from, pos)) != std::string::npos; pos = f + from.size())
        r += src.substr(pos, f - pos) + to;
      r += src.substr(pos);
      return s(r);
    }
    if (fn == "trunc") {
      arity(fn, a, 2);
      int64_t c = int_arg(a[0]);
      std::string src = str_arg(fn, a[1]);
      auto n = static_cast<int64_t>(src.size());
      if (c < 0 && n + c > 0) return s(src.substr(static_cast<size_t>(n + c)));
      if (c >= 0 && n > c) return s(src.substr(0, static_cast<size_t>(c)));
      return s(src);
    }
    if (fn == "trim") {
      arity(fn, a, 1);
      std::string r = str_arg(fn, a[0]);
      size_t b = r.find_first_not_of(" \t\n\r\v\f");
      if (b == std::string::npos) return s("");
      size_t e = r.find_last_not_of(" \t\n\r\v\f");
      return s(r.substr(b, e - b + 1));
    }
    if (fn == "trimPrefix" || fn == "trimSuffix" || fn == "hasPrefix" || fn == "hasSuffix" ||
        fn == "contains") {
      arity(fn, a, 2);
      const std::string& x = str_arg(fn, a[0]);
      const std::string& src = str_arg(fn, a[1]);
      bool pre = src.size() >= x.size() && src.compare(0, x.size(), x) == 0;
      bool suf = src.size() >= x.size() && src.compare(src.size() - x.size(), x.size(), x) == 0;
      if (fn == "trimPrefix") return s(pre ? src.substr(x.size()) : src);
      if (fn == "trimSuffix") return s(suf ? src.substr(0, src.size() - x.size()) : src);
      if (fn == "hasPrefix") return Val{json(pre)};
      if (fn == "hasSuffix") return Val{json(suf)};
      return Val{json(src.find(x) != std::string::npos)};
    }
    if (fn == "default") {
      if (a.empty()) throw Fail{"wrong number of args for default: want at least 1 got 0"};
      if (a.size() == 1 || !truthy(a[1])) return a[0];
      return a[1];
    }
    if (fn == "quote" || fn == "squote") {
      std::string q = fn == "quote" ? "\"" : "'", r;
      for (const auto& x : a) {
        if (x.invalid || x.v.is_null()) continue;
        if (!r.empty()) r += ' ';
        std::string body = go_print(x.v);
        if (fn == "quote") {  // strconv.Quote for ASCII text
          std::string e;
          for (char ch : body) {
            if (ch == '"' || ch == '\\') e += '\\';
            if (ch == '\n') {
              e += "\\n";
              continue;
            }
            e += ch;
          }
          body = e;
        }
        r += q + body + q;
      }
      return s(r);
    }
    if (fn == "toString") {
      arity(fn, a, 1);
      return s(a[0].invalid || a[0].v.is_null() ? "" : go_print(a[0].v));
    }
    if (fn == "normalize") {
      arity(fn, a, 1);
      return s(sanitize_name(str_arg(fn, a[0])));
    }
    if (fn == "join") {
      arity(fn, a, 2);
      const std::string& sep = str_arg(fn, a[0]);
      std::string r;
      if (!a[1].invalid && a[1].v.is_array()) {
        bool first = true;
        for (const auto& e : a[1].v) {
          if (e.is_null()) continue;
          if (!first) r += sep;
          first = false;
          r += go_print(e);
        }
      } else if (!a[1].invalid && !a[1].v.is_null()) {
        r = go_print(a[1].v);
      }
      return s(r);
    }
    if (fn == "splitList") {
      arity(fn, a, 2);
      const std::string& sep = str_arg(fn, a[0]);
      const std::string& src = str_arg(fn, a[1]);
      json out = json::array();
      if (sep.empty()) {
        for (char ch : src) out.push_back(std::string(1, ch));
      } else {
        size_t pos = 0;
        for (size_t f; (f = src.find(sep, pos)) != std::string::npos; pos = f + sep.size())
          out.push_back(src.substr(pos, f - pos));
        out.push_back(src.substr(pos));
      }
      return Val{out};
    }
    if (fn == "list") {
      json out = json::array();
      for (const auto& x : a) out.push_back(x.v);
      return Val{out};
    }
    if (fn == "print" || fn == "printf") {
      if (fn == "print") {
        std::string r;
        for (size_t i = 0; i < a.size(); ++i) {
          bool str_here = !a[i].invalid && a[i].v.is_string();
          bool str_prev = i > 0 && !a[i - 1].invalid && a[i - 1].v.is_string();
          if (i > 0 && !str_here && !str_prev) r += ' ';
          r += a[i].invalid || a[i].v.is_null() ? "<nil>" : go_print(a[i].v);
        }
        return s(r);
      }
      if (a.empty()) throw Fail{"wrong number of args for printf: want at least 1 got 0"};
      const std::string& f = str_arg(fn, a[0]);
      std::string r;
      size_t k = 1;
      for (size_t i = 0; i < f.size(); ++i) {
        if (f[i] != '%' || i + 1 == f.size()) {
          r += f[i];
          continue;
        }
        char verb = f[++i];
        if (verb == '%') {
          r += '%';
          continue;
        }
        if (k >= a.size()) {
          r += fmt::format("%!{}(MISSING)", verb);
          continue;
        }
        const Val& x = a[k++];
        std::string text = x.invalid || x.v.is_null() ? "<nil>" : go_print(x.v);
        if (verb == 'q') text = "\"" + text + "\"";
        r += text;
      }
      return s(r);
    }
    if (fn == "eq" || fn == "ne") {
      if (a.size() < 2) throw Fail{fmt::format("wrong number of args for {}", fn)};
      bool any = false;
      for (size_t i = 1; i < a.size(); ++i) any = any || (a[0].v == a[i].v && a[0].invalid == a[i].invalid);
      return Val{json(fn == "eq" ? any : !any)};
    }
    if (fn == "not") {
      arity(fn, a, 1);
      return Val{json(!truthy(a[0]))};
    }
    if (fn == "and" || fn == "or") {
      if (a.empty()) throw Fail{fmt::format("wrong number of args for {}", fn)};
      for (const auto& x : a)
        if (truthy(x) == (fn == "or")) return x;
      return a.back();
    }
    throw Fail{fmt::format("function \"{}\" not defined", fn)};
  }

  const json& data_;
  const GoTemplateOptions& opts_;
};

bool is_function(std::string_view n) {
  static constexpr std::string_view kFns[] = {
      "index", "len", "print", "printf", "lower", "upper", "title", "replace", "trunc", "trim",
      "trimPrefix", "trimSuffix", "default", "quote", "squote", "toString", "join", "splitList",
      "list", "contains", "hasPrefix", "hasSuffix", "normalize", "eq", "ne", "not", "and", "or"};
  for (auto f : kFns)
    if (f == n) return true;
  return false;
}

bool is_space(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }

}  // namespace

std::string go_print(const json& v) {
  switch (v.type()) {
    case json::value_t::null: return "<nil>";
    case json::value_t::string: return v.get<std::string>();
    case json::value_t::boolean: return v.get<bool>() ? "true" : "false";
    case json::value_t::number_float: {
      double d = v.get<double>();
      if (d == static_cast<double>(static_cast<int64_t>(d)) && d < 1e21 && d > -1e21)
        return std::to_string(static_cast<int64_t>(d));
      return v.dump();
    }
    case json::value_t::array: {
      std::string r = "[";
      for (size_t i = 0; i < v.size(); ++i) r += (i ? " " : "") + go_print(v[i]);
      return r + "]";
    }
    case json::value_t::object: {
      std::string r = "map[";
      bool first = true;
      for (auto it = v.begin(); it != v.end(); ++it) {  // nlohmann objects iterate sorted
        r += (first ? "" : " ") + it.key() + ":" + go_print(it.value());
        first = false;
      }
      return r + "]";
    }
    default: return v.dump();
  }
}

std::string sanitize_name(std::string_view name) {
  std::string r;
  for (char c : name) {
    char l = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    bool ok = (l >= 'a' && l <= 'z') || (l >= '0' && l <= '9') || l == '-' || l == '.';
    r += ok ? l : '-';
  }
  if (r.size() > 253) r.resize(253);
  size_t b = r.find_first_not_of("-.");
  if (b == std::string::npos) return "";
  size_t e = r.find_last_not_of("-.");
  return r.substr(b, e - b + 1);
}

Result<GoTemplateOptions> parse_go_template_options(const std::vector<std::string>& options) {
  GoTemplateOptions o;
  for (const auto& opt : options) {
    if (opt == "missingkey=default" || opt == "missingkey=invalid") o.missing_key = MissingKey::Default;
    else if (opt == "missingkey=zero") o.missing_key = MissingKey::Zero;
    else if (opt == "missingkey=error") o.missing_key = MissingKey::Error;
    else return fail("template", fmt::format("unrecognized option: {}", opt));
  }
  return o;
}

Result<std::string> execute_go_template(std::string_view tmpl, const json& data,
                                        const GoTemplateOptions& options) {
  std::string out;
  size_t i = 0;
  try {
    while (i < tmpl.size()) {
      size_t open = tmpl.find("{{", i);
      if (open == std::string_view::npos) {
        out.append(tmpl.substr(i));
        break;
      }
      size_t body = open + 2;
      // `{{- ` trims the whitespace before the action (Go requires the space after '-').
      if (body + 1 < tmpl.size() && tmpl[body] == '-' && is_space(tmpl[body + 1])) {
        std::string_view text = tmpl.substr(i, open - i);
        size_t e = text.size();
        while (e > 0 && is_space(text[e - 1])) --e;
        out.append(text.substr(0, e));
        body += 2;
      } else {
        out.append(tmpl.substr(i, open - i));
      }
      size_t close = tmpl.find("}}", body);
      if (close == std::string_view::npos) throw Fail{"unclosed action"};
      size_t end = close;
      bool trim_after = false;
      if (end >= body + 2 && tmpl[end - 1] == '-' && is_space(tmpl[end - 2])) {
        trim_after = true;
        end -= 2;
      }
      std::string_view action = tmpl.substr(body, end - body);
      i = close + 2;
      if (trim_after)
        while (i < tmpl.size() && is_space(tmpl[i])) ++i;
      size_t a = 0;
      while (a < action.size() && is_space(action[a])) ++a;
      if (action.substr(a).rfind("/*", 0) == 0) continue;  // comment
      Parser p(lex(action));
      Pipeline pipe = p.parse_all();
      Exec ex(data, options);
      Val v = ex.pipeline(pipe);
      out += v.invalid || v.v.is_null() ? "<no value>" : go_print(v.v);
    }
  } catch (const Fail& f) {
    return fail("template", fmt::format("template: {}: {}", tmpl, f.message));
  }
  return out;
}

}  // namespace rehearse::argocd
