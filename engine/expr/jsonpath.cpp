#include "engine/expr/jsonpath.hpp"

#include <fmt/format.h>

#include <cmath>
#include <cstdlib>
#include <nlohmann/json.hpp>
#include <optional>

// Semantics follow k8s.io/client-go/util/jsonpath (parser.go, jsonpath.go):
// - `[n]` and slices `[a:b:c]` with negative indexes counted from the end; an index out of
//   range selects nothing (kubectl reports an error there; rehearse, like allowMissingKeys,
//   treats a missing value as "no match" - see the header);
// - `*` on an object yields its values in key order (client-go sorts map keys for
//   printing; nlohmann objects are sorted, so the order is byte-wise by key);
// - `..` collects every node that has children (objects and arrays, not leaves), the node
//   first, then its descendants, as client-go's evalRecursive does;
// - filters compare exactly one left value with one right value; an element whose left
//   path selects nothing is skipped; `[?(@.x)]` keeps elements where the path exists.

namespace rehearse::expr {

using nlohmann::json;

namespace {

struct Step;

struct Operand {
  bool is_path = false;
  bool from_root = false;  // `$...` inside a filter
  std::vector<Step> steps;
  json literal;
};

struct Filter {
  Operand left;
  std::string op;  // "", "==", "!=", "<", ">", "<=", ">="; "" = exists
  Operand right;
};

struct Selector {
  enum class Kind { Index, Slice, Name } kind = Kind::Index;
  std::optional<long> a, b, c;  // Index uses a
  std::vector<std::string> path;  // Name: `['a.b']` is the path a -> b, as in client-go
};

struct Step {
  enum class Kind { Field, Wildcard, Recursive, Subscript, Filter, Current } kind;
  std::string name;                 // Field
  std::vector<Selector> selectors;  // Subscript (union when more than one)
  std::shared_ptr<const Filter> filter;
};

}  // namespace

struct JsonPath::Node {
  bool is_text = false;
  std::string text;
  std::vector<Step> steps;
};

namespace {

class Parser {
 public:
  explicit Parser(std::string_view s) : s_(s) {}

  Result<std::vector<Step>> parse_expression() {
    std::vector<Step> steps;
    skip_ws();
    if (at("range") || at("end")) {
      return err(pos_, "range/end templates are not supported");
    }
    if (peek() == '$' || peek() == '@') ++pos_;
    bool first = true;
    while (true) {
      skip_ws();
      if (eof()) break;
      char c = peek();
      if (c == '.') {
        ++pos_;
        if (peek() == '.') {
          ++pos_;
          steps.push_back(Step{Step::Kind::Recursive, {}, {}, {}});
          if (peek() == '[') continue;
          if (peek() == '.' && pos_ + 1 < s_.size() && is_name_char(s_[pos_ + 1])) ++pos_;  // `...x`
          if (peek() == '*') {
            ++pos_;
            steps.push_back(Step{Step::Kind::Wildcard, {}, {}, {}});
            continue;
          }
          auto name = parse_name();
          if (name.empty()) return err(pos_, "expected a field name after '..'");
          steps.push_back(Step{Step::Kind::Field, name, {}, {}});
          continue;
        }
        if (peek() == '*') {
          ++pos_;
          steps.push_back(Step{Step::Kind::Wildcard, {}, {}, {}});
          continue;
        }
        if (eof() || peek() == '[' || is_space(peek())) {
          // `{.}` or `.[0]`: the current node.
          if (eof() || is_space(peek())) steps.push_back(Step{Step::Kind::Current, {}, {}, {}});
          continue;
        }
        auto name = parse_name();
        if (name.empty()) return err(pos_, fmt::format("unexpected character '{}'", peek()));
        steps.push_back(Step{Step::Kind::Field, name, {}, {}});
      } else if (c == '[') {
        auto st = parse_bracket();
        if (!st) return unexpected(st.error());
        steps.push_back(std::move(*st));
      } else if (first && is_name_char(c)) {
        auto name = parse_name();
        steps.push_back(Step{Step::Kind::Field, name, {}, {}});
      } else {
        break;
      }
      first = false;
    }
    return steps;
  }

  bool eof() const { return pos_ >= s_.size(); }
  size_t pos() const { return pos_; }
  char peek() const { return eof() ? '\0' : s_[pos_]; }

  Unexpected<Error> err(size_t at, std::string msg) const {
    return fail("invalid-jsonpath",
                fmt::format("invalid jsonpath {:?}: {} at offset {}", std::string(s_), msg, at));
  }

 private:
  static bool is_space(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }
  static bool is_name_char(char c) {
    return !(c == '.' || c == '[' || c == ']' || c == '(' || c == ')' || c == '\'' || c == '"' ||
             c == '!' || c == '=' || c == '<' || c == '>' || c == ',' || c == '{' || c == '}' ||
             c == '@' || c == '$' || c == '?' || c == '*' || is_space(c) || c == '\0');
  }
  bool at(std::string_view word) const {
    if (s_.substr(pos_, word.size()) != word) return false;
    size_t e = pos_ + word.size();
    return e >= s_.size() || is_space(s_[e]);
  }
  void skip_ws() {
    while (!eof() && is_space(peek())) ++pos_;
  }

  // Splits a bracketed key on unescaped dots (`kubernetes\.io/name` stays one key).
  static std::vector<std::string> split_path(const std::string& key) {
    std::vector<std::string> out(1);
    for (size_t k = 0; k < key.size(); ++k) {
      if (key[k] == '\\' && k + 1 < key.size() && key[k + 1] == '.') {
        out.back() += '.';
        ++k;
      } else if (key[k] == '.') {
        out.emplace_back();
      } else {
        out.back() += key[k];
      }
    }
    return out;
  }

  std::string parse_name() {
    std::string out;
    while (!eof()) {
      char c = peek();
      if (c == '\\' && pos_ + 1 < s_.size()) {  // `\.` escapes a dot inside a key
        out += s_[pos_ + 1];
        pos_ += 2;
        continue;
      }
      if (!is_name_char(c)) break;
      out += c;
      ++pos_;
    }
    return out;
  }

  Result<std::string> parse_quoted() {
    char q = peek();
    size_t start = pos_;
    ++pos_;
    std::string out;
    while (!eof() && peek() != q) {
      if (peek() == '\\' && pos_ + 1 < s_.size()) {
        ++pos_;
        if (peek() == '.') out += '\\';  // keep `\.` for split_path
      }
      out += peek();
      ++pos_;
    }
    if (eof()) return err(start, "unterminated string");
    ++pos_;
    return out;
  }

  std::optional<long> parse_int() {
    size_t start = pos_;
    if (peek() == '-' || peek() == '+') ++pos_;
    while (!eof() && std::isdigit(static_cast<unsigned char>(peek()))) ++pos_;
    if (pos_ == start || (pos_ == start + 1 && !std::isdigit(static_cast<unsigned char>(s_[start])))) {
      pos_ = start;
      return std::nullopt;
    }
    return std::strtol(std::string(s_.substr(start, pos_ - start)).c_str(), nullptr, 10);
  }

  Result<Step> parse_bracket() {
    size_t open = pos_;
    ++pos_;  // '['
    skip_ws();
    if (peek() == '*') {
      ++pos_;
      skip_ws();
      if (peek() != ']') return err(pos_, "expected ']' after '*'");
      ++pos_;
      return Step{Step::Kind::Wildcard, {}, {}, {}};
    }
    if (peek() == '?') {
      ++pos_;
      skip_ws();
      if (peek() != '(') return err(pos_, "expected '(' after '?'");
      ++pos_;
      auto f = parse_filter();
      if (!f) return unexpected(f.error());
      skip_ws();
      if (peek() != ')') return err(pos_, "expected ')' to close the filter");
      ++pos_;
      skip_ws();
      if (peek() != ']') return err(pos_, "expected ']' to close the filter");
      ++pos_;
      Step st{Step::Kind::Filter, {}, {}, {}};
      st.filter = std::make_shared<const Filter>(std::move(*f));
      return st;
    }
    Step st{Step::Kind::Subscript, {}, {}, {}};
    while (true) {
      skip_ws();
      Selector sel;
      if (peek() == '\'' || peek() == '"') {
        auto q = parse_quoted();
        if (!q) return unexpected(q.error());
        sel.kind = Selector::Kind::Name;
        sel.path = split_path(*q);
      } else {
        sel.a = parse_int();
        skip_ws();
        if (peek() == ':') {
          sel.kind = Selector::Kind::Slice;
          ++pos_;
          skip_ws();
          sel.b = parse_int();
          skip_ws();
          if (peek() == ':') {
            ++pos_;
            skip_ws();
            sel.c = parse_int();
          }
        } else if (!sel.a) {
          return err(pos_, "expected an index, a slice, a quoted name, '*' or '?(' in brackets");
        }
      }
      st.selectors.push_back(std::move(sel));
      skip_ws();
      if (peek() == ',') {
        ++pos_;
        continue;
      }
      if (peek() == ']') {
        ++pos_;
        break;
      }
      if (eof()) return err(open, "unterminated '['");
      return err(pos_, fmt::format("unexpected character '{}' in brackets", peek()));
    }
    return st;
  }

  Result<Operand> parse_operand() {
    skip_ws();
    Operand o;
    char c = peek();
    if (c == '@' || c == '$') {
      o.is_path = true;
      o.from_root = c == '$';
      ++pos_;
      // Path steps up to an operator or the closing parenthesis.
      while (!eof()) {
        char d = peek();
        if (d == '.') {
          ++pos_;
          if (peek() == '.') {
            ++pos_;
            o.steps.push_back(Step{Step::Kind::Recursive, {}, {}, {}});
            if (peek() == '[') continue;
          }
          if (peek() == '*') {
            ++pos_;
            o.steps.push_back(Step{Step::Kind::Wildcard, {}, {}, {}});
            continue;
          }
          auto name = parse_name();
          if (name.empty()) return err(pos_, "expected a field name");
          o.steps.push_back(Step{Step::Kind::Field, name, {}, {}});
        } else if (d == '[') {
          auto st = parse_bracket();
          if (!st) return unexpected(st.error());
          o.steps.push_back(std::move(*st));
        } else {
          break;
        }
      }
      return o;
    }
    if (c == '\'' || c == '"') {
      auto q = parse_quoted();
      if (!q) return unexpected(q.error());
      o.literal = *q;
      return o;
    }
    size_t start = pos_;
    while (!eof() && (std::isalnum(static_cast<unsigned char>(peek())) || peek() == '.' ||
                      peek() == '-' || peek() == '+' || peek() == '_')) {
      ++pos_;
    }
    std::string word(s_.substr(start, pos_ - start));
    if (word == "true") {
      o.literal = true;
    } else if (word == "false") {
      o.literal = false;
    } else if (word == "null" || word == "nil") {
      o.literal = nullptr;
    } else {
      char* end = nullptr;
      if (word.empty()) return err(start, "expected a value in the filter");
      bool is_int = word.find_first_of(".eE") == std::string::npos;
      if (is_int) {
        long long v = std::strtoll(word.c_str(), &end, 10);
        o.literal = v;
      } else {
        double v = std::strtod(word.c_str(), &end);
        o.literal = v;
      }
      if (end == nullptr || *end != '\0') {
        return err(start, fmt::format("unrecognized literal {:?} in the filter", word));
      }
    }
    return o;
  }

  Result<Filter> parse_filter() {
    if (++filter_depth_ > 32) return err(pos_, "filters nested too deeply");
    Filter f;
    auto l = parse_operand();
    if (!l) return unexpected(l.error());
    f.left = std::move(*l);
    skip_ws();
    static const char* kOps[] = {"==", "!=", "<=", ">=", "<", ">"};
    for (const char* op : kOps) {
      std::string_view sv(op);
      if (s_.substr(pos_, sv.size()) == sv) {
        f.op = op;
        pos_ += sv.size();
        break;
      }
    }
    if (f.op.empty()) {
      if (peek() == '=') return err(pos_, "use '==' to compare in a filter");
      if (!f.left.is_path) return err(pos_, "a filter without an operator needs a path");
      return f;
    }
    auto r = parse_operand();
    if (!r) return unexpected(r.error());
    f.right = std::move(*r);
    return f;
  }

  std::string_view s_;
  size_t pos_ = 0;
  int filter_depth_ = 0;  // counts every filter in the path; plenty for real paths
};

using Nodes = std::vector<const json*>;

Nodes eval_steps(const std::vector<Step>& steps, Nodes cur, const json& root);

void collect_recursive(const json* v, Nodes& out) {
  if (v->is_object() && !v->empty()) {
    out.push_back(v);
    for (const auto& [k, child] : v->items()) collect_recursive(&child, out);
  } else if (v->is_array() && !v->empty()) {
    out.push_back(v);
    for (const auto& child : *v) collect_recursive(&child, out);
  }
}

// Ordering and equality between two filter values; nullopt when they are not comparable
// (client-go errors there; the element is then not selected).
std::optional<int> compare(const json& a, const json& b) {
  if (a.is_number() && b.is_number()) {
    double x = a.get<double>(), y = b.get<double>();
    if (std::isnan(x) || std::isnan(y)) return std::nullopt;
    return x < y ? -1 : (x > y ? 1 : 0);
  }
  if (a.is_string() && b.is_string()) {
    int c = a.get_ref<const std::string&>().compare(b.get_ref<const std::string&>());
    return c < 0 ? -1 : (c > 0 ? 1 : 0);
  }
  if (a.is_boolean() && b.is_boolean()) {
    return static_cast<int>(a.get<bool>()) - static_cast<int>(b.get<bool>());
  }
  if (a.is_null() && b.is_null()) return 0;
  return std::nullopt;
}

std::vector<json> operand_values(const Operand& o, const json* elem, const json& root) {
  if (!o.is_path) return {o.literal};
  Nodes start{o.from_root ? &root : elem};
  std::vector<json> out;
  for (const json* n : eval_steps(o.steps, std::move(start), root)) out.push_back(*n);
  return out;
}

bool filter_keeps(const Filter& f, const json* elem, const json& root) {
  auto lefts = operand_values(f.left, elem, root);
  if (f.op.empty()) return !lefts.empty();
  if (lefts.size() != 1) return false;
  auto rights = operand_values(f.right, elem, root);
  if (rights.size() != 1) return false;
  auto c = compare(lefts[0], rights[0]);
  if (f.op == "==") return c && *c == 0;
  if (f.op == "!=") return !(c && *c == 0);
  if (!c) return false;
  if (f.op == "<") return *c < 0;
  if (f.op == ">") return *c > 0;
  if (f.op == "<=") return *c <= 0;
  return *c >= 0;  // ">="
}

void apply_selector(const Selector& sel, const json* v, Nodes& out) {
  if (sel.kind == Selector::Kind::Name) {
    for (const auto& key : sel.path) {
      if (!v->is_object()) return;
      auto it = v->find(key);
      if (it == v->end()) return;
      v = &*it;
    }
    out.push_back(v);
    return;
  }
  if (!v->is_array()) return;
  long len = static_cast<long>(v->size());
  if (sel.kind == Selector::Kind::Index) {
    long i = *sel.a;
    if (i < 0) i += len;
    if (i >= 0 && i < len) out.push_back(&(*v)[static_cast<size_t>(i)]);
    return;
  }
  long step = sel.c.value_or(1);
  if (step <= 0) return;  // client-go: "step must be > 0"
  long a = sel.a.value_or(0), b = sel.b.value_or(len);
  if (a < 0) a += len;
  if (b < 0) b += len;
  a = std::clamp(a, 0L, len);
  b = std::clamp(b, 0L, len);
  for (long i = a; i < b; i += step) out.push_back(&(*v)[static_cast<size_t>(i)]);
}

Nodes eval_steps(const std::vector<Step>& steps, Nodes cur, const json& root) {
  for (const Step& st : steps) {
    Nodes next;
    switch (st.kind) {
      case Step::Kind::Current:
        next = cur;
        break;
      case Step::Kind::Field:
        for (const json* v : cur) {
          if (!v->is_object()) continue;
          auto it = v->find(st.name);
          if (it != v->end()) next.push_back(&*it);
        }
        break;
      case Step::Kind::Wildcard:
        for (const json* v : cur) {
          if (v->is_object() || v->is_array()) {
            for (const auto& child : *v) next.push_back(&child);
          }
        }
        break;
      case Step::Kind::Recursive:
        for (const json* v : cur) collect_recursive(v, next);
        break;
      case Step::Kind::Subscript:
        // client-go evalUnion: each union member is evaluated against every input in turn.
        for (const auto& sel : st.selectors) {
          for (const json* v : cur) apply_selector(sel, v, next);
        }
        break;
      case Step::Kind::Filter:
        for (const json* v : cur) {
          if (v->is_array()) {
            for (const auto& elem : *v) {
              if (filter_keeps(*st.filter, &elem, root)) next.push_back(&elem);
            }
          }
          // client-go only filters arrays and slices ("is not array or slice and cannot be
          // filtered"): anything else selects nothing.
        }
        break;
    }
    cur = std::move(next);
    if (cur.empty()) break;
  }
  return cur;
}

}  // namespace

struct JsonPathParser {
  static Result<JsonPath> parse(std::string_view text) {
    JsonPath p;
    p.source_ = std::string(text);
    auto add_expr = [&](std::string_view body, size_t offset) -> Result<void> {
      // `{"\t"}`: a quoted literal prints itself (client-go parseQuote).
      std::string_view trimmed = body;
      while (!trimmed.empty() && trimmed.front() == ' ') trimmed.remove_prefix(1);
      while (!trimmed.empty() && trimmed.back() == ' ') trimmed.remove_suffix(1);
      if (trimmed.size() >= 2 && trimmed.front() == '"' && trimmed.back() == '"') {
        auto n = std::make_shared<JsonPath::Node>();
        n->is_text = true;
        try {
          n->text = json::parse(trimmed).get<std::string>();
        } catch (const json::exception&) {
          return fail("invalid-jsonpath", fmt::format("invalid jsonpath {:?}: bad string literal at offset {}",
                                                      std::string(text), offset));
        }
        p.parts_.push_back(std::move(n));
        return {};
      }
      Parser ps(body);
      auto steps = ps.parse_expression();
      if (!steps) {
        return fail("invalid-jsonpath", steps.error().message + fmt::format(" (template at offset {})", offset));
      }
      if (!ps.eof()) {
        return fail("invalid-jsonpath",
                    fmt::format("invalid jsonpath {:?}: unexpected {:?} at offset {}",
                                std::string(text), std::string(body.substr(ps.pos())),
                                offset + ps.pos()));
      }
      auto n = std::make_shared<JsonPath::Node>();
      n->steps = std::move(*steps);
      p.parts_.push_back(std::move(n));
      return {};
    };
    if (text.find('{') == std::string_view::npos) {
      if (text.find('}') != std::string_view::npos) {
        return fail("invalid-jsonpath", fmt::format("invalid jsonpath {:?}: unmatched '}}' at offset {}",
                                                    std::string(text), text.find('}')));
      }
      auto r = add_expr(text, 0);
      if (!r) return unexpected(r.error());
      return p;
    }
    size_t i = 0;
    std::string pending;
    while (i < text.size()) {
      char c = text[i];
      if (c != '{') {
        pending += c;
        ++i;
        continue;
      }
      if (!pending.empty()) {
        auto n = std::make_shared<JsonPath::Node>();
        n->is_text = true;
        n->text = std::move(pending);
        pending.clear();
        p.parts_.push_back(std::move(n));
      }
      // Find the matching '}' outside quotes.
      size_t j = i + 1;
      char quote = 0;
      while (j < text.size()) {
        char d = text[j];
        if (quote) {
          if (d == '\\') ++j;
          else if (d == quote) quote = 0;
        } else if (d == '\'' || d == '"') {
          quote = d;
        } else if (d == '}') {
          break;
        }
        ++j;
      }
      if (j >= text.size()) {
        return fail("invalid-jsonpath",
                    fmt::format("invalid jsonpath {:?}: unclosed action at offset {}", std::string(text), i));
      }
      auto r = add_expr(text.substr(i + 1, j - i - 1), i + 1);
      if (!r) return unexpected(r.error());
      i = j + 1;
    }
    if (!pending.empty()) {
      auto n = std::make_shared<JsonPath::Node>();
      n->is_text = true;
      n->text = std::move(pending);
      p.parts_.push_back(std::move(n));
    }
    return p;
  }
};

Result<JsonPath> JsonPath::parse(std::string_view text) { return JsonPathParser::parse(text); }

std::vector<json> JsonPath::select(const json& root) const {
  std::vector<json> out;
  for (const auto& part : parts_) {
    if (part->is_text) continue;
    for (const json* n : eval_steps(part->steps, Nodes{&root}, root)) out.push_back(*n);
  }
  return out;
}

std::string JsonPath::render(const json& root) const {
  std::string out;
  for (const auto& part : parts_) {
    if (part->is_text) {
      out += part->text;
      continue;
    }
    bool first = true;
    for (const json* n : eval_steps(part->steps, Nodes{&root}, root)) {
      if (!first) out += ' ';
      first = false;
      if (n->is_string()) out += n->get_ref<const std::string&>();
      else out += n->dump();
    }
  }
  return out;
}

}  // namespace rehearse::expr
