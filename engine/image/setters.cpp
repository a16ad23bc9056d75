#include "engine/image/setters.hpp"

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cctype>
#include <cstring>
#include <optional>
#include <tuple>
#include <set>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "engine/model/yaml_loader.hpp"

namespace rehearse::image {

using nlohmann::json;

// --- image references and the setter table ----------------------------------------------

std::string ImageRef::str() const {
  std::string s = name;
  if (!tag.empty()) s += ":" + tag;
  if (!digest.empty()) s += "@" + digest;
  return s;
}

ImageRef parse_image_ref(std::string_view text) {
  ImageRef r;
  std::string_view rest = text;
  if (size_t at = rest.find('@'); at != std::string_view::npos) {
    r.digest = std::string(rest.substr(at + 1));
    rest = rest.substr(0, at);
  }
  size_t slash = rest.rfind('/');
  size_t colon = rest.rfind(':');
  if (colon != std::string_view::npos && (slash == std::string_view::npos || colon > slash)) {
    r.tag = std::string(rest.substr(colon + 1));
    rest = rest.substr(0, colon);
  }
  r.name = std::string(rest);
  return r;
}

void SetterTable::add_policy(const std::string& ns, const std::string& name, const ImageRef& ref) {
  std::string base = ns + ":" + name;
  // setters.go: image, tag, name and digest setters, all bound to the same image ref.
  setters_[base] = {ref.str(), base, ref};
  setters_[base + ":tag"] = {ref.tag, base, ref};
  setters_[base + ":name"] = {ref.name, base, ref};
  setters_[base + ":digest"] = {ref.digest, base, ref};
}

const SetterTable::Setter* SetterTable::find(std::string_view setter) const {
  auto it = setters_.find(setter);
  return it == setters_.end() ? nullptr : &it->second;
}

std::vector<SetterChange> SetterRun::changes() const {
  std::vector<SetterChange> out;
  for (const auto& f : files) out.insert(out.end(), f.changes.begin(), f.changes.end());
  return out;
}

bool considered(std::string_view path, std::string_view content) {
  size_t slash = path.find_last_of('/');
  std::string_view base = slash == std::string_view::npos ? path : path.substr(slash + 1);
  // filereader.go: filepath.Ext(p) is ".yaml" or ".yml", or the base name is "Kustomization".
  size_t dot = base.find_last_of('.');
  std::string_view ext = dot == std::string_view::npos ? std::string_view{} : base.substr(dot);
  if (ext != ".yaml" && ext != ".yml" && base != "Kustomization") return false;
  return content.find("\"$imagepolicy\"") != std::string_view::npos;
}

// --- scalar styles ----------------------------------------------------------------------

namespace {

bool is_digits(std::string_view s, const char* set) {
  if (s.empty()) return false;
  for (char c : s)
    if (!std::strchr(set, c)) return false;
  return true;
}

// go-yaml v2's float pattern (resolve.go yamlStyleFloat).
bool yaml_style_float(std::string_view s) {
  size_t i = 0;
  if (i < s.size() && (s[i] == '+' || s[i] == '-')) ++i;
  size_t int_start = i;
  while (i < s.size() && std::isdigit(static_cast<unsigned char>(s[i]))) ++i;
  bool int_digits = i > int_start;
  bool frac_digits = false;
  if (i < s.size() && s[i] == '.') {
    ++i;
    size_t f = i;
    while (i < s.size() && std::isdigit(static_cast<unsigned char>(s[i]))) ++i;
    frac_digits = i > f;
    if (!int_digits && !frac_digits) return false;
  } else if (!int_digits) {
    return false;
  }
  if (i < s.size() && (s[i] == 'e' || s[i] == 'E')) {
    ++i;
    if (i < s.size() && (s[i] == '+' || s[i] == '-')) ++i;
    size_t e = i;
    while (i < s.size() && std::isdigit(static_cast<unsigned char>(s[i]))) ++i;
    if (i == e) return false;
  }
  return i == s.size();
}

bool yaml_int(std::string_view in) {
  std::string s;
  for (char c : in)
    if (c != '_') s += c;
  std::string_view v = s;
  if (!v.empty() && (v[0] == '+' || v[0] == '-')) v.remove_prefix(1);
  if (v.empty()) return false;
  auto prefixed = [&](std::string_view p, const char* set) {
    return v.size() > p.size() && v.substr(0, p.size()) == p && is_digits(v.substr(p.size()), set);
  };
  if (prefixed("0x", "0123456789abcdefABCDEF") || prefixed("0o", "01234567") ||
      prefixed("0b", "01"))
    return true;
  return is_digits(v, "0123456789");
}

bool date_like(std::string_view s) {
  // YAML timestamps start yyyy-m-d; yaml.v3 quotes !!str values that resolve to them.
  size_t i = 0;
  auto digits = [&](size_t lo, size_t hi) {
    size_t st = i;
    while (i < s.size() && std::isdigit(static_cast<unsigned char>(s[i]))) ++i;
    return i - st >= lo && i - st <= hi;
  };
  if (!digits(4, 4) || i >= s.size() || s[i++] != '-') return false;
  if (!digits(1, 2) || i >= s.size() || s[i++] != '-') return false;
  if (!digits(1, 2)) return false;
  return i == s.size() || s[i] == 'T' || s[i] == 't' || s[i] == ' ' || s[i] == '\t';
}

bool is_blank(char c) { return c == ' ' || c == '\t'; }

// libyaml yaml_emitter_analyze_scalar, for the plain style only.
bool plain_allowed(std::string_view v, bool in_flow) {
  if (v.empty()) return false;
  if (v.substr(0, 3) == "---" || v.substr(0, 3) == "...") return false;
  if (is_blank(v.front()) || is_blank(v.back())) return false;
  bool flow_ind = false, block_ind = false;
  for (size_t i = 0; i < v.size(); ++i) {
    unsigned char c = static_cast<unsigned char>(v[i]);
    bool followed_by_ws = i + 1 >= v.size() || is_blank(v[i + 1]);
    bool preceded_by_ws = i == 0 || is_blank(v[i - 1]);
    if (c < 0x20 || c == 0x7f) return false;  // line breaks and control characters
    if (i == 0) {
      if (std::strchr("#,[]{}&*!|>'\"%@`", c)) {
        flow_ind = block_ind = true;
      } else if (c == '?' || c == ':') {
        flow_ind = true;
        if (followed_by_ws) block_ind = true;
      } else if (c == '-' && followed_by_ws) {
        flow_ind = block_ind = true;
      }
    } else {
      if (std::strchr(",?[]{}", c)) flow_ind = true;
      if (c == ':') {
        flow_ind = true;
        if (followed_by_ws) block_ind = true;
      }
      if (c == '#' && preceded_by_ws) flow_ind = block_ind = true;
    }
  }
  return in_flow ? !flow_ind : !block_ind;
}

std::string double_quote(std::string_view v) {
  std::string out = "\"";
  for (char ch : v) {
    unsigned char c = static_cast<unsigned char>(ch);
    switch (ch) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\t': out += "\\t"; break;
      case '\r': out += "\\r"; break;
      case '\0': out += "\\0"; break;
      default:
        if (c < 0x20 || c == 0x7f) out += fmt::format("\\x{:02X}", c);
        else out += ch;
    }
  }
  return out + "\"";
}

}  // namespace

bool reads_as_non_string(std::string_view v) {
  if (v.empty()) return true;  // an empty plain scalar is null
  if (v.find('\n') != std::string_view::npos) return false;
  static const std::set<std::string_view> kWords = {
      // YAML 1.1 booleans (go-yaml v2 resolve table) and nulls.
      "y", "Y", "yes", "Yes", "YES", "n", "N", "no", "No", "NO", "true", "True", "TRUE",
      "false", "False", "FALSE", "on", "On", "ON", "off", "Off", "OFF", "~", "null", "Null",
      "NULL", ".inf", ".Inf", ".INF", "+.inf", "+.Inf", "+.INF", "-.inf", "-.Inf", "-.INF",
      ".nan", ".NaN", ".NAN", "<<"};
  if (kWords.count(v)) return true;
  return yaml_int(v) || yaml_style_float(v) || date_like(v);
}

std::string render_scalar(std::string_view value, ScalarStyle original, bool in_flow) {
  bool control = std::any_of(value.begin(), value.end(), [](char ch) {
    unsigned char c = static_cast<unsigned char>(ch);
    return c < 0x20 || c == 0x7f;
  });
  switch (original) {
    case ScalarStyle::DoubleQuoted:
      return double_quote(value);
    case ScalarStyle::SingleQuoted: {
      if (control) return double_quote(value);
      std::string out = "'";
      for (char c : value) out += c == '\'' ? std::string("''") : std::string(1, c);
      return out + "'";
    }
    case ScalarStyle::Plain:
      // kyaml FormatNonStringStyle (string schema): values a YAML 1.1 reader would type are
      // double-quoted; otherwise libyaml keeps plain when it can, else falls back to single.
      if (reads_as_non_string(value)) return double_quote(value);
      if (plain_allowed(value, in_flow)) return std::string(value);
      return render_scalar(value, ScalarStyle::SingleQuoted, in_flow);
  }
  return std::string(value);
}

// --- rewriting --------------------------------------------------------------------------

namespace {

struct Edit {
  size_t begin = 0, end = 0;  // byte range of the scalar's text
  std::string text;
};

// The scalar starting at `pos`: its byte extent, style and decoded value, when it sits on
// one line. nullopt when the shape is not one rehearse rewrites.
struct ScalarSpan {
  size_t begin = 0, end = 0;
  ScalarStyle style = ScalarStyle::Plain;
  std::string value;
};

std::optional<ScalarSpan> scalar_span(std::string_view text, size_t pos, bool in_flow) {
  size_t eol = text.find('\n', pos);
  if (eol == std::string_view::npos) eol = text.size();
  // Tags and anchors before the scalar (`!!str v`, `&a v`).
  while (pos < eol && (text[pos] == '!' || text[pos] == '&')) {
    while (pos < eol && !is_blank(text[pos])) ++pos;
    while (pos < eol && is_blank(text[pos])) ++pos;
  }
  if (pos >= eol) return std::nullopt;
  ScalarSpan s;
  s.begin = pos;
  char c = text[pos];
  if (c == '"') {
    s.style = ScalarStyle::DoubleQuoted;
    size_t i = pos + 1;
    for (; i < eol; ++i) {
      if (text[i] == '\\') {
        if (i + 1 >= eol) return std::nullopt;
        char e = text[++i];
        switch (e) {
          case 'n': s.value += '\n'; break;
          case 't': s.value += '\t'; break;
          case 'r': s.value += '\r'; break;
          case '0': s.value += '\0'; break;
          case '"': case '\\': case '/': case ' ': s.value += e; break;
          case 'x': {
            if (i + 2 >= eol) return std::nullopt;
            s.value += static_cast<char>(std::stoi(std::string(text.substr(i + 1, 2)), nullptr, 16));
            i += 2;
            break;
          }
          default:
            return std::nullopt;  // rare escapes: leave such scalars alone
        }
      } else if (text[i] == '"') {
        break;
      } else {
        s.value += text[i];
      }
    }
    if (i >= eol) return std::nullopt;  // spans lines
    s.end = i + 1;
  } else if (c == '\'') {
    s.style = ScalarStyle::SingleQuoted;
    size_t i = pos + 1;
    for (; i < eol; ++i) {
      if (text[i] == '\'') {
        if (i + 1 < eol && text[i + 1] == '\'') {
          s.value += '\'';
          ++i;
          continue;
        }
        break;
      }
      s.value += text[i];
    }
    if (i >= eol) return std::nullopt;
    s.end = i + 1;
  } else if (c == '|' || c == '>' || c == '*' || c == '[' || c == '{' || c == '#') {
    return std::nullopt;  // block scalars, aliases, collections, empty values
  } else {
    size_t i = pos;
    for (; i < eol; ++i) {
      if (text[i] == '#' && i > pos && is_blank(text[i - 1])) break;
      if (in_flow && (text[i] == ',' || text[i] == ']' || text[i] == '}')) break;
    }
    size_t end = i;
    while (end > pos && (is_blank(text[end - 1]) || text[end - 1] == '\r')) --end;
    s.end = end;
    s.value = std::string(text.substr(pos, end - pos));
  }
  return s;
}

// The `$imagepolicy` value of a line comment starting at `hash` (fieldmeta processShortHand:
// the comment, leading '#'s trimmed, must unmarshal into map[string]string).
std::string marker_at(std::string_view text, size_t hash) {
  size_t eol = text.find('\n', hash);
  if (eol == std::string_view::npos) eol = text.size();
  std::string_view c = text.substr(hash, eol - hash);
  if (!c.empty() && c.back() == '\r') c.remove_suffix(1);
  while (!c.empty() && c.front() == '#') c.remove_prefix(1);
  json j = json::parse(c.begin(), c.end(), nullptr, false);
  if (j.is_discarded() || !j.is_object()) return "";
  for (const auto& [k, v] : j.items())
    if (!v.is_string()) return "";
  auto it = j.find("$imagepolicy");
  return it == j.end() ? "" : it->get<std::string>();
}

std::string scalar_of(const YAML::Node& n, const char* key) {
  if (!n || !n.IsMap()) return "";
  YAML::Node v = n[key];
  return v && v.IsScalar() ? v.Scalar() : "";
}

class Rewriter {
 public:
  Rewriter(std::string_view path, std::string_view text, const SetterTable& table)
      : path_(path), text_(text), table_(table) {}

  void document(const YAML::Node& doc) {
    object_ = {};
    if (doc.IsMap()) {
      object_.api_version = scalar_of(doc, "apiVersion");
      object_.kind = scalar_of(doc, "kind");
      YAML::Node meta = doc["metadata"];
      object_.name = scalar_of(meta, "name");
      object_.ns = scalar_of(meta, "namespace");
    }
    walk(doc, false);
  }

  std::vector<Edit>& edits() { return edits_; }
  std::vector<SetterChange>& changes() { return changes_; }

 private:
  void walk(const YAML::Node& n, bool in_flow) {
    if (n.IsMap() || n.IsSequence()) {
      // An aliased collection is the same node again: visit it once.
      if (!visited_.insert(n.Mark().pos).second) return;
      bool flow = in_flow || n.Style() == YAML::EmitterStyle::Flow;
      if (n.IsMap()) {
        for (auto it = n.begin(); it != n.end(); ++it) walk(it->second, flow);
      } else {
        for (auto it = n.begin(); it != n.end(); ++it) walk(*it, flow);
      }
      return;
    }
    if (n.IsScalar() || n.IsNull()) scalar(n, in_flow);
  }

  void scalar(const YAML::Node& n, bool in_flow) {
    const YAML::Mark m = n.Mark();
    if (m.pos < 0 || static_cast<size_t>(m.pos) >= text_.size()) return;
    size_t pos = static_cast<size_t>(m.pos);
    if (!visited_.insert(pos).second) return;
    auto span = scalar_span(text_, pos, in_flow);
    if (!span) return;
    // The text must decode to what the parser read; anything else (multi-line plain
    // scalars, unusual escapes) is left alone.
    if (n.IsNull()) {
      if (span->style != ScalarStyle::Plain || !(span->value == "null" || span->value == "Null" ||
                                                 span->value == "NULL" || span->value == "~"))
        return;
    } else if (n.Scalar() != span->value) {
      return;
    }
    size_t i = span->end;
    while (i < text_.size() && is_blank(text_[i])) ++i;
    if (i >= text_.size() || text_[i] != '#' || i == span->end) return;
    std::string setter = marker_at(text_, i);
    if (setter.empty()) return;
    const SetterTable::Setter* s = table_.find(setter);
    if (!s || s->value == span->value) return;
    size_t line_start = text_.rfind('\n', span->begin == 0 ? 0 : span->begin - 1);
    line_start = line_start == std::string_view::npos || span->begin == 0 ? 0 : line_start + 1;
    SetterChange ch;
    ch.file = std::string(path_);
    ch.line = 1 + static_cast<int>(std::count(text_.begin(), text_.begin() + static_cast<long>(span->begin), '\n'));
    ch.col = 1 + static_cast<int>(span->begin - line_start);
    ch.old_value = span->value;
    ch.new_value = s->value;
    ch.setter = setter;
    ch.object = object_;
    changes_.push_back(std::move(ch));
    edits_.push_back({span->begin, span->end, render_scalar(s->value, span->style, in_flow)});
  }

  std::string_view path_;
  std::string_view text_;
  const SetterTable& table_;
  ObjectId object_;
  std::set<long> visited_;
  std::vector<Edit> edits_;
  std::vector<SetterChange> changes_;
};

}  // namespace

TextOutcome apply_setters_to_text(std::string_view path, std::string_view content,
                                  const SetterTable& table) {
  TextOutcome out;
  out.content = std::string(content);
  // Rule 2: the loader's limits (depth, size, aliases) and duplicate-key check first, so a
  // hostile file is a problem file and never reaches the walk below.
  model::Diagnostics diags;
  model::YamlOptions yo;
  yo.keep_positions = false;
  auto docs = model::parse_yaml(content, std::string(path), diags, yo);
  if (diags.has_errors()) {
    out.parsed = false;
    return out;
  }
  for (const auto& d : docs)
    if (!d.value->is_object()) {
      out.parsed = false;
      return out;
    }
  std::vector<YAML::Node> nodes;
  try {
    nodes = YAML::LoadAll(std::string(content));
  } catch (const std::exception&) {
    out.parsed = false;
    return out;
  }
  Rewriter rw(path, out.content, table);
  try {
    for (const auto& n : nodes) rw.document(n);
  } catch (const std::exception&) {
    out.parsed = false;
    return out;
  }
  auto& edits = rw.edits();
  if (edits.empty()) return out;
  std::sort(edits.begin(), edits.end(), [](const Edit& a, const Edit& b) { return a.begin < b.begin; });
  std::string result;
  size_t at = 0;
  for (const auto& e : edits) {
    result.append(out.content, at, e.begin - at);
    result += e.text;
    at = e.end;
  }
  result.append(out.content, at, std::string::npos);
  out.changes = std::move(rw.changes());
  std::sort(out.changes.begin(), out.changes.end(), [](const SetterChange& a, const SetterChange& b) {
    return std::tie(a.line, a.col) < std::tie(b.line, b.col);
  });
  out.content = std::move(result);
  return out;
}

SetterRun apply_setters(const std::map<std::string, std::string>& files, const SetterTable& table) {
  SetterRun run;
  for (const auto& [path, content] : files) {
    if (!considered(path, content)) continue;
    auto r = apply_setters_to_text(path, content, table);
    if (!r.parsed) {
      run.problem_files.push_back(path);
      continue;
    }
    if (r.changes.empty() || r.content == content) continue;
    run.files.push_back({path, content, std::move(r.content), std::move(r.changes)});
  }
  return run;
}

// --- diffs ------------------------------------------------------------------------------

namespace {

std::vector<std::string_view> split_lines(std::string_view s) {
  std::vector<std::string_view> out;
  size_t at = 0;
  while (at < s.size()) {
    size_t nl = s.find('\n', at);
    if (nl == std::string_view::npos) {
      out.push_back(s.substr(at));
      break;
    }
    out.push_back(s.substr(at, nl - at));
    at = nl + 1;
  }
  return out;
}

}  // namespace

std::string unified_diff(const std::string& path, std::string_view before, std::string_view after) {
  if (before == after) return "";
  auto a = split_lines(before);
  auto b = split_lines(after);
  std::string out = fmt::format("--- a/{}\n+++ b/{}\n", path, path);
  if (a.size() != b.size()) {
    out += fmt::format("@@ -1,{} +1,{} @@\n", a.size(), b.size());
    for (auto l : a) out += fmt::format("-{}\n", l);
    for (auto l : b) out += fmt::format("+{}\n", l);
    return out;
  }
  constexpr size_t kContext = 3;
  std::vector<size_t> changed;
  for (size_t i = 0; i < a.size(); ++i)
    if (a[i] != b[i]) changed.push_back(i);
  size_t k = 0;
  while (k < changed.size()) {
    size_t first = changed[k], last = changed[k];
    while (k + 1 < changed.size() && changed[k + 1] - last <= 2 * kContext) last = changed[++k];
    ++k;
    size_t lo = first >= kContext ? first - kContext : 0;
    size_t hi = std::min(a.size() - 1, last + kContext);
    size_t n = hi - lo + 1;
    out += fmt::format("@@ -{},{} +{},{} @@\n", lo + 1, n, lo + 1, n);
    for (size_t i = lo; i <= hi; ++i) {
      if (a[i] == b[i]) {
        out += fmt::format(" {}\n", a[i]);
      } else {
        out += fmt::format("-{}\n", a[i]);
      }
      if (a[i] != b[i]) {
        // Keep -/+ adjacent per changed line run: emit the + lines after the run.
        size_t j = i;
        while (j + 1 <= hi && a[j + 1] != b[j + 1]) out += fmt::format("-{}\n", a[++j]);
        for (size_t t = i; t <= j; ++t) out += fmt::format("+{}\n", b[t]);
        i = j;
      }
    }
  }
  return out;
}

}  // namespace rehearse::image
