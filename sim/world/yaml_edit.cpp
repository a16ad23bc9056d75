#include "sim/world/yaml_edit.hpp"

#include <nlohmann/json.hpp>

#include <fmt/format.h>

#include "engine/model/yaml_loader.hpp"

namespace rehearse::sim {

using nlohmann::json;

Result<std::string> yq_path_to_pointer(std::string_view path) {
  std::string out;
  size_t i = 0;
  auto bad = [&] { return fail("invalid-path", fmt::format("unsupported path \"{}\" (use .a.b[0].c)", path)); };
  if (path.empty() || path[0] != '.') return bad();
  auto token = [&](std::string_view t) {
    out += '/';
    for (char c : t) out += c == '~' ? std::string("~0") : c == '/' ? std::string("~1") : std::string(1, c);
  };
  while (i < path.size()) {
    if (path[i] == '.') {
      ++i;
      if (i < path.size() && path[i] == '[') continue;
      size_t b = i;
      while (i < path.size() && path[i] != '.' && path[i] != '[') ++i;
      if (i == b) {
        if (i == path.size() && out.empty()) return bad();
        if (i == path.size()) break;
        return bad();
      }
      token(path.substr(b, i - b));
    } else if (path[i] == '[') {
      size_t close = path.find(']', i);
      if (close == std::string_view::npos) return bad();
      std::string_view inner = path.substr(i + 1, close - i - 1);
      if (inner.size() >= 2 && (inner[0] == '"' || inner[0] == '\'') && inner.back() == inner[0]) {
        token(inner.substr(1, inner.size() - 2));
      } else {
        if (inner.empty()) return bad();
        for (char c : inner)
          if (!std::isdigit(static_cast<unsigned char>(c))) return bad();
        token(inner);
      }
      i = close + 1;
    } else {
      return bad();
    }
  }
  if (out.empty()) return bad();
  return out;
}

std::string yaml_scalar(const json& v) {
  if (!v.is_string()) return v.dump();
  const std::string& s = v.get<std::string>();
  bool plain = !s.empty() && s.find_first_of(":#{}[],&*!|>'\"%@`\n\t") == std::string::npos &&
               s.front() != ' ' && s.back() != ' ' && s.front() != '-' && s.front() != '?';
  if (plain && model::type_plain_scalar(s)->is_string()) return s;
  // Keep `image: repo:tag` style values readable: colons are fine unless followed by space.
  if (s.find(": ") == std::string::npos && s.find(" #") == std::string::npos &&
      s.find_first_of("{}[],&*!|>'\"%@`\n\t") == std::string::npos && !s.empty() &&
      s.front() != ' ' && s.back() != ' ' && s.front() != '-' && s.front() != '?' &&
      s.front() != '#' && s.back() != ':' && model::type_plain_scalar(s)->is_string())
    return s;
  return json(s).dump();
}

Result<std::string> set_yaml_value(std::string_view text, std::string_view path, const json& value) {
  auto pointer = yq_path_to_pointer(path);
  if (!pointer) return unexpected(pointer.error());
  if (value.is_object() || value.is_array())
    return fail("invalid-value", "`set` writes scalars only; use `write` for structured changes");
  model::Diagnostics diags;
  model::YamlOptions opts;
  opts.skip_empty = true;
  auto docs = model::parse_yaml(text, "file", diags, opts);
  if (diags.has_errors()) return fail("invalid-yaml", diags.items()[0].message);
  // Line starts, to turn (line, col) into offsets.
  std::vector<size_t> line_start = {0};
  for (size_t i = 0; i < text.size(); ++i)
    if (text[i] == '\n') line_start.push_back(i + 1);
  struct Edit {
    size_t begin, end;
  };
  std::vector<Edit> edits;
  json::json_pointer jp(*pointer);
  for (const auto& doc : docs) {
    if (!doc.value->contains(jp)) continue;
    const json& old = doc.value->at(jp);
    if (old.is_object() || old.is_array())
      return fail("invalid-path", fmt::format("{} holds a mapping or list, not a scalar", path));
    auto pos = doc.positions->find(*pointer);
    if (pos.line <= 0 || static_cast<size_t>(pos.line) > line_start.size())
      return fail("invalid-path", fmt::format("cannot locate {} in the file", path));
    size_t line_begin = line_start[pos.line - 1];
    size_t line_end = text.find('\n', line_begin);
    if (line_end == std::string_view::npos) line_end = text.size();
    size_t k = line_begin + static_cast<size_t>(pos.col - 1);
    bool is_index = std::isdigit(static_cast<unsigned char>(pointer->back())) &&
                    pointer->substr(pointer->rfind('/') + 1).find_first_not_of("0123456789") == std::string::npos;
    size_t v;
    if (is_index) {
      v = k;  // a sequence item's mark is the value itself
    } else {
      // Skip the key (plain or quoted) to its ':'.
      size_t colon = k;
      if (colon < line_end && (text[colon] == '"' || text[colon] == '\'')) {
        char q = text[colon];
        colon = text.find(q, colon + 1);
        if (colon == std::string_view::npos || colon > line_end)
          return fail("invalid-path", fmt::format("cannot locate {} in the file", path));
      }
      colon = text.find(':', colon);
      if (colon == std::string_view::npos || colon > line_end)
        return fail("invalid-path", fmt::format("{} is not on one line", path));
      v = colon + 1;
    }
    while (v < line_end && (text[v] == ' ' || text[v] == '\t')) ++v;
    if (v >= line_end || text[v] == '|' || text[v] == '>')
      return fail("invalid-path", fmt::format("{} is not a single-line scalar", path));
    size_t e;
    if (text[v] == '"' || text[v] == '\'') {
      char q = text[v];
      e = v + 1;
      while (e < line_end && !(text[e] == q && (q == '\'' || text[e - 1] != '\\'))) ++e;
      if (e >= line_end) return fail("invalid-path", fmt::format("{} is not a single-line scalar", path));
      ++e;
    } else {
      e = v;
      while (e < line_end && !(text[e] == '#' && (text[e - 1] == ' ' || text[e - 1] == '\t'))) ++e;
      while (e > v && (text[e - 1] == ' ' || text[e - 1] == '\t' || text[e - 1] == '\r')) --e;
    }
    edits.push_back({v, e});
  }
  if (edits.empty()) return fail("invalid-path", fmt::format("{} does not exist in the file", path));
  std::string out(text);
  std::string replacement = yaml_scalar(value);
  for (auto it = edits.rbegin(); it != edits.rend(); ++it) {
    // Keep the original quoting style for strings when it was quoted.
    std::string rep = replacement;
    char q = out[it->begin];
    if ((q == '"' || q == '\'') && value.is_string()) {
      rep = q == '"' ? json(value.get<std::string>()).dump()
                     : "'" + [&] {
                         std::string s;
                         for (char c : value.get<std::string>()) s += c == '\'' ? std::string("''") : std::string(1, c);
                         return s;
                       }() + "'";
    }
    out.replace(it->begin, it->end - it->begin, rep);
  }
  return out;
}

}  // namespace rehearse::sim
