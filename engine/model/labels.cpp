#include "engine/model/labels.hpp"

#include <algorithm>
#include <cctype>
#include <nlohmann/json.hpp>

#include <fmt/format.h>

namespace rehearse::model {

using nlohmann::json;

namespace {

bool label_char(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_' || c == '.' ||
         c == '/';
}

struct Lexer {
  std::string_view s;
  size_t i = 0;
  void ws() {
    while (i < s.size() && s[i] == ' ') ++i;
  }
  bool eat(std::string_view t) {
    ws();
    if (s.substr(i, t.size()) == t) {
      i += t.size();
      return true;
    }
    return false;
  }
  std::string word() {
    ws();
    size_t b = i;
    while (i < s.size() && label_char(s[i])) ++i;
    return std::string(s.substr(b, i - b));
  }
  bool done() {
    ws();
    return i >= s.size();
  }
};

}  // namespace

Result<Selector> Selector::parse(std::string_view text) {
  Selector sel;
  Lexer lx{text};
  if (lx.done()) return sel;
  while (true) {
    Requirement r;
    if (lx.eat("!")) {
      r.key = lx.word();
      r.op = Requirement::Op::DoesNotExist;
    } else {
      r.key = lx.word();
      if (r.key.empty()) return fail("invalid-selector", fmt::format("bad selector \"{}\"", text));
      if (lx.eat("==") || lx.eat("=")) {
        r.op = Requirement::Op::Equals;
        r.values.push_back(lx.word());
      } else if (lx.eat("!=")) {
        r.op = Requirement::Op::NotEquals;
        r.values.push_back(lx.word());
      } else {
        size_t save = lx.i;
        std::string w = lx.word();
        if (w == "in" || w == "notin") {
          r.op = w == "in" ? Requirement::Op::In : Requirement::Op::NotIn;
          if (!lx.eat("("))
            return fail("invalid-selector", fmt::format("expected ( in selector \"{}\"", text));
          while (true) {
            std::string v = lx.word();
            r.values.push_back(v);
            if (lx.eat(")")) break;
            if (!lx.eat(","))
              return fail("invalid-selector", fmt::format("expected , or ) in \"{}\"", text));
          }
        } else {
          lx.i = save;
          r.op = Requirement::Op::Exists;
        }
      }
    }
    std::sort(r.values.begin(), r.values.end());
    sel.reqs_.push_back(std::move(r));
    if (lx.done()) break;
    if (!lx.eat(",")) return fail("invalid-selector", fmt::format("bad selector \"{}\"", text));
  }
  return sel;
}

Result<Selector> Selector::from_json(const json& selector) {
  Selector sel;
  if (selector.is_null()) return sel;
  if (!selector.is_object()) return fail("invalid-selector", "selector must be an object");
  if (auto it = selector.find("matchLabels"); it != selector.end() && it->is_object()) {
    for (auto& [k, v] : it->items()) {
      Requirement r{k, Requirement::Op::Equals, {v.is_string() ? v.get<std::string>() : v.dump()}};
      sel.reqs_.push_back(std::move(r));
    }
  }
  if (auto it = selector.find("matchExpressions"); it != selector.end() && it->is_array()) {
    for (const auto& e : *it) {
      Requirement r;
      r.key = e.value("key", "");
      std::string op = e.value("operator", "");
      if (op == "In")
        r.op = Requirement::Op::In;
      else if (op == "NotIn")
        r.op = Requirement::Op::NotIn;
      else if (op == "Exists")
        r.op = Requirement::Op::Exists;
      else if (op == "DoesNotExist")
        r.op = Requirement::Op::DoesNotExist;
      else
        return fail("invalid-selector", fmt::format("unknown operator \"{}\"", op));
      if (auto v = e.find("values"); v != e.end() && v->is_array())
        for (const auto& x : *v)
          if (x.is_string()) r.values.push_back(x.get<std::string>());
      std::sort(r.values.begin(), r.values.end());
      sel.reqs_.push_back(std::move(r));
    }
  }
  return sel;
}

Selector Selector::from_labels(const Labels& labels) {
  Selector sel;
  for (const auto& [k, v] : labels) sel.reqs_.push_back({k, Requirement::Op::Equals, {v}});
  return sel;
}

namespace {

// One requirement against a label that is present (`value`) or absent (nullptr).
bool satisfies(const Requirement& r, const std::string* value) {
  const bool has = value != nullptr;
  auto in_values = [&] {
    return has && std::binary_search(r.values.begin(), r.values.end(), *value);
  };
  switch (r.op) {
    case Requirement::Op::Equals: return has && *value == r.values[0];
    case Requirement::Op::NotEquals: return !(has && *value == r.values[0]);
    case Requirement::Op::In: return in_values();
    case Requirement::Op::NotIn: return !in_values();
    case Requirement::Op::Exists: return has;
    case Requirement::Op::DoesNotExist: return !has;
  }
  return true;
}

// metadata.labels of a body when it is an object, else nullptr (labels_of's empty case).
const json* labels_object(const json& body) {
  if (!body.is_object()) return nullptr;
  auto md = body.find("metadata");
  if (md == body.end() || !md->is_object()) return nullptr;
  auto l = md->find("labels");
  return l != md->end() && l->is_object() ? &*l : nullptr;
}

}  // namespace

bool Selector::matches(const Labels& labels) const {
  for (const auto& r : reqs_) {
    auto it = labels.find(r.key);
    if (!satisfies(r, it != labels.end() ? &it->second : nullptr)) return false;
  }
  return true;
}

bool Selector::matches_labels_of(const json& body) const {
  if (reqs_.empty()) return true;
  const json* labels = labels_object(body);
  std::string dumped;  // a non-string label value as labels_of renders it
  for (const auto& r : reqs_) {
    const std::string* value = nullptr;
    if (labels) {
      if (auto it = labels->find(r.key); it != labels->end()) {
        if (it->is_string()) {
          value = it->get_ptr<const std::string*>();
        } else {
          dumped = it->dump();
          value = &dumped;
        }
      }
    }
    if (!satisfies(r, value)) return false;
  }
  return true;
}

std::string Selector::str() const {
  std::string out;
  for (const auto& r : reqs_) {
    if (!out.empty()) out += ',';
    switch (r.op) {
      case Requirement::Op::Equals: out += r.key + "=" + r.values[0]; break;
      case Requirement::Op::NotEquals: out += r.key + "!=" + r.values[0]; break;
      case Requirement::Op::In:
      case Requirement::Op::NotIn: {
        out += r.key + (r.op == Requirement::Op::In ? " in (" : " notin (");
        for (size_t i = 0; i < r.values.size(); ++i) out += (i ? "," : "") + r.values[i];
        out += ')';
        break;
      }
      case Requirement::Op::Exists: out += r.key; break;
      case Requirement::Op::DoesNotExist: out += "!" + r.key; break;
    }
  }
  return out;
}

Labels labels_of(const json& body) {
  Labels out;
  const json* l = labels_object(body);
  if (!l) return out;
  for (auto& [k, v] : l->items()) out[k] = v.is_string() ? v.get<std::string>() : v.dump();
  return out;
}

}  // namespace rehearse::model
