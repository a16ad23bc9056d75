#include "sim/scenario/scenario_loader.hpp"

#include <algorithm>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <regex>

#include <fmt/format.h>

#include "engine/model/manifest_loader.hpp"
#include "engine/model/yaml_loader.hpp"
#include "sim/scenario/spec_reader.hpp"

namespace rehearse::sim {

using nlohmann::json;
namespace fs = std::filesystem;

constexpr std::string_view kApiVersion = "rehearse.dev/v1alpha1";

std::string ObjectRef::str() const {
  std::string k = group.empty() ? kind : fmt::format("{}.{}", kind, group);
  return ns.empty() ? fmt::format("{}/{}", k, name) : fmt::format("{}/{}/{}", k, ns, name);
}

Result<std::vector<std::string>> split_command(std::string_view text) {
  std::vector<std::string> out;
  std::string cur;
  bool in_word = false;
  char quote = 0;
  for (size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    if (quote) {
      if (c == quote) {
        quote = 0;
      } else if (c == '\\' && quote == '"' && i + 1 < text.size() &&
                 (text[i + 1] == '"' || text[i + 1] == '\\')) {
        cur += text[++i];
      } else {
        cur += c;
      }
      continue;
    }
    if (c == '\'' || c == '"') {
      quote = c;
      in_word = true;
    } else if (c == '\\' && i + 1 < text.size()) {
      cur += text[++i];
      in_word = true;
    } else if (c == ' ' || c == '\t' || c == '\n') {
      if (in_word) out.push_back(std::move(cur));
      cur.clear();
      in_word = false;
    } else {
      cur += c;
      in_word = true;
    }
  }
  if (quote) return fail("invalid-command", "unterminated quote in command");
  if (in_word) out.push_back(std::move(cur));
  return out;
}

Result<ObjectRef> parse_object_ref(std::string_view text) {
  std::vector<std::string> parts;
  size_t start = 0;
  while (true) {
    size_t slash = text.find('/', start);
    parts.emplace_back(text.substr(start, slash == std::string_view::npos ? std::string_view::npos
                                                                          : slash - start));
    if (slash == std::string_view::npos) break;
    start = slash + 1;
  }
  if (parts.size() < 2 || parts.size() > 3)
    return fail("invalid-object",
                fmt::format("\"{}\" is not Kind/namespace/name or Kind/name", text));
  ObjectRef ref;
  std::string kind = parts[0];
  if (auto dot = kind.find('.'); dot != std::string::npos) {
    ref.group = kind.substr(dot + 1);
    ref.kind = kind.substr(0, dot);
  } else {
    ref.kind = kind;
    // Infer the group from the built-in kinds table (core wins for ambiguous names).
    for (std::string_view g : {"", "apps", "batch", "networking.k8s.io", "policy", "autoscaling",
                               "storage.k8s.io", "rbac.authorization.k8s.io",
                               "apiextensions.k8s.io", "argoproj.io", "source.toolkit.fluxcd.io",
                               "kustomize.toolkit.fluxcd.io", "helm.toolkit.fluxcd.io",
                               "image.toolkit.fluxcd.io", "bitnami.com", "external-secrets.io",
                               "networking.istio.io", "apiregistration.k8s.io"}) {
      if (model::find_kind(g, kind)) {
        ref.group = std::string(g);
        break;
      }
    }
  }
  bool namespaced = true;
  if (const auto* info = model::find_kind(ref.group, ref.kind)) namespaced = info->namespaced;
  if (parts.size() == 3) {
    if (!namespaced)
      return fail("invalid-object", fmt::format("{} is cluster-scoped: write {}/{}", ref.kind,
                                                parts[0], parts[2]));
    ref.ns = parts[1];
    ref.name = parts[2];
  } else {
    ref.ns = namespaced ? "default" : "";
    ref.name = parts[1];
  }
  if (ref.kind.empty() || ref.name.empty())
    return fail("invalid-object", fmt::format("\"{}\" has an empty kind or name", text));
  return ref;
}

namespace {

struct Ctx {
  std::string file;
  fs::path base_dir;
  const model::SourceMap* map;
  model::Diagnostics* diags;
  const CommandVocabulary* vocab;
};

std::optional<SimTime> read_time(const SpecReader& r, std::string_view key) {
  auto d = r.duration(key);
  if (!d) return std::nullopt;
  return SimTime{*d};
}

std::optional<ObjectRef> read_object_ref(const SpecReader& r, std::string_view key) {
  if (!r.has(key)) return std::nullopt;
  SpecReader o = r.child(key);
  if (o.node().is_string()) {
    auto ref = parse_object_ref(o.node().get<std::string>());
    if (!ref) {
      r.error(key, ref.error().code, ref.error().message);
      return std::nullopt;
    }
    return *ref;
  }
  if (!o.is_object()) {
    r.error(key, "wrong-type", "object must be \"Kind/namespace/name\" or a mapping");
    return std::nullopt;
  }
  o.check_keys({"apiVersion", "kind", "namespace", "name"});
  ObjectRef ref;
  auto kind = o.string("kind");
  auto name = o.string("name");
  if (!o.required("kind") || !o.required("name") || !kind || !name) return std::nullopt;
  ref.kind = *kind;
  ref.name = *name;
  if (auto av = o.string("apiVersion")) {
    ref.group = std::string(model::split_api_version(*av).first);
  } else {
    auto inferred = parse_object_ref(fmt::format("{}/x", *kind));
    if (inferred) ref.group = inferred->group;
  }
  bool namespaced = true;
  if (const auto* info = model::find_kind(ref.group, ref.kind)) namespaced = info->namespaced;
  if (auto ns = o.string("namespace")) ref.ns = *ns;
  else if (namespaced) ref.ns = "default";
  return ref;
}

bool known_tool_verb(const Ctx& ctx, const std::string& tool, const std::vector<std::string>& argv,
                     std::string& message) {
  auto it = ctx.vocab->tools.find(tool);
  if (ctx.vocab->tools.empty()) return true;
  if (it == ctx.vocab->tools.end()) {
    std::vector<std::string> names;
    for (const auto& [t, _] : ctx.vocab->tools) names.push_back(t);
    message = fmt::format("no enabled controller handles `{}` commands", tool);
    return false;
  }
  if (it->second.empty() || argv.empty()) return true;
  // Verbs are matched on their leading words ("app sync", "suspend kustomization").
  for (const auto& verb : it->second) {
    auto words = split_command(verb);
    if (!words) continue;
    if (words->size() <= argv.size() && std::equal(words->begin(), words->end(), argv.begin()))
      return true;
  }
  std::string joined;
  for (const auto& v : it->second) joined += (joined.empty() ? "" : ", ") + ("`" + v + "`");
  message = fmt::format("unknown `{}` command `{}`; known: {}", tool, argv[0], joined);
  return false;
}

void read_commit(const SpecReader& r, ScenarioEvent& ev) {
  r.check_keys({"branch", "message", "author", "write", "delete", "set", "from"});
  ev.kind = ScenarioEvent::Kind::Commit;
  if (auto b = r.string("branch")) ev.branch = *b;
  if (auto f = r.string("from")) ev.from_ref = *f;
  if (auto m = r.string("message")) ev.message = *m;
  if (r.has("author")) {
    SpecReader a = r.child("author");
    a.check_keys({"name", "email"});
    if (auto n = a.string("name")) ev.author_name = *n;
    if (auto e = a.string("email")) ev.author_email = *e;
  }
  if (r.has("write")) {
    SpecReader w = r.child("write");
    if (!w.is_object()) {
      r.error("write", "wrong-type", "`write` maps repository paths to file contents");
    } else {
      for (auto it = w.node().begin(); it != w.node().end(); ++it) {
        if (!it.value().is_string()) {
          w.error(it.key(), "wrong-type", "file content must be a string (use `|` for YAML)");
          continue;
        }
        ev.writes.emplace_back(it.key(), it.value().get<std::string>());
      }
    }
  }
  if (auto d = r.strings("delete")) ev.deletes = *d;
  if (r.has("set")) {
    SpecReader s = r.child("set");
    if (!s.node().is_array()) {
      r.error("set", "wrong-type", "`set` is a list of {file, path, value}");
    } else {
      for (size_t i = 0; i < s.size(); ++i) {
        SpecReader item = s.item(i);
        item.check_keys({"file", "path", "value"});
        GitSet set;
        set.pos = item.pos();
        if (!item.required("file") || !item.required("path") || !item.required("value")) continue;
        set.file = item.string("file").value_or("");
        set.path = item.string("path").value_or("");
        set.value = model::JsonBox(item.node()["value"]);
        ev.sets.push_back(std::move(set));
      }
    }
  }
  if (ev.writes.empty() && ev.deletes.empty() && ev.sets.empty())
    r.error_here("empty-commit", "a commit needs `write`, `delete` or `set`");
  if (ev.message.empty()) ev.message = "Update from scenario";
}

void read_event(const Ctx& ctx, const SpecReader& r, SimTime previous, SimDuration horizon,
                std::vector<ScenarioEvent>& out) {
  // Actions: git, kubectl, and every tool a registered controller handles (registry, ...).
  std::vector<std::string> actions = {"commit", "branch", "merge", "revert", "tag", "kubectl",
                                      "argocd", "flux", "rollouts"};
  for (const auto& [tool, verbs] : ctx.vocab->tools)
    if (std::find(actions.begin(), actions.end(), tool) == actions.end()) actions.push_back(tool);
  std::vector<std::string> keys = {"at", "after", "every", "times", "until", "id", "expectFailure"};
  keys.insert(keys.end(), actions.begin(), actions.end());
  r.check_keys(keys);
  ScenarioEvent ev;
  ev.pos = r.pos();
  if (auto id = r.string("id")) ev.id = *id;
  ev.expect_failure = r.boolean("expectFailure").value_or(false);
  if (r.has("at") && r.has("after"))
    r.error("after", "conflicting-fields", "use `at` (from the start) or `after` (from the previous event), not both");
  if (auto at = read_time(r, "at")) ev.at = *at;
  else if (auto after = r.duration("after")) ev.at = previous + *after;
  else ev.at = previous;
  if (ev.at > SimTime{horizon})
    r.error(r.has("at") ? "at" : "after", "beyond-horizon",
            fmt::format("event at {} is after the scenario's horizon `until: {}`",
                        format_short(ev.at - kSimStart), format_short(horizon)));

  std::string action = r.exactly_one(actions);
  if (action.empty()) return;
  SpecReader a = r.child(action);
  if (action == "commit") {
    if (!a.is_object()) return r.error(action, "wrong-type", "`commit` is a mapping");
    read_commit(a, ev);
  } else if (action == "branch") {
    if (!a.is_object()) return r.error(action, "wrong-type", "`branch` is {name, from}");
    a.check_keys({"name", "from"});
    ev.kind = ScenarioEvent::Kind::Branch;
    a.required("name");
    ev.name = a.string("name").value_or("");
    ev.from_ref = a.string("from").value_or("main");
  } else if (action == "merge") {
    if (!a.is_object()) return r.error(action, "wrong-type", "`merge` is {from, into}");
    a.check_keys({"from", "into", "fastForward"});
    ev.kind = ScenarioEvent::Kind::Merge;
    a.required("from");
    ev.from_ref = a.string("from").value_or("");
    ev.into = a.string("into").value_or("main");
    ev.fast_forward = a.boolean("fastForward").value_or(true);
  } else if (action == "revert") {
    if (!a.is_object()) return r.error(action, "wrong-type", "`revert` is {commit, branch}");
    a.check_keys({"commit", "branch"});
    ev.kind = ScenarioEvent::Kind::Revert;
    a.required("commit");
    ev.commit_ref = a.string("commit").value_or("");
    ev.branch = a.string("branch").value_or("main");
  } else if (action == "tag") {
    if (!a.is_object()) return r.error(action, "wrong-type", "`tag` is {name, ref}");
    a.check_keys({"name", "ref"});
    ev.kind = ScenarioEvent::Kind::Tag;
    a.required("name");
    ev.name = a.string("name").value_or("");
    ev.from_ref = a.string("ref").value_or("main");
  } else {
    auto text = r.string(action);
    if (!text) return;
    auto argv = split_command(*text);
    if (!argv || argv->empty()) {
      r.error(action, "invalid-command", argv ? "empty command" : argv.error().message);
      return;
    }
    ev.command_text = *text;
    ev.argv = *argv;
    if (action == "kubectl" && argv->size() >= 2 && (*argv)[0] == "argo" && (*argv)[1] == "rollouts") {
      ev.tool = "rollouts";
      ev.argv.erase(ev.argv.begin(), ev.argv.begin() + 2);
    } else {
      ev.tool = action;
    }
    ev.kind = ev.tool == "kubectl" ? ScenarioEvent::Kind::Kubectl : ScenarioEvent::Kind::Tool;
    if (ev.kind == ScenarioEvent::Kind::Tool) {
      std::string message;
      if (!known_tool_verb(ctx, ev.tool, ev.argv, message)) r.error(action, "unknown-command", message);
    }
  }

  // Repetition: every D, `times` N in all, or until T.
  auto every = r.duration("every");
  auto times = r.integer("times");
  auto until = read_time(r, "until");
  if ((times || until) && !every)
    r.error(times ? "times" : "until", "missing-field", "`times` and `until` go with `every`");
  if (!every) {
    out.push_back(std::move(ev));
    return;
  }
  if (*every <= SimDuration{0}) return r.error("every", "invalid-duration", "`every` must be positive");
  SimTime last = until ? *until : SimTime{horizon};
  long long n = times ? *times : std::numeric_limits<long long>::max();
  for (long long i = 0; i < n; ++i) {
    ScenarioEvent copy = ev;
    copy.at = ev.at + *every * i;
    if (copy.at > last) break;
    if (i > 0 && !copy.id.empty()) copy.id = fmt::format("{}#{}", ev.id, i + 1);
    out.push_back(std::move(copy));
    if (i > 100000) {
      r.error("every", "too-many-events", "`every` expands to more than 100000 events");
      break;
    }
  }
}

std::optional<EventMatcher> read_matcher(const SpecReader& m) {
  if (m.node().is_string()) {
    EventMatcher em;
    em.kind = m.node().get<std::string>();
    return em;
  }
  if (!m.is_object()) {
    m.error_here("wrong-type", "an event matcher is a trace kind or {kind, object, details}");
    return std::nullopt;
  }
  m.check_keys({"kind", "object", "details"});
  EventMatcher em;
  if (!m.required("kind")) return std::nullopt;
  em.kind = m.string("kind").value_or("");
  em.object = m.string("object").value_or("");
  if (m.has("details")) {
    if (!m.node()["details"].is_object())
      m.error("details", "wrong-type", "`details` is a mapping of fields to match");
    else
      em.details = model::JsonBox(m.node()["details"]);
  }
  return em;
}

void read_window(const SpecReader& r, std::string_view key, Expectation& e, SimDuration horizon) {
  SpecReader w = r.child(key);
  e.from = SimTime{};
  e.to = SimTime{horizon};
  if (w.node().is_string()) {  // `eventually: 10m` = within the first 10 minutes
    if (auto to = read_time(r, key)) e.to = *to;
    return;
  }
  if (!w.is_object()) {
    r.error(key, "wrong-type", fmt::format("`{}` is a duration or {{from, to}}", key));
    return;
  }
  w.check_keys({"from", "to"});
  if (auto f = read_time(w, "from")) e.from = *f;
  if (auto t = read_time(w, "to")) e.to = *t;
  if (e.from > e.to) r.error(key, "invalid-window", "`from` is after `to`");
}

void read_expectation(const SpecReader& r, SimDuration horizon, std::vector<Expectation>& out) {
  Expectation e;
  e.pos = r.pos();
  if (!r.is_object()) return r.error_here("wrong-type", "an expectation is a mapping");
  if (auto n = r.string("name")) e.name = *n;
  std::string kind = r.exactly_one({"object", "event", "order", "exposure"});
  if (kind.empty()) return;
  if (kind == "object") {
    r.check_keys({"name", "object", "path", "equals", "notEquals", "matches", "exists",
                  "lessThan", "atMost", "greaterThan", "atLeast", "contains", "at", "eventually",
                  "always", "never"});
    e.kind = Expectation::Kind::State;
    if (auto ref = read_object_ref(r, "object")) e.object = *ref;
    e.path = r.string("path").value_or("");
    std::string op = r.exactly_one({"equals", "notEquals", "matches", "exists", "lessThan",
                                    "atMost", "greaterThan", "atLeast", "contains"});
    using Op = ValueCheck::Op;
    static const std::map<std::string, Op> kOps = {
        {"equals", Op::Equals},       {"notEquals", Op::NotEquals}, {"matches", Op::Matches},
        {"exists", Op::Exists},       {"lessThan", Op::LessThan},   {"atMost", Op::AtMost},
        {"greaterThan", Op::GreaterThan}, {"atLeast", Op::AtLeast}, {"contains", Op::Contains}};
    if (!op.empty()) {
      e.check.op = kOps.at(op);
      const json& v = r.node()[op];
      e.check.operand = model::JsonBox(v);
      if (op == "exists") {
        if (!v.is_boolean()) r.error(op, "wrong-type", "`exists` is true or false");
        else if (!v.get<bool>()) e.check.op = Op::Absent;
      } else if (op == "matches") {
        if (!v.is_string()) {
          r.error(op, "wrong-type", "`matches` is a regular expression string");
        } else {
          try {
            std::regex re(v.get<std::string>(), std::regex::ECMAScript);
          } catch (const std::regex_error& ex) {
            r.error(op, "invalid-regex", fmt::format("invalid regular expression: {}", ex.what()));
          }
        }
      } else if (op == "lessThan" || op == "atMost" || op == "greaterThan" || op == "atLeast") {
        if (!v.is_number()) r.error(op, "wrong-type", fmt::format("`{}` needs a number", op));
      }
    }
    std::string when;
    for (auto w : {"at", "eventually", "always", "never"})
      if (r.has(w)) {
        if (!when.empty())
          r.error(w, "conflicting-fields", fmt::format("`{}` and `{}` cannot be used together", when, w));
        when = w;
      }
    if (when.empty()) {
      e.when = Expectation::When::Final;
      e.from = e.to = SimTime{horizon};
    } else if (when == "at") {
      e.when = Expectation::When::At;
      if (auto t = read_time(r, "at")) e.from = e.to = *t;
    } else {
      e.when = when == "eventually" ? Expectation::When::Eventually
               : when == "always"   ? Expectation::When::Always
                                    : Expectation::When::Never;
      read_window(r, when, e, horizon);
    }
  } else if (kind == "event") {
    r.check_keys({"name", "event", "count", "occurs", "window"});
    e.kind = Expectation::Kind::Event;
    if (auto m = read_matcher(r.child("event"))) e.event = std::move(*m);
    e.min_count = 1;
    if (auto occurs = r.boolean("occurs")) {
      if (!*occurs) {
        e.min_count = std::nullopt;
        e.max_count = 0;
      }
    }
    if (r.has("count")) {
      SpecReader c = r.child("count");
      if (c.node().is_number_integer()) {
        e.min_count = e.max_count = c.node().get<std::int64_t>();
      } else {
        c.check_keys({"min", "max"});
        e.min_count = c.integer("min");
        e.max_count = c.integer("max");
      }
    }
    e.from = SimTime{};
    e.to = SimTime{horizon};
    if (r.has("window")) read_window(r, "window", e, horizon);
  } else if (kind == "exposure") {
    r.check_keys({"name", "exposure", "window"});
    e.kind = Expectation::Kind::Exposure;
    SpecReader x = r.child("exposure");
    if (!x.is_object()) {
      r.error("exposure", "wrong-type",
              "`exposure` is {rollout: Rollout/NS/NAME, maxWeight: PERCENT, maxTrafficMinutes: N}");
    } else {
      x.check_keys({"rollout", "maxWeight", "maxTrafficMinutes"});
      if (x.required("rollout"))
        if (auto ref = read_object_ref(x, "rollout")) {
          e.exposure.rollout = *ref;
          if (ref->kind != "Rollout")
            x.error("rollout", "wrong-kind", fmt::format("`rollout` names a Rollout, not a {}", ref->kind));
        }
      for (const char* k : {"maxWeight", "maxTrafficMinutes"}) {
        if (!x.has(k)) continue;
        const json& v = x.node()[k];
        if (!v.is_number() || v.get<double>() < 0) {
          x.error(k, "wrong-type", fmt::format("`{}` is a number, at least 0", k));
          continue;
        }
        (std::string_view(k) == "maxWeight" ? e.exposure.max_weight : e.exposure.max_traffic_minutes) =
            v.get<double>();
      }
      if (!x.has("maxWeight") && !x.has("maxTrafficMinutes"))
        r.error("exposure", "missing-field", "`exposure` needs `maxWeight`, `maxTrafficMinutes` or both");
    }
    e.from = SimTime{};
    e.to = SimTime{horizon};
    if (r.has("window")) read_window(r, "window", e, horizon);
  } else {
    r.check_keys({"name", "order", "window"});
    e.kind = Expectation::Kind::Order;
    SpecReader o = r.child("order");
    if (!o.node().is_array() || o.size() < 2) {
      r.error("order", "wrong-type", "`order` is a list of at least two event matchers");
    } else {
      for (size_t i = 0; i < o.size(); ++i)
        if (auto m = read_matcher(o.item(i))) e.order.push_back(std::move(*m));
    }
    e.from = SimTime{};
    e.to = SimTime{horizon};
    if (r.has("window")) read_window(r, "window", e, horizon);
  }
  if (e.to > SimTime{horizon} || e.from > SimTime{horizon})
    r.error_here("beyond-horizon", fmt::format("expectation looks past the horizon `until: {}`",
                                               format_short(horizon)));
  out.push_back(std::move(e));
}

std::string resolve_path(const Ctx& ctx, const std::string& p) {
  fs::path path(p);
  if (path.is_absolute()) return path.lexically_normal().string();
  return (ctx.base_dir / path).lexically_normal().string();
}

void read_spec(const Ctx& ctx, const SpecReader& s, Scenario& sc) {
  s.check_keys({"seed", "until", "maxEvents", "repo", "bootstrap", "cluster", "controllers",
                "workloads", "events", "expect"});
  if (auto seed = s.integer("seed")) {
    if (*seed < 0) s.error("seed", "invalid-seed", "`seed` must not be negative");
    sc.seed = static_cast<std::uint64_t>(*seed);
  }
  if (auto until = s.duration("until")) sc.horizon = *until;
  if (sc.horizon <= SimDuration{0}) s.error("until", "invalid-duration", "`until` must be positive");
  if (auto me = s.integer("maxEvents")) {
    if (*me <= 0) s.error("maxEvents", "invalid-limit", "`maxEvents` must be positive");
    else sc.max_events = static_cast<std::uint64_t>(*me);
  }
  if (s.has("repo")) {
    SpecReader r = s.child("repo");
    r.check_keys({"fixture", "git", "branch"});
    RepoSpec repo;
    repo.pos = r.pos();
    std::string which = r.exactly_one({"fixture", "git"});
    if (which == "fixture") {
      repo.fixture = resolve_path(ctx, r.string("fixture").value_or(""));
      if (!fs::is_directory(repo.fixture))
        r.error("fixture", "not-found", fmt::format("fixture directory \"{}\" does not exist", repo.fixture));
    } else if (which == "git") {
      repo.git = resolve_path(ctx, r.string("git").value_or(""));
      if (!fs::exists(repo.git))
        r.error("git", "not-found", fmt::format("git repository \"{}\" does not exist", repo.git));
    }
    if (auto b = r.string("branch")) repo.branch = *b;
    sc.repo = repo;
  }
  if (s.has("bootstrap")) {
    SpecReader b = s.child("bootstrap");
    if (!b.node().is_array()) s.error("bootstrap", "wrong-type", "`bootstrap` is a list");
    for (size_t i = 0; i < b.size(); ++i) {
      SpecReader step = b.item(i);
      step.check_keys({"apply", "flux", "ref", "recursive"});
      BootstrapStep bs;
      bs.pos = step.pos();
      std::string which = step.exactly_one({"apply", "flux"});
      if (which.empty()) continue;
      bs.kind = which == "apply" ? BootstrapStep::Kind::Apply : BootstrapStep::Kind::Flux;
      bs.path = step.string(which).value_or("");
      if (auto ref = step.string("ref")) bs.ref = *ref;
      bs.recursive = step.boolean("recursive").value_or(bs.kind == BootstrapStep::Kind::Flux);
      if (!sc.repo) step.error(which, "missing-repo", "bootstrap reads from `repo`, which is not set");
      sc.bootstrap.push_back(std::move(bs));
    }
  }
  if (s.has("cluster")) {
    SpecReader c = s.child("cluster");
    c.check_keys({"namespaces", "objects", "files"});
    if (auto ns = c.strings("namespaces")) sc.namespaces = *ns;
    if (c.has("objects")) {
      SpecReader objs = c.child("objects");
      if (!objs.node().is_array()) c.error("objects", "wrong-type", "`objects` is a list of manifests");
      for (size_t i = 0; i < objs.size(); ++i) {
        SpecReader o = objs.item(i);
        model::YamlDocument doc;
        doc.value = model::JsonBox(o.node());
        doc.start = o.pos();
        auto positions = std::make_shared<model::SourceMap>(ctx.file);
        positions->add("", doc.start.line, doc.start.col);
        positions->seal();
        doc.positions = positions;
        model::document_to_objects(std::move(doc), sc.cluster_objects, *ctx.diags);
      }
    }
    if (auto files = c.strings("files")) {
      for (const auto& f : *files) {
        std::string path = resolve_path(ctx, f);
        if (!fs::exists(path)) {
          c.error("files", "not-found", fmt::format("\"{}\" does not exist", path));
          continue;
        }
        for (auto& o : model::load_manifests(path, *ctx.diags)) sc.cluster_objects.push_back(std::move(o));
      }
    }
  }
  if (s.has("controllers")) {
    SpecReader c = s.child("controllers");
    sc.controllers_listed = true;
    if (!c.is_object()) {
      s.error("controllers", "wrong-type", "`controllers` maps controller names to settings");
    } else {
      for (auto it = c.node().begin(); it != c.node().end(); ++it) {
        const json& v = it.value();
        if (!v.is_null() && !v.is_object() && !v.is_boolean()) {
          c.error(it.key(), "wrong-type", "controller settings are a mapping (or `{}`/true)");
          continue;
        }
        if (v.is_boolean() && !v.get<bool>()) continue;  // `argocd: false` disables
        sc.controllers[it.key()] = model::JsonBox(v.is_object() ? v : json::object());
        sc.controller_pos[it.key()] = c.pos_of(it.key());
      }
    }
  }
  if (s.has("workloads")) {
    SpecReader w = s.child("workloads");
    if (!w.node().is_array()) s.error("workloads", "wrong-type", "`workloads` is a list");
    for (size_t i = 0; i < w.size(); ++i) {
      SpecReader p = w.item(i);
      p.check_keys({"image", "readyAfter", "neverReady", "crashLoop", "runFor", "fails"});
      WorkloadProfileSpec prof;
      prof.pos = p.pos();
      if (!p.required("image")) continue;
      prof.image = p.string("image").value_or("");
      prof.ready_after = p.duration("readyAfter");
      prof.never_ready = p.boolean("neverReady").value_or(false);
      prof.crash_loop = p.boolean("crashLoop").value_or(false);
      prof.run_for = p.duration("runFor");
      prof.fails = p.boolean("fails").value_or(false);
      int modes = (prof.ready_after ? 1 : 0) + prof.never_ready + prof.crash_loop;
      if (modes > 1)
        p.error_here("conflicting-fields", "use one of `readyAfter`, `neverReady`, `crashLoop`");
      sc.workloads.push_back(std::move(prof));
    }
  }
  if (s.has("events")) {
    SpecReader ev = s.child("events");
    if (!ev.node().is_array()) s.error("events", "wrong-type", "`events` is a list");
    SimTime previous{};
    for (size_t i = 0; i < ev.size(); ++i) {
      size_t before = sc.events.size();
      read_event(ctx, ev.item(i), previous, sc.horizon, sc.events);
      if (sc.events.size() > before) previous = sc.events[before].at;
    }
    std::stable_sort(sc.events.begin(), sc.events.end(),
                     [](const ScenarioEvent& a, const ScenarioEvent& b) { return a.at < b.at; });
    std::set<std::string> ids;
    for (const auto& e : sc.events)
      if (!e.id.empty() && !ids.insert(e.id).second)
        ctx.diags->error(e.pos, "duplicate-id", fmt::format("event id `{}` is used twice", e.id));
  }
  if (s.has("expect")) {
    SpecReader ex = s.child("expect");
    if (!ex.node().is_array()) s.error("expect", "wrong-type", "`expect` is a list");
    for (size_t i = 0; i < ex.size(); ++i) read_expectation(ex.item(i), sc.horizon, sc.expectations);
  }
}

}  // namespace

std::vector<Scenario> load_scenarios_text(const std::string& text, const std::string& file,
                                          model::Diagnostics& diags,
                                          const CommandVocabulary& vocab) {
  std::vector<Scenario> out;
  auto docs = model::parse_yaml(text, file, diags);
  for (auto& doc : docs) {
    SpecReader root(*doc.value, "", *doc.positions, diags);
    if (!root.is_object()) {
      diags.error(doc.start, "not-a-scenario", "a scenario document must be a mapping");
      continue;
    }
    auto api = root.string("apiVersion");
    auto kind = root.string("kind");
    if (kind && *kind != "Scenario") continue;  // other documents may share the file
    if (!kind) {
      diags.error(doc.start, "missing-field", "document has no `kind: Scenario`");
      continue;
    }
    if (!api || *api != kApiVersion) {
      root.error(api ? "apiVersion" : "kind", "unsupported-version",
                 fmt::format("apiVersion must be {}", kApiVersion));
      continue;
    }
    root.check_keys({"apiVersion", "kind", "metadata", "spec"});
    Scenario sc;
    sc.file = file;
    sc.pos = doc.start;
    SpecReader md = root.child("metadata");
    md.check_keys({"name", "description", "labels"});
    if (root.required("metadata") && md.required("name")) sc.name = md.string("name").value_or("");
    sc.description = md.string("description").value_or("");
    Ctx ctx{file, fs::path(file).parent_path(), doc.positions.get(), &diags, &vocab};
    if (root.required("spec")) read_spec(ctx, root.child("spec"), sc);
    out.push_back(std::move(sc));
  }
  // Names are unique per file (the runner checks across files).
  for (size_t i = 0; i < out.size(); ++i)
    for (size_t j = 0; j < i; ++j)
      if (!out[i].name.empty() && out[i].name == out[j].name)
        diags.error(out[i].pos, "duplicate-scenario",
                    fmt::format("scenario `{}` is defined twice in this file", out[i].name));
  return out;
}

std::vector<Scenario> load_scenarios(const std::string& file, model::Diagnostics& diags,
                                     const CommandVocabulary& vocab) {
  std::string text;
  if (!model::read_text_file(file, text, diags)) return {};
  return load_scenarios_text(text, file, diags, vocab);
}

std::vector<std::string> find_scenario_files(const std::vector<std::string>& paths,
                                             model::Diagnostics& diags) {
  std::vector<std::string> out;
  for (const auto& p : paths) {
    std::error_code ec;
    if (fs::is_directory(p, ec)) {
      std::vector<std::string> found;
      for (fs::recursive_directory_iterator it(p, ec), end; !ec && it != end; it.increment(ec)) {
        auto name = it->path().filename().string();
        if (!name.empty() && name[0] == '.') {
          if (it->is_directory()) it.disable_recursion_pending();
          continue;
        }
        auto ext = it->path().extension().string();
        if (it->is_regular_file() && (ext == ".yaml" || ext == ".yml")) {
          // Only files that declare scenarios: cheap textual check before parsing.
          std::string text;
          model::Diagnostics ignore;
          if (model::read_text_file(it->path().string(), text, ignore) &&
              text.find("kind: Scenario") != std::string::npos)
            found.push_back(it->path().string());
        }
      }
      std::sort(found.begin(), found.end());
      out.insert(out.end(), found.begin(), found.end());
    } else if (fs::exists(p, ec)) {
      out.push_back(p);
    } else {
      diags.error({p, 0, 0}, "not-found", "no such file or directory");
    }
  }
  return out;
}

}  // namespace rehearse::sim
