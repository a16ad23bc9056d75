#include "engine/image/commit_template.hpp"

#include <algorithm>
#include <cctype>
#include <memory>
#include <optional>
#include <set>
#include <tuple>

#include <fmt/format.h>

namespace rehearse::image {

namespace {

// --- values -----------------------------------------------------------------------------

struct Value {
  enum class Kind { Nil, Bool, Int, String, List, Map, Struct };
  Kind kind = Kind::Nil;
  bool b = false;
  long long i = 0;
  std::string s;
  std::vector<Value> items;       // List
  std::vector<Value> keys, vals;  // Map, keys sorted
  std::string type;               // Struct: Go type name, for error messages
  std::vector<std::string> field_names;
  std::vector<Value> fields;      // Struct fields and zero-argument methods
  std::string printed;            // Struct: how fmt prints it

  static Value str(std::string v) {
    Value x;
    x.kind = Kind::String;
    x.s = std::move(v);
    return x;
  }
  static Value boolean(bool v) {
    Value x;
    x.kind = Kind::Bool;
    x.b = v;
    return x;
  }
  static Value integer(long long v) {
    Value x;
    x.kind = Kind::Int;
    x.i = v;
    return x;
  }
  static Value list(std::vector<Value> v) {
    Value x;
    x.kind = Kind::List;
    x.items = std::move(v);
    return x;
  }
  const Value* field(std::string_view name) const {
    for (size_t k = 0; k < field_names.size(); ++k)
      if (field_names[k] == name) return &fields[k];
    return nullptr;
  }
};

// Go's fmtsort order: strings byte-wise, numbers numerically, structs field by field.
bool less(const Value& a, const Value& b) {
  if (a.kind != b.kind) return a.kind < b.kind;
  switch (a.kind) {
    case Value::Kind::String: return a.s < b.s;
    case Value::Kind::Int: return a.i < b.i;
    case Value::Kind::Bool: return !a.b && b.b;
    case Value::Kind::Struct:
      for (size_t k = 0; k < std::min(a.fields.size(), b.fields.size()); ++k) {
        if (less(a.fields[k], b.fields[k])) return true;
        if (less(b.fields[k], a.fields[k])) return false;
      }
      return false;
    default: return false;
  }
}

struct MapBuilder {
  std::vector<std::pair<Value, Value>> entries;
  Value* at(const Value& key) {
    for (auto& e : entries)
      if (!less(e.first, key) && !less(key, e.first)) return &e.second;
    entries.push_back({key, Value{}});
    return &entries.back().second;
  }
  Value build() {
    std::stable_sort(entries.begin(), entries.end(), [](const auto& x, const auto& y) { return less(x.first, y.first); });
    Value m;
    m.kind = Value::Kind::Map;
    for (auto& [k, v] : entries) {
      m.keys.push_back(k);
      m.vals.push_back(v);
    }
    return m;
  }
};

std::string print(const Value& v);

std::string print_fields(const Value& v) {
  std::string out = "{";
  for (size_t k = 0; k < v.fields.size(); ++k) out += (k ? " " : "") + print(v.fields[k]);
  return out + "}";
}

// fmt's %v.
std::string print(const Value& v) {
  switch (v.kind) {
    case Value::Kind::Nil: return "<no value>";
    case Value::Kind::Bool: return v.b ? "true" : "false";
    case Value::Kind::Int: return std::to_string(v.i);
    case Value::Kind::String: return v.s;
    case Value::Kind::List: {
      std::string out = "[";
      for (size_t k = 0; k < v.items.size(); ++k) out += (k ? " " : "") + print(v.items[k]);
      return out + "]";
    }
    case Value::Kind::Map: {
      std::string out = "map[";
      for (size_t k = 0; k < v.keys.size(); ++k) out += (k ? " " : "") + print(v.keys[k]) + ":" + print(v.vals[k]);
      return out + "]";
    }
    case Value::Kind::Struct: return v.printed.empty() ? print_fields(v) : v.printed;
  }
  return "";
}

bool truthy(const Value& v) {
  switch (v.kind) {
    case Value::Kind::Nil: return false;
    case Value::Kind::Bool: return v.b;
    case Value::Kind::Int: return v.i != 0;
    case Value::Kind::String: return !v.s.empty();
    case Value::Kind::List: return !v.items.empty();
    case Value::Kind::Map: return !v.keys.empty();
    case Value::Kind::Struct: return true;
  }
  return false;
}

Value make_struct(std::string type, std::vector<std::pair<std::string, Value>> fields, std::string printed = "") {
  Value v;
  v.kind = Value::Kind::Struct;
  v.type = std::move(type);
  for (auto& [n, f] : fields) {
    v.field_names.push_back(n);
    v.fields.push_back(std::move(f));
  }
  v.printed = std::move(printed);
  return v;
}

// --- template data ----------------------------------------------------------------------

Value object_identifier(const ObjectId& o) {
  // update.ObjectIdentifier{yaml.ResourceIdentifier{TypeMeta{APIVersion, Kind}, NameMeta{Name,
  // Namespace}}}: fields promoted, printed as the nested struct.
  return make_struct("update.ObjectIdentifier",
                     {{"APIVersion", Value::str(o.api_version)}, {"Kind", Value::str(o.kind)},
                      {"Name", Value::str(o.name)}, {"Namespace", Value::str(o.ns)}},
                     fmt::format("{{{{{{{} {}}} {{{} {}}}}}}}", o.api_version, o.kind, o.name, o.ns));
}

Value change_value(const SetterChange& c) {
  return make_struct("update.Change", {{"OldValue", Value::str(c.old_value)},
                                       {"NewValue", Value::str(c.new_value)},
                                       {"Setter", Value::str(c.setter)}});
}

Value namespaced_name(const std::string& ns, const std::string& name) {
  return make_struct("types.NamespacedName", {{"Namespace", Value::str(ns)}, {"Name", Value::str(name)}},
                     ns + "/" + name);
}

// go-containerregistry name.ParseReference(ref, WeakValidation): registry, repository.
Value image_ref_value(const ImageRef& r, const std::string& setter) {
  std::string registry = "index.docker.io", repo = r.name;
  size_t slash = r.name.find('/');
  if (slash != std::string::npos) {
    std::string first = r.name.substr(0, slash);
    if (first.find('.') != std::string::npos || first.find(':') != std::string::npos || first == "localhost") {
      registry = first;
      repo = r.name.substr(slash + 1);
    }
  }
  if (registry == "index.docker.io" && repo.find('/') == std::string::npos) repo = "library/" + repo;
  std::string identifier = r.digest.empty() ? (r.tag.empty() ? "latest" : r.tag) : r.digest;
  std::string name = registry + "/" + repo + (r.digest.empty() ? ":" + identifier : "@" + r.digest);
  std::string policy_ns, policy_name;
  size_t c1 = setter.find(':');
  if (c1 != std::string::npos) {
    policy_ns = setter.substr(0, c1);
    size_t c2 = setter.find(':', c1 + 1);
    policy_name = setter.substr(c1 + 1, c2 == std::string::npos ? std::string::npos : c2 - c1 - 1);
  }
  return make_struct("update.imageRef",
                     {{"String", Value::str(r.str())}, {"Identifier", Value::str(identifier)},
                      {"Repository", Value::str(repo)}, {"Registry", Value::str(registry)},
                      {"Name", Value::str(name)}, {"Policy", namespaced_name(policy_ns, policy_name)}},
                     r.str());
}

Value build_data(const CommitTemplateData& d) {
  // Changes sorted by (file, object, position): the deterministic stand-in for Go map order.
  std::vector<SetterChange> changes = d.changes;
  std::stable_sort(changes.begin(), changes.end(), [](const SetterChange& a, const SetterChange& b) {
    return std::tie(a.file, a.object, a.line, a.col) < std::tie(b.file, b.object, b.line, b.col);
  });
  MapBuilder files, objects;
  std::vector<Value> deduped;
  std::set<std::tuple<std::string, std::string, std::string>> seen;
  MapBuilder legacy_files, legacy_objects;
  std::vector<Value> images;
  std::set<std::string> seen_images;
  std::map<std::string, MapBuilder> per_file_objects, per_file_legacy;
  for (const auto& c : changes) {
    Value oid = object_identifier(c.object);
    Value* list = per_file_objects[c.file].at(oid);
    if (list->kind != Value::Kind::List) *list = Value::list({});
    list->items.push_back(change_value(c));
    if (seen.insert({c.old_value, c.new_value, c.setter}).second) deduped.push_back(change_value(c));
    auto ref = d.refs.find(c.setter);
    if (ref != d.refs.end()) {
      Value img = image_ref_value(ref->second, c.setter);
      Value* l = per_file_legacy[c.file].at(oid);
      if (l->kind != Value::Kind::List) *l = Value::list({});
      l->items.push_back(img);
      if (seen_images.insert(ref->second.str() + "\n" + print(img.fields.back())).second) images.push_back(img);
    }
  }
  for (auto& [file, m] : per_file_objects) {
    Value fm = m.build();
    *files.at(Value::str(file)) = fm;
    for (size_t k = 0; k < fm.keys.size(); ++k) {
      // ResultV2.Objects/Result.Objects: merged across files.
      Value* l = objects.at(fm.keys[k]);
      if (l->kind != Value::Kind::List) *l = Value::list({});
      for (const auto& it : fm.vals[k].items) l->items.push_back(it);
    }
  }
  for (auto& [file, m] : per_file_legacy) {
    Value fm = m.build();
    *legacy_files.at(Value::str(file)) = make_struct("update.FileResult", {{"Objects", fm}});
    for (size_t k = 0; k < fm.keys.size(); ++k) {
      Value* l = legacy_objects.at(fm.keys[k]);
      if (l->kind != Value::Kind::List) *l = Value::list({});
      for (const auto& it : fm.vals[k].items) l->items.push_back(it);
    }
  }
  std::vector<std::pair<std::string, Value>> changed = {
      {"FileChanges", files.build()}, {"Changes", Value::list(deduped)}, {"Objects", objects.build()}};
  Value legacy = make_struct("update.Result", {{"Files", legacy_files.build()},
                                               {"Images", Value::list(images)},
                                               {"Objects", legacy_objects.build()}});
  if (d.legacy_fields) changed.insert(changed.begin(), {"ImageResult", legacy});
  MapBuilder values;
  for (const auto& [k, v] : d.values) *values.at(Value::str(k)) = Value::str(v);
  std::vector<std::pair<std::string, Value>> top = {
      {"AutomationObject", namespaced_name(d.automation_ns, d.automation_name)},
      {"Changed", make_struct(d.legacy_fields ? "update.ResultV2" : "update.Result", std::move(changed))},
      {"Values", values.build()}};
  if (d.legacy_fields) top.insert(top.begin() + 1, {"Updated", legacy});
  return make_struct("source.TemplateData", std::move(top));
}

// --- parsing ----------------------------------------------------------------------------

struct Pipe;

struct Arg {
  enum class Kind { Dot, Field, Var, Str, Int, Bool, Nil, Ident, Sub };
  Kind kind = Kind::Dot;
  std::string name;                 // Var name ("$x", "$"), Ident name
  std::vector<std::string> chain;   // field chain after the operand
  std::string str;
  long long num = 0;
  bool b = false;
  std::shared_ptr<Pipe> sub;
  std::string text;  // as written, for error messages
};

struct Cmd {
  std::vector<Arg> args;
};

struct Pipe {
  std::vector<std::string> decl;
  bool assign = false;  // `=` rather than `:=`
  std::vector<Cmd> cmds;
};

struct Node {
  enum class Type { Text, Action, If, Range, With };
  Type type = Type::Text;
  std::string text;
  Pipe pipe;
  std::vector<Node> body, else_body;
  int line = 1;
};

struct Segment {
  bool action = false;
  std::string text;
  int line = 1;
};

struct TemplateError {
  std::string message;
};

const std::string kName = "commit message";

[[noreturn]] void throw_at(int line, const std::string& msg) {
  throw TemplateError{fmt::format("template: {}:{}: {}", kName, line, msg)};
}

std::vector<Segment> split_segments(std::string_view t) {
  std::vector<Segment> out;
  size_t at = 0;
  int line = 1;
  auto count_lines = [](std::string_view s) { return static_cast<int>(std::count(s.begin(), s.end(), '\n')); };
  while (at <= t.size()) {
    size_t open = t.find("{{", at);
    std::string text(t.substr(at, open == std::string_view::npos ? std::string_view::npos : open - at));
    if (open == std::string_view::npos) {
      out.push_back({false, text, line});
      break;
    }
    size_t inner = open + 2;
    bool trim_left = inner + 1 < t.size() && t[inner] == '-' && std::isspace(static_cast<unsigned char>(t[inner + 1]));
    if (trim_left) {
      while (!text.empty() && std::isspace(static_cast<unsigned char>(text.back()))) text.pop_back();
      inner += 2;
    }
    out.push_back({false, text, line});
    line += count_lines(t.substr(at, open - at));
    // Find the closing "}}" outside string literals and comments.
    size_t i = inner;
    bool in_comment = t.substr(inner).find_first_not_of(" \t\r\n") != std::string_view::npos &&
                      t.substr(inner + t.substr(inner).find_first_not_of(" \t\r\n"), 2) == "/*";
    if (in_comment) {
      size_t end = t.find("*/", inner);
      if (end == std::string_view::npos) throw_at(line, "unclosed comment");
      i = end + 2;
    }
    char quote = 0;
    for (; i < t.size(); ++i) {
      char c = t[i];
      if (quote) {
        if (c == '\\' && quote != '`') ++i;
        else if (c == quote) quote = 0;
        continue;
      }
      if (c == '"' || c == '`' || c == '\'') quote = c;
      else if (c == '}' && i + 1 < t.size() && t[i + 1] == '}') break;
    }
    if (i + 1 >= t.size()) throw_at(line, "unclosed action");
    size_t close = i;
    std::string body(t.substr(inner, close - inner));
    bool trim_right = body.size() >= 2 && body.back() == '-' && std::isspace(static_cast<unsigned char>(body[body.size() - 2]));
    if (trim_right) body.resize(body.size() - 2);
    if (!in_comment) out.push_back({true, body, line});
    line += count_lines(t.substr(open, close + 2 - open));
    at = close + 2;
    if (trim_right)
      while (at < t.size() && std::isspace(static_cast<unsigned char>(t[at]))) {
        if (t[at] == '\n') ++line;
        ++at;
      }
    if (at == t.size()) {
      out.push_back({false, "", line});
      break;
    }
  }
  return out;
}

struct Token {
  enum class Kind { Ident, Field, Var, Str, Int, LParen, RParen, Pipe, Declare, Assign, Comma, Dot };
  Kind kind;
  std::string text;
  bool spaced = false;  // preceded by white space (`.a .b` is two operands, `.a.b` one)
};

std::vector<Token> tokenize(const std::string& s, int line) {
  std::vector<Token> out;
  size_t i = 0;
  auto ident_char = [](char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '_'; };
  bool space = false;
  while (i < s.size()) {
    char c = s[i];
    size_t before = out.size();
    if (std::isspace(static_cast<unsigned char>(c))) {
      ++i;
      space = true;
      continue;
    }
    if (c == '(') {
      out.push_back({Token::Kind::LParen, "("});
      ++i;
    } else if (c == ')') {
      out.push_back({Token::Kind::RParen, ")"});
      ++i;
    } else if (c == '|') {
      out.push_back({Token::Kind::Pipe, "|"});
      ++i;
    } else if (c == ',') {
      out.push_back({Token::Kind::Comma, ","});
      ++i;
    } else if (c == ':' && i + 1 < s.size() && s[i + 1] == '=') {
      out.push_back({Token::Kind::Declare, ":="});
      i += 2;
    } else if (c == '=') {
      out.push_back({Token::Kind::Assign, "="});
      ++i;
    } else if (c == '"') {
      std::string v;
      ++i;
      for (; i < s.size() && s[i] != '"'; ++i) {
        if (s[i] == '\\' && i + 1 < s.size()) {
          char e = s[++i];
          v += e == 'n' ? '\n' : e == 't' ? '\t' : e;
        } else {
          v += s[i];
        }
      }
      if (i >= s.size()) throw_at(line, "unterminated quoted string");
      ++i;
      out.push_back({Token::Kind::Str, v});
    } else if (c == '`') {
      size_t end = s.find('`', i + 1);
      if (end == std::string::npos) throw_at(line, "unterminated raw quoted string");
      out.push_back({Token::Kind::Str, s.substr(i + 1, end - i - 1)});
      i = end + 1;
    } else if (std::isdigit(static_cast<unsigned char>(c)) || (c == '-' && i + 1 < s.size() && std::isdigit(static_cast<unsigned char>(s[i + 1])))) {
      size_t st = i++;
      while (i < s.size() && std::isdigit(static_cast<unsigned char>(s[i]))) ++i;
      out.push_back({Token::Kind::Int, s.substr(st, i - st)});
    } else if (c == '.' || c == '$') {
      size_t st = i++;
      while (i < s.size() && ident_char(s[i])) ++i;
      std::string tok = s.substr(st, i - st);
      if (c == '$') out.push_back({Token::Kind::Var, tok});
      else out.push_back({tok == "." ? Token::Kind::Dot : Token::Kind::Field, tok == "." ? tok : tok.substr(1)});
    } else if (ident_char(c)) {
      size_t st = i;
      while (i < s.size() && ident_char(s[i])) ++i;
      out.push_back({Token::Kind::Ident, s.substr(st, i - st)});
    } else {
      throw_at(line, fmt::format("unexpected \"{}\" in command", c));
    }
    if (out.size() > before) out.back().spaced = space;
    space = false;
  }
  return out;
}

class PipeParser {
 public:
  PipeParser(std::vector<Token> toks, int line) : t_(std::move(toks)), line_(line) {}

  Pipe pipeline(bool allow_decl, bool range_decl) {
    Pipe p;
    if (allow_decl) {
      // `$x :=`, `$x =`, or in range `$i, $v :=`.
      size_t save = k_;
      std::vector<std::string> vars;
      while (k_ < t_.size() && t_[k_].kind == Token::Kind::Var) {
        vars.push_back(t_[k_].text);
        ++k_;
        if (range_decl && k_ < t_.size() && t_[k_].kind == Token::Kind::Comma && vars.size() == 1) {
          ++k_;
          continue;
        }
        break;
      }
      if (!vars.empty() && k_ < t_.size() && (t_[k_].kind == Token::Kind::Declare || t_[k_].kind == Token::Kind::Assign)) {
        p.assign = t_[k_].kind == Token::Kind::Assign;
        p.decl = vars;
        ++k_;
      } else {
        k_ = save;
      }
    }
    p.cmds.push_back(command());
    while (k_ < t_.size() && t_[k_].kind == Token::Kind::Pipe) {
      ++k_;
      p.cmds.push_back(command());
    }
    return p;
  }

  bool done() const { return k_ >= t_.size(); }
  bool at_rparen() const { return k_ < t_.size() && t_[k_].kind == Token::Kind::RParen; }

 private:
  Cmd command() {
    Cmd c;
    while (k_ < t_.size() && t_[k_].kind != Token::Kind::Pipe && t_[k_].kind != Token::Kind::RParen)
      c.args.push_back(operand());
    if (c.args.empty()) throw_at(line_, "missing value for command");
    return c;
  }

  Arg operand() {
    const Token& tok = t_[k_++];
    Arg a;
    a.text = tok.text;
    switch (tok.kind) {
      case Token::Kind::Dot: a.kind = Arg::Kind::Dot; break;
      case Token::Kind::Field:
        a.kind = Arg::Kind::Field;
        a.chain.push_back(tok.text);
        a.text = "." + tok.text;
        break;
      case Token::Kind::Var: a.kind = Arg::Kind::Var; a.name = tok.text; break;
      case Token::Kind::Str: a.kind = Arg::Kind::Str; a.str = tok.text; break;
      case Token::Kind::Int: a.kind = Arg::Kind::Int; a.num = std::stoll(tok.text); break;
      case Token::Kind::Ident:
        if (tok.text == "true" || tok.text == "false") {
          a.kind = Arg::Kind::Bool;
          a.b = tok.text == "true";
        } else if (tok.text == "nil") {
          a.kind = Arg::Kind::Nil;
        } else {
          a.kind = Arg::Kind::Ident;
          a.name = tok.text;
        }
        break;
      case Token::Kind::LParen: {
        a.kind = Arg::Kind::Sub;
        a.sub = std::make_shared<Pipe>(pipeline(false, false));
        if (!at_rparen()) throw_at(line_, "unclosed left paren");
        ++k_;
        a.text = "(...)";
        break;
      }
      default: throw_at(line_, fmt::format("unexpected \"{}\" in operand", tok.text));
    }
    // Field chains directly after an operand: `$x.Name`, `(index .a 0).Name`.
    while (k_ < t_.size() && t_[k_].kind == Token::Kind::Field && !t_[k_].spaced &&
           (a.kind == Arg::Kind::Field || a.kind == Arg::Kind::Var || a.kind == Arg::Kind::Sub)) {
      a.chain.push_back(t_[k_].text);
      a.text += "." + t_[k_].text;
      ++k_;
    }
    return a;
  }

  std::vector<Token> t_;
  size_t k_ = 0;
  int line_;
};

class TreeParser {
 public:
  explicit TreeParser(std::vector<Segment> segs) : segs_(std::move(segs)) {}

  std::vector<Node> parse_all() {
    std::string stop;
    auto nodes = list(stop);
    if (!stop.empty()) throw_at(line_, fmt::format("unexpected {{{{{}}}}}", stop));
    return nodes;
  }

 private:
  // Parses nodes until {{end}} / {{else ...}}; `stop` gets the terminating keyword text.
  std::vector<Node> list(std::string& stop) {
    std::vector<Node> out;
    while (k_ < segs_.size()) {
      const Segment& s = segs_[k_++];
      line_ = s.line;
      if (!s.action) {
        if (!s.text.empty()) out.push_back({Node::Type::Text, s.text, {}, {}, {}, s.line});
        continue;
      }
      auto toks = tokenize(s.text, s.line);
      if (toks.empty()) throw_at(s.line, "missing value for command");
      const std::string word = toks[0].kind == Token::Kind::Ident ? toks[0].text : "";
      if (word == "end" || word == "else") {
        stop = s.text;
        pending_ = std::move(toks);
        return out;
      }
      if (word == "if" || word == "range" || word == "with") {
        out.push_back(control(word, std::vector<Token>(toks.begin() + 1, toks.end()), s.line));
        continue;
      }
      if (word == "define" || word == "template" || word == "block" || word == "break" || word == "continue")
        throw_at(s.line, fmt::format("{{{{{}}}}} is not supported by rehearse's template subset", word));
      PipeParser pp(std::move(toks), s.line);
      Node n;
      n.type = Node::Type::Action;
      n.line = s.line;
      n.pipe = pp.pipeline(true, false);
      if (!pp.done()) throw_at(s.line, "unexpected token in command");
      out.push_back(std::move(n));
    }
    return out;
  }

  Node control(const std::string& word, std::vector<Token> toks, int line) {
    Node n;
    n.type = word == "if" ? Node::Type::If : word == "range" ? Node::Type::Range : Node::Type::With;
    n.line = line;
    if (toks.empty()) throw_at(line, fmt::format("missing value for {}", word));
    PipeParser pp(std::move(toks), line);
    n.pipe = pp.pipeline(word != "if", word == "range");
    if (!pp.done()) throw_at(line, "unexpected token in command");
    std::string stop;
    n.body = list(stop);
    if (stop.empty()) throw_at(line, fmt::format("unexpected EOF in {}", word));
    std::vector<Token> term = std::move(pending_);
    if (term[0].text == "else") {
      if (term.size() > 1 && term[1].kind == Token::Kind::Ident && (term[1].text == "if" || term[1].text == "with")) {
        // `else if` / `else with`: a nested control whose {{end}} closes both.
        std::string inner_word = term[1].text;
        n.else_body.push_back(control(inner_word, std::vector<Token>(term.begin() + 2, term.end()), line_));
        return n;
      }
      n.else_body = list(stop);
      if (stop.empty() || pending_[0].text != "end") throw_at(line, fmt::format("expected end; found {}", stop.empty() ? "EOF" : stop));
    }
    return n;
  }

  std::vector<Segment> segs_;
  size_t k_ = 0;
  int line_ = 1;
  std::vector<Token> pending_;
};

// --- execution --------------------------------------------------------------------------

struct RemovedField {
  std::string field;
};

class Exec {
 public:
  explicit Exec(Value root) : root_(std::move(root)) { vars_.push_back({"$", root_}); }

  std::string run(const std::vector<Node>& nodes) {
    std::string out;
    walk(nodes, root_, out);
    return out;
  }

 private:
  void walk(const std::vector<Node>& nodes, const Value& dot, std::string& out) {
    for (const auto& n : nodes) {
      line_ = n.line;
      switch (n.type) {
        case Node::Type::Text: out += n.text; break;
        case Node::Type::Action: {
          Value v = pipe(n.pipe, dot);
          if (n.pipe.decl.empty()) out += print(v);
          break;
        }
        case Node::Type::If: {
          size_t mark = vars_.size();
          Value v = pipe(n.pipe, dot);
          walk(truthy(v) ? n.body : n.else_body, dot, out);
          vars_.resize(mark);
          break;
        }
        case Node::Type::With: {
          size_t mark = vars_.size();
          Value v = pipe(n.pipe, dot);
          if (truthy(v)) walk(n.body, v, out);
          else walk(n.else_body, dot, out);
          vars_.resize(mark);
          break;
        }
        case Node::Type::Range: range(n, dot, out); break;
      }
    }
  }

  void range(const Node& n, const Value& dot, std::string& out) {
    size_t mark = vars_.size();
    Pipe p = n.pipe;
    std::vector<std::string> decl = p.decl;
    p.decl.clear();
    Value v = pipe(p, dot);
    auto iterate = [&](const Value& key, const Value& elem) {
      size_t m2 = vars_.size();
      if (decl.size() == 1) vars_.push_back({decl[0], elem});
      if (decl.size() == 2) {
        vars_.push_back({decl[0], key});
        vars_.push_back({decl[1], elem});
      }
      walk(n.body, elem, out);
      vars_.resize(m2);
    };
    bool any = false;
    if (v.kind == Value::Kind::List) {
      for (size_t k = 0; k < v.items.size(); ++k, any = true) iterate(Value::integer(static_cast<long long>(k)), v.items[k]);
    } else if (v.kind == Value::Kind::Map) {
      for (size_t k = 0; k < v.keys.size(); ++k, any = true) iterate(v.keys[k], v.vals[k]);
    } else if (v.kind == Value::Kind::Int) {
      for (long long k = 0; k < v.i; ++k, any = true) iterate(Value::integer(k), Value::integer(k));
    } else if (v.kind != Value::Kind::Nil) {
      fail(fmt::format("range can't iterate over {}", print(v)));
    }
    if (!any) walk(n.else_body, dot, out);
    vars_.resize(mark);
  }

  [[noreturn]] void fail(const std::string& msg) {
    throw TemplateError{fmt::format("template: {}:{}: executing \"{}\": {}", kName, line_, kName, msg)};
  }

  Value field_of(const Value& v, const std::string& name, const std::string& text) {
    if (v.kind == Value::Kind::Struct) {
      if (const Value* f = v.field(name)) return *f;
      // IAC checkRemovedTemplateField: the removed fields of TemplateData / Result.
      if (v.type == "source.TemplateData" && name == "Updated") throw RemovedField{".Updated"};
      if (v.type == "update.Result" && name == "ImageResult") throw RemovedField{".Changed.ImageResult"};
      fail(fmt::format("at <{}>: can't evaluate field {} in type {}", text, name, v.type));
    }
    if (v.kind == Value::Kind::Map) {
      for (size_t k = 0; k < v.keys.size(); ++k)
        if (v.keys[k].kind == Value::Kind::String && v.keys[k].s == name) return v.vals[k];
      return Value{};
    }
    if (v.kind == Value::Kind::Nil) fail(fmt::format("at <{}>: nil pointer evaluating interface {{}}.{}", text, name));
    fail(fmt::format("at <{}>: can't evaluate field {} in type {}", text, name, v.kind == Value::Kind::String ? "string" : "value"));
  }

  Value chain(Value v, const Arg& a, size_t from) {
    for (size_t k = from; k < a.chain.size(); ++k) v = field_of(v, a.chain[k], a.text);
    return v;
  }

  Value lookup_var(const std::string& name) {
    for (auto it = vars_.rbegin(); it != vars_.rend(); ++it)
      if (it->first == name) return it->second;
    fail(fmt::format("undefined variable: {}", name));
  }

  Value arg(const Arg& a, const Value& dot) {
    switch (a.kind) {
      case Arg::Kind::Dot: return dot;
      case Arg::Kind::Field: return chain(dot, a, 0);
      case Arg::Kind::Var: return chain(lookup_var(a.name), a, 0);
      case Arg::Kind::Str: return Value::str(a.str);
      case Arg::Kind::Int: return Value::integer(a.num);
      case Arg::Kind::Bool: return Value::boolean(a.b);
      case Arg::Kind::Nil: return Value{};
      case Arg::Kind::Sub: return chain(pipe(*a.sub, dot), a, 0);
      case Arg::Kind::Ident: return call(a.name, {}, dot);
    }
    return Value{};
  }

  Value pipe(const Pipe& p, const Value& dot) {
    Value v;
    bool have = false;
    for (const auto& c : p.cmds) {
      std::vector<Value> args;
      const Arg& head = c.args[0];
      if (head.kind == Arg::Kind::Ident) {
        for (size_t k = 1; k < c.args.size(); ++k) args.push_back(arg(c.args[k], dot));
        if (have) args.push_back(v);
        v = call(head.name, args, dot);
      } else {
        if (c.args.size() > 1 || have) fail(fmt::format("can't give argument to non-function {}", head.text));
        v = arg(head, dot);
      }
      have = true;
    }
    if (!p.decl.empty()) {
      if (p.assign) {
        for (auto it = vars_.rbegin(); it != vars_.rend(); ++it)
          if (it->first == p.decl[0]) {
            it->second = v;
            return v;
          }
        fail(fmt::format("undefined variable: {}", p.decl[0]));
      }
      vars_.push_back({p.decl[0], v});
    }
    return v;
  }

  static std::string str_of(const Value& v) { return print(v); }

  Value call(const std::string& fn, const std::vector<Value>& a, const Value& dot) {
    (void)dot;
    auto need = [&](size_t n) {
      if (a.size() != n) fail(fmt::format("wrong number of args for {}: want {} got {}", fn, n, a.size()));
    };
    auto eq = [](const Value& x, const Value& y) { return !less(x, y) && !less(y, x) && x.kind == y.kind; };
    if (fn == "not") { need(1); return Value::boolean(!truthy(a[0])); }
    if (fn == "and") { for (const auto& x : a) if (!truthy(x)) return x; return a.empty() ? Value{} : a.back(); }
    if (fn == "or") { for (const auto& x : a) if (truthy(x)) return x; return a.empty() ? Value{} : a.back(); }
    if (fn == "eq") {
      if (a.size() < 2) fail("missing argument for comparison");
      for (size_t k = 1; k < a.size(); ++k) if (eq(a[0], a[k])) return Value::boolean(true);
      return Value::boolean(false);
    }
    if (fn == "ne") { need(2); return Value::boolean(!eq(a[0], a[1])); }
    if (fn == "lt") { need(2); return Value::boolean(less(a[0], a[1])); }
    if (fn == "le") { need(2); return Value::boolean(!less(a[1], a[0])); }
    if (fn == "gt") { need(2); return Value::boolean(less(a[1], a[0])); }
    if (fn == "ge") { need(2); return Value::boolean(!less(a[0], a[1])); }
    if (fn == "len") {
      need(1);
      const Value& x = a[0];
      if (x.kind == Value::Kind::String) return Value::integer(static_cast<long long>(x.s.size()));
      if (x.kind == Value::Kind::List) return Value::integer(static_cast<long long>(x.items.size()));
      if (x.kind == Value::Kind::Map) return Value::integer(static_cast<long long>(x.keys.size()));
      fail(fmt::format("error calling len: len of type {}", print(x)));
    }
    if (fn == "index") {
      if (a.empty()) fail("wrong number of args for index");
      Value v = a[0];
      for (size_t k = 1; k < a.size(); ++k) {
        if (v.kind == Value::Kind::List && a[k].kind == Value::Kind::Int) {
          if (a[k].i < 0 || a[k].i >= static_cast<long long>(v.items.size()))
            fail(fmt::format("error calling index: index out of range: {}", a[k].i));
          v = v.items[static_cast<size_t>(a[k].i)];
        } else if (v.kind == Value::Kind::Map) {
          Value found;
          for (size_t m = 0; m < v.keys.size(); ++m) if (eq(v.keys[m], a[k])) found = v.vals[m];
          v = found;
        } else {
          fail("error calling index: cannot index");
        }
      }
      return v;
    }
    if (fn == "print" || fn == "println") {
      std::string s;
      for (size_t k = 0; k < a.size(); ++k) {
        bool both_strings = k > 0 && a[k].kind == Value::Kind::String && a[k - 1].kind == Value::Kind::String;
        if (k > 0 && (fn == "println" || !both_strings)) s += " ";
        s += print(a[k]);
      }
      if (fn == "println") s += "\n";
      return Value::str(s);
    }
    if (fn == "printf") {
      if (a.empty() || a[0].kind != Value::Kind::String) fail("wrong number of args for printf");
      std::string out;
      size_t next = 1;
      const std::string& f = a[0].s;
      for (size_t k = 0; k < f.size(); ++k) {
        if (f[k] != '%' || k + 1 >= f.size()) { out += f[k]; continue; }
        char verb = f[++k];
        if (verb == '%') { out += '%'; continue; }
        if (next >= a.size()) { out += fmt::format("%!{}(MISSING)", verb); continue; }
        const Value& x = a[next++];
        if (verb == 'q') out += "\"" + print(x) + "\"";
        else out += print(x);
      }
      return Value::str(out);
    }
    // Sprig (hermetic text functions).
    auto s = [&](size_t k) { return str_of(a[k]); };
    if (fn == "upper" || fn == "lower" || fn == "title" || fn == "trim" || fn == "toString" || fn == "quote" || fn == "squote") {
      need(1);
      std::string x = s(0);
      if (fn == "upper") for (auto& c : x) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
      if (fn == "lower") for (auto& c : x) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      if (fn == "title") {
        bool start = true;
        for (auto& c : x) {
          if (start && std::isalpha(static_cast<unsigned char>(c))) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
          start = std::isspace(static_cast<unsigned char>(c)) != 0;
        }
      }
      if (fn == "trim") {
        size_t b = x.find_first_not_of(" \t\r\n");
        x = b == std::string::npos ? "" : x.substr(b, x.find_last_not_of(" \t\r\n") - b + 1);
      }
      if (fn == "quote") x = "\"" + x + "\"";
      if (fn == "squote") x = "'" + x + "'";
      return Value::str(x);
    }
    if (fn == "trimPrefix" || fn == "trimSuffix" || fn == "hasPrefix" || fn == "hasSuffix" || fn == "contains") {
      need(2);
      std::string p = s(0), x = s(1);
      bool pre = x.rfind(p, 0) == 0;
      bool suf = x.size() >= p.size() && x.compare(x.size() - p.size(), p.size(), p) == 0;
      if (fn == "trimPrefix") return Value::str(pre ? x.substr(p.size()) : x);
      if (fn == "trimSuffix") return Value::str(suf ? x.substr(0, x.size() - p.size()) : x);
      if (fn == "hasPrefix") return Value::boolean(pre);
      if (fn == "hasSuffix") return Value::boolean(suf);
      return Value::boolean(x.find(p) != std::string::npos);
    }
    if (fn == "replace") {
      need(3);
      std::string from = s(0), to = s(1), x = s(2);
      if (from.empty()) return Value::str(x);
      std::string out;
      for (size_t at = 0;;) {
        size_t p = x.find(from, at);
        if (p == std::string::npos) { out += x.substr(at); break; }
        out += x.substr(at, p - at) + to;
        at = p + from.size();
      }
      return Value::str(out);
    }
    if (fn == "repeat") {
      need(2);
      std::string out;
      for (long long k = 0; k < a[0].i && k < 10000; ++k) out += s(1);
      return Value::str(out);
    }
    if (fn == "default") {
      need(2);
      return truthy(a[1]) ? a[1] : a[0];
    }
    if (fn == "list") return Value::list(a);
    if (fn == "join") {
      need(2);
      std::string out;
      if (a[1].kind == Value::Kind::List)
        for (size_t k = 0; k < a[1].items.size(); ++k) out += (k ? s(0) : "") + print(a[1].items[k]);
      else out = s(1);
      return Value::str(out);
    }
    if (fn == "splitList") {
      need(2);
      std::vector<Value> parts;
      std::string sep = s(0), x = s(1);
      for (size_t at = 0;;) {
        size_t p = sep.empty() ? std::string::npos : x.find(sep, at);
        if (p == std::string::npos) { parts.push_back(Value::str(x.substr(at))); break; }
        parts.push_back(Value::str(x.substr(at, p - at)));
        at = p + sep.size();
      }
      return Value::list(parts);
    }
    if (fn == "first" || fn == "last") {
      need(1);
      if (a[0].kind != Value::Kind::List || a[0].items.empty()) return Value{};
      return fn == "first" ? a[0].items.front() : a[0].items.back();
    }
    if (fn == "sortAlpha" || fn == "uniq") {
      need(1);
      std::vector<Value> items = a[0].kind == Value::Kind::List ? a[0].items : std::vector<Value>{};
      if (fn == "sortAlpha") {
        std::vector<std::string> ss;
        for (const auto& x : items) ss.push_back(print(x));
        std::sort(ss.begin(), ss.end());
        items.clear();
        for (auto& x : ss) items.push_back(Value::str(x));
      } else {
        std::vector<Value> u;
        for (const auto& x : items)
          if (std::none_of(u.begin(), u.end(), [&](const Value& y) { return eq(x, y); })) u.push_back(x);
        items = u;
      }
      return Value::list(items);
    }
    if (fn == "trunc") {
      need(2);
      std::string x = s(1);
      long long n = a[0].i;
      if (n >= 0) return Value::str(x.substr(0, std::min<size_t>(x.size(), static_cast<size_t>(n))));
      size_t keep = std::min<size_t>(x.size(), static_cast<size_t>(-n));
      return Value::str(x.substr(x.size() - keep));
    }
    if (fn == "indent" || fn == "nindent") {
      need(2);
      std::string pad(static_cast<size_t>(std::max<long long>(0, a[0].i)), ' ');
      std::string x = s(1), out = pad;
      for (char c : x) {
        out += c;
        if (c == '\n') out += pad;
      }
      return Value::str(fn == "nindent" ? "\n" + out : out);
    }
    if (fn == "cat") {
      std::string out;
      for (const auto& x : a)
        if (x.kind != Value::Kind::Nil) out += (out.empty() ? "" : " ") + print(x);
      return Value::str(out);
    }
    fail(fmt::format("function \"{}\" not defined", fn));
  }

  Value root_;
  std::vector<std::pair<std::string, Value>> vars_;
  int line_ = 1;
};

}  // namespace

Result<std::string> render_commit_message(std::string_view tmpl, const CommitTemplateData& data) {
  std::string_view text = tmpl.empty() ? kDefaultCommitMessage : tmpl;
  std::vector<Node> nodes;
  try {
    nodes = TreeParser(split_segments(text)).parse_all();
  } catch (const TemplateError& e) {
    return fail("template", "unable to create commit message template from spec: " + e.message);
  }
  try {
    Exec ex(build_data(data));
    return ex.run(nodes);
  } catch (const TemplateError& e) {
    return fail("template", "failed to run template from spec: " + e.message);
  } catch (const RemovedField& r) {
    if (r.field == ".Updated")
      return fail("removed-template-field",
                  "template uses removed '.Updated' field. Please use '.Changed' instead. See: "
                  "https://fluxcd.io/flux/components/image/imageupdateautomations/#message-template");
    return fail("removed-template-field",
                "template uses removed '.Changed.ImageResult' field. Please use '.Changed.FileChanges' or "
                "'.Changed.Objects' instead. See: https://fluxcd.io/flux/components/image/imageupdateautomations/#message-template");
  }
}

}  // namespace rehearse::image
