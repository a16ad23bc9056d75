#include "engine/diff/diff.hpp"

#include <algorithm>
#include <cctype>
#include <set>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

namespace rehearse::diff {

using nlohmann::json;
using Tokens = std::vector<std::string>;

namespace {

std::string escape_token(std::string_view t) {
  std::string out;
  for (char c : t) {
    if (c == '~') out += "~0";
    else if (c == '/') out += "~1";
    else out += c;
  }
  return out;
}
std::string to_pointer(const Tokens& toks) {
  std::string out;
  for (const auto& t : toks) out += "/" + escape_token(t);
  return out;
}
bool is_index(const std::string& t) {
  return !t.empty() && std::all_of(t.begin(), t.end(), [](char c) { return c >= '0' && c <= '9'; });
}
json* resolve(json& doc, const Tokens& toks) {
  json* cur = &doc;
  for (const auto& t : toks) {
    if (cur->is_object()) {
      auto it = cur->find(t);
      if (it == cur->end()) return nullptr;
      cur = &*it;
    } else if (cur->is_array() && is_index(t)) {
      size_t i = std::stoul(t);
      if (i >= cur->size()) return nullptr;
      cur = &(*cur)[i];
    } else {
      return nullptr;
    }
  }
  return cur;
}
const json* resolve(const json& doc, const Tokens& toks) {
  return resolve(const_cast<json&>(doc), toks);
}
// Removes the locations, children before parents and higher array indexes first so that
// earlier removals never shift later ones.
void remove_all(json& doc, std::vector<Tokens> locs) {
  auto desc = [](const Tokens& a, const Tokens& b) {
    size_t n = std::min(a.size(), b.size());
    for (size_t i = 0; i < n; ++i) {
      if (a[i] == b[i]) continue;
      if (is_index(a[i]) && is_index(b[i]))
        return std::stoull(a[i]) > std::stoull(b[i]);
      return a[i] > b[i];
    }
    return a.size() > b.size();
  };
  std::sort(locs.begin(), locs.end(), desc);
  locs.erase(std::unique(locs.begin(), locs.end()), locs.end());
  for (const auto& loc : locs) {
    if (loc.empty()) continue;
    Tokens parent_toks(loc.begin(), loc.end() - 1);
    json* parent = resolve(doc, parent_toks);
    if (!parent) continue;
    if (parent->is_object()) parent->erase(loc.back());
    else if (parent->is_array() && is_index(loc.back()) && std::stoul(loc.back()) < parent->size())
      parent->erase(std::stoul(loc.back()));
  }
}

// ---- jq subset -------------------------------------------------------------------------

struct JqStep {
  enum class Type { Key, Index, Iterate } type = Type::Key;
  std::string key;
  size_t index = 0;
};
struct JqPath {
  std::vector<JqStep> steps;
};
struct JqStage {
  bool is_select = false;
  JqPath path;        // the path (or, for select, the tested path)
  bool negate = false;  // select with !=
  json literal;
};

class JqParser {
 public:
  explicit JqParser(std::string_view s) : s_(s) {}

  Result<std::vector<JqStage>> parse() {
    std::vector<JqStage> stages;
    while (true) {
      skip_ws();
      JqStage st;
      if (s_.substr(i_, 6) == "select") {
        i_ += 6;
        skip_ws();
        if (!eat('(')) return err("expected '(' after select");
        auto p = path();
        if (!p.ok()) return unexpected(p.error());
        st.is_select = true;
        st.path = std::move(*p);
        skip_ws();
        if (s_.substr(i_, 2) == "==") {
          i_ += 2;
        } else if (s_.substr(i_, 2) == "!=") {
          i_ += 2;
          st.negate = true;
        } else {
          return err("expected == or != in select");
        }
        skip_ws();
        size_t close = find_close();
        if (close == std::string_view::npos) return err("missing ')' after select");
        std::string lit(s_.substr(i_, close - i_));
        while (!lit.empty() && std::isspace(static_cast<unsigned char>(lit.back()))) lit.pop_back();
        st.literal = json::parse(lit, nullptr, false);
        if (st.literal.is_discarded()) return err("select literal must be a JSON value");
        i_ = close + 1;
      } else {
        auto p = path();
        if (!p.ok()) return unexpected(p.error());
        st.path = std::move(*p);
      }
      stages.push_back(std::move(st));
      skip_ws();
      if (i_ >= s_.size()) break;
      if (!eat('|')) return err(fmt::format("unsupported jq syntax at offset {}", i_));
    }
    return stages;
  }

 private:
  Unexpected<Error> err(std::string m) const {
    return fail("unsupported-jq", fmt::format("jq expression \"{}\": {}", s_, m));
  }
  void skip_ws() {
    while (i_ < s_.size() && std::isspace(static_cast<unsigned char>(s_[i_]))) ++i_;
  }
  bool eat(char c) {
    if (i_ < s_.size() && s_[i_] == c) {
      ++i_;
      return true;
    }
    return false;
  }
  size_t find_close() const {
    bool in_str = false;
    for (size_t j = i_; j < s_.size(); ++j) {
      if (in_str) {
        if (s_[j] == '\\') ++j;
        else if (s_[j] == '"') in_str = false;
      } else if (s_[j] == '"') {
        in_str = true;
      } else if (s_[j] == ')') {
        return j;
      }
    }
    return std::string_view::npos;
  }
  Result<std::string> quoted() {
    std::string out;
    if (!eat('"')) return err("expected '\"'");
    while (i_ < s_.size() && s_[i_] != '"') {
      if (s_[i_] == '\\' && i_ + 1 < s_.size()) ++i_;
      out += s_[i_++];
    }
    if (!eat('"')) return err("unterminated string");
    return out;
  }
  Result<JqPath> path() {
    skip_ws();
    JqPath p;
    if (!eat('.')) return err(fmt::format("expected '.' at offset {}", i_));
    bool first = true;
    while (i_ < s_.size()) {
      char c = s_[i_];
      if (std::isalpha(static_cast<unsigned char>(c)) || c == '_') {
        if (!first && s_[i_ - 1] != '.') break;
        size_t b = i_;
        while (i_ < s_.size() && (std::isalnum(static_cast<unsigned char>(s_[i_])) || s_[i_] == '_' ||
                                  s_[i_] == '-'))
          ++i_;
        p.steps.push_back({JqStep::Type::Key, std::string(s_.substr(b, i_ - b)), 0});
      } else if (c == '"' && s_[i_ - 1] == '.') {
        auto q = quoted();
        if (!q.ok()) return unexpected(q.error());
        p.steps.push_back({JqStep::Type::Key, *q, 0});
      } else if (c == '[') {
        ++i_;
        skip_ws();
        if (eat(']')) {
          p.steps.push_back({JqStep::Type::Iterate, {}, 0});
        } else if (i_ < s_.size() && s_[i_] == '"') {
          auto q = quoted();
          if (!q.ok()) return unexpected(q.error());
          skip_ws();
          if (!eat(']')) return err("expected ']'");
          p.steps.push_back({JqStep::Type::Key, *q, 0});
        } else if (i_ < s_.size() && std::isdigit(static_cast<unsigned char>(s_[i_]))) {
          size_t b = i_;
          while (i_ < s_.size() && std::isdigit(static_cast<unsigned char>(s_[i_]))) ++i_;
          size_t idx = std::stoul(std::string(s_.substr(b, i_ - b)));
          skip_ws();
          if (!eat(']')) return err("expected ']'");
          p.steps.push_back({JqStep::Type::Index, {}, idx});
        } else {
          return err(fmt::format("unsupported subscript at offset {}", i_));
        }
        eat('?');  // errors are suppressed anyway (see jq_locations)
      } else if (c == '.') {
        ++i_;
      } else {
        break;
      }
      first = false;
    }
    return p;
  }

  std::string_view s_;
  size_t i_ = 0;
};

void walk_path(const json& doc, const JqPath& p, const Tokens& start, std::vector<Tokens>& out) {
  std::vector<Tokens> cur{start};
  for (const auto& step : p.steps) {
    std::vector<Tokens> next;
    for (const auto& loc : cur) {
      const json* v = resolve(doc, loc);
      if (!v) continue;
      if (step.type == JqStep::Type::Key) {
        if (v->is_object() && v->contains(step.key)) {
          Tokens t = loc;
          t.push_back(step.key);
          next.push_back(std::move(t));
        }
      } else if (step.type == JqStep::Type::Index) {
        if (v->is_array() && step.index < v->size()) {
          Tokens t = loc;
          t.push_back(std::to_string(step.index));
          next.push_back(std::move(t));
        }
      } else if (v->is_array()) {
        for (size_t i = 0; i < v->size(); ++i) {
          Tokens t = loc;
          t.push_back(std::to_string(i));
          next.push_back(std::move(t));
        }
      } else if (v->is_object()) {
        for (auto it = v->begin(); it != v->end(); ++it) {
          Tokens t = loc;
          t.push_back(it.key());
          next.push_back(std::move(t));
        }
      }
    }
    cur = std::move(next);
  }
  for (auto& l : cur) out.push_back(std::move(l));
}

Result<std::vector<Tokens>> jq_tokens(std::string_view expr, const json& doc) {
  auto stages = JqParser(expr).parse();
  if (!stages.ok()) return unexpected(stages.error());
  std::vector<Tokens> cur{Tokens{}};
  for (const auto& st : *stages) {
    std::vector<Tokens> next;
    for (const auto& loc : cur) {
      if (st.is_select) {
        std::vector<Tokens> tested;
        walk_path(doc, st.path, loc, tested);
        // A missing field reads as null in jq.
        bool any = false;
        if (tested.empty()) any = st.literal.is_null();
        for (const auto& t : tested) {
          const json* v = resolve(doc, t);
          if (v && *v == st.literal) any = true;
        }
        if (any != st.negate) next.push_back(loc);
      } else {
        walk_path(doc, st.path, loc, next);
      }
    }
    cur = std::move(next);
  }
  return cur;
}

// ---- managed fields (fieldsV1) ---------------------------------------------------------

bool is_leaf_set(const json& fields) {
  if (!fields.is_object()) return true;
  for (auto it = fields.begin(); it != fields.end(); ++it)
    if (it.key() != ".") return false;
  return true;
}

void managed_locations(const json& fields, const json& value, const Tokens& at,
                       std::vector<Tokens>& out) {
  if (!fields.is_object()) return;
  for (auto it = fields.begin(); it != fields.end(); ++it) {
    const std::string& k = it.key();
    if (k.size() < 2 || k[1] != ':') continue;
    std::string rest = k.substr(2);
    auto emit = [&](Tokens t, const json& child) {
      if (is_leaf_set(it.value())) out.push_back(std::move(t));
      else managed_locations(it.value(), child, t, out);
    };
    if (k[0] == 'f' && value.is_object()) {
      auto f = value.find(rest);
      if (f == value.end()) continue;
      Tokens t = at;
      t.push_back(rest);
      emit(std::move(t), *f);
    } else if ((k[0] == 'k' || k[0] == 'v') && value.is_array()) {
      json key = json::parse(rest, nullptr, false);
      if (key.is_discarded()) continue;
      for (size_t i = 0; i < value.size(); ++i) {
        const json& el = value[i];
        bool match = false;
        if (k[0] == 'v') {
          match = el == key;
        } else if (key.is_object() && el.is_object()) {
          match = true;
          for (auto kv = key.begin(); kv != key.end(); ++kv)
            if (!el.contains(kv.key()) || el[kv.key()] != kv.value()) match = false;
        }
        if (!match) continue;
        Tokens t = at;
        t.push_back(std::to_string(i));
        emit(std::move(t), el);
      }
    } else if (k[0] == 'i' && value.is_array()) {
      size_t i = std::strtoul(rest.c_str(), nullptr, 10);
      if (i >= value.size()) continue;
      Tokens t = at;
      t.push_back(std::to_string(i));
      emit(std::move(t), value[i]);
    }
  }
}

// ---- helpers ---------------------------------------------------------------------------

std::string base64(std::string_view in) {
  static constexpr char kAlphabet[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  size_t i = 0;
  for (; i + 2 < in.size(); i += 3) {
    uint32_t v = (uint8_t(in[i]) << 16) | (uint8_t(in[i + 1]) << 8) | uint8_t(in[i + 2]);
    out += kAlphabet[(v >> 18) & 63];
    out += kAlphabet[(v >> 12) & 63];
    out += kAlphabet[(v >> 6) & 63];
    out += kAlphabet[v & 63];
  }
  if (i < in.size()) {
    uint32_t v = uint8_t(in[i]) << 16;
    if (i + 1 < in.size()) v |= uint8_t(in[i + 1]) << 8;
    out += kAlphabet[(v >> 18) & 63];
    out += kAlphabet[(v >> 12) & 63];
    out += i + 1 < in.size() ? kAlphabet[(v >> 6) & 63] : '=';
    out += '=';
  }
  return out;
}

bool all_named(const json& arr) {
  if (!arr.is_array() || arr.empty()) return false;
  for (const auto& e : arr)
    if (!e.is_object() || !e.contains("name") || !e["name"].is_string()) return false;
  return true;
}

bool scalar_equal(const json& a, const json& b) {
  if (a.is_number() && b.is_number()) return a.get<double>() == b.get<double>();
  return a == b;
}

struct Comparer {
  std::vector<std::string>& paths;
  bool modified = false;
  // Fast path without copies: the normalizations that only drop fields are applied here.
  bool skip_status = false;
  bool skip_creation_timestamp = false;

  // The current location as a stack of segments; the JSON pointer string is only built when
  // a difference is noted (most visited fields are equal). Keys and names are views into
  // the documents being compared, which outlive the comparison.
  struct Seg {
    std::string_view key;
    size_t index = 0;
    bool is_index = false;
  };
  std::vector<Seg> at;

  bool skipped(std::string_view key) const {
    if (at.empty()) return skip_status && key == "status";
    return skip_creation_timestamp && at.size() == 1 && !at[0].is_index && at[0].key == "metadata" &&
           key == "creationTimestamp";
  }

  std::string pointer() const {
    std::string p;
    for (const auto& s : at) {
      p += '/';
      if (s.is_index) p += std::to_string(s.index);
      else p += escape_token(s.key);
    }
    return p;
  }

  void note() {
    modified = true;
    if (paths.size() < kMaxPaths) {
      std::string p = pointer();
      paths.push_back(p.empty() ? "/" : p);
    }
  }
  void note_child(std::string_view key) {
    at.push_back(Seg{key, 0, false});
    note();
    at.pop_back();
  }

  void child(std::string_view key, const json& d, const json* l, const json* last) {
    at.push_back(Seg{key, 0, false});
    covered(d, l, last);
    at.pop_back();
  }

  static const json* find_named(const json* arr, std::string_view name) {
    if (!arr) return nullptr;
    for (const auto& e : *arr)
      if (e["name"].get_ref<const std::string&>() == name) return &e;
    return nullptr;
  }

  // Git value `d` against live value `l` (nullptr = absent); `last` is the last-applied
  // value at the same place (nullptr = absent).
  void covered(const json& d, const json* l, const json* last) {
    if (d.is_null()) {
      // A null in Git means "unset" (merge-patch semantics): drift only if live still has it
      // and last-applied owned it.
      return;
    }
    if (!l) {
      note();
      return;
    }
    if (d.is_object()) {
      if (!l->is_object()) {
        note();
        return;
      }
      const bool last_obj = last && last->is_object();
      for (auto it = d.begin(); it != d.end(); ++it) {
        const std::string& key = it.key();
        if (skipped(key)) continue;
        auto li = l->find(key);
        const json* lv = li == l->end() ? nullptr : &*li;
        const json* lastv = nullptr;
        if (last_obj) {
          auto la = last->find(key);
          if (la != last->end()) lastv = &*la;
        }
        if (it->is_null() && !lv) continue;
        child(key, *it, lv, lastv);
      }
      // Fields last-applied had, Git dropped, and live still carries.
      if (last_obj) {
        for (auto it = last->begin(); it != last->end(); ++it)
          if (!d.contains(it.key()) && l->contains(it.key()) && !skipped(it.key())) note_child(it.key());
      }
      return;
    }
    if (d.is_array()) {
      if (!l->is_array()) {
        note();
        return;
      }
      if (all_named(d) && (l->empty() || all_named(*l))) {
        // Lists are short: linear lookups by name beat building maps.
        const json* last_named = last && all_named(*last) ? last : nullptr;
        for (const auto& e : d) {
          const std::string& n = e["name"].get_ref<const std::string&>();
          child(n, e, find_named(l, n), find_named(last_named, n));
        }
        if (last_named) {
          // Names last-applied had, Git dropped, live still has; reported in name order.
          std::set<std::string_view> dropped;
          for (const auto& e : *last_named) {
            const std::string& n = e["name"].get_ref<const std::string&>();
            if (!find_named(&d, n) && find_named(l, n)) dropped.insert(n);
          }
          for (auto n : dropped) note_child(n);
        }
        return;
      }
      if (d.size() != l->size()) {
        note();
        return;
      }
      for (size_t i = 0; i < d.size(); ++i) {
        const json* lastv = last && last->is_array() && i < last->size() ? &(*last)[i] : nullptr;
        at.push_back(Seg{{}, i, true});
        covered(d[i], &(*l)[i], lastv);
        at.pop_back();
      }
      return;
    }
    if (!scalar_equal(d, *l)) note();
  }
};

}  // namespace


bool IgnoreRule::matches(std::string_view g, std::string_view k, std::string_view n_s,
                         std::string_view n) const {
  if (!glob_match(group, g)) return false;
  if (!glob_match(kind, k)) return false;
  if (!name.empty() && name != n) return false;
  if (!ns.empty() && ns != n_s) return false;
  return true;
}

Result<std::vector<std::string>> jq_locations(std::string_view expr, const nlohmann::json& doc) {
  auto toks = jq_tokens(expr, doc);
  if (!toks.ok()) return unexpected(toks.error());
  std::vector<std::string> out;
  for (const auto& t : *toks) out.push_back(to_pointer(t));
  return out;
}

void normalize(json& obj, std::string_view group, std::string_view kind, bool ignore_status) {
  if (!obj.is_object()) return;
  if (auto md = obj.find("metadata"); md != obj.end() && md->is_object())
    md->erase("creationTimestamp");
  if (ignore_status) obj.erase("status");
  if (group.empty() && kind == "Secret") {
    if (auto sd = obj.find("stringData"); sd != obj.end()) {
      if (sd->is_object()) {
        json& data = obj["data"];
        if (!data.is_object()) data = json::object();
        for (auto it = sd->begin(); it != sd->end(); ++it)
          data[it.key()] = base64(it->is_string() ? it->get<std::string>() : std::string{});
      }
      obj.erase("stringData");
    }
    if (auto d = obj.find("data"); d != obj.end() && d->is_object())
      for (auto& v : *d)
        if (v.is_null()) v = "";
  }
  if (group == "rbac.authorization.k8s.io" && (kind == "Role" || kind == "ClusterRole")) {
    if (auto r = obj.find("rules"); r != obj.end() && (r->is_null() || (r->is_array() && r->empty())))
      obj.erase("rules");
  }
}

std::vector<std::string> apply_ignore_rules(json& obj, const std::vector<IgnoreRule>& rules,
                                            std::string_view group, std::string_view kind,
                                            const json* live_for_managers) {
  std::vector<std::string> warnings;
  if (!obj.is_object()) return warnings;
  std::string ns, name;
  if (auto md = obj.find("metadata"); md != obj.end() && md->is_object()) {
    if (auto n = md->find("namespace"); n != md->end() && n->is_string()) ns = *n;
    if (auto n = md->find("name"); n != md->end() && n->is_string()) name = *n;
  }
  for (const auto& rule : rules) {
    if (!rule.matches(group, kind, ns, name)) continue;
    std::vector<Tokens> locs;
    for (const auto& p : rule.json_pointers) {
      // RFC 6901 pointer; a missing path is silently ignored (§10.3).
      if (!p.empty() && p[0] != '/') {
        warnings.push_back(fmt::format("jsonPointer \"{}\" must start with '/'", p));
        continue;
      }
      Tokens t;
      size_t i = 1;
      while (i <= p.size() && !p.empty()) {
        size_t j = p.find('/', i);
        std::string tok(p.substr(i, j == std::string::npos ? std::string::npos : j - i));
        std::string un;
        for (size_t k = 0; k < tok.size(); ++k) {
          if (tok[k] == '~' && k + 1 < tok.size()) {
            un += tok[k + 1] == '1' ? '/' : '~';
            ++k;
          } else {
            un += tok[k];
          }
        }
        t.push_back(un);
        if (j == std::string::npos) break;
        i = j + 1;
      }
      if (resolve(obj, t)) locs.push_back(std::move(t));
    }
    for (const auto& e : rule.jq_path_expressions) {
      auto r = jq_tokens(e, obj);
      if (!r.ok()) {
        warnings.push_back(r.error().message);
        continue;
      }
      for (auto& t : *r) locs.push_back(std::move(t));
    }
    if (!rule.managed_fields_managers.empty() && live_for_managers) {
      const json* mf = resolve(*live_for_managers, Tokens{"metadata", "managedFields"});
      if (mf && mf->is_array()) {
        for (const auto& entry : *mf) {
          if (!entry.is_object() || !entry.contains("manager")) continue;
          const auto& mgr = entry["manager"];
          if (!mgr.is_string() ||
              std::find(rule.managed_fields_managers.begin(), rule.managed_fields_managers.end(),
                        mgr.get<std::string>()) == rule.managed_fields_managers.end())
            continue;
          if (auto f = entry.find("fieldsV1"); f != entry.end())
            managed_locations(*f, obj, Tokens{}, locs);
        }
      }
    }
    remove_all(obj, std::move(locs));
  }
  return warnings;
}

void respect_ignore_differences(json& target, const json& live, const std::vector<IgnoreRule>& rules,
                                std::string_view group, std::string_view kind) {
  std::string ns, name;
  if (const json* n = resolve(target, Tokens{"metadata", "namespace"}); n && n->is_string()) ns = *n;
  if (const json* n = resolve(target, Tokens{"metadata", "name"}); n && n->is_string()) name = *n;
  for (const auto& rule : rules) {
    if (!rule.matches(group, kind, ns, name)) continue;
    std::vector<std::string> pointers = rule.json_pointers;
    for (const auto& e : rule.jq_path_expressions) {
      // Locations are taken from live: those are the values to keep.
      if (auto r = jq_locations(e, live); r.ok())
        pointers.insert(pointers.end(), r->begin(), r->end());
    }
    for (const auto& p : pointers) {
      json::json_pointer ptr;
      try {
        ptr = json::json_pointer(p);
      } catch (const json::exception&) {
        continue;
      }
      if (live.contains(ptr)) {
        try {
          target[ptr] = live[ptr];
        } catch (const json::exception&) {
        }
      } else if (target.contains(ptr)) {
        json::json_pointer parent = ptr.parent_pointer();
        json& par = target[parent];
        if (par.is_object()) par.erase(ptr.back());
      }
    }
  }
}

DiffResult compare(const json& desired, const json& live, std::string_view group,
                   std::string_view kind, const DiffOptions& options) {
  DiffResult out;
  json last;  // null = absent
  const json* ann = nullptr;
  if (auto md = live.find("metadata"); live.is_object() && md != live.end() && md->is_object())
    if (auto an = md->find("annotations"); an != md->end() && an->is_object())
      if (auto v = an->find(kLastAppliedAnnotation); v != an->end()) ann = &*v;
  if (ann && ann->is_string()) {
    last = json::parse(ann->get<std::string>(), nullptr, false);
    if (last.is_discarded() || !last.is_object()) last = nullptr;
  }
  bool rules_apply = false;
  if (!options.ignore.empty()) {
    std::string ns, name;
    if (const json* n = resolve(desired, Tokens{"metadata", "namespace"}); n && n->is_string()) ns = *n;
    if (const json* n = resolve(desired, Tokens{"metadata", "name"}); n && n->is_string()) name = *n;
    for (const auto& r : options.ignore)
      if (r.matches(group, kind, ns, name) || r.matches(group, kind, "", name)) rules_apply = true;
  }
  // The normalizations that rewrite values (not just drop fields) need copies; most objects
  // of those kinds have nothing to rewrite, so check the documents first.
  auto needs_rewrite = [&](const json& o) {
    if (!o.is_object()) return false;
    if (group.empty() && kind == "Secret") {
      if (o.contains("stringData")) return true;
      if (auto dt = o.find("data"); dt != o.end() && dt->is_object())
        for (const auto& v : *dt)
          if (v.is_null()) return true;
      return false;
    }
    if (group == "rbac.authorization.k8s.io" && (kind == "Role" || kind == "ClusterRole")) {
      auto r = o.find("rules");
      return r != o.end() && (r->is_null() || (r->is_array() && r->empty()));
    }
    return false;
  };
  const bool rewrites = needs_rewrite(desired) || needs_rewrite(live);
  Comparer c{out.paths, false, false, false, {}};
  if (!rules_apply && !rewrites) {
    // Only dropping normalizations apply: compare in place.
    if (!last.is_null()) normalize(last, group, kind, options.ignore_status);
    c.skip_status = options.ignore_status;
    c.skip_creation_timestamp = true;
    c.covered(desired, &live, last.is_null() ? nullptr : &last);
    out.modified = c.modified;
    return out;
  }
  json d = desired;
  json l = live;
  normalize(d, group, kind, options.ignore_status);
  normalize(l, group, kind, options.ignore_status);
  if (!last.is_null()) normalize(last, group, kind, options.ignore_status);
  if (rules_apply) {
    out.warnings = apply_ignore_rules(d, options.ignore, group, kind, &live);
    apply_ignore_rules(l, options.ignore, group, kind, &live);
    if (!last.is_null()) apply_ignore_rules(last, options.ignore, group, kind, &live);
  }
  c.covered(d, &l, last.is_null() ? nullptr : &last);
  out.modified = c.modified;
  return out;
}

}  // namespace rehearse::diff
