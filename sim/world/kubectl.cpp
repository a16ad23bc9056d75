#include "sim/world/kubectl.hpp"

#include <algorithm>
#include <nlohmann/json.hpp>

#include <fmt/format.h>

#include "engine/model/kinds.hpp"
#include "engine/model/manifest_loader.hpp"

namespace rehearse::sim {

using nlohmann::json;
using model::ObjectKey;

namespace {

std::string lower(std::string_view s) {
  std::string out(s);
  for (auto& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

struct Alias {
  const char* name;
  model::Kind kind;
};

// kubectl's short names (`kubectl api-resources`) and the CRDs' declared short names.
constexpr Alias kAliases[] = {
    {"deploy", model::Kind::Deployment},  {"sts", model::Kind::StatefulSet},
    {"ds", model::Kind::DaemonSet},       {"rs", model::Kind::ReplicaSet},
    {"cm", model::Kind::ConfigMap},       {"svc", model::Kind::Service},
    {"po", model::Kind::Pod},             {"ns", model::Kind::Namespace},
    {"sa", model::Kind::ServiceAccount},  {"pvc", model::Kind::PersistentVolumeClaim},
    {"pv", model::Kind::PersistentVolume}, {"ing", model::Kind::Ingress},
    {"cj", model::Kind::CronJob},         {"hpa", model::Kind::HorizontalPodAutoscaler},
    {"pdb", model::Kind::PodDisruptionBudget}, {"crd", model::Kind::CustomResourceDefinition},
    {"ro", model::Kind::Rollout},         {"app", model::Kind::Application},
    {"apps", model::Kind::Application},   {"appproj", model::Kind::AppProject},
    {"ks", model::Kind::Kustomization},   {"hr", model::Kind::HelmRelease},
    {"vs", model::Kind::VirtualService},  {"es", model::Kind::ExternalSecret},
    {"ss", model::Kind::SecretStore},     {"css", model::Kind::ClusterSecretStore},
};

struct Args {
  std::vector<std::string> positional;
  std::map<std::string, std::string> flags;  // "--replicas" -> "3"
  std::vector<std::string> files;
  bool has(const std::string& f) const { return flags.count(f) > 0; }
  std::string get(const std::string& f, const std::string& dflt = "") const {
    auto it = flags.find(f);
    return it == flags.end() ? dflt : it->second;
  }
};

// Flags that take a value when written as separate words.
bool takes_value(const std::string& f) {
  static const char* kWithValue[] = {"-n", "--namespace", "--replicas", "-p", "--patch", "--type",
                                     "-f", "--filename", "--cascade", "-c", "--container"};
  for (auto* k : kWithValue)
    if (f == k) return true;
  return false;
}

Result<Args> parse_args(const std::vector<std::string>& argv, size_t from) {
  Args a;
  for (size_t i = from; i < argv.size(); ++i) {
    const std::string& w = argv[i];
    if (w.size() > 1 && w[0] == '-' && !(w.size() > 1 && std::isdigit(static_cast<unsigned char>(w[1])))) {
      std::string flag = w, value = "true";
      if (auto eq = w.find('='); eq != std::string::npos) {
        flag = w.substr(0, eq);
        value = w.substr(eq + 1);
      } else if (takes_value(w)) {
        if (i + 1 >= argv.size()) return fail("kubectl", fmt::format("flag needs an argument: {}", w));
        value = argv[++i];
      }
      if (flag == "--namespace") flag = "-n";
      if (flag == "--patch") flag = "-p";
      if (flag == "--filename") flag = "-f";
      if (flag == "-f")
        a.files.push_back(value);
      else
        a.flags[flag] = value;
    } else {
      a.positional.push_back(w);
    }
  }
  return a;
}

// "deployment/web" or ("deployment", "web") from the positional list starting at `i`.
Result<std::vector<ObjectKey>> targets(const Args& a, size_t i, size_t max_count,
                                       model::KindRegistry& reg) {
  std::vector<ObjectKey> out;
  std::string ns = a.get("-n", "default");
  std::vector<std::string> pos(a.positional.begin() + std::min(i, a.positional.size()),
                               a.positional.end());
  if (pos.empty()) return fail("kubectl", "error: you must specify the resource type and name");
  if (pos[0].find('/') != std::string::npos) {
    for (const auto& p : pos) {
      auto slash = p.find('/');
      if (slash == std::string::npos) break;
      auto t = resolve_resource_type(p.substr(0, slash));
      if (!t) return unexpected(t.error());
      bool namespaced = reg.is_namespaced(t->first, t->second);
      out.push_back({t->first, t->second, namespaced ? ns : "", p.substr(slash + 1)});
      if (out.size() == max_count) break;
    }
  } else {
    auto t = resolve_resource_type(pos[0]);
    if (!t) return unexpected(t.error());
    bool namespaced = reg.is_namespaced(t->first, t->second);
    for (size_t k = 1; k < pos.size() && out.size() < max_count; ++k)
      out.push_back({t->first, t->second, namespaced ? ns : "", pos[k]});
    if (out.empty()) return fail("kubectl", "error: resource name may not be empty");
  }
  return out;
}

std::string api_error(const model::ApiError& e) {
  return fmt::format("Error from server ({}): {}", e.reason, e.message);
}

std::string display(const ObjectKey& k) {
  std::string t = lower(k.kind);
  if (!k.group.empty()) t += "." + k.group;
  return fmt::format("{}/{}", t, k.name);
}

json* pod_spec(json& body, model::Kind kind) {
  if (kind == model::Kind::Pod) return &body["spec"];
  if (kind == model::Kind::CronJob) return &body["spec"]["jobTemplate"]["spec"]["template"]["spec"];
  return &body["spec"]["template"]["spec"];
}

Result<KubectlOutcome> update_each(KubectlContext& ctx, const std::vector<ObjectKey>& keys,
                                   const std::string& verb,
                                   const std::function<Result<std::string>(model::Object&)>& edit) {
  KubectlOutcome out;
  out.verb = verb;
  for (const auto& key : keys) {
    auto obj = ctx.client.get(key);
    if (!obj) return fail("kubectl", api_error(obj.error()));
    auto line = edit(*obj);
    if (!line) return unexpected(line.error());
    auto updated = ctx.client.update(std::move(*obj));
    if (!updated) return fail("kubectl", api_error(updated.error()));
    out.objects.push_back(key.str());
    out.summary += (out.summary.empty() ? "" : "\n") + fmt::format("{} {}", display(key), *line);
  }
  return out;
}

Result<std::vector<model::Object>> load_files(const KubectlContext& ctx, const Args& a) {
  std::vector<model::Object> objs;
  model::Diagnostics diags;
  model::LoadOptions lo;
  lo.recursive = a.has("-R") || a.has("--recursive");
  for (const auto& f : a.files) {
    std::string path = f;
    if (!path.empty() && path[0] != '/' && !ctx.base_dir.empty()) path = ctx.base_dir + "/" + f;
    for (auto& o : model::load_manifests(path, diags, lo)) objs.push_back(std::move(o));
  }
  if (diags.has_errors()) return fail("kubectl", "error: " + diags.format());
  if (objs.empty()) return fail("kubectl", "error: no objects passed to apply");
  return objs;
}

}  // namespace

Result<std::pair<std::string, std::string>> resolve_resource_type(std::string_view name) {
  std::string n = lower(name);
  std::string group;
  if (auto dot = n.find('.'); dot != std::string::npos) {
    group = n.substr(dot + 1);
    n = n.substr(0, dot);
  }
  for (const auto& a : kAliases)
    if (n == a.name) {
      const auto& info = model::kind_info(a.kind);
      return std::pair{std::string(info.group), std::string(info.name)};
    }
  // Kind, singular (lower-case kind) or plural, optionally qualified by group.
  static const model::Kind kAll[] = {
      model::Kind::Namespace, model::Kind::ConfigMap, model::Kind::Secret, model::Kind::Service,
      model::Kind::ServiceAccount, model::Kind::Pod, model::Kind::PersistentVolumeClaim,
      model::Kind::Deployment, model::Kind::ReplicaSet, model::Kind::StatefulSet,
      model::Kind::DaemonSet, model::Kind::Job, model::Kind::CronJob, model::Kind::Ingress,
      model::Kind::HorizontalPodAutoscaler, model::Kind::Role, model::Kind::RoleBinding,
      model::Kind::ClusterRole, model::Kind::ClusterRoleBinding,
      model::Kind::CustomResourceDefinition, model::Kind::Application,
      model::Kind::ApplicationSet, model::Kind::AppProject, model::Kind::Rollout,
      model::Kind::AnalysisTemplate, model::Kind::ClusterAnalysisTemplate,
      model::Kind::AnalysisRun, model::Kind::GitRepository, model::Kind::HelmRepository,
      model::Kind::Kustomization, model::Kind::HelmRelease, model::Kind::ImageRepository,
      model::Kind::ImagePolicy, model::Kind::ImageUpdateAutomation, model::Kind::SealedSecret,
      model::Kind::SecretStore, model::Kind::ClusterSecretStore, model::Kind::ExternalSecret,
      model::Kind::VirtualService, model::Kind::PersistentVolume, model::Kind::StorageClass,
      model::Kind::NetworkPolicy, model::Kind::PodDisruptionBudget};
  for (auto k : kAll) {
    const auto& info = model::kind_info(k);
    if (!group.empty() && group != info.group) continue;
    if (n == lower(info.name) || n == info.plural) return std::pair{std::string(info.group), std::string(info.name)};
  }
  return fail("kubectl", fmt::format("error: the server doesn't have a resource type \"{}\"", name));
}

Result<KubectlOutcome> run_kubectl(KubectlContext& ctx, const std::vector<std::string>& argv) {
  if (argv.empty()) return fail("kubectl", "error: no command");
  model::KindRegistry reg;
  const std::string& verb = argv[0];
  if (verb == "set") {
    if (argv.size() < 2 || argv[1] != "image")
      return fail("kubectl", "error: only `kubectl set image` is simulated");
    auto a = parse_args(argv, 2);
    if (!a) return unexpected(a.error());
    // Positionals: TYPE/NAME (or TYPE NAME) then CONTAINER=IMAGE pairs.
    std::vector<std::pair<std::string, std::string>> images;
    Args objs = *a;
    objs.positional.clear();
    for (const auto& p : a->positional) {
      auto eq = p.find('=');
      if (eq != std::string::npos)
        images.emplace_back(p.substr(0, eq), p.substr(eq + 1));
      else
        objs.positional.push_back(p);
    }
    if (images.empty()) return fail("kubectl", "error: at least one image update is required");
    auto keys = targets(objs, 0, 1000, reg);
    if (!keys) return unexpected(keys.error());
    return update_each(ctx, *keys, "set-image", [&](model::Object& o) -> Result<std::string> {
      json* spec = pod_spec(o.body(), o.known_kind());
      bool any = false;
      for (const auto& [container, image] : images) {
        bool found = false;
        for (const char* list : {"initContainers", "containers"}) {
          if (!spec->contains(list)) continue;
          for (auto& c : (*spec)[list])
            if (container == "*" || c.value("name", "") == container) {
              c["image"] = image;
              found = true;
            }
        }
        if (!found)
          return fail("kubectl", fmt::format("error: unable to find container named \"{}\"", container));
        any = any || found;
      }
      return std::string("image updated");
    });
  }
  if (verb == "scale") {
    auto a = parse_args(argv, 1);
    if (!a) return unexpected(a.error());
    if (!a->has("--replicas")) return fail("kubectl", "error: --replicas=COUNT is required");
    long long n = 0;
    try {
      n = std::stoll(a->get("--replicas"));
    } catch (...) {
      return fail("kubectl", "error: --replicas must be an integer");
    }
    auto keys = targets(*a, 0, 1000, reg);
    if (!keys) return unexpected(keys.error());
    return update_each(ctx, *keys, "scale", [&](model::Object& o) -> Result<std::string> {
      o.body()["spec"]["replicas"] = n;
      return std::string("scaled");
    });
  }
  if (verb == "patch") {
    auto a = parse_args(argv, 1);
    if (!a) return unexpected(a.error());
    if (!a->has("-p")) return fail("kubectl", "error: must specify -p to patch");
    json patch;
    try {
      patch = json::parse(a->get("-p"));
    } catch (const std::exception& e) {
      return fail("kubectl", fmt::format("error: unable to parse \"{}\": {}", a->get("-p"), e.what()));
    }
    std::string type = a->get("--type", "strategic");
    model::PatchType pt = type == "merge"  ? model::PatchType::Merge
                          : type == "json" ? model::PatchType::JsonPatch
                                           : model::PatchType::StrategicMerge;
    if (type != "merge" && type != "json" && type != "strategic")
      return fail("kubectl", fmt::format("error: --type must be one of [json merge strategic], not \"{}\"", type));
    auto keys = targets(*a, 0, 1000, reg);
    if (!keys) return unexpected(keys.error());
    KubectlOutcome out;
    out.verb = "patch";
    for (const auto& key : *keys) {
      auto r = ctx.client.patch(key, pt, patch);
      if (!r) return fail("kubectl", api_error(r.error()));
      out.objects.push_back(key.str());
      out.summary += fmt::format("{} patched", display(key));
    }
    return out;
  }
  if (verb == "apply" || verb == "create" || verb == "replace") {
    if (verb == "create" && argv.size() >= 3 && (argv[1] == "namespace" || argv[1] == "ns")) {
      model::Object ns(model::JsonBox(json{{"apiVersion", "v1"}, {"kind", "Namespace"}, {"metadata", {{"name", argv[2]}}}}));
      auto r = ctx.client.create(std::move(ns));
      if (!r) return fail("kubectl", api_error(r.error()));
      return KubectlOutcome{"create", {r->key().str()}, nullptr, fmt::format("namespace/{} created", argv[2])};
    }
    auto a = parse_args(argv, 1);
    if (!a) return unexpected(a.error());
    if (a->files.empty()) return fail("kubectl", fmt::format("error: must specify -f for {}", verb));
    auto objs = load_files(ctx, *a);
    if (!objs) return unexpected(objs.error());
    KubectlOutcome out;
    out.verb = verb;
    for (auto& o : *objs) {
      if (o.ns().empty() && reg.is_namespaced(o.key().group, o.kind())) {
        o.body()["metadata"]["namespace"] = a->get("-n", "default");
        o.refresh_identity();
      }
      ObjectKey key = o.key();
      Result<model::Object, model::ApiError> r =
          verb == "create" ? ctx.client.create(std::move(o))
          : verb == "replace" ? ctx.client.update(std::move(o))
                              : ctx.client.apply(std::move(o), model::ApplyOptions{});
      if (!r) return fail("kubectl", api_error(r.error()));
      out.objects.push_back(key.str());
      out.summary += (out.summary.empty() ? "" : "\n") + fmt::format("{} {}", display(key), verb == "apply" ? "configured" : verb + "d");
    }
    return out;
  }
  if (verb == "delete") {
    auto a = parse_args(argv, 1);
    if (!a) return unexpected(a.error());
    std::string cascade = a->get("--cascade", "background");
    model::DeleteOptions opts;
    if (cascade == "foreground") opts.propagation = model::Propagation::Foreground;
    else if (cascade == "orphan" || cascade == "false") opts.propagation = model::Propagation::Orphan;
    else if (cascade != "background" && cascade != "true")
      return fail("kubectl", "error: --cascade must be background, foreground or orphan");
    std::vector<ObjectKey> keys;
    if (!a->files.empty()) {
      auto objs = load_files(ctx, *a);
      if (!objs) return unexpected(objs.error());
      for (const auto& o : *objs) {
        ObjectKey k = o.key();
        if (k.ns.empty() && reg.is_namespaced(k.group, k.kind)) k.ns = a->get("-n", "default");
        keys.push_back(k);
      }
    } else {
      auto t = targets(*a, 0, 1000, reg);
      if (!t) return unexpected(t.error());
      keys = *t;
    }
    KubectlOutcome out;
    out.verb = "delete";
    for (const auto& k : keys) {
      auto r = ctx.client.remove(k, opts);
      if (!r) return fail("kubectl", api_error(r.error()));
      out.objects.push_back(k.str());
      out.summary += (out.summary.empty() ? "" : "\n") + fmt::format("{} deleted", display(k));
    }
    return out;
  }
  if (verb == "label" || verb == "annotate") {
    auto a = parse_args(argv, 1);
    if (!a) return unexpected(a.error());
    std::vector<std::string> changes;
    Args objs = *a;
    objs.positional.clear();
    for (const auto& p : a->positional) {
      if (p.find('=') != std::string::npos || (!p.empty() && p.back() == '-' && p.find('/') == std::string::npos))
        changes.push_back(p);
      else
        objs.positional.push_back(p);
    }
    if (changes.empty()) return fail("kubectl", fmt::format("error: at least one {} update is required", verb == "label" ? "label" : "annotation"));
    auto keys = targets(objs, 0, 1000, reg);
    if (!keys) return unexpected(keys.error());
    bool overwrite = a->has("--overwrite");
    const char* field = verb == "label" ? "labels" : "annotations";
    return update_each(ctx, *keys, verb, [&](model::Object& o) -> Result<std::string> {
      json& map = o.body()["metadata"][field];
      if (!map.is_object()) map = json::object();
      for (const auto& c : changes) {
        if (c.back() == '-' && c.find('=') == std::string::npos) {
          map.erase(c.substr(0, c.size() - 1));
          continue;
        }
        auto eq = c.find('=');
        std::string k = c.substr(0, eq), v = c.substr(eq + 1);
        if (map.contains(k) && map[k] != v && !overwrite)
          return fail("kubectl", fmt::format("error: '{}' already has a value ({}), and --overwrite is false", k, map[k].get<std::string>()));
        map[k] = v;
      }
      return std::string(verb == "label" ? "labeled" : "annotated");
    });
  }
  if (verb == "rollout") {
    if (argv.size() < 2 || argv[1] != "restart")
      return fail("kubectl", "error: only `kubectl rollout restart` is simulated");
    auto a = parse_args(argv, 2);
    if (!a) return unexpected(a.error());
    auto keys = targets(*a, 0, 1000, reg);
    if (!keys) return unexpected(keys.error());
    std::string stamp = format_rfc3339(ctx.now);
    return update_each(ctx, *keys, "rollout-restart", [&](model::Object& o) -> Result<std::string> {
      o.body()["spec"]["template"]["metadata"]["annotations"]["kubectl.kubernetes.io/restartedAt"] = stamp;
      return std::string("restarted");
    });
  }
  return fail("kubectl", fmt::format("error: `kubectl {}` is not simulated (supported: set image, scale, patch, apply, create, replace, delete, label, annotate, rollout restart)", verb));
}

}  // namespace rehearse::sim
