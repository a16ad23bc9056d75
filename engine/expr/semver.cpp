#include "engine/expr/semver.hpp"

#include <fmt/format.h>

#include <cctype>
#include <regex>

// Follows Masterminds/semver v3 version.go and constraints.go (reference flux.md section 7).
// Constraint strings are split and validated with the same regular expressions Masterminds
// uses (Go's RE2 and ECMAScript are both leftmost-first, so the matches agree); versions are
// parsed by hand following looseSemVerRegex (CoerceNewVersion is the default).

namespace rehearse::expr::semver {

namespace {

constexpr const char* kInvalid = "invalid semantic version";

bool all_digits(std::string_view s) {
  if (s.empty()) return false;
  for (char c : s) {
    if (!std::isdigit(static_cast<unsigned char>(c))) return false;
  }
  return true;
}

bool ident_char(char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '-'; }

// strconv.ParseUint(s, 10, 64); false on overflow.
bool parse_u64(std::string_view s, uint64_t& out) {
  uint64_t v = 0;
  for (char c : s) {
    uint64_t d = static_cast<uint64_t>(c - '0');
    if (v > (UINT64_MAX - d) / 10) return false;
    v = v * 10 + d;
  }
  out = v;
  return true;
}

std::vector<std::string_view> split(std::string_view s, char sep) {
  std::vector<std::string_view> out;
  size_t start = 0;
  while (true) {
    size_t p = s.find(sep, start);
    if (p == std::string_view::npos) {
      out.push_back(s.substr(start));
      return out;
    }
    out.push_back(s.substr(start, p - start));
    start = p + 1;
  }
}

Result<void> validate_prerelease(std::string_view p) {
  for (auto part : split(p, '.')) {
    if (part.empty()) return fail("invalid-version", "invalid prerelease string");
    if (all_digits(part)) {
      if (part.size() > 1 && part[0] == '0') return fail("invalid-version", "version segment starts with 0");
    } else {
      for (char c : part) {
        if (!ident_char(c)) return fail("invalid-version", "invalid prerelease string");
      }
    }
  }
  return {};
}

Result<void> validate_metadata(std::string_view m) {
  for (auto part : split(m, '.')) {
    if (part.empty()) return fail("invalid-version", "invalid metadata string");
    for (char c : part) {
      if (!ident_char(c)) return fail("invalid-version", "invalid metadata string");
    }
  }
  return {};
}

// Matches `[0-9A-Za-z-]+(\.[0-9A-Za-z-]+)*` at s[i..]; returns the end index.
size_t scan_idents(std::string_view s, size_t i) {
  size_t start = i;
  while (true) {
    size_t b = i;
    while (i < s.size() && ident_char(s[i])) ++i;
    if (i == b) return b == start ? start : b - 1;  // an empty part: back off the dot
    if (i < s.size() && s[i] == '.' && i + 1 < s.size() && ident_char(s[i + 1])) {
      ++i;
      continue;
    }
    return i;
  }
}

int compare_pre_part(std::string_view s, std::string_view o) {
  if (s == o) return 0;
  if (s.empty()) return -1;  // fewer identifiers sort first
  if (o.empty()) return 1;
  uint64_t si = 0, oi = 0;
  bool s_num = all_digits(s) && parse_u64(s, si);
  bool o_num = all_digits(o) && parse_u64(o, oi);
  if (!s_num && !o_num) return s > o ? 1 : -1;
  if (!o_num) return -1;  // numeric < alphanumeric
  if (!s_num) return 1;
  return si > oi ? 1 : -1;
}

}  // namespace

int compare_prerelease(std::string_view a, std::string_view b) {
  auto sp = split(a, '.');
  auto op = split(b, '.');
  size_t n = std::max(sp.size(), op.size());
  for (size_t k = 0; k < n; ++k) {
    std::string_view s = k < sp.size() ? sp[k] : std::string_view();
    std::string_view o = k < op.size() ? op[k] : std::string_view();
    int d = compare_pre_part(s, o);
    if (d != 0) return d;
  }
  return 0;
}

Result<Version> Version::parse(std::string_view text) {
  // looseSemVerRegex, anchored:
  //   v?([0-9]+)(\.[0-9]+)?(\.[0-9]+)?(-([0-9A-Za-z\-]+(\.[0-9A-Za-z\-]+)*))?(\+(same))?
  std::string_view s = text;
  size_t i = 0;
  if (i < s.size() && s[i] == 'v') ++i;
  auto digits = [&](size_t from) {
    size_t j = from;
    while (j < s.size() && std::isdigit(static_cast<unsigned char>(s[j]))) ++j;
    return j;
  };
  size_t e = digits(i);
  if (e == i) return fail("invalid-version", kInvalid);
  std::string_view major = s.substr(i, e - i), minor, patch;
  i = e;
  if (i < s.size() && s[i] == '.' && (e = digits(i + 1)) > i + 1) {
    minor = s.substr(i + 1, e - i - 1);
    i = e;
    if (i < s.size() && s[i] == '.' && (e = digits(i + 1)) > i + 1) {
      patch = s.substr(i + 1, e - i - 1);
      i = e;
    }
  }
  std::string_view pre, meta;
  if (i < s.size() && s[i] == '-') {
    size_t end = scan_idents(s, i + 1);
    if (end == i + 1) return fail("invalid-version", kInvalid);
    pre = s.substr(i + 1, end - i - 1);
    i = end;
  }
  if (i < s.size() && s[i] == '+') {
    size_t end = scan_idents(s, i + 1);
    if (end == i + 1) return fail("invalid-version", kInvalid);
    meta = s.substr(i + 1, end - i - 1);
    i = end;
  }
  if (i != s.size()) return fail("invalid-version", kInvalid);
  Version v;
  v.original_ = std::string(text);
  if (!parse_u64(major, v.major_) || (!minor.empty() && !parse_u64(minor, v.minor_)) ||
      (!patch.empty() && !parse_u64(patch, v.patch_))) {
    return fail("invalid-version", "error parsing version segment: value out of range");
  }
  v.pre_ = std::string(pre);
  v.metadata_ = std::string(meta);
  if (!pre.empty()) {
    auto r = validate_prerelease(pre);
    if (!r) return unexpected(r.error());
  }
  if (!meta.empty()) {
    auto r = validate_metadata(meta);
    if (!r) return unexpected(r.error());
  }
  return v;
}

Result<Version> Version::parse_strict(std::string_view text) {
  if (text.empty()) return fail("invalid-version", "version string empty");
  // strings.SplitN(v, ".", 3)
  std::vector<std::string> parts;
  size_t start = 0;
  for (int k = 0; k < 2; ++k) {
    size_t p = text.find('.', start);
    if (p == std::string_view::npos) break;
    parts.emplace_back(text.substr(start, p - start));
    start = p + 1;
  }
  parts.emplace_back(text.substr(start));
  if (parts.size() != 3) return fail("invalid-version", kInvalid);
  Version v;
  v.original_ = std::string(text);
  if (auto plus = parts[2].find('+'); plus != std::string::npos) {
    v.metadata_ = parts[2].substr(plus + 1);
    parts[2] = parts[2].substr(0, plus);
    auto r = validate_metadata(v.metadata_);
    if (!r) return unexpected(r.error());
  }
  if (auto dash = parts[2].find('-'); dash != std::string::npos) {
    v.pre_ = parts[2].substr(dash + 1);
    parts[2] = parts[2].substr(0, dash);
    auto r = validate_prerelease(v.pre_);
    if (!r) return unexpected(r.error());
  }
  for (const auto& p : parts) {
    for (char c : p) {
      if (!std::isdigit(static_cast<unsigned char>(c))) return fail("invalid-version", "invalid characters in version");
    }
    if (p.size() > 1 && p[0] == '0') return fail("invalid-version", "version segment starts with 0");
  }
  if (!parse_u64(parts[0], v.major_) || !parse_u64(parts[1], v.minor_) || !parse_u64(parts[2], v.patch_) ||
      parts[0].empty() || parts[1].empty() || parts[2].empty()) {
    return fail("invalid-version", kInvalid);
  }
  return v;
}

Result<Version> Version::parse_flux(std::string_view text) {
  // fluxcd/pkg/version.ParseVersion: len(strings.SplitN(v, ".", 3)) must be 3.
  size_t dots = 0;
  for (char c : text) dots += c == '.' ? 1 : 0;
  if (dots < 2) return fail("invalid-version", kInvalid);
  return parse(text);
}

std::string Version::str() const {
  std::string out = fmt::format("{}.{}.{}", major_, minor_, patch_);
  if (!pre_.empty()) out += "-" + pre_;
  if (!metadata_.empty()) out += "+" + metadata_;
  return out;
}

int Version::compare(const Version& o) const {
  if (major_ != o.major_) return major_ < o.major_ ? -1 : 1;
  if (minor_ != o.minor_) return minor_ < o.minor_ ? -1 : 1;
  if (patch_ != o.patch_) return patch_ < o.patch_ ? -1 : 1;
  if (pre_.empty() && o.pre_.empty()) return 0;
  if (pre_.empty()) return 1;
  if (o.pre_.empty()) return -1;
  return compare_prerelease(pre_, o.pre_);
}

// ---------------------------------------------------------------------------------------
// Constraints

namespace {

const std::string kCv =
    R"(v?([0-9|x|X|\*]+)(\.[0-9|x|X|\*]+)?(\.[0-9|x|X|\*]+)?)"
    R"((-([0-9A-Za-z\-]+(\.[0-9A-Za-z\-]+)*))?)"
    R"((\+([0-9A-Za-z\-]+(\.[0-9A-Za-z\-]+)*))?)";
const std::string kOps = R"(=||!=|>|<|>=|=>|<=|=<|~|~>|\^)";

struct Regexes {
  std::regex constraint{"^\\s*(" + kOps + ")\\s*(" + kCv + ")\\s*$"};
  std::regex range{"\\s*(" + kCv + ")\\s+-\\s+(" + kCv + ")\\s*"};
  std::regex find{"(" + kOps + ")\\s*(" + kCv + ")"};
  std::regex valid{"^(\\s*(" + kOps + ")\\s*(" + kCv + ")\\s*)((?:\\s+|,\\s*)(" + kOps + ")\\s*(" + kCv +
                   ")\\s*)*$"};
};

const Regexes& regexes() {
  static const Regexes r;  // immutable after first use
  return r;
}

bool is_x(std::string_view s) { return s == "x" || s == "X" || s == "*"; }

std::string rewrite_range(const std::string& in) {
  std::string out = in;
  for (std::sregex_iterator it(in.begin(), in.end(), regexes().range), end; it != end; ++it) {
    const auto& m = *it;
    std::string t = ">= " + m[1].str() + ", <= " + m[11].str() + " ";
    size_t p = out.find(m[0].str());
    if (p != std::string::npos) out.replace(p, m[0].length(), t);
  }
  return out;
}

Result<Constraints::Comparator> parse_comparator(const std::string& c) {
  using Cmp = Constraints::Comparator;
  std::smatch m;
  if (!std::regex_match(c, m, regexes().constraint)) {
    return fail("invalid-constraint", fmt::format("improper constraint: {:?}", c));
  }
  Cmp cmp;
  cmp.op = m[1].str();
  cmp.orig = m[2].str();
  std::string ver = m[2].str();
  std::string m3 = m[3].str(), m4 = m[4].str(), m5 = m[5].str(), m6 = m[6].str();
  auto trim_dot = [](const std::string& s) { return s.empty() ? s : s.substr(1); };
  if (is_x(m3) || m3.empty()) {
    ver = "0.0.0" + m6;
    cmp.dirty = true;
  } else if (is_x(trim_dot(m4)) || m4.empty()) {
    cmp.minor_dirty = true;
    cmp.dirty = true;
    ver = m3 + ".0.0" + m6;
  } else if (is_x(trim_dot(m5)) || m5.empty()) {
    cmp.dirty = true;
    cmp.patch_dirty = true;
    ver = m3 + m4 + ".0" + m6;
  }
  auto v = Version::parse(ver);
  if (!v) return fail("invalid-constraint", "constraint parser error");
  cmp.con = std::move(*v);
  return cmp;
}

using Cmp = Constraints::Comparator;

bool tilde(const Version& v, const Cmp& c, bool include_pre) {
  if (!v.prerelease().empty() && !include_pre) return false;
  if (v.compare(c.con) < 0) return false;
  // ~0.0.0 is a special case where all constraints are accepted.
  if (c.con.major() == 0 && c.con.minor() == 0 && c.con.patch() == 0 && !c.minor_dirty && !c.patch_dirty) {
    return true;
  }
  if (v.major() != c.con.major()) return false;
  if (v.minor() != c.con.minor() && !c.minor_dirty) return false;
  return true;
}

bool check_one(const Version& v, const Cmp& c, bool include_pre) {
  if (!v.prerelease().empty() && !include_pre) return false;
  const std::string& op = c.op;
  if (op.empty() || op == "=") {
    if (c.dirty) return tilde(v, c, include_pre);
    return v.compare(c.con) == 0;
  }
  if (op == "!=") {
    if (c.dirty) {
      if (c.con.major() != v.major()) return true;
      if (c.con.minor() != v.minor() && !c.minor_dirty) return true;
      if (c.minor_dirty) return false;
      if (c.con.patch() != v.patch() && !c.patch_dirty) return true;
      if (c.patch_dirty) {
        if (!v.prerelease().empty() || !c.con.prerelease().empty()) {
          return compare_prerelease(v.prerelease(), c.con.prerelease()) != 0;
        }
        return false;
      }
    }
    return v.compare(c.con) != 0;
  }
  if (op == ">") {
    if (!c.dirty) return v.compare(c.con) == 1;
    if (v.major() > c.con.major()) return true;
    if (v.major() < c.con.major()) return false;
    if (c.minor_dirty) return false;  // >11 needs 12 or higher
    if (c.patch_dirty) return v.minor() > c.con.minor();
    return v.compare(c.con) == 1;
  }
  if (op == "<") return v.compare(c.con) < 0;
  if (op == ">=" || op == "=>") return v.compare(c.con) >= 0;
  if (op == "<=" || op == "=<") {
    if (!c.dirty) return v.compare(c.con) <= 0;
    if (v.major() > c.con.major()) return false;
    if (v.major() == c.con.major() && v.minor() > c.con.minor() && !c.minor_dirty) return false;
    return true;
  }
  if (op == "~" || op == "~>") return tilde(v, c, include_pre);
  // "^"
  if (v.compare(c.con) < 0) return false;
  if (c.con.major() > 0 || c.minor_dirty) return v.major() == c.con.major();
  if (c.con.major() == 0 && v.major() > 0) return false;
  if (c.con.minor() > 0 || c.patch_dirty) return v.minor() == c.con.minor();
  if (c.con.minor() == 0 && v.minor() > 0) return false;
  return c.con.patch() == v.patch();
}

}  // namespace

Result<Constraints> Constraints::parse(std::string_view text) {
  // std::regex matches recursively; bound the input so a huge constraint is an error rather
  // than a stack overflow (Masterminds has no limit; real ranges are short).
  if (text.size() > 1024) {
    return fail("invalid-constraint", fmt::format("improper constraint: longer than 1024 characters ({})", text.size()));
  }
  Constraints out;
  out.source_ = std::string(text);
  std::string c = rewrite_range(std::string(text));
  size_t start = 0;
  std::vector<std::string> ors;
  while (true) {
    size_t p = c.find("||", start);
    if (p == std::string::npos) {
      ors.push_back(c.substr(start));
      break;
    }
    ors.push_back(c.substr(start, p - start));
    start = p + 2;
  }
  for (const auto& v : ors) {
    if (!std::regex_match(v, regexes().valid)) {
      return fail("invalid-constraint", fmt::format("improper constraint: {:?}", v));
    }
    std::vector<std::string> cs;
    for (std::sregex_iterator it(v.begin(), v.end(), regexes().find), end; it != end; ++it) {
      cs.push_back(it->str());
    }
    if (cs.empty()) cs.push_back(v);
    std::vector<Comparator> group;
    bool has_pre = false;
    for (const auto& s : cs) {
      auto pc = parse_comparator(s);
      if (!pc) return unexpected(pc.error());
      if (!pc->con.prerelease().empty()) has_pre = true;
      group.push_back(std::move(*pc));
    }
    out.groups_.push_back(std::move(group));
    out.contains_pre_.push_back(has_pre);
  }
  return out;
}

bool Constraints::check(const Version& v) const {
  for (size_t g = 0; g < groups_.size(); ++g) {
    bool joy = true;
    for (const auto& c : groups_[g]) {
      if (!check_one(v, c, contains_pre_[g])) {
        joy = false;
        break;
      }
    }
    if (joy) return true;
  }
  return false;
}

}  // namespace rehearse::expr::semver
