#include "engine/model/yaml_loader.hpp"

#include <yaml-cpp/eventhandler.h>
#include <yaml-cpp/yaml.h>

#include <charconv>
#include <cmath>
#include <fstream>
#include <limits>
#include <optional>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>

#include <fmt/format.h>

namespace rehearse::model {

using nlohmann::json;

namespace {

bool is_one_of(std::string_view s, std::initializer_list<std::string_view> options) {
  for (auto o : options)
    if (s == o) return true;
  return false;
}

std::string strip_underscores(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (char c : s)
    if (c != '_') out += c;
  return out;
}

// Integer per go-yaml v3 resolve(): strconv.ParseInt(plain, 0, 64) after removing '_'.
bool parse_go_int(std::string_view in, json& out) {
  std::string s = strip_underscores(in);
  if (s.empty()) return false;
  size_t i = 0;
  bool neg = false;
  if (s[0] == '+' || s[0] == '-') {
    neg = s[0] == '-';
    i = 1;
  }
  if (i >= s.size()) return false;
  int base = 10;
  std::string_view digits(s.data() + i, s.size() - i);
  if (digits.size() > 2 && digits[0] == '0' && (digits[1] == 'x' || digits[1] == 'X')) {
    base = 16;
    digits.remove_prefix(2);
  } else if (digits.size() > 2 && digits[0] == '0' && (digits[1] == 'o' || digits[1] == 'O')) {
    base = 8;
    digits.remove_prefix(2);
  } else if (digits.size() > 2 && digits[0] == '0' && (digits[1] == 'b' || digits[1] == 'B')) {
    base = 2;
    digits.remove_prefix(2);
  } else if (digits.size() > 1 && digits[0] == '0') {
    base = 8;
    digits.remove_prefix(1);
  }
  if (digits.empty()) return false;
  unsigned long long mag = 0;
  auto [p, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), mag, base);
  if (p != digits.data() + digits.size()) return false;
  if (ec == std::errc::result_out_of_range) return false;  // falls through to float
  if (neg) {
    if (mag > static_cast<unsigned long long>(std::numeric_limits<long long>::max()) + 1ull)
      return false;
    out = mag == 0 ? 0ll : static_cast<long long>(0ull - mag);
    return true;
  }
  if (mag <= static_cast<unsigned long long>(std::numeric_limits<long long>::max()))
    out = static_cast<long long>(mag);
  else
    out = mag;  // uint64, as ParseUint would give
  return true;
}

// YAML 1.2 float: [-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?  (after '_' removal)
bool parse_yaml_float(std::string_view in, json& out) {
  if (is_one_of(in, {".inf", ".Inf", ".INF", "+.inf", "+.Inf", "+.INF"})) {
    out = std::numeric_limits<double>::infinity();
    return true;
  }
  if (is_one_of(in, {"-.inf", "-.Inf", "-.INF"})) {
    out = -std::numeric_limits<double>::infinity();
    return true;
  }
  if (is_one_of(in, {".nan", ".NaN", ".NAN"})) {
    out = std::numeric_limits<double>::quiet_NaN();
    return true;
  }
  std::string s = strip_underscores(in);
  size_t i = 0;
  if (i < s.size() && (s[i] == '+' || s[i] == '-')) ++i;
  size_t int_digits = 0, frac_digits = 0;
  while (i < s.size() && std::isdigit(static_cast<unsigned char>(s[i]))) ++i, ++int_digits;
  if (i < s.size() && s[i] == '.') {
    ++i;
    while (i < s.size() && std::isdigit(static_cast<unsigned char>(s[i]))) ++i, ++frac_digits;
    if (int_digits == 0 && frac_digits == 0) return false;
  } else if (int_digits == 0) {
    return false;
  }
  if (i < s.size() && (s[i] == 'e' || s[i] == 'E')) {
    ++i;
    if (i < s.size() && (s[i] == '+' || s[i] == '-')) ++i;
    size_t exp_digits = 0;
    while (i < s.size() && std::isdigit(static_cast<unsigned char>(s[i]))) ++i, ++exp_digits;
    if (exp_digits == 0) return false;
  }
  if (i != s.size()) return false;
  const char* b = s.data();
  if (*b == '+') ++b;
  double d = 0;
  auto [p, ec] = std::from_chars(b, s.data() + s.size(), d);
  if (p != s.data() + s.size() && ec != std::errc::result_out_of_range) return false;
  if (ec == std::errc::result_out_of_range) return false;
  out = d;
  return true;
}

json type_plain(std::string_view s) {
  if (s.empty() || is_one_of(s, {"~", "null", "Null", "NULL"})) return nullptr;
  if (is_one_of(s, {"true", "True", "TRUE"})) return true;
  if (is_one_of(s, {"false", "False", "FALSE"})) return false;
  char c = s[0];
  if (std::isdigit(static_cast<unsigned char>(c)) || c == '-' || c == '+' || c == '.') {
    json out;
    if (parse_go_int(s, out)) return out;
    if (parse_yaml_float(s, out)) return out;
  }
  return std::string(s);
}

std::string escape_pointer_token(std::string_view key) {
  std::string out;
  out.reserve(key.size());
  for (char ch : key) {
    if (ch == '~')
      out += "~0";
    else if (ch == '/')
      out += "~1";
    else
      out += ch;
  }
  return out;
}

class Converter {
 public:
  Converter(const std::string& file, Diagnostics& diags, const YamlOptions& opts,
            SourceMap* positions)
      : file_(file), diags_(diags), opts_(opts), positions_(positions) {}

  bool failed() const { return failed_; }

  json convert(const YAML::Node& node, std::string& pointer, int depth) {
    if (failed_) return nullptr;
    if (++nodes_ > opts_.limits.max_nodes) {
      fail(node.Mark(), "yaml-too-large",
           fmt::format("document expands to more than {} nodes (an alias bomb?); split it or "
                       "remove repeated aliases",
                       opts_.limits.max_nodes));
      return nullptr;
    }
    if (depth > opts_.limits.max_depth) {
      fail(node.Mark(), "yaml-too-deep",
           fmt::format("nesting deeper than {} levels", opts_.limits.max_depth));
      return nullptr;
    }
    switch (node.Type()) {
      case YAML::NodeType::Undefined:
      case YAML::NodeType::Null:
        return nullptr;
      case YAML::NodeType::Scalar:
        return scalar(node);
      case YAML::NodeType::Sequence: {
        json arr = json::array();
        size_t i = 0;
        for (auto iter = node.begin(); iter != node.end(); ++iter) {
          const YAML::Node item = *iter;  // a handle copy: the iterator yields temporaries
          size_t mark = pointer.size();
          pointer += '/';
          pointer += std::to_string(i++);
          record(pointer, item.Mark());
          arr.push_back(convert(item, pointer, depth + 1));
          pointer.resize(mark);
          if (failed_) break;
        }
        return arr;
      }
      case YAML::NodeType::Map:
        return map(node, pointer, depth);
    }
    return nullptr;
  }

 private:
  json map(const YAML::Node& node, std::string& pointer, int depth) {
    json obj = json::object();
    std::set<std::string, std::less<>> seen;
    std::vector<const YAML::Node*> merges;
    std::vector<YAML::Node> merge_storage;
    for (auto it = node.begin(); it != node.end(); ++it) {
      // yaml-cpp's iterator yields a temporary pair: copy the (cheap, shared) handles.
      const YAML::Node k = it->first;
      const YAML::Node v = it->second;
      if (!k.IsScalar() && !k.IsNull()) {
        diags_.error(pos(k.Mark()), "yaml-complex-key",
                     "only scalar mapping keys are supported");
        continue;
      }
      std::string key = k.IsNull() ? std::string("null") : k.Scalar();
      if (key == "<<" && k.Tag() == "?") {
        merge_storage.push_back(v);
        continue;
      }
      if (!seen.insert(key).second) {
        diags_.error(pos(k.Mark()), "duplicate-key",
                     fmt::format("mapping key \"{}\" already defined earlier in this mapping",
                                 key));
        continue;
      }
      size_t mark = pointer.size();
      pointer += '/';
      pointer += escape_pointer_token(key);
      record(pointer, k.Mark());
      obj[key] = convert(v, pointer, depth + 1);
      pointer.resize(mark);
      if (failed_) return obj;
    }
    // Merge keys: explicit keys win, then earlier merged maps win over later ones.
    for (const auto& m : merge_storage) {
      std::vector<YAML::Node> sources;
      if (m.IsMap()) {
        sources.push_back(m);
      } else if (m.IsSequence()) {
        for (const auto& s : m) sources.push_back(s);
      }
      for (const auto& src : sources) {
        if (!src.IsMap()) {
          diags_.error(pos(src.Mark()), "yaml-merge", "merge key `<<` needs a mapping");
          continue;
        }
        json merged = convert(src, pointer, depth + 1);
        if (failed_) return obj;
        for (auto& [mk, mv] : merged.items())
          if (!obj.contains(mk)) obj[mk] = mv;
      }
    }
    return obj;
  }

  json scalar(const YAML::Node& node) {
    const std::string& tag = node.Tag();
    const std::string& text = node.Scalar();
    if (tag == "!" || tag == "tag:yaml.org,2002:str" || tag == "tag:yaml.org,2002:binary")
      return text;
    if (tag == "?" || tag.empty()) return type_plain(text);
    if (tag == "tag:yaml.org,2002:null") return nullptr;
    if (tag == "tag:yaml.org,2002:bool" || tag == "tag:yaml.org,2002:int" ||
        tag == "tag:yaml.org,2002:float") {
      json v = type_plain(text);
      bool good = (tag == "tag:yaml.org,2002:bool" && v.is_boolean()) ||
                  (tag == "tag:yaml.org,2002:int" && v.is_number_integer()) ||
                  (tag == "tag:yaml.org,2002:float" && v.is_number());
      if (!good) {
        diags_.error(pos(node.Mark()), "yaml-tag",
                     fmt::format("cannot decode \"{}\" as {}", text, tag));
        return text;
      }
      if (tag == "tag:yaml.org,2002:float") return v.get<double>();
      return v;
    }
    // Unknown local tags (e.g. !Ref) are kept as the plain value, as go-yaml does.
    return type_plain(text);
  }

  void record(const std::string& pointer, const YAML::Mark& m) {
    if (positions_ && m.line >= 0) positions_->add(pointer, m.line + 1, m.column + 1);
  }

  SourcePos pos(const YAML::Mark& m) const {
    // yaml-cpp marks are 0-based; this is the one place that adds 1 (STYLE.md "Errors").
    if (m.line < 0) return {file_, 0, 0};
    return {file_, m.line + 1, m.column + 1};
  }

  void fail(const YAML::Mark& m, const char* code, std::string message) {
    diags_.error(pos(m), code, std::move(message));
    failed_ = true;
  }

  const std::string& file_;
  Diagnostics& diags_;
  const YamlOptions& opts_;
  SourceMap* positions_;
  size_t nodes_ = 0;
  bool failed_ = false;
};

// yaml-cpp 0.7 (Debian 12) never returns from LoadAll when the flow separator `,` comes where
// a document's root node should start or right after a root node written in flow style
// (`,`, `[x], y`, `"s", x`): the parser yields an empty document without consuming the token,
// so LoadAll loops, allocating a node per turn, until memory runs out. Such documents are
// invalid YAML anyway: find them first. Document markers `---` / `...` at column 0 always
// start or end a document (YAML 1.2 c-forbidden), even inside block scalars, so a line scan
// finds documents exactly; the root node is then skipped bracket by bracket, quote-aware.
std::optional<SourcePos> misplaced_flow_separator(std::string_view text, const std::string& file) {
  size_t i = 0, line_start = 0;
  int line = 1;
  auto newline = [&] {
    ++i;
    ++line;
    line_start = i;
  };
  auto is_marker = [&](size_t at) {
    if (at != line_start || text.size() - at < 3) return false;
    std::string_view m = text.substr(at, 3);
    if (m != "---" && m != "...") return false;
    return at + 3 == text.size() || text[at + 3] == ' ' || text[at + 3] == '\t' ||
           text[at + 3] == '\n' || text[at + 3] == '\r';
  };
  auto to_eol = [&] {
    size_t nl = text.find('\n', i);
    i = nl == std::string_view::npos ? text.size() : nl;
  };
  // Skips spaces, line breaks, comments and directives; stops at a marker or content.
  auto skip_blank = [&] {
    while (i < text.size() && !is_marker(i)) {
      char c = text[i];
      if (c == '\n') newline();
      else if (c == ' ' || c == '\t' || c == '\r') ++i;
      else if (c == '#' || (c == '%' && i == line_start)) to_eol();
      else break;
    }
  };
  auto here = [&] { return SourcePos{file, line, static_cast<int>(i - line_start) + 1}; };
  // Skips a flow collection or quoted scalar starting at i; false if it does not end. A quote
  // opens a quoted scalar only where a node starts (after `[`, `{`, `,`, `:`, `?` and node
  // properties); elsewhere it is part of a plain scalar (`[k"x"]`).
  auto skip_flow_node = [&]() -> bool {
    int depth = 0;
    bool node_start = true;
    while (i < text.size()) {
      char c = text[i];
      if (c == '\n') {
        if (is_marker(i + 1)) return false;
        newline();
        continue;
      }
      if (c == ' ' || c == '\t' || c == '\r') {
        ++i;
        continue;
      }
      if ((c == '"' || c == '\'') && node_start) {
        ++i;
        while (i < text.size()) {
          if (text[i] == c) {
            if (c == '\'' && i + 1 < text.size() && text[i + 1] == '\'') {  // '' inside '...'
              i += 2;
              continue;
            }
            break;
          }
          if (c == '"' && text[i] == '\\') ++i;
          if (i < text.size() && text[i] == '\n') {
            newline();
            continue;
          }
          ++i;
        }
        if (i >= text.size()) return false;
        ++i;
        node_start = false;
      } else if ((c == '&' || c == '!') && node_start) {
        while (i < text.size() && std::string_view(" \t\n\r,[]{}").find(text[i]) == std::string_view::npos) ++i;
      } else if (c == '[' || c == '{') {
        ++depth;
        ++i;
        node_start = true;
      } else if (c == ']' || c == '}') {
        --depth;
        ++i;
        node_start = false;
      } else if (c == ',' || c == ':' || c == '?') {
        ++i;
        node_start = true;
      } else if (c == '#' && depth > 0 && i > 0 && (text[i - 1] == ' ' || text[i - 1] == '\t')) {
        to_eol();
      } else {
        ++i;
        node_start = false;
      }
      if (depth <= 0) return true;
    }
    return false;
  };
  while (i < text.size()) {
    // At the start of a document's content (file start, or after a marker).
    skip_blank();
    if (i < text.size() && !is_marker(i)) {
      while (i < text.size() && (text[i] == '!' || text[i] == '&')) {  // node properties
        // Tags and anchor names end at white space or a flow indicator (YAML 1.2 ns-anchor-char).
        while (i < text.size() && std::string_view(" \t\n\r,[]{}").find(text[i]) == std::string_view::npos) ++i;
        skip_blank();
      }
      if (i < text.size() && text[i] == ',') return here();
      if (i < text.size() && (text[i] == '[' || text[i] == '{' || text[i] == '"' || text[i] == '\'')) {
        if (skip_flow_node()) {
          skip_blank();
          if (i < text.size() && text[i] == ',') return here();
        }
      }
    }
    // Find the next document marker.
    while (i < text.size() && !is_marker(i)) {
      if (text[i] == '\n') newline();
      else to_eol();
    }
    if (i < text.size()) i += 3;
  }
  return std::nullopt;
}

// The safety net behind misplaced_flow_separator: yaml-cpp 0.7's parser can stop advancing on
// malformed input and then yield empty documents forever. A pass with a handler that builds
// nothing counts the documents; more documents than the text has document markers (plus
// one) means the parser is stuck, and LoadAll would never return.
class DocumentCounter final : public YAML::EventHandler {
 public:
  void OnDocumentStart(const YAML::Mark& mark) override { last = mark; }
  void OnDocumentEnd() override {}
  void OnNull(const YAML::Mark&, YAML::anchor_t) override {}
  void OnAlias(const YAML::Mark&, YAML::anchor_t) override {}
  void OnScalar(const YAML::Mark&, const std::string&, YAML::anchor_t, const std::string&) override {}
  void OnSequenceStart(const YAML::Mark&, const std::string&, YAML::anchor_t, YAML::EmitterStyle::value) override {}
  void OnSequenceEnd() override {}
  void OnMapStart(const YAML::Mark&, const std::string&, YAML::anchor_t, YAML::EmitterStyle::value) override {}
  void OnMapEnd() override {}
  YAML::Mark last;
};

// Throws YAML::Exception like LoadAll for syntax errors; returns the place where the parser
// stopped advancing, if it did.
std::optional<YAML::Mark> parser_stalls(const std::string& text) {
  size_t markers = 0;
  for (size_t at = 0; at + 3 <= text.size(); at = text.find('\n', at) == std::string::npos ? text.size() : text.find('\n', at) + 1) {
    std::string_view m(text.data() + at, 3);
    if (m == "---" || m == "...") ++markers;
  }
  std::istringstream in(text);
  YAML::Parser parser(in);
  DocumentCounter counter;
  size_t documents = 0;
  while (parser.HandleNextDocument(counter))
    if (++documents > markers + 1) return counter.last;
  return std::nullopt;
}

}  // namespace

JsonBox type_plain_scalar(std::string_view text) { return JsonBox(type_plain(text)); }

std::vector<YamlDocument> parse_yaml(std::string_view text, const std::string& file,
                                     Diagnostics& diags, const YamlOptions& options) {
  std::vector<YamlDocument> out;
  if (text.size() > options.limits.max_bytes) {
    diags.error({file, 0, 0}, "file-too-large",
                fmt::format("file is {} bytes; the limit is {} bytes", text.size(),
                            options.limits.max_bytes));
    return out;
  }
  // YAML 1.2 (c-printable) and go-yaml reject control characters; yaml-cpp misreads some
  // (a NUL ends its input early and can make LoadAll loop).
  for (size_t i = 0, line = 1, line_start = 0; i < text.size(); ++i) {
    auto c = static_cast<unsigned char>(text[i]);
    if (c == '\n') {
      ++line;
      line_start = i + 1;
    } else if ((c < 0x20 && c != '\t' && c != '\r') || c == 0x7f) {
      diags.error({file, static_cast<int>(line), static_cast<int>(i - line_start) + 1}, "yaml-syntax",
                  fmt::format("control character U+{:04X} is not allowed in YAML", static_cast<unsigned>(c)));
      return out;
    }
  }
  if (auto at = misplaced_flow_separator(text, file)) {
    diags.error(*at, "yaml-syntax", "unexpected `,` outside a flow collection (quote the value if it is a string)");
    return out;
  }
  std::vector<YAML::Node> nodes;
  try {
    std::string owned(text);
    if (auto stuck = parser_stalls(owned)) {
      diags.error({file, stuck->line >= 0 ? stuck->line + 1 : 0, stuck->column >= 0 ? stuck->column + 1 : 0},
                  "yaml-syntax", "the YAML parser cannot continue here (malformed document)");
      return out;
    }
    nodes = YAML::LoadAll(owned);
  } catch (const YAML::Exception& e) {
    int line = e.mark.line >= 0 ? e.mark.line + 1 : 0;
    int col = e.mark.column >= 0 ? e.mark.column + 1 : 0;
    diags.error({file, line, col}, "yaml-syntax", e.msg);
    return out;
  } catch (const std::exception& e) {
    diags.error({file, 0, 0}, "yaml-syntax", e.what());
    return out;
  }
  int index = 0;
  for (const auto& node : nodes) {
    int this_index = index++;
    if (options.skip_empty && (node.IsNull() || !node.IsDefined())) continue;
    YamlDocument doc;
    doc.index = this_index;
    const YAML::Mark m = node.Mark();
    doc.start = {file, m.line >= 0 ? m.line + 1 : 0, m.column >= 0 ? m.column + 1 : 0};
    if (options.keep_positions) doc.positions = std::make_shared<SourceMap>(file);
    size_t errors_before = diags.size();
    Converter conv(file, diags, options, doc.positions.get());
    std::string pointer;
    if (doc.positions) doc.positions->add("", doc.start.line, doc.start.col);
    json value;
    try {
      value = conv.convert(node, pointer, 0);
    } catch (const std::exception& e) {
      diags.error(doc.start, "yaml-syntax", e.what());
      continue;
    }
    if (conv.failed()) continue;
    (void)errors_before;
    if (doc.positions) doc.positions->seal();
    doc.value = JsonBox(std::move(value));
    out.push_back(std::move(doc));
  }
  return out;
}

bool read_text_file(const std::string& path, std::string& out, Diagnostics& diags,
                    size_t max_bytes) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    diags.error({path, 0, 0}, "file-unreadable", "cannot open file");
    return false;
  }
  in.seekg(0, std::ios::end);
  auto size = in.tellg();
  if (size < 0) {
    diags.error({path, 0, 0}, "file-unreadable", "cannot read file (a directory?)");
    return false;
  }
  if (static_cast<size_t>(size) > max_bytes) {
    diags.error({path, 0, 0}, "file-too-large",
                fmt::format("file is {} bytes; the limit is {} bytes", static_cast<long long>(size),
                            max_bytes));
    return false;
  }
  in.seekg(0, std::ios::beg);
  out.resize(static_cast<size_t>(size));
  in.read(out.data(), size);
  if (!in) {
    diags.error({path, 0, 0}, "file-unreadable", "read failed");
    return false;
  }
  return true;
}

}  // namespace rehearse::model
