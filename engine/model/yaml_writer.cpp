#include "engine/model/yaml_writer.hpp"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <nlohmann/json.hpp>

#include "engine/model/object.hpp"

namespace rehearse::model {

using nlohmann::json;

namespace {

constexpr int kBestWidth = 80;  // go-yaml v2 emitter default
constexpr int kBestIndent = 2;

// ---------------------------------------------------------------------------------------------
// Character classes as go-yaml v2 (a port of libyaml) defines them, on UTF-8 bytes.

int utf8_width(unsigned char c) {
  if ((c & 0x80) == 0) return 1;
  if ((c & 0xE0) == 0xC0) return 2;
  if ((c & 0xF0) == 0xE0) return 3;
  if ((c & 0xF8) == 0xF0) return 4;
  return 1;
}

unsigned char at(const std::string& s, size_t i) {
  return i < s.size() ? static_cast<unsigned char>(s[i]) : 0;
}

bool is_printable(const std::string& s, size_t i) {
  unsigned char b = at(s, i), b1 = at(s, i + 1), b2 = at(s, i + 2);
  return b == 0x0A || (b >= 0x20 && b <= 0x7E) || (b == 0xC2 && b1 >= 0xA0) ||
         (b > 0xC2 && b < 0xED) || (b == 0xED && b1 < 0xA0) || b == 0xEE ||
         (b == 0xEF && !(b1 == 0xBB && b2 == 0xBF) && !(b1 == 0xBF && (b2 == 0xBE || b2 == 0xBF)));
}

bool is_break(const std::string& s, size_t i) {
  unsigned char b = at(s, i);
  return b == '\r' || b == '\n' || (b == 0xC2 && at(s, i + 1) == 0x85) ||
         (b == 0xE2 && at(s, i + 1) == 0x80 && (at(s, i + 2) == 0xA8 || at(s, i + 2) == 0xA9));
}
bool is_space(const std::string& s, size_t i) { return at(s, i) == ' '; }
bool is_blank(const std::string& s, size_t i) { return at(s, i) == ' ' || at(s, i) == '\t'; }
bool is_blankz(const std::string& s, size_t i) {
  return i >= s.size() || is_blank(s, i) || is_break(s, i) || at(s, i) == 0;
}

struct Analysis {
  bool multiline = false;
  bool block_plain_allowed = true;
  bool single_quoted_allowed = true;
  bool block_allowed = true;
};

// yaml_emitter_analyze_scalar (go-yaml v2 emitterc.go), block context only.
Analysis analyze(const std::string& v) {
  Analysis a;
  if (v.empty()) {
    a.block_allowed = false;
    return a;
  }
  bool block_indicators = false, special = false, line_breaks = false;
  bool leading_space = false, leading_break = false, trailing_space = false,
       trailing_break = false, break_space = false, space_break = false;
  bool previous_space = false, previous_break = false;
  if (v.size() >= 3 && ((v[0] == '-' && v[1] == '-' && v[2] == '-') ||
                        (v[0] == '.' && v[1] == '.' && v[2] == '.')))
    block_indicators = true;
  bool preceded_by_whitespace = true;
  for (size_t i = 0, w = 0; i < v.size(); i += w) {
    w = static_cast<size_t>(utf8_width(at(v, i)));
    bool followed_by_whitespace = i + w >= v.size() || is_blank(v, i + w);
    char c = v[i];
    if (i == 0) {
      switch (c) {
        case '#': case ',': case '[': case ']': case '{': case '}': case '&': case '*':
        case '!': case '|': case '>': case '\'': case '"': case '%': case '@': case '`':
          block_indicators = true;
          break;
        case '?': case ':':
          if (followed_by_whitespace) block_indicators = true;
          break;
        case '-':
          if (followed_by_whitespace) block_indicators = true;
          break;
        default:
          break;
      }
    } else {
      if (c == ':' && followed_by_whitespace) block_indicators = true;
      if (c == '#' && preceded_by_whitespace) block_indicators = true;
    }
    if (!is_printable(v, i)) special = true;
    if (is_break(v, i)) line_breaks = true;
    if (is_space(v, i)) {
      if (i == 0) leading_space = true;
      if (i + w == v.size()) trailing_space = true;
      if (previous_break) break_space = true;
      previous_space = true;
      previous_break = false;
    } else if (is_break(v, i)) {
      if (i == 0) leading_break = true;
      if (i + w == v.size()) trailing_break = true;
      if (previous_space) space_break = true;
      previous_space = false;
      previous_break = true;
    } else {
      previous_space = false;
      previous_break = false;
    }
    preceded_by_whitespace = is_blankz(v, i);
  }
  a.multiline = line_breaks;
  if (leading_space || leading_break || trailing_space || trailing_break)
    a.block_plain_allowed = false;
  if (trailing_space) a.block_allowed = false;
  if (break_space) {
    a.block_plain_allowed = false;
    a.single_quoted_allowed = false;
  }
  if (space_break || special) {
    a.block_plain_allowed = false;
    a.single_quoted_allowed = false;
    a.block_allowed = false;
  }
  if (line_breaks) a.block_plain_allowed = false;
  if (block_indicators) a.block_plain_allowed = false;
  return a;
}

// ---------------------------------------------------------------------------------------------
// go-yaml v2 resolve(): would this text, written plain, read back as something not a string?

bool all_digits(std::string_view s, int base) {
  if (s.empty()) return false;
  for (char c : s) {
    int d;
    if (c >= '0' && c <= '9')
      d = c - '0';
    else if (c >= 'a' && c <= 'z')
      d = c - 'a' + 10;
    else if (c >= 'A' && c <= 'Z')
      d = c - 'A' + 10;
    else
      return false;
    if (d >= base) return false;
  }
  return true;
}

// strconv.ParseInt(s, 0, 64) or ParseUint succeeding (range errors ignored: a huge number is
// still not a plain string once the float check runs; see below).
bool go_parses_int(std::string_view s, bool& overflow) {
  overflow = false;
  bool sign = false;
  if (!s.empty() && (s[0] == '+' || s[0] == '-')) {
    s.remove_prefix(1);
    sign = true;
  }
  (void)sign;
  if (s.empty()) return false;
  int base = 10;
  if (s.size() >= 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
    base = 16;
    s.remove_prefix(2);
  } else if (s.size() >= 2 && s[0] == '0' && (s[1] == 'b' || s[1] == 'B')) {
    base = 2;
    s.remove_prefix(2);
  } else if (s.size() >= 2 && s[0] == '0' && (s[1] == 'o' || s[1] == 'O')) {
    base = 8;
    s.remove_prefix(2);
  } else if (s.size() >= 1 && s[0] == '0') {
    base = 8;
  }
  if (!all_digits(s, base)) return false;
  unsigned long long v = 0;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v, base);
  if (ec == std::errc::result_out_of_range) overflow = true;
  return p == s.data() + s.size();
}

// ^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$ and finite.
bool yaml_style_float(std::string_view s) {
  size_t i = 0;
  if (i < s.size() && (s[i] == '+' || s[i] == '-')) ++i;
  size_t id = 0, fd = 0;
  while (i < s.size() && std::isdigit(static_cast<unsigned char>(s[i]))) ++i, ++id;
  if (i < s.size() && s[i] == '.') {
    ++i;
    while (i < s.size() && std::isdigit(static_cast<unsigned char>(s[i]))) ++i, ++fd;
    if (id == 0 && fd == 0) return false;
  } else if (id == 0) {
    return false;
  }
  if (i < s.size() && (s[i] == 'e' || s[i] == 'E')) {
    ++i;
    if (i < s.size() && (s[i] == '+' || s[i] == '-')) ++i;
    size_t ed = 0;
    while (i < s.size() && std::isdigit(static_cast<unsigned char>(s[i]))) ++i, ++ed;
    if (ed == 0) return false;
  }
  if (i != s.size()) return false;
  // ParseFloat fails on overflow ("1e400"): that text stays a string.
  std::string t(s[0] == '+' ? s.substr(1) : s);
  double d = 0;
  auto [p, ec] = std::from_chars(t.data(), t.data() + t.size(), d);
  return ec != std::errc::result_out_of_range;
}

// Go strconv.ParseFloat on text that starts with '.'.
bool go_parses_dot_float(std::string_view s) {
  size_t i = 1, fd = 0;
  while (i < s.size() && std::isdigit(static_cast<unsigned char>(s[i]))) ++i, ++fd;
  if (fd == 0) return false;
  if (i < s.size() && (s[i] == 'e' || s[i] == 'E')) {
    ++i;
    if (i < s.size() && (s[i] == '+' || s[i] == '-')) ++i;
    size_t ed = 0;
    while (i < s.size() && std::isdigit(static_cast<unsigned char>(s[i]))) ++i, ++ed;
    if (ed == 0) return false;
  }
  return i == s.size();
}

// ^[-+]?[0-9][0-9_]*(?::[0-5]?[0-9])+(?:\.[0-9_]*)?$
bool is_base60_float(std::string_view s) {
  size_t i = 0;
  if (i < s.size() && (s[i] == '+' || s[i] == '-')) ++i;
  if (i >= s.size() || !std::isdigit(static_cast<unsigned char>(s[i]))) return false;
  ++i;
  while (i < s.size() && (std::isdigit(static_cast<unsigned char>(s[i])) || s[i] == '_')) ++i;
  int groups = 0;
  while (i < s.size() && s[i] == ':') {
    ++i;
    size_t start = i;
    while (i < s.size() && std::isdigit(static_cast<unsigned char>(s[i])) && i - start < 2) ++i;
    size_t n = i - start;
    if (n == 0) return false;
    if (n == 2 && s[start] > '5') return false;
    ++groups;
  }
  if (groups == 0) return false;
  if (i < s.size() && s[i] == '.') {
    ++i;
    while (i < s.size() && (std::isdigit(static_cast<unsigned char>(s[i])) || s[i] == '_')) ++i;
  }
  return i == s.size();
}

int days_in_month(int y, int m) {
  static const int kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  if (m == 2 && ((y % 4 == 0 && y % 100 != 0) || y % 400 == 0)) return 29;
  return kDays[m - 1];
}

// Reads 1..max digits; false when none.
bool read_num(std::string_view s, size_t& i, int max_digits, int& out) {
  size_t start = i;
  out = 0;
  while (i < s.size() && std::isdigit(static_cast<unsigned char>(s[i])) &&
         static_cast<int>(i - start) < max_digits)
    out = out * 10 + (s[i++] - '0');
  return i > start;
}

// go-yaml v2 parseTimestamp: "2006-1-2", "2006-1-2 15:4:5.999999999",
// "2006-1-2T15:4:5.999999999Z07:00" (also lower-case t), via Go time.Parse.
bool is_timestamp(std::string_view s) {
  size_t i = 0;
  while (i < s.size() && std::isdigit(static_cast<unsigned char>(s[i]))) ++i;
  if (i != 4 || i == s.size() || s[i] != '-') return false;
  int y = (s[0] - '0') * 1000 + (s[1] - '0') * 100 + (s[2] - '0') * 10 + (s[3] - '0');
  ++i;
  int mo, d;
  if (!read_num(s, i, 2, mo) || mo < 1 || mo > 12) return false;
  if (i >= s.size() || s[i] != '-') return false;
  ++i;
  if (!read_num(s, i, 2, d) || d < 1 || d > days_in_month(y, mo)) return false;
  if (i == s.size()) return true;
  char sep = s[i];
  if (sep != 'T' && sep != 't' && sep != ' ') return false;
  ++i;
  int h, mi, se;
  if (!read_num(s, i, 2, h) || h > 23) return false;
  if (i >= s.size() || s[i] != ':') return false;
  ++i;
  if (!read_num(s, i, 2, mi) || mi > 59) return false;
  if (i >= s.size() || s[i] != ':') return false;
  ++i;
  if (!read_num(s, i, 2, se) || se > 59) return false;
  if (i < s.size() && (s[i] == '.' || s[i] == ',')) {
    ++i;
    size_t st = i;
    while (i < s.size() && std::isdigit(static_cast<unsigned char>(s[i]))) ++i;
    if (i == st) return false;
  }
  if (sep == ' ') return i == s.size();
  if (i >= s.size()) return false;
  if (s[i] == 'Z') return i + 1 == s.size();
  if (s[i] != '+' && s[i] != '-') return false;
  ++i;
  int zh, zm;
  if (!read_num(s, i, 2, zh)) return false;
  if (i >= s.size() || s[i] != ':') return false;
  ++i;
  if (!read_num(s, i, 2, zm)) return false;
  return i == s.size();
}

bool resolves_to_non_string(const std::string& s) {
  if (s.empty()) return true;  // null
  unsigned char c = s[0];
  bool sign = c == '+' || c == '-';
  bool digit = c >= '0' && c <= '9';
  bool in_map = std::strchr("yYnNtTfFoO~", c) != nullptr && c != 0;
  if (sign || digit || in_map || c == '.') {
    static const char* kWords[] = {
        "y", "Y", "yes", "Yes", "YES", "true", "True", "TRUE", "on", "On", "ON", "n", "N", "no",
        "No", "NO", "false", "False", "FALSE", "off", "Off", "OFF", "~", "null", "Null", "NULL",
        ".nan", ".NaN", ".NAN", ".inf", ".Inf", ".INF", "+.inf", "+.Inf", "+.INF", "-.inf",
        "-.Inf", "-.INF"};
    for (const char* w : kWords)
      if (s == w) return true;
  }
  if (c == '.') return go_parses_dot_float(s);
  if (digit || sign) {
    if (digit && is_timestamp(s)) return true;
    std::string plain;
    plain.reserve(s.size());
    for (char ch : s)
      if (ch != '_') plain += ch;
    bool overflow = false;
    if (go_parses_int(plain, overflow)) {
      if (!overflow) return true;
      // ParseUint of an unsigned value that fits.
      if (plain[0] != '-' && plain[0] != '+') {
        unsigned long long v;
        auto [p, ec] = std::from_chars(plain.data(), plain.data() + plain.size(), v);
        if (ec == std::errc() && p == plain.data() + plain.size()) return true;
      }
    }
    if (yaml_style_float(plain)) return true;
  }
  return false;
}

// ---------------------------------------------------------------------------------------------
// Writers

class Emitter {
 public:
  explicit Emitter(std::string& out) : out_(out) {}

  void document(const json& v) {
    line_start_ = out_.size();
    node(v, -1, Ctx::Root);
    // Document end: a break unless we are at the start of a line.
    if (column() > 0) out_ += '\n';
  }

 private:
  enum class Ctx { Root, MapValue, SeqItem };

  int column() const { return static_cast<int>(out_.size() - line_start_); }
  void newline() {
    out_ += '\n';
    line_start_ = out_.size();
  }
  void pad_to(int indent) {
    int c = column();
    if (c < indent) out_.append(static_cast<size_t>(indent - c), ' ');
  }
  // write_indent: a break unless we are already at the indentation, then pad.
  void write_indent(int indent) {
    if (indent < 0) indent = 0;
    if (!at_indention_ || column() > indent || (column() == indent && !whitespace_)) newline();
    pad_to(indent);
    whitespace_ = true;
    at_indention_ = true;
  }
  void put(char c) {
    out_ += c;
    whitespace_ = false;
  }

  // `indent` is the indentation of the enclosing collection (-1 at the root).
  void node(const json& v, int indent, Ctx ctx) {
    if (v.is_object() && !v.empty()) {
      mapping(v, indent, ctx);
    } else if (v.is_array() && !v.empty()) {
      sequence(v, indent, ctx);
    } else {
      scalar(v, indent, ctx);
    }
  }

  void mapping(const json& m, int parent_indent, Ctx ctx) {
    int indent = parent_indent < 0 ? 0 : parent_indent + kBestIndent;
    std::vector<const std::string*> keys;
    keys.reserve(m.size());
    for (auto it = m.begin(); it != m.end(); ++it) keys.push_back(&it.key());
    std::sort(keys.begin(), keys.end(),
              [](const std::string* a, const std::string* b) { return yaml_key_less(*a, *b); });
    bool first = true;
    for (const std::string* k : keys) {
      if (!(first && ctx == Ctx::SeqItem)) write_indent(indent);
      first = false;
      key_scalar(*k, indent);
      out_ += ':';
      whitespace_ = false;
      at_indention_ = false;
      const json& v = m.at(*k);
      if (v.is_object() && !v.empty()) {
        mapping(v, indent, Ctx::MapValue);
      } else if (v.is_array() && !v.empty()) {
        // Sequences under a mapping key are not indented (go-yaml v2 "indentless").
        sequence(v, indent - kBestIndent, Ctx::MapValue);
      } else {
        scalar(v, indent, Ctx::MapValue);
      }
    }
  }

  void sequence(const json& a, int parent_indent, Ctx ctx) {
    int indent = parent_indent < 0 ? 0 : parent_indent + kBestIndent;
    if (ctx == Ctx::Root) indent = 0;
    bool first = true;
    for (const auto& item : a) {
      if (!(first && ctx == Ctx::SeqItem)) write_indent(indent);
      first = false;
      out_ += '-';
      whitespace_ = false;
      // go-yaml writes "- " via write_indicator(need_whitespace) before the item.
      if (item.is_object() && !item.empty()) {
        out_ += ' ';
        whitespace_ = true;
        mapping(item, indent, Ctx::SeqItem);
      } else if (item.is_array() && !item.empty()) {
        out_ += ' ';
        whitespace_ = true;
        sequence(item, indent, Ctx::SeqItem);
      } else {
        scalar(item, indent, Ctx::SeqItem);
      }
    }
  }

  void space_before_scalar() {
    if (!whitespace_) out_ += ' ';
    whitespace_ = true;
  }

  void scalar(const json& v, int parent_indent, Ctx ctx) {
    // emit_scalar increases the indent by best_indent (flow-style increase at the root).
    int indent = parent_indent < 0 ? kBestIndent : parent_indent + kBestIndent;
    if (ctx != Ctx::Root) space_before_scalar();
    switch (v.type()) {
      case json::value_t::null:
        out_ += "null";
        break;
      case json::value_t::boolean:
        out_ += v.get<bool>() ? "true" : "false";
        break;
      case json::value_t::number_integer:
        out_ += std::to_string(v.get<int64_t>());
        break;
      case json::value_t::number_unsigned:
        out_ += std::to_string(v.get<uint64_t>());
        break;
      case json::value_t::number_float:
        out_ += yaml_format_float(v.get<double>());
        break;
      case json::value_t::object:
        out_ += "{}";
        break;
      case json::value_t::array:
        out_ += "[]";
        break;
      case json::value_t::string:
        string_scalar(v.get_ref<const std::string&>(), indent, /*simple_key=*/false);
        return;
      default:
        out_ += "null";
        break;
    }
    whitespace_ = false;
  }

  void key_scalar(const std::string& k, int indent) {
    string_scalar(k, indent + kBestIndent, /*simple_key=*/true);
  }

  void string_scalar(const std::string& s, int indent, bool simple_key) {
    char style = style_for(s, simple_key);
    at_indention_ = false;
    switch (style) {
      case 'p':
        write_plain(s, indent, !simple_key);
        break;
      case '\'':
        write_single(s, indent, !simple_key);
        break;
      case '"':
        write_double(s, indent, !simple_key);
        break;
      default:
        write_literal(s, indent);
        break;
    }
  }

 public:
  static char style_for(const std::string& s, bool simple_key) {
    bool can_plain = !resolves_to_non_string(s) && !is_base60_float(s);
    Analysis a = analyze(s);
    char style;
    if (s.find('\n') != std::string::npos)
      style = '|';
    else if (can_plain)
      style = 'p';
    else
      style = '"';
    if (style == 'p') {
      if (!a.block_plain_allowed) style = '\'';
      if (s.empty() && simple_key) style = '\'';
    }
    if (style == '\'' && !a.single_quoted_allowed) style = '"';
    if (style == '|' && (!a.block_allowed || simple_key)) style = '"';
    return style;
  }

 private:
  void write_plain(const std::string& v, int indent, bool allow_breaks) {
    bool spaces = false;
    for (size_t i = 0; i < v.size();) {
      if (is_space(v, i)) {
        if (allow_breaks && !spaces && column() > kBestWidth && !is_space(v, i + 1)) {
          write_indent(indent);
          i += 1;
        } else {
          out_ += v[i++];
        }
        spaces = true;
      } else {
        size_t w = static_cast<size_t>(utf8_width(at(v, i)));
        out_.append(v, i, w);
        i += w;
        spaces = false;
      }
    }
    whitespace_ = false;
    at_indention_ = false;
  }

  void write_single(const std::string& v, int indent, bool allow_breaks) {
    out_ += '\'';
    bool spaces = false;
    for (size_t i = 0; i < v.size();) {
      if (is_space(v, i)) {
        if (allow_breaks && !spaces && column() > kBestWidth && i > 0 && i + 1 < v.size() &&
            !is_space(v, i + 1)) {
          at_indention_ = false;
          whitespace_ = false;
          write_indent(indent);
          i += 1;
        } else {
          out_ += v[i++];
        }
        spaces = true;
      } else {
        if (v[i] == '\'') out_ += '\'';
        size_t w = static_cast<size_t>(utf8_width(at(v, i)));
        out_.append(v, i, w);
        i += w;
        spaces = false;
      }
    }
    out_ += '\'';
    whitespace_ = false;
    at_indention_ = false;
  }

  void write_double(const std::string& v, int indent, bool allow_breaks) {
    out_ += '"';
    bool spaces = false;
    for (size_t i = 0; i < v.size();) {
      unsigned char b = at(v, i);
      bool bom = b == 0xEF && at(v, i + 1) == 0xBB && at(v, i + 2) == 0xBF;
      if (!is_printable(v, i) || bom || is_break(v, i) || b == '"' || b == '\\') {
        int w = utf8_width(b);
        uint32_t cp;
        switch (w) {
          case 1: cp = b & 0x7F; break;
          case 2: cp = b & 0x1F; break;
          case 3: cp = b & 0x0F; break;
          default: cp = b & 0x07; break;
        }
        for (int k = 1; k < w; ++k) cp = (cp << 6) + (at(v, i + static_cast<size_t>(k)) & 0x3F);
        i += static_cast<size_t>(w);
        out_ += '\\';
        switch (cp) {
          case 0x00: out_ += '0'; break;
          case 0x07: out_ += 'a'; break;
          case 0x08: out_ += 'b'; break;
          case 0x09: out_ += 't'; break;
          case 0x0A: out_ += 'n'; break;
          case 0x0B: out_ += 'v'; break;
          case 0x0C: out_ += 'f'; break;
          case 0x0D: out_ += 'r'; break;
          case 0x1B: out_ += 'e'; break;
          case 0x22: out_ += '"'; break;
          case 0x5C: out_ += '\\'; break;
          case 0x85: out_ += 'N'; break;
          case 0xA0: out_ += '_'; break;
          case 0x2028: out_ += 'L'; break;
          case 0x2029: out_ += 'P'; break;
          default: {
            int digits;
            if (cp <= 0xFF) {
              out_ += 'x';
              digits = 2;
            } else if (cp <= 0xFFFF) {
              out_ += 'u';
              digits = 4;
            } else {
              out_ += 'U';
              digits = 8;
            }
            for (int k = (digits - 1) * 4; k >= 0; k -= 4) {
              unsigned d = (cp >> k) & 0x0F;
              out_ += static_cast<char>(d < 10 ? '0' + d : 'A' + d - 10);
            }
          }
        }
        spaces = false;
      } else if (is_space(v, i)) {
        if (allow_breaks && !spaces && column() > kBestWidth && i != 0 && i + 1 != v.size()) {
          at_indention_ = false;
          whitespace_ = false;
          write_indent(indent);
          if (is_space(v, i + 1)) out_ += '\\';
          i += 1;
        } else {
          out_ += v[i++];
        }
        spaces = true;
      } else {
        size_t w = static_cast<size_t>(utf8_width(b));
        out_.append(v, i, w);
        i += w;
        spaces = false;
      }
    }
    out_ += '"';
    whitespace_ = false;
    at_indention_ = false;
  }

  void write_literal(const std::string& v, int indent) {
    out_ += '|';
    if (is_space(v, 0) || is_break(v, 0)) out_ += static_cast<char>('0' + kBestIndent);
    // Chomping hint.
    size_t i = v.size() - 1;
    while (i > 0 && (static_cast<unsigned char>(v[i]) & 0xC0) == 0x80) --i;
    if (!is_break(v, i)) {
      out_ += '-';
    } else if (i == 0) {
      out_ += '+';
    } else {
      --i;
      while (i > 0 && (static_cast<unsigned char>(v[i]) & 0xC0) == 0x80) --i;
      if (is_break(v, i)) out_ += '+';
    }
    newline();
    at_indention_ = true;
    whitespace_ = true;
    bool breaks = true;
    for (size_t j = 0; j < v.size();) {
      if (is_break(v, j)) {
        // write_break: '\n' stays '\n'; other breaks are copied.
        size_t w = static_cast<size_t>(utf8_width(at(v, j)));
        if (v[j] == '\n') {
          newline();
        } else {
          out_.append(v, j, w);
          line_start_ = out_.size();
        }
        j += w;
        at_indention_ = true;
        breaks = true;
      } else {
        if (breaks) write_indent(indent);
        size_t w = static_cast<size_t>(utf8_width(at(v, j)));
        out_.append(v, j, w);
        j += w;
        at_indention_ = false;
        breaks = false;
      }
    }
    // libyaml leaves `whitespace` set after a literal block.
    whitespace_ = true;
  }

  std::string& out_;
  size_t line_start_ = 0;
  bool whitespace_ = true;
  bool at_indention_ = true;
};

bool is_letter(uint32_t cp) {
  if (cp < 0x80) return (cp >= 'a' && cp <= 'z') || (cp >= 'A' && cp <= 'Z');
  if (cp == 0xAA || cp == 0xB5 || cp == 0xBA) return true;
  if (cp < 0xC0) return false;
  if (cp == 0xD7 || cp == 0xF7) return false;
  return true;  // approximation of unicode.IsLetter above Latin-1
}
bool is_digit_cp(uint32_t cp) { return cp >= '0' && cp <= '9'; }

std::vector<uint32_t> runes(const std::string& s) {
  std::vector<uint32_t> out;
  out.reserve(s.size());
  for (size_t i = 0; i < s.size();) {
    unsigned char b = at(s, i);
    int w = utf8_width(b);
    uint32_t cp = w == 1 ? b : w == 2 ? (b & 0x1F) : w == 3 ? (b & 0x0F) : (b & 0x07);
    for (int k = 1; k < w; ++k) cp = (cp << 6) + (at(s, i + static_cast<size_t>(k)) & 0x3F);
    out.push_back(cp);
    i += static_cast<size_t>(w);
  }
  return out;
}

}  // namespace

bool yaml_key_less(const std::string& a_str, const std::string& b_str) {
  // Fast path for ASCII letters-only prefixes is the common case; the general algorithm is
  // go-yaml v2 sorter.go keyList.Less for two strings.
  auto ar = runes(a_str);
  auto br = runes(b_str);
  for (size_t i = 0; i < ar.size() && i < br.size(); ++i) {
    if (ar[i] == br[i]) continue;
    bool al = is_letter(ar[i]), bl = is_letter(br[i]);
    if (al && bl) return ar[i] < br[i];
    if (al || bl) return bl;
    long long an = 0, bn = 0;
    if (ar[i] == '0' || br[i] == '0') {
      for (size_t j = i; j-- > 0 && is_digit_cp(ar[j]);) {
        if (ar[j] != '0') {
          an = 1;
          bn = 1;
          break;
        }
      }
    }
    size_t ai = i, bi = i;
    for (; ai < ar.size() && is_digit_cp(ar[ai]); ++ai) an = an * 10 + (ar[ai] - '0');
    for (; bi < br.size() && is_digit_cp(br[bi]); ++bi) bn = bn * 10 + (br[bi] - '0');
    if (an != bn) return an < bn;
    if (ai != bi) return ai < bi;
    return ar[i] < br[i];
  }
  return ar.size() < br.size();
}

char yaml_scalar_style(const std::string& s) { return Emitter::style_for(s, false); }

std::string yaml_format_float(double x) {
  if (std::isnan(x)) return ".nan";
  if (std::isinf(x)) return x > 0 ? ".inf" : "-.inf";
  // Integral values went through JSON as integers.
  if (std::trunc(x) == x && std::fabs(x) < 9.2233720368547758e18) {
    return std::to_string(static_cast<long long>(x));
  }
  if (std::trunc(x) == x && x > 0 && x < 1.8446744073709552e19) {
    return std::to_string(static_cast<unsigned long long>(x));
  }
  char buf[64];
  auto r = std::to_chars(buf, buf + sizeof buf, x, std::chars_format::scientific);
  std::string sci(buf, r.ptr);
  bool neg = false;
  if (!sci.empty() && sci[0] == '-') {
    neg = true;
    sci.erase(0, 1);
  }
  auto e = sci.find('e');
  std::string mant = sci.substr(0, e);
  int exp10 = std::stoi(sci.substr(e + 1));
  std::string digs;
  for (char c : mant)
    if (c != '.') digs += c;
  int nd = static_cast<int>(digs.size());
  std::string out = neg ? "-" : "";
  if (exp10 < -4 || exp10 >= 6) {
    out += digs[0];
    if (nd > 1) {
      out += '.';
      out.append(digs, 1, std::string::npos);
    }
    out += 'e';
    out += exp10 < 0 ? '-' : '+';
    int ae = std::abs(exp10);
    if (ae < 10) out += '0';
    out += std::to_string(ae);
    return out;
  }
  int dp = exp10 + 1;  // digits before the decimal point
  if (dp <= 0) {
    out += "0.";
    out.append(static_cast<size_t>(-dp), '0');
    out += digs;
  } else if (dp >= nd) {
    out += digs;
    out.append(static_cast<size_t>(dp - nd), '0');
  } else {
    out.append(digs, 0, static_cast<size_t>(dp));
    out += '.';
    out.append(digs, static_cast<size_t>(dp), std::string::npos);
  }
  return out;
}

void append_yaml(std::string& out, const json& value) {
  Emitter e(out);
  e.document(value);
}

std::string to_yaml(const json& value) {
  std::string out;
  append_yaml(out, value);
  return out;
}

std::string to_yaml_stream(const std::vector<Object>& objects) {
  std::string out;
  bool first = true;
  for (const auto& o : objects) {
    if (!first) out += "---\n";
    first = false;
    append_yaml(out, o.body());
  }
  return out;
}

}  // namespace rehearse::model
