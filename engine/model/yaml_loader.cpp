#include "engine/model/yaml_loader.hpp"
#include "engine/model/utf8.hpp"

#include <yaml-cpp/eventhandler.h>
#include <yaml-cpp/yaml.h>

#include <charconv>
#include <cmath>
#include <cstdint>
#include <fstream>
#include <limits>
#include <optional>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <vector>

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

// The value of a plain scalar when it is not a string (null, bool, int, float); false when
// it stays a string.
bool type_plain_non_string(std::string_view s, json& out) {
  if (s.empty() || is_one_of(s, {"~", "null", "Null", "NULL"})) {
    out = nullptr;
    return true;
  }
  if (is_one_of(s, {"true", "True", "TRUE"})) {
    out = true;
    return true;
  }
  if (is_one_of(s, {"false", "False", "FALSE"})) {
    out = false;
    return true;
  }
  char c = s[0];
  if (std::isdigit(static_cast<unsigned char>(c)) || c == '-' || c == '+' || c == '.')
    return parse_go_int(s, out) || parse_yaml_float(s, out);
  return false;
}

json type_plain(std::string_view s) {
  json out;
  if (type_plain_non_string(s, out)) return out;
  return std::string(s);
}

void append_pointer_token(std::string& pointer, std::string_view key) {
  for (char ch : key) {
    if (ch == '~')
      pointer += "~0";
    else if (ch == '/')
      pointer += "~1";
    else
      pointer += ch;
  }
}

void append_index(std::string& pointer, size_t i) {
  char buf[24];
  auto [end, ec] = std::to_chars(buf, buf + sizeof buf, i);
  (void)ec;
  pointer.append(buf, end);
}

// One YAML document as yaml-cpp's NodeBuilder (behind LoadAll) would build it from the
// parser's events: the same nodes with the same tags and marks, map entries in order with
// duplicates kept, and an alias being the anchored node itself (so an alias inside its own
// anchor closes a cycle). It lives in flat arrays reused from one document to the next, which
// costs little next to the parse; Converter then walks it exactly as it walked YAML::Node.
class DocumentGraph final : public YAML::EventHandler {
 public:
  static constexpr uint32_t kNone = std::numeric_limits<uint32_t>::max();
  enum class Type : uint8_t { Null, Scalar, Sequence, Map };
  struct Node {
    Type type = Type::Null;
    bool shared = false;  // inside an anchored node: may be visited more than once
    uint32_t tag = 0;     // scalars only (the converter reads no other tags); see tag()
    uint32_t size = 0;    // edges: items of a sequence, keys and values of a map
    uint32_t first = kNone;
    uint32_t last = kNone;
    YAML::Mark mark;
    std::string scalar;
  };
  // A collection's children as a list: item, item, ... or key, value, key, value, ...
  struct Edge {
    uint32_t node;
    uint32_t next;
  };

  const YAML::Mark& start() const { return start_; }  // of the last document begun
  uint32_t root() const { return root_; }
  Node& node(uint32_t id) { return nodes_[id]; }
  const Edge& edge(uint32_t e) const { return edges_[e]; }
  const std::string& tag(const Node& n) const { return tags_[n.tag]; }

  void OnDocumentStart(const YAML::Mark& mark) override {
    start_ = mark;
    nodes_.clear();
    edges_.clear();
    tags_.resize(3);
    anchors_.assign(1, kNone);  // anchor ids start at 1 in every document
    open_.clear();
    root_ = kNone;
  }
  void OnDocumentEnd() override {}
  void OnNull(const YAML::Mark& mark, YAML::anchor_t anchor) override {
    attach(create(Type::Null, mark, anchor, 0));
  }
  void OnAlias(const YAML::Mark& mark, YAML::anchor_t anchor) override {
    // The parser throws on unknown anchors; the fallback only keeps a bad id from crashing.
    uint32_t id = anchor < anchors_.size() ? anchors_[anchor] : kNone;
    attach(id != kNone ? id : create(Type::Null, mark, YAML::NullAnchor, 0));
  }
  void OnScalar(const YAML::Mark& mark, const std::string& tag, YAML::anchor_t anchor,
                const std::string& value) override {
    uint32_t id = create(Type::Scalar, mark, anchor, intern(tag));
    nodes_[id].scalar = value;
    attach(id);
  }
  void OnSequenceStart(const YAML::Mark& mark, const std::string&, YAML::anchor_t anchor,
                       YAML::EmitterStyle::value) override {
    open(create(Type::Sequence, mark, anchor, 0));
  }
  void OnSequenceEnd() override { open_.pop_back(); }
  void OnMapStart(const YAML::Mark& mark, const std::string&, YAML::anchor_t anchor,
                  YAML::EmitterStyle::value) override {
    open(create(Type::Map, mark, anchor, 0));
  }
  void OnMapEnd() override { open_.pop_back(); }

 private:
  uint32_t intern(const std::string& tag) {
    if (tag == "?") return 1;
    if (tag == "!") return 2;
    if (tag.empty()) return 0;
    tags_.push_back(tag);
    return static_cast<uint32_t>(tags_.size() - 1);
  }

  uint32_t create(Type type, const YAML::Mark& mark, YAML::anchor_t anchor, uint32_t tag) {
    auto id = static_cast<uint32_t>(nodes_.size());
    Node& n = nodes_.emplace_back();
    n.type = type;
    n.tag = tag;
    n.mark = mark;
    n.shared = anchor != YAML::NullAnchor || (!open_.empty() && nodes_[open_.back()].shared);
    if (anchor != YAML::NullAnchor) {
      if (anchors_.size() <= anchor) anchors_.resize(anchor + 1, kNone);
      anchors_[anchor] = id;
    }
    return id;
  }

  void attach(uint32_t id) {
    if (open_.empty()) {
      root_ = id;
      return;
    }
    Node& parent = nodes_[open_.back()];
    auto e = static_cast<uint32_t>(edges_.size());
    edges_.push_back({id, kNone});
    if (parent.last == kNone)
      parent.first = e;
    else
      edges_[parent.last].next = e;
    parent.last = e;
    ++parent.size;
  }

  void open(uint32_t id) {
    attach(id);
    open_.push_back(id);
  }

  YAML::Mark start_;
  std::vector<Node> nodes_;
  std::vector<Edge> edges_;
  std::vector<std::string> tags_{"", "?", "!"};
  std::vector<uint32_t> anchors_;  // anchor id -> node
  std::vector<uint32_t> open_;     // collections being filled, innermost last
  uint32_t root_ = kNone;
};

// DocumentGraph -> JSON with the typing rules above, positions, duplicate-key and merge-key
// handling, and the size and depth limits. A node reached through an alias is converted again
// each time (so the limits count the expansion); nodes that are not shared are visited once,
// and their strings are moved out instead of copied.
class Converter {
 public:
  using Node = DocumentGraph::Node;
  using Type = DocumentGraph::Type;
  static constexpr uint32_t kNone = DocumentGraph::kNone;

  Converter(DocumentGraph& graph, const std::string& file, Diagnostics& diags,
            const YamlOptions& opts, SourceMap* positions)
      : graph_(graph), file_(file), diags_(diags), opts_(opts), positions_(positions) {}

  bool failed() const { return failed_; }

  json convert(uint32_t id, std::string& pointer, int depth) {
    if (failed_) return nullptr;
    Node& node = graph_.node(id);
    if (++nodes_ > opts_.limits.max_nodes) {
      fail(node.mark, "yaml-too-large",
           fmt::format("document expands to more than {} nodes (an alias bomb?); split it or "
                       "remove repeated aliases",
                       opts_.limits.max_nodes));
      return nullptr;
    }
    if (depth > opts_.limits.max_depth) {
      fail(node.mark, "yaml-too-deep",
           fmt::format("nesting deeper than {} levels", opts_.limits.max_depth));
      return nullptr;
    }
    switch (node.type) {
      case Type::Null:
        return nullptr;
      case Type::Scalar:
        return scalar(node);
      case Type::Sequence: {
        json arr = json::array();
        arr.get_ref<json::array_t&>().reserve(node.size);
        size_t i = 0;
        for (uint32_t e = node.first; e != kNone; e = graph_.edge(e).next) {
          uint32_t item = graph_.edge(e).node;
          size_t mark = pointer.size();
          pointer += '/';
          append_index(pointer, i++);
          record(pointer, graph_.node(item).mark);
          arr.push_back(convert(item, pointer, depth + 1));
          pointer.resize(mark);
          if (failed_) break;
        }
        return arr;
      }
      case Type::Map:
        return map(node, pointer, depth);
    }
    return nullptr;
  }

 private:
  json map(const Node& node, std::string& pointer, int depth) {
    json obj = json::object();
    auto& members = obj.get_ref<json::object_t&>();
    std::vector<uint32_t> merges;
    for (uint32_t e = node.first; e != kNone;) {
      Node& k = graph_.node(graph_.edge(e).node);
      e = graph_.edge(e).next;
      if (e == kNone) break;  // a key without its value: NodeBuilder leaves it out too
      uint32_t v = graph_.edge(e).node;
      e = graph_.edge(e).next;
      if (k.type != Type::Scalar && k.type != Type::Null) {
        diags_.error(pos(k.mark), "yaml-complex-key", "only scalar mapping keys are supported");
        continue;
      }
      if (k.type == Type::Scalar && k.scalar == "<<" && graph_.tag(k) == "?") {
        merges.push_back(v);
        continue;
      }
      std::string key = k.type == Type::Null ? std::string("null") : take(k);
      // Only explicit keys are in `members` until the merges below: it is the seen-set.
      auto at = members.lower_bound(key);
      if (at != members.end() && at->first == key) {
        diags_.error(pos(k.mark), "duplicate-key",
                     fmt::format("mapping key \"{}\" already defined earlier in this mapping",
                                 key));
        continue;
      }
      size_t mark = pointer.size();
      pointer += '/';
      append_pointer_token(pointer, key);
      record(pointer, k.mark);
      auto slot = members.emplace_hint(at, std::move(key), nullptr);
      slot->second = convert(v, pointer, depth + 1);
      pointer.resize(mark);
      if (failed_) return obj;
    }
    // Merge keys: explicit keys win, then earlier merged maps win over later ones.
    for (uint32_t m : merges) {
      std::vector<uint32_t> sources;
      const Node& merge = graph_.node(m);
      if (merge.type == Type::Map) {
        sources.push_back(m);
      } else if (merge.type == Type::Sequence) {
        for (uint32_t e = merge.first; e != kNone; e = graph_.edge(e).next)
          sources.push_back(graph_.edge(e).node);
      }
      for (uint32_t src : sources) {
        if (graph_.node(src).type != Type::Map) {
          diags_.error(pos(graph_.node(src).mark), "yaml-merge", "merge key `<<` needs a mapping");
          continue;
        }
        json merged = convert(src, pointer, depth + 1);
        if (failed_) return obj;
        for (auto& [mk, mv] : merged.get_ref<json::object_t&>()) members.try_emplace(mk, std::move(mv));
      }
    }
    return obj;
  }

  json scalar(Node& node) {
    const std::string& tag = graph_.tag(node);
    if (tag == "!" || tag == "tag:yaml.org,2002:str" || tag == "tag:yaml.org,2002:binary")
      return take(node);
    if (tag == "?" || tag.empty()) return plain(node);
    if (tag == "tag:yaml.org,2002:null") return nullptr;
    if (tag == "tag:yaml.org,2002:bool" || tag == "tag:yaml.org,2002:int" ||
        tag == "tag:yaml.org,2002:float") {
      const std::string& text = node.scalar;
      json v = type_plain(text);
      bool good = (tag == "tag:yaml.org,2002:bool" && v.is_boolean()) ||
                  (tag == "tag:yaml.org,2002:int" && v.is_number_integer()) ||
                  (tag == "tag:yaml.org,2002:float" && v.is_number());
      if (!good) {
        diags_.error(pos(node.mark), "yaml-tag",
                     fmt::format("cannot decode \"{}\" as {}", text, tag));
        return text;
      }
      if (tag == "tag:yaml.org,2002:float") return v.get<double>();
      return v;
    }
    // Unknown local tags (e.g. !Ref) are kept as the plain value, as go-yaml does.
    return plain(node);
  }

  json plain(Node& node) {
    json out;
    if (type_plain_non_string(node.scalar, out)) return out;
    return take(node);
  }

  // The scalar's text, moved out when nothing else will read it.
  std::string take(Node& node) { return node.shared ? node.scalar : std::move(node.scalar); }

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

  DocumentGraph& graph_;
  const std::string& file_;
  Diagnostics& diags_;
  const YamlOptions& opts_;
  SourceMap* positions_;
  size_t nodes_ = 0;
  bool failed_ = false;
};

// yaml-cpp 0.7 (Debian 12) stalls when the flow separator `,` comes where a document's root
// node should start or right after a root node written in flow style (`,`, `[x], y`,
// `"s", x`): the parser yields an empty document without consuming the token, again and again
// (LoadAll loops on it, allocating a node per turn, until memory runs out; parse_yaml's
// document bound would stop it but with a vaguer message). Such documents are invalid YAML
// anyway: find them first, and say what is wrong. Document markers `---` / `...` at column 0 always
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
// malformed input and then yield empty documents forever. A text holds at most one document
// more than it has lines starting with a document marker, so the loop over documents stops
// at that bound and reports where the parser stood.
size_t document_marker_lines(std::string_view text) {
  size_t markers = 0;
  for (size_t at = 0; at + 3 <= text.size();) {
    std::string_view m = text.substr(at, 3);
    if (m == "---" || m == "...") ++markers;
    size_t nl = text.find('\n', at);
    at = nl == std::string_view::npos ? text.size() : nl + 1;
  }
  return markers;
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
  // (a NUL ends its input early and can stall the parser). Like go-yaml, the text must also be
  // well-formed UTF-8: yaml-cpp passes any bytes through, and a JSON string holding invalid
  // UTF-8 makes nlohmann's dump() throw wherever the value is printed. One pass over the
  // bytes; columns count bytes, and a bad sequence is reported at its first byte (as go-yaml
  // does), the message naming the byte that breaks it.
  for (size_t i = 0, line = 1, line_start = 0; i < text.size(); ++i) {
    auto c = static_cast<unsigned char>(text[i]);
    auto here = [&] { return SourcePos{file, static_cast<int>(line), static_cast<int>(i - line_start) + 1}; };
    if (c == '\n') {
      ++line;
      line_start = i + 1;
    } else if ((c < 0x20 && c != '\t' && c != '\r') || c == 0x7f) {
      diags.error(here(), "yaml-syntax",
                  fmt::format("control character U+{:04X} is not allowed in YAML", static_cast<unsigned>(c)));
      return out;
    } else if (c >= 0x80) {
      char32_t cp = 0;
      std::string problem;
      size_t length = utf8_sequence(text, i, cp, problem);
      if (length == 0) {
        diags.error(here(), "yaml-syntax", problem + "; save the file as UTF-8");
        return out;
      }
      // c-printable also leaves out the C1 controls but NEL, and U+FFFE / U+FFFF.
      if ((cp <= 0x9f && cp != 0x85) || cp == 0xfffe || cp == 0xffff) {
        const char* what = cp <= 0x9f ? "control character" : "noncharacter";
        diags.error(here(), "yaml-syntax",
                    fmt::format("{} U+{:04X} is not allowed in YAML", what, static_cast<unsigned>(cp)));
        return out;
      }
      i += length - 1;
    }
  }
  if (auto at = misplaced_flow_separator(text, file)) {
    diags.error(*at, "yaml-syntax", "unexpected `,` outside a flow collection (quote the value if it is a string)");
    return out;
  }
  // One pass: each document is converted as soon as the parser has delivered it. A syntax
  // error or a stall anywhere in the text is the only diagnostic for the file, so problems
  // found while converting wait in `found` until the parser has reached the end.
  const size_t max_documents = document_marker_lines(text) + 1;
  Diagnostics found;
  try {
    std::istringstream in{std::string(text)};
    YAML::Parser parser(in);
    DocumentGraph graph;
    for (int index = 0; parser.HandleNextDocument(graph); ++index) {
      if (static_cast<size_t>(index) >= max_documents) {
        const YAML::Mark& stuck = graph.start();
        diags.error({file, stuck.line >= 0 ? stuck.line + 1 : 0, stuck.column >= 0 ? stuck.column + 1 : 0},
                    "yaml-syntax", "the YAML parser cannot continue here (malformed document)");
        return {};
      }
      const uint32_t root = graph.root();
      const bool empty = root == DocumentGraph::kNone || graph.node(root).type == DocumentGraph::Type::Null;
      if (options.skip_empty && empty) continue;
      YamlDocument doc;
      doc.index = index;
      if (root != DocumentGraph::kNone) {
        const YAML::Mark& m = graph.node(root).mark;
        doc.start = {file, m.line >= 0 ? m.line + 1 : 0, m.column >= 0 ? m.column + 1 : 0};
      } else {
        doc.start = {file, 0, 0};
      }
      if (options.keep_positions) doc.positions = std::make_shared<SourceMap>(file);
      Converter conv(graph, file, found, options, doc.positions.get());
      std::string pointer;
      if (doc.positions) doc.positions->add("", doc.start.line, doc.start.col);
      json value;
      try {
        if (root != DocumentGraph::kNone) value = conv.convert(root, pointer, 0);
      } catch (const std::exception& e) {
        found.error(doc.start, "yaml-syntax", e.what());
        continue;
      }
      if (conv.failed()) continue;
      if (doc.positions) doc.positions->seal();
      doc.value = JsonBox(std::move(value));
      out.push_back(std::move(doc));
    }
  } catch (const YAML::Exception& e) {
    int line = e.mark.line >= 0 ? e.mark.line + 1 : 0;
    int col = e.mark.column >= 0 ? e.mark.column + 1 : 0;
    diags.error({file, line, col}, "yaml-syntax", e.msg);
    return {};
  } catch (const std::exception& e) {
    diags.error({file, 0, 0}, "yaml-syntax", e.what());
    return {};
  }
  diags.append(found);
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
