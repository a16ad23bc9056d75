// envsubst as fluxcd/pkg implements it (a scanner with accept functions and modes, a small
// recursive parser, and bash-like functions), written from its documented behaviour and
// tests (envsubst/eval_test.go, parse/parse_test.go).

#include "engine/kustomize/envsubst.hpp"

#include <algorithm>
#include <memory>
#include <nlohmann/json.hpp>

#include <fmt/format.h>

#include "engine/model/manifest_loader.hpp"
#include "engine/model/yaml_loader.hpp"
#include "engine/model/yaml_writer.hpp"

namespace rehearse::kustomize {

namespace {

// ---------------------------------------------------------------------------------------------
// Scanner

enum Token { kIllegal, kEof, kIdent, kLbrack, kRbrack };
constexpr unsigned kScanIdent = 1, kScanLbrack = 2, kScanRbrack = 4, kScanEscape = 8;
constexpr unsigned kEscDollar = 1, kEscBackslash = 2, kEscAll = 3;

using Accept = bool (*)(uint32_t r, int i);

bool is_letter_rune(uint32_t r) {
  return (r >= 'a' && r <= 'z') || (r >= 'A' && r <= 'Z') || r >= 0xC0;
}
bool accept_rune(uint32_t, int) { return true; }
bool accept_ident(uint32_t r, int) { return is_letter_rune(r) || (r >= '0' && r <= '9') || r == '_'; }
bool accept_colon(uint32_t r, int) { return r == ':'; }
bool accept_one_hash(uint32_t r, int i) { return r == '#' && i == 1; }
bool accept_not_closing(uint32_t r, int) { return r != '}'; }
bool accept_hash_func(uint32_t r, int i) { return r == '#' && i < 3; }
bool accept_percent_func(uint32_t r, int i) { return r == '%' && i < 3; }
bool accept_default_func(uint32_t r, int i) {
  return (i == 1 && r == ':') || (i == 2 && (r == '=' || r == '-' || r == '?' || r == '+'));
}
bool accept_replace_func(uint32_t r, int i) {
  return (i == 1 && r == '/') || (i == 2 && (r == '/' || r == '#' || r == '%'));
}
bool accept_one_equal(uint32_t r, int i) { return i == 1 && r == '='; }
bool accept_one_colon(uint32_t r, int i) { return i == 1 && r == ':'; }
bool reject_colon_close(uint32_t r, int) { return r != ':' && r != '}'; }
bool accept_slash(uint32_t r, int) { return r == '/'; }
bool accept_not_slash(uint32_t r, int) { return r != '/'; }
bool accept_casing_func(uint32_t r, int i) { return (r == ',' || r == '^') && i < 3; }

class Scanner {
 public:
  explicit Scanner(std::string buf) : buf_(std::move(buf)) {}

  uint32_t read() {
    if (pos_ >= buf_.size()) {
      width_ = 0;
      return 0;
    }
    unsigned char c = static_cast<unsigned char>(buf_[pos_]);
    size_t w = c < 0x80 ? 1 : (c & 0xE0) == 0xC0 ? 2 : (c & 0xF0) == 0xE0 ? 3 : (c & 0xF8) == 0xF0 ? 4 : 1;
    if (pos_ + w > buf_.size()) w = 1;
    uint32_t r = w == 1 ? c : w == 2 ? (c & 0x1F) : w == 3 ? (c & 0x0F) : (c & 0x07);
    for (size_t k = 1; k < w; ++k) r = (r << 6) | (static_cast<unsigned char>(buf_[pos_ + k]) & 0x3F);
    width_ = w;
    pos_ += w;
    return r;
  }
  void unread() { pos_ -= width_; }
  uint32_t peek() {
    uint32_t r = read();
    unread();
    return r;
  }
  // Removes the character just read (an escape character).
  void skip() { buf_.erase(pos_ - 1, 1); }
  std::string text() const { return buf_.substr(start_, pos_ - start_); }

  Token scan() {
    start_ = pos_;
    uint32_t r = read();
    if (r == 0 && width_ == 0) return kEof;
    if (scan_lbrack(r)) return kLbrack;
    if (scan_rbrack(r)) return kRbrack;
    if (scan_ident(r)) return kIdent;
    return kIllegal;
  }

  Accept accept = accept_rune;
  unsigned mode = 0;
  unsigned escape = kEscDollar;

 private:
  bool scan_ident(uint32_t r) {
    if (!(mode & kScanIdent)) return false;
    if (scan_escaped(r))
      skip();
    else if (!accept(r, static_cast<int>(pos_ - start_)))
      return false;
    while (true) {
      uint32_t c = read();
      if (c == 0 && width_ == 0) {
        unread();
        break;
      }
      if (scan_lbrack(c)) {
        unread();
        unread_dollar();
        break;
      }
      if (scan_escaped(c)) {
        skip();
        continue;
      }
      if (!accept(c, static_cast<int>(pos_ - start_))) {
        unread();
        break;
      }
    }
    return true;
  }
  // After scan_lbrack consumed "${", step back over both characters ('$' is one byte).
  void unread_dollar() { pos_ -= 1; }

  bool scan_lbrack(uint32_t r) {
    if (!(mode & kScanLbrack)) return false;
    if (r == '$') {
      size_t save_w = width_;
      if (read() == '{') return true;
      unread();
      width_ = save_w;
    }
    return false;
  }
  bool scan_rbrack(uint32_t r) const { return (mode & kScanRbrack) && r == '}'; }
  bool scan_escaped(uint32_t r) {
    if (!(mode & kScanEscape)) return false;
    if (r == '$' && (escape & kEscDollar) && peek() == '$') return true;
    if (r == '\\' && (escape & kEscBackslash)) {
      uint32_t n = peek();
      return n == '/' || n == '\\';
    }
    return false;
  }

  std::string buf_;
  size_t pos_ = 0, start_ = 0, width_ = 0;
};

// ---------------------------------------------------------------------------------------------
// Parser

struct Node {
  bool is_text = true;
  std::string text;                         // text node
  std::string param, name;                  // func node
  std::vector<std::unique_ptr<Node>> args;  // func node arguments
};
using NodeList = std::vector<std::unique_ptr<Node>>;

std::unique_ptr<Node> text_node(std::string s) {
  auto n = std::make_unique<Node>();
  n->text = std::move(s);
  return n;
}
std::unique_ptr<Node> func_node(std::string param) {
  auto n = std::make_unique<Node>();
  n->is_text = false;
  n->param = std::move(param);
  return n;
}

class Parser {
 public:
  explicit Parser(std::string buf) : s_(std::move(buf)) {}

  Result<NodeList> parse() {
    NodeList out;
    while (true) {
      s_.accept = accept_rune;
      s_.mode = kScanIdent | kScanLbrack | kScanEscape;
      s_.escape = kEscDollar;
      Token t = s_.scan();
      if (t == kEof) return out;
      if (t == kIdent) {
        out.push_back(text_node(s_.text()));
      } else if (t == kLbrack) {
        auto f = parse_func();
        if (!f) return unexpected(f.error());
        out.push_back(std::move(*f));
      } else {
        return fail("envsubst", "bad substitution");
      }
    }
  }

 private:
  using NodeResult = Result<std::unique_ptr<Node>>;

  NodeResult parse_func() {
    s_.escape = kEscAll;
    if (s_.peek() == '#') return parse_len();
    s_.accept = accept_ident;
    s_.mode = kScanIdent;
    if (s_.scan() != kIdent) return fail("envsubst", "unable to parse variable name");
    std::string name = s_.text();
    switch (s_.peek()) {
      case ':': return parse_default_or_substr(name);
      case '=': return parse_default(name);
      case ',':
      case '^': return parse_casing(name);
      case '/': return parse_replace(name);
      case '#': return parse_remove(name, accept_hash_func);
      case '%': return parse_remove(name, accept_percent_func);
      default: break;
    }
    s_.accept = accept_ident;
    s_.mode = kScanRbrack;
    if (s_.scan() != kRbrack) return fail("envsubst", "missing closing brace");
    return func_node(name);
  }

  NodeResult parse_param(Accept accept, unsigned mode) {
    s_.accept = accept;
    s_.mode = mode | kScanLbrack;
    switch (s_.scan()) {
      case kLbrack: return parse_func();
      case kIdent:
      case kRbrack: return text_node(s_.text());
      default: return fail("envsubst", "unable to parse substitution within function");
    }
  }

  NodeResult parse_default_or_substr(const std::string& name) {
    s_.read();
    uint32_t r = s_.peek();
    s_.unread();
    if (r == '=' || r == '-' || r == '?' || r == '+') return parse_default(name);
    return parse_substr(name);
  }

  NodeResult parse_substr(const std::string& name) {
    auto node = func_node(name);
    s_.accept = accept_one_colon;
    s_.mode = kScanIdent;
    if (s_.scan() != kIdent) return fail("envsubst", "bad substitution");
    node->name = s_.text();
    auto p1 = parse_param(reject_colon_close, kScanIdent);
    if (!p1) return p1;
    node->args.push_back(std::move(*p1));
    s_.accept = accept_colon;
    s_.mode = kScanIdent | kScanRbrack;
    Token t = s_.scan();
    if (t == kRbrack) return node;
    if (t != kIdent) return fail("envsubst", "bad substitution");
    auto p2 = parse_param(accept_not_closing, kScanIdent);
    if (!p2) return p2;
    node->args.push_back(std::move(*p2));
    if (!consume_rbrack()) return fail("envsubst", "bad substitution");
    return node;
  }

  NodeResult parse_remove(const std::string& name, Accept accept) {
    auto node = func_node(name);
    s_.accept = accept;
    s_.mode = kScanIdent;
    if (s_.scan() != kIdent) return fail("envsubst", "bad substitution");
    node->name = s_.text();
    auto p = parse_param(accept_not_closing, kScanIdent);
    if (!p) return p;
    node->args.push_back(std::move(*p));
    if (!consume_rbrack()) return fail("envsubst", "bad substitution");
    return node;
  }

  NodeResult parse_replace(const std::string& name) {
    auto node = func_node(name);
    s_.accept = accept_replace_func;
    s_.mode = kScanIdent;
    if (s_.scan() != kIdent) return fail("envsubst", "bad substitution");
    node->name = s_.text();
    if (s_.peek() == '/') {
      node->args.push_back(text_node(""));
    } else {
      auto p = parse_param(accept_not_slash, kScanIdent | kScanEscape);
      if (!p) return p;
      node->args.push_back(std::move(*p));
    }
    s_.accept = accept_slash;
    s_.mode = kScanIdent;
    if (s_.scan() != kIdent) return fail("envsubst", "bad substitution");
    if (s_.peek() == '}') {
      if (!consume_rbrack()) return fail("envsubst", "bad substitution");
      return node;
    }
    auto p2 = parse_param(accept_not_closing, kScanIdent | kScanEscape);
    if (!p2) return p2;
    node->args.push_back(std::move(*p2));
    if (!consume_rbrack()) return fail("envsubst", "bad substitution");
    return node;
  }

  NodeResult parse_default(const std::string& name) {
    auto node = func_node(name);
    s_.accept = s_.peek() == '=' ? accept_one_equal : accept_default_func;
    s_.mode = kScanIdent;
    if (s_.scan() != kIdent) return fail("envsubst", "unable to parse default function");
    node->name = s_.text();
    while (true) {
      if (s_.peek() == '}') {
        if (!consume_rbrack()) return fail("envsubst", "bad substitution");
        return node;
      }
      auto p = parse_param(accept_not_closing, kScanIdent);
      if (!p) return p;
      node->args.push_back(std::move(*p));
    }
  }

  NodeResult parse_casing(const std::string& name) {
    auto node = func_node(name);
    s_.accept = accept_casing_func;
    s_.mode = kScanIdent;
    if (s_.scan() != kIdent) return fail("envsubst", "bad substitution");
    node->name = s_.text();
    if (!consume_rbrack()) return fail("envsubst", "bad substitution");
    return node;
  }

  NodeResult parse_len() {
    auto node = func_node("");
    s_.accept = accept_one_hash;
    s_.mode = kScanIdent;
    if (s_.scan() != kIdent) return fail("envsubst", "bad substitution");
    node->name = s_.text();
    s_.accept = accept_ident;
    s_.mode = kScanIdent;
    if (s_.scan() != kIdent) return fail("envsubst", "bad substitution");
    node->param = s_.text();
    if (!consume_rbrack()) return fail("envsubst", "bad substitution");
    return node;
  }

  bool consume_rbrack() {
    s_.mode = kScanRbrack;
    return s_.scan() == kRbrack;
  }

  Scanner s_;
};

// ---------------------------------------------------------------------------------------------
// Functions

// Go path.Match as forked by fluxcd/pkg: '*' also matches '/'. False with `bad` on a malformed
// pattern.
bool glob(std::string_view pat, std::string_view s, bool& bad) {
  size_t p = 0, i = 0;
  while (p < pat.size()) {
    char c = pat[p];
    if (c == '*') {
      while (p < pat.size() && pat[p] == '*') ++p;
      if (p == pat.size()) return true;
      for (size_t k = i; k <= s.size(); ++k)
        if (glob(pat.substr(p), s.substr(k), bad)) return true;
      return false;
    }
    if (i >= s.size()) {
      // Validate the rest of the pattern like Go does before answering.
      return false;
    }
    if (c == '?') {
      ++p;
      ++i;
      continue;
    }
    if (c == '[') {
      size_t q = p + 1;
      bool neg = false;
      if (q < pat.size() && pat[q] == '^') {
        neg = true;
        ++q;
      }
      bool matched = false, first = true;
      while (q < pat.size() && (pat[q] != ']' || first)) {
        first = false;
        char lo = pat[q];
        if (lo == '\\' && q + 1 < pat.size()) lo = pat[++q];
        ++q;
        char hi = lo;
        if (q + 1 < pat.size() && pat[q] == '-' && pat[q + 1] != ']') {
          hi = pat[q + 1];
          if (hi == '\\' && q + 2 < pat.size()) hi = pat[++q + 1];
          q += 2;
        }
        if (lo <= s[i] && s[i] <= hi) matched = true;
      }
      if (q >= pat.size()) {
        bad = true;
        return false;
      }
      if (matched == neg) return false;
      p = q + 1;
      ++i;
      continue;
    }
    if (c == '\\') {
      if (p + 1 >= pat.size()) {
        bad = true;
        return false;
      }
      c = pat[++p];
    }
    if (s[i] != c) return false;
    ++p;
    ++i;
  }
  return i == s.size();
}

std::string reverse_runes(const std::string& s) {
  std::vector<std::string> runes;
  for (size_t i = 0; i < s.size();) {
    unsigned char c = static_cast<unsigned char>(s[i]);
    size_t w = c < 0x80 ? 1 : (c & 0xE0) == 0xC0 ? 2 : (c & 0xF0) == 0xE0 ? 3 : 4;
    runes.push_back(s.substr(i, w));
    i += w;
  }
  std::string out;
  for (auto it = runes.rbegin(); it != runes.rend(); ++it) out += *it;
  return out;
}

std::string trim_shortest(const std::string& s, const std::string& pat) {
  std::string shortest;
  bool found = false;
  for (size_t i = 0; i < s.size(); ++i) {
    bool bad = false;
    bool m = glob(pat, std::string_view(s).substr(0, s.size() - i), bad);
    if (bad) return s;
    if (m) {
      shortest = s.substr(0, s.size() - i);
      found = true;
    }
  }
  return found && !shortest.empty() ? s.substr(shortest.size()) : s;
}

std::string trim_longest(const std::string& s, const std::string& pat) {
  for (size_t i = 0; i < s.size(); ++i) {
    bool bad = false;
    bool m = glob(pat, std::string_view(s).substr(0, s.size() - i), bad);
    if (bad) return s;
    if (m) return s.substr(s.size() - i);
  }
  return s;
}

bool go_atoi(const std::string& s, long long& out) {
  if (s.empty()) return false;
  size_t i = 0;
  bool neg = false;
  if (s[0] == '+' || s[0] == '-') {
    neg = s[0] == '-';
    i = 1;
  }
  if (i >= s.size()) return false;
  long long v = 0;
  for (; i < s.size(); ++i) {
    if (!std::isdigit(static_cast<unsigned char>(s[i]))) return false;
    v = v * 10 + (s[i] - '0');
    if (v > (1LL << 40)) return false;
  }
  out = neg ? -v : v;
  return true;
}

std::string substr_func(const std::string& s, const std::vector<std::string>& args) {
  if (args.empty()) return s;
  long long pos;
  if (!go_atoi(args[0], pos)) return s;
  long long n = static_cast<long long>(s.size());
  if (pos < 0) {
    pos = n + pos;
    if (pos < 0) pos = 0;
  }
  if (args.size() == 1) return pos < n ? s.substr(static_cast<size_t>(pos)) : "";
  long long len;
  if (!go_atoi(args[1], len)) return s;
  if (len < 0) {
    long long end = n + len;
    if (end < pos) return "";
    return s.substr(static_cast<size_t>(pos), static_cast<size_t>(end - pos));
  }
  if (pos + len >= n) return pos < n ? s.substr(static_cast<size_t>(pos)) : "";
  return s.substr(static_cast<size_t>(pos), static_cast<size_t>(len));
}

std::string replace(const std::string& s, const std::string& from, const std::string& to,
                    bool all) {
  if (from.empty()) {
    // Go strings.Replace with an empty old string inserts at every rune boundary (n=-1) or
    // at the start (n=1).
    if (!all) return to + s;
    std::string out = to;
    for (size_t i = 0; i < s.size();) {
      unsigned char c = static_cast<unsigned char>(s[i]);
      size_t w = c < 0x80 ? 1 : (c & 0xE0) == 0xC0 ? 2 : (c & 0xF0) == 0xE0 ? 3 : 4;
      out += s.substr(i, w);
      out += to;
      i += w;
    }
    return out;
  }
  std::string out;
  size_t i = 0;
  while (true) {
    size_t j = s.find(from, i);
    if (j == std::string::npos) break;
    out.append(s, i, j - i);
    out += to;
    i = j + from.size();
    if (!all) break;
  }
  out.append(s, i, std::string::npos);
  return out;
}

std::string apply_func(const std::string& name, const std::string& v,
                       const std::vector<std::string>& args) {
  auto upper = [](std::string s) {
    for (auto& c : s) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    return s;
  };
  auto lower = [](std::string s) {
    for (auto& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return s;
  };
  if (name == ",") return v.empty() ? v : lower(v.substr(0, 1)) + v.substr(1);
  if (name == ",,") return lower(v);
  if (name == "^") return v.empty() ? v : upper(v.substr(0, 1)) + v.substr(1);
  if (name == "^^") return upper(v);
  if (name == "#") {
    if (args.empty()) return std::to_string(v.size());
    return trim_shortest(v, args[0]);
  }
  if (name == "##") return args.empty() ? v : trim_longest(v, args[0]);
  if (name == "%")
    return args.empty() ? v : reverse_runes(trim_shortest(reverse_runes(v), reverse_runes(args[0])));
  if (name == "%%")
    return args.empty() ? v : reverse_runes(trim_longest(reverse_runes(v), reverse_runes(args[0])));
  if (name == ":") return substr_func(v, args);
  if (name == "/#") {
    if (args.size() != 2) return v;
    return v.rfind(args[0], 0) == 0 ? replace(v, args[0], args[1], false) : v;
  }
  if (name == "/%") {
    if (args.size() != 2) return v;
    if (v.size() >= args[0].size() &&
        v.compare(v.size() - args[0].size(), args[0].size(), args[0]) == 0)
      return v.substr(0, v.size() - args[0].size()) + args[1];
    return v;
  }
  if (name == "/" || name == "//") {
    if (args.empty()) return v;
    return replace(v, args[0], args.size() > 1 ? args[1] : "", name == "//");
  }
  // Default forms (=, :=, :-, :?, :+) and plain ${v}: the concatenated args when empty.
  if (v.empty() && !args.empty()) {
    std::string out;
    for (const auto& a : args) out += a;
    return out;
  }
  return v;
}

bool is_default_op(const std::string& n) {
  return n == "-" || n == "+" || n == "=" || n == "?" || n == ":-" || n == ":+" || n == ":=" ||
         n == ":?";
}

Result<void> eval(const Node& n, const Vars& vars, bool strict, std::string& out) {
  if (n.is_text) {
    out += n.text;
    return {};
  }
  std::vector<std::string> args;
  for (const auto& a : n.args) {
    std::string buf;
    auto r = eval(*a, vars, strict, buf);
    if (!r) return r;
    args.push_back(std::move(buf));
  }
  auto it = vars.find(n.param);
  bool exists = it != vars.end() || !strict;
  if (!exists && !is_default_op(n.name))
    return fail("envsubst-var-not-set",
                fmt::format("variable not set (strict mode): \"{}\"", n.param));
  out += apply_func(n.name, it != vars.end() ? it->second : std::string(), args);
  return {};
}

const char* const kDisabledKey = "kustomize.toolkit.fluxcd.io/substitute";

bool substitution_disabled(const nlohmann::json& body) {
  auto md = body.find("metadata");
  if (md == body.end() || !md->is_object()) return false;
  for (const char* f : {"labels", "annotations"}) {
    auto m = md->find(f);
    if (m == md->end() || !m->is_object()) continue;
    auto v = m->find(kDisabledKey);
    if (v != m->end() && v->is_string() && v->get<std::string>() == "disabled") return true;
  }
  return false;
}

}  // namespace

Result<std::string> envsubst(std::string_view text, const Vars& vars, bool strict) {
  Parser p{std::string(text)};
  auto nodes = p.parse();
  if (!nodes) return unexpected(nodes.error());
  std::string out;
  out.reserve(text.size());
  for (const auto& n : *nodes) {
    auto r = eval(*n, vars, strict, out);
    if (!r) return unexpected(r.error());
  }
  return out;
}

Result<std::string> envsubst_lines(std::string_view text, const Vars& vars, bool strict) {
  std::string out;
  size_t start = 0;
  size_t line_no = 0;
  while (start < text.size()) {
    size_t nl = text.find('\n', start);
    std::string_view line =
        text.substr(start, nl == std::string_view::npos ? std::string_view::npos : nl - start);
    ++line_no;
    auto r = envsubst(line, vars, strict);
    if (!r) return fail(r.error().code, fmt::format("line {}: {}", line_no, r.error().message));
    out += *r;
    out += '\n';
    if (nl == std::string_view::npos) break;
    start = nl + 1;
  }
  return out;
}

bool valid_var_name(std::string_view name) {
  if (name.empty()) return false;
  auto alpha = [](char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); };
  if (!(name[0] == '_' || alpha(name[0]))) return false;
  for (char c : name)
    if (!(c == '_' || alpha(c) || (c >= '0' && c <= '9'))) return false;
  return true;
}

Result<Vars> resolve_post_build_vars(const std::vector<SubstituteSource>& from,
                                     const Vars& substitute) {
  Vars vars;
  auto strip = [](std::string v) {
    v.erase(std::remove(v.begin(), v.end(), '\n'), v.end());
    return v;
  };
  for (const auto& src : from) {
    if (!src.data) {
      if (src.optional) continue;
      return fail("substitute-source-not-found",
                  fmt::format("substitute from '{}/{}' error: {} '{}' not found", src.kind,
                              src.name, src.kind, src.name));
    }
    for (const auto& [k, v] : *src.data) vars[k] = strip(v);
  }
  for (const auto& [k, v] : substitute) vars[k] = strip(v);
  for (const auto& [k, _] : vars)
    if (!valid_var_name(k))
      return fail("substitute-invalid-name",
                  fmt::format("'{}' var name is invalid, must match "
                              "'^[_[:alpha:]][_[:alpha:][:digit:]]*$'",
                              k));
  return vars;
}

Result<void> substitute_objects(std::vector<model::Object>& objects, const Vars& vars,
                                const SubstituteOptions& options, model::Diagnostics& diags) {
  if (vars.empty() && !options.always) return {};
  for (auto& obj : objects) {
    if (substitution_disabled(obj.body())) continue;
    std::string yaml = model::to_yaml(obj.body());
    if (yaml.find('$') == std::string::npos) continue;
    auto out = envsubst(yaml, vars, options.strict);
    if (!out) {
      std::string msg = fmt::format("{}: variable substitution failed: {}", obj.key().str(),
                                    out.error().message);
      diags.error(obj.origin(), out.error().code, msg);
      return fail(out.error().code, msg);
    }
    model::Diagnostics local;
    model::YamlOptions yo;
    yo.keep_positions = false;
    auto docs = model::parse_yaml(*out, obj.origin().file, local, yo);
    std::vector<model::Object> parsed;
    for (auto& d : docs) model::document_to_objects(std::move(d), parsed, local);
    if (local.has_errors() || parsed.size() != 1) {
      std::string msg = fmt::format("{}: substituted YAML does not parse: {}", obj.key().str(),
                                    local.empty() ? "not one object" : local.items()[0].message);
      diags.error(obj.origin(), "substitute-invalid-yaml", msg);
      return fail("substitute-invalid-yaml", msg);
    }
    model::SourcePos origin = obj.origin();
    auto map = obj.source_map();
    obj = std::move(parsed[0]);
    obj.set_origin(origin);
    obj.set_source_map(map);
  }
  return {};
}

}  // namespace rehearse::kustomize
