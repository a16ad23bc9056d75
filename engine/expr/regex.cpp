#include "engine/expr/regex.hpp"

#include <fmt/format.h>

#include <cctype>
#include <regex>

namespace rehearse::expr {

struct Regex::Impl {
  std::string pattern;
  std::regex re;
  std::vector<std::string> names;  // by group index, [0] = ""
};

namespace {

bool is_name_char(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '_';
}

// True when `p` at `i` (pointing at '{') starts a valid repetition {n}, {n,} or {n,m}.
bool is_repetition(std::string_view p, size_t i) {
  size_t j = i + 1;
  size_t digits = 0;
  while (j < p.size() && std::isdigit(static_cast<unsigned char>(p[j]))) ++j, ++digits;
  if (digits == 0) return false;
  if (j < p.size() && p[j] == ',') {
    ++j;
    while (j < p.size() && std::isdigit(static_cast<unsigned char>(p[j]))) ++j;
  }
  return j < p.size() && p[j] == '}';
}

std::string quote_literal(char c) {
  static const std::string_view kSpecial = "\\^$.|?*+()[]{}/-";
  if (kSpecial.find(c) != std::string_view::npos) return std::string("\\") + c;
  return std::string(1, c);
}

struct Translation {
  std::string ecma;
  std::vector<std::string> names{""};
  bool icase = false;
};

Result<Translation> translate(std::string_view p) {
  Translation t;
  auto bad = [&](size_t at, std::string what) {
    return fail("invalid-regex",
                fmt::format("error parsing regexp: {} at column {}", what, at + 1));
  };
  size_t i = 0;
  while (i < p.size()) {
    char c = p[i];
    if (c == '\\') {
      if (i + 1 >= p.size()) return bad(i, "trailing backslash");
      char e = p[i + 1];
      switch (e) {
        case 'A':
          t.ecma += '^';
          i += 2;
          continue;
        case 'z':
          t.ecma += '$';
          i += 2;
          continue;
        case 'Q': {
          size_t end = p.find("\\E", i + 2);
          std::string_view lit = p.substr(i + 2, end == std::string_view::npos ? std::string_view::npos : end - i - 2);
          for (char l : lit) t.ecma += quote_literal(l);
          i = end == std::string_view::npos ? p.size() : end + 2;
          continue;
        }
        case 'p':
        case 'P':
          return bad(i, "Unicode classes (\\p, \\P) are not supported by rehearse");
        case 'C':
          return bad(i, "\\C is not supported");
        case 'Z':
          return bad(i, "invalid escape sequence \\Z (RE2 has no \\Z)");
        case 'x':
          if (i + 2 < p.size() && p[i + 2] == '{') {
            size_t close = p.find('}', i + 3);
            if (close == std::string_view::npos) return bad(i, "unterminated \\x{...}");
            std::string hex(p.substr(i + 3, close - i - 3));
            if (hex.empty() || hex.size() > 2) return bad(i, "\\x{...} beyond \\xFF is not supported");
            t.ecma += "\\x" + std::string(2 - hex.size(), '0') + hex;
            i = close + 1;
            continue;
          }
          t.ecma += "\\x";
          i += 2;
          continue;
        default:
          break;
      }
      if (std::isdigit(static_cast<unsigned char>(e))) {
        return bad(i, "backreferences are not supported by RE2");
      }
      if (std::isalpha(static_cast<unsigned char>(e)) &&
          std::string_view("bBdDsSwWntrfv").find(e) == std::string_view::npos) {
        return bad(i, fmt::format("invalid escape sequence \\{}", e));
      }
      t.ecma += c;
      t.ecma += e;
      i += 2;
      continue;
    }
    if (c == '(') {
      if (i + 1 < p.size() && p[i + 1] == '?') {
        std::string_view rest = p.substr(i + 2);
        if (rest.starts_with("P<") || (rest.starts_with("<") && !rest.starts_with("<=") &&
                                       !rest.starts_with("<!"))) {
          size_t name_start = i + 2 + (rest[0] == 'P' ? 2 : 1);
          size_t close = p.find('>', name_start);
          if (close == std::string_view::npos) return bad(i, "invalid named capture");
          std::string name(p.substr(name_start, close - name_start));
          if (name.empty()) return bad(i, "invalid named capture (empty name)");
          for (char n : name) {
            if (!is_name_char(n)) return bad(i, fmt::format("invalid named capture {:?}", name));
          }
          for (const auto& existing : t.names) {
            if (existing == name) return bad(i, fmt::format("duplicate capture group name {:?}", name));
          }
          t.names.push_back(name);
          t.ecma += '(';
          i = close + 1;
          continue;
        }
        if (rest.starts_with(":")) {
          t.ecma += "(?:";
          i += 3;
          continue;
        }
        if (rest.starts_with("=") || rest.starts_with("!") || rest.starts_with("<=") ||
            rest.starts_with("<!")) {
          return bad(i, "lookaround assertions are not supported by RE2");
        }
        // Flags: (?i) at the very start is supported; anything else is refused.
        size_t close = p.find_first_of(":)", i + 2);
        if (close != std::string_view::npos && p[close] == ')' && p.substr(i + 2, close - i - 2) == "i" &&
            t.ecma.empty()) {
          t.icase = true;
          i = close + 1;
          continue;
        }
        return bad(i, "inline flags other than a leading (?i) are not supported by rehearse");
      }
      t.names.push_back("");
      t.ecma += '(';
      ++i;
      continue;
    }
    if (c == '[') {
      size_t start = i;
      t.ecma += '[';
      ++i;
      if (i < p.size() && p[i] == '^') {
        t.ecma += '^';
        ++i;
      }
      if (i < p.size() && p[i] == ']') {  // a leading ']' is literal
        t.ecma += "\\]";
        ++i;
      }
      bool closed = false;
      while (i < p.size()) {
        char d = p[i];
        if (d == ']') {
          t.ecma += ']';
          ++i;
          closed = true;
          break;
        }
        if (d == '[' && i + 1 < p.size() && p[i + 1] == ':') {
          size_t end = p.find(":]", i + 2);
          if (end == std::string_view::npos) return bad(i, "invalid character class");
          t.ecma += p.substr(i, end + 2 - i);
          i = end + 2;
          continue;
        }
        if (d == '\\') {
          if (i + 1 >= p.size()) return bad(i, "trailing backslash");
          char e = p[i + 1];
          if (e == 'p' || e == 'P') return bad(i, "Unicode classes (\\p, \\P) are not supported by rehearse");
          t.ecma += d;
          t.ecma += e;
          i += 2;
          continue;
        }
        if (d == '[') {
          t.ecma += "\\[";
          ++i;
          continue;
        }
        t.ecma += d;
        ++i;
      }
      if (!closed) return bad(start, "missing closing ]");
      continue;
    }
    if (c == '{' && !is_repetition(p, i)) {  // RE2 reads a non-repetition brace literally
      t.ecma += "\\{";
      ++i;
      continue;
    }
    if (c == '}' ) {
      // Closing brace of a repetition was copied with it below; a stray one is literal.
      t.ecma += "\\}";
      ++i;
      continue;
    }
    if (c == '{') {
      size_t close = p.find('}', i);
      t.ecma += p.substr(i, close + 1 - i);
      i = close + 1;
      continue;
    }
    t.ecma += c;
    ++i;
  }
  return t;
}

}  // namespace

Result<Regex> Regex::compile(std::string_view pattern) {
  auto t = translate(pattern);
  if (!t) return unexpected(t.error());
  auto impl = std::make_shared<Impl>();
  impl->pattern = std::string(pattern);
  impl->names = std::move(t->names);
  try {
    auto flags = std::regex::ECMAScript;
    if (t->icase) flags |= std::regex::icase;
    impl->re = std::regex(t->ecma, flags);
  } catch (const std::regex_error& e) {
    return fail("invalid-regex", fmt::format("error parsing regexp: {}", e.what()));
  }
  if (impl->re.mark_count() + 1 != impl->names.size()) {
    return fail("invalid-regex", "error parsing regexp: unsupported group syntax");
  }
  Regex r;
  r.impl_ = std::move(impl);
  return r;
}

bool Regex::search(std::string_view text) const {
  return std::regex_search(text.begin(), text.end(), impl_->re);
}

std::optional<std::vector<std::optional<std::string>>> Regex::find_submatch(
    std::string_view text) const {
  std::match_results<std::string_view::const_iterator> m;
  if (!std::regex_search(text.begin(), text.end(), m, impl_->re)) return std::nullopt;
  std::vector<std::optional<std::string>> out;
  out.reserve(m.size());
  for (size_t i = 0; i < m.size(); ++i) {
    if (m[i].matched) out.emplace_back(m[i].str());
    else out.emplace_back(std::nullopt);
  }
  return out;
}

std::string Regex::expand(std::string_view tmpl,
                          const std::vector<std::optional<std::string>>& sub) const {
  std::string out;
  size_t i = 0;
  while (i < tmpl.size()) {
    char c = tmpl[i];
    if (c != '$') {
      out += c;
      ++i;
      continue;
    }
    if (i + 1 < tmpl.size() && tmpl[i + 1] == '$') {
      out += '$';
      i += 2;
      continue;
    }
    // Extract a name: ${name} or $name.
    std::string name;
    size_t next = i + 1;
    bool ok = false;
    if (next < tmpl.size() && tmpl[next] == '{') {
      size_t j = next + 1;
      while (j < tmpl.size() && is_name_char(tmpl[j])) ++j;
      if (j < tmpl.size() && tmpl[j] == '}' && j > next + 1) {
        name = std::string(tmpl.substr(next + 1, j - next - 1));
        next = j + 1;
        ok = true;
      }
    } else {
      size_t j = next;
      while (j < tmpl.size() && is_name_char(tmpl[j])) ++j;
      if (j > next) {
        name = std::string(tmpl.substr(next, j - next));
        next = j;
        ok = true;
      }
    }
    if (!ok) {  // malformed: `$` is raw text
      out += '$';
      ++i;
      continue;
    }
    i = next;
    bool numeric = std::all_of(name.begin(), name.end(),
                               [](char d) { return std::isdigit(static_cast<unsigned char>(d)); });
    if (numeric) {
      long num = 0;
      for (char d : name) {
        num = num * 10 + (d - '0');
        if (num >= 100000000) {
          num = -1;
          break;
        }
      }
      if (num >= 0 && static_cast<size_t>(num) < sub.size() && sub[num]) out += *sub[num];
      continue;
    }
    for (size_t g = 0; g < impl_->names.size(); ++g) {
      if (impl_->names[g] == name && g < sub.size() && sub[g]) {
        out += *sub[g];
        break;
      }
    }
  }
  return out;
}

const std::string& Regex::pattern() const { return impl_->pattern; }
const std::vector<std::string>& Regex::group_names() const { return impl_->names; }

}  // namespace rehearse::expr
