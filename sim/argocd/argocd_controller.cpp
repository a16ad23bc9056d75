#include "sim/argocd/argocd_controller.hpp"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <memory>
#include <set>
#include <sstream>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "engine/argocd/app_controller.hpp"
#include "engine/argocd/source.hpp"
#include "engine/argocd/tracking.hpp"
#include "engine/health/health.hpp"
#include "engine/kustomize/file_source.hpp"
#include "engine/kustomize/kustomize.hpp"
#include "sim/argocd/appset_controller.hpp"
#include "sim/cluster/cluster.hpp"
#include "sim/kernel/controller_host.hpp"
#include "sim/world/controller.hpp"
#include "sim/world/world.hpp"

namespace rehearse::sim {

using nlohmann::json;
namespace fs = std::filesystem;

namespace {

constexpr const char* kAppGroup = "argoproj.io";
constexpr const char* kAppKind = "Application";
constexpr const char* kActor = "argocd-application-controller";

struct ArgoSettings {
  argocd::ControllerSettings controller;
  AppSetControllerSettings appset;
};

std::string app_key_str(const model::ObjectKey& k) { return k.ns + "/" + k.name; }
model::ObjectKey app_key(const std::string& s) {
  size_t p = s.find('/');
  return {kAppGroup, kAppKind, s.substr(0, p), s.substr(p + 1)};
}


std::string normalize_dir(std::string p) {
  while (p.rfind("./", 0) == 0) p = p.substr(2);
  while (!p.empty() && p.back() == '/') p.pop_back();
  if (p == ".") p.clear();
  return p;
}

class ArgoCdController : public SimController {
 public:
  explicit ArgoCdController(ArgoSettings s) : settings_(std::move(s)), ctrl_(settings_.controller) {}
  std::string_view name() const override { return "argocd"; }

  void start(World& world) override {
    world_ = &world;
    jitter_ = std::make_unique<Rng>(world.rng("argocd/refresh-jitter"));
    refresh_rec_ = std::make_unique<FnReconciler>("argocd-app-refresh", [this](const std::string& k, SimTime) { return do_refresh(k); });
    op_rec_ = std::make_unique<FnReconciler>("argocd-app-operation", [this](const std::string& k, SimTime) { return do_operation(k); });
    refresh_host_ = std::make_unique<ControllerHost>(world.queue(), *refresh_rec_);
    op_host_ = std::make_unique<ControllerHost>(world.queue(), *op_rec_);
    auto& api = world.cluster().api();
    api.watch(kAppGroup, kAppKind, [this](cluster::WatchType type, const model::Object& obj, std::string_view) {
      on_app_event(type, obj);
    });
    api.watch("", "", [this](cluster::WatchType type, const model::Object& obj, std::string_view actor) {
      on_object_event(type, obj, actor);
    });
    // Objects that exist already (scenario `cluster.objects`).
    // The API server lists one kind at a time, so look up the scenario's initial objects.
    for (const auto& initial : world.scenario().cluster_objects) {
      model::ObjectKey k = initial.key();
      if (k.ns.empty() && api.kinds().is_namespaced(k.group, k.kind)) k.ns = "default";
      const model::Object* o = api.find(k);
      if (!o) continue;
      if (k.group == kAppGroup && k.kind == kAppKind) {
        on_app_event(cluster::WatchType::Added, *o);
        continue;
      }
      std::string app = argocd::owning_app(*o, settings_.controller.tracking);
      if (!app.empty()) tracked_[app].insert(o->key());
    }
    if (settings_.appset.enabled) {
      appset_ = std::make_unique<AppSetController>(settings_.appset);
      appset_->start(world);
    }
  }

  Result<void> command(World& world, std::string_view, const std::vector<std::string>& argv) override {
    std::vector<std::string> args;
    std::map<std::string, std::string> flags;
    std::vector<std::string> resources;
    std::string app_ns = "argocd";
    static const std::set<std::string> kBool = {"--prune", "--dry-run", "--self-heal", "--auto-prune", "--allow-empty", "--hard"};
    static const std::set<std::string> kValued = {"--revision", "--resource", "--retry-limit", "--sync-policy", "-N", "--app-namespace"};
    for (size_t i = 0; i < argv.size(); ++i) {
      std::string a = argv[i];
      if (a.size() > 1 && a[0] == '-') {
        std::string name = a, value;
        bool has_value = false;
        if (auto eq = a.find('='); eq != std::string::npos) {
          name = a.substr(0, eq);
          value = a.substr(eq + 1);
          has_value = true;
        }
        if (kBool.count(name)) {
          flags[name] = has_value ? value : "true";
        } else if (kValued.count(name)) {
          if (!has_value) {
            if (i + 1 >= argv.size()) return fail("argocd-usage", fmt::format("flag {} needs a value", name));
            value = argv[++i];
          }
          if (name == "--resource") resources.push_back(value);
          else if (name == "-N" || name == "--app-namespace") app_ns = value;
          else flags[name] = value;
        } else {
          return fail("argocd-usage", fmt::format("unknown flag {}", name));
        }
      } else {
        args.push_back(a);
      }
    }
    if (args.size() < 3 || args[0] != "app")
      return fail("argocd-usage", "usage: argocd app sync|rollback|set|terminate-op|refresh NAME ...");
    const std::string& verb = args[1];
    model::ObjectKey key{kAppGroup, kAppKind, app_ns, args[2]};
    if (!world.cluster().api().find(key))
      return fail("argocd-not-found", fmt::format("rpc error: code = NotFound desc = applications.argoproj.io \"{}\" not found", key.name));
    auto flag_true = [&](const std::string& f) { return flags.count(f) && flags[f] != "false"; };
    argocd::AppEnv env = make_env();
    if (verb == "sync") {
      if (args.size() != 3) return fail("argocd-usage", "usage: argocd app sync NAME [--prune] [--revision REV] [--resource G:K:N]");
      argocd::SyncRequest req;
      req.prune = flag_true("--prune");
      req.dry_run = flag_true("--dry-run");
      req.initiated_by = "admin";
      if (flags.count("--revision")) req.revision = flags["--revision"];
      if (flags.count("--retry-limit")) {
        try {
          req.retry.limit = std::stoll(flags["--retry-limit"]);
        } catch (...) {
          return fail("argocd-usage", "--retry-limit needs an integer");
        }
      }
      if (!resources.empty()) {
        req.resources.emplace();
        for (const auto& r : resources) {
          // GROUP:KIND:NAME or GROUP:KIND:NAMESPACE/NAME
          size_t a = r.find(':'), b = a == std::string::npos ? a : r.find(':', a + 1);
          if (b == std::string::npos) return fail("argocd-usage", fmt::format("--resource {}: expected GROUP:KIND:NAME", r));
          model::ObjectKey k{r.substr(0, a), r.substr(a + 1, b - a - 1), "", r.substr(b + 1)};
          if (auto s = k.name.find('/'); s != std::string::npos) {
            k.ns = k.name.substr(0, s);
            k.name = k.name.substr(s + 1);
          }
          req.resources->push_back(k);
        }
      }
      auto r = ctrl_.sync(key, std::move(req), env);
      if (!r) return r;
      op_host_->enqueue(app_key_str(key));
      return {};
    }
    if (verb == "rollback") {
      std::optional<std::int64_t> id;
      if (args.size() > 4) return fail("argocd-usage", "usage: argocd app rollback NAME [ID] [--prune]");
      if (args.size() == 4) {
        try {
          id = std::stoll(args[3]);
        } catch (...) {
          return fail("argocd-usage", fmt::format("rollback ID `{}` is not a number", args[3]));
        }
      }
      auto r = ctrl_.rollback(key, id, flag_true("--prune"), env);
      if (!r) return r;
      op_host_->enqueue(app_key_str(key));
      return {};
    }
    if (verb == "terminate-op") {
      auto r = ctrl_.terminate(key, env);
      if (!r) return r;
      op_host_->enqueue(app_key_str(key));
      return {};
    }
    if (verb == "refresh") {
      world.record("argocd.refresh.requested", key.str(), {{"hard", flag_true("--hard")}});
      refresh_host_->enqueue(app_key_str(key));
      return {};
    }
    if (verb == "set") {
      json automated_patch;
      bool touched = false;
      if (flags.count("--sync-policy")) {
        const std::string& p = flags["--sync-policy"];
        if (p == "none") {
          automated_patch = nullptr;
        } else if (p == "automated" || p == "automatic" || p == "auto") {
          automated_patch = json::object();
          auto cur = world.cluster().api().find(key);
          const json& spec = cur->body().value("spec", json::object());
          if (spec.contains("syncPolicy") && spec["syncPolicy"].is_object() && spec["syncPolicy"].contains("automated") &&
              spec["syncPolicy"]["automated"].is_object())
            automated_patch = spec["syncPolicy"]["automated"];
          automated_patch["enabled"] = true;
        } else {
          return fail("argocd-usage", fmt::format("invalid sync policy `{}` (none, automated)", p));
        }
        touched = true;
      }
      static const std::pair<const char*, const char*> kAutomatedFlags[] = {
          {"--self-heal", "selfHeal"}, {"--auto-prune", "prune"}, {"--allow-empty", "allowEmpty"}};
      for (auto [flag, field] : kAutomatedFlags) {
        if (!flags.count(flag)) continue;
        if (automated_patch.is_null() && touched)
          return fail("argocd-usage", fmt::format("{} needs an automated sync policy", flag));
        if (!automated_patch.is_object()) {
          auto cur = world.cluster().api().find(key);
          const json& spec = cur->body().value("spec", json::object());
          if (!(spec.contains("syncPolicy") && spec["syncPolicy"].is_object() && spec["syncPolicy"].contains("automated")))
            return fail("argocd-usage", fmt::format("{} needs an automated sync policy", flag));
          automated_patch = spec["syncPolicy"]["automated"].is_object() ? spec["syncPolicy"]["automated"] : json::object();
        }
        automated_patch[field] = flag_true(flag);
        touched = true;
      }
      if (!touched) return fail("argocd-usage", "argocd app set: nothing to set (--sync-policy, --self-heal, --auto-prune, --allow-empty)");
      // A merge patch of null removes `automated` (`--sync-policy none`).
      auto r = world.client("argocd-server").patch(key, model::PatchType::Merge,
                                                   json{{"spec", {{"syncPolicy", {{"automated", automated_patch}}}}}});
      if (!r) return fail("argocd-set", r.error().message);
      world.record("argocd.app.set", key.str(), {{"automated", automated_patch}});
      return {};
    }
    return fail("argocd-usage", fmt::format("unsupported argocd command `app {}`", verb));
  }

 private:
  std::int64_t now_ms() const { return kEpochUnixSeconds * 1000 + to_ms(world_->now()); }

  argocd::AppEnv make_env() {
    argocd::AppEnv env;
    env.client = &world_->client(kActor);
    env.now_ms = now_ms();
    env.kinds = &world_->cluster().api().kinds();
    env.render = [this](const argocd::Application& app, const std::string& rev) { return render(app, rev); };
    env.live = [this](const argocd::Application& app, const std::vector<model::Object>& desired) {
      return live(app, desired);
    };
    env.resolve = [this](const argocd::Application&, const std::string& rev) -> std::optional<std::string> {
      GitRepo* git = world_->git();
      if (!git) return std::nullopt;
      auto sha = git->resolve(rev.empty() || rev == "HEAD" ? world_->scenario().repo->branch : rev);
      if (!sha) return std::nullopt;
      return *sha;
    };
    env.live_fingerprint = [this](const argocd::Application& app, const std::vector<model::Object>& desired) {
      std::string fp;
      for (const auto& k : live_keys(app, desired)) {
        const model::Object* o = world_->cluster().api().find(k);
        if (!o) continue;
        fp += o->body()["metadata"].value("resourceVersion", "");
        fp += ';';
      }
      return fp;
    };
    env.peek = [this](const model::ObjectKey& k) { return world_->cluster().api().find(k); };
    env.last_writer = [this](const model::ObjectKey& k) {
      auto it = writers_.find(k);
      return it == writers_.end() ? std::string() : it->second;
    };
    env.emit = [this](std::string_view kind, std::string_view object, const json& details) {
      world_->record(kind, object, details);
    };
    return env;
  }

  void on_app_event(cluster::WatchType type, const model::Object& obj) {
    std::string k = app_key_str(obj.key());
    if (type == cluster::WatchType::Deleted) {
      refresh_host_->forget(k);
      op_host_->forget(k);
      ctrl_.forget(obj.key());
      app_sigs_.erase(obj.key());
      deleting_.erase(obj.key());
      return;
    }
    // Spec changes (generation) and the refresh annotation trigger a refresh; our own status
    // writes do not.
    const json& md = obj.body()["metadata"];
    // A deletionTimestamp hands the app to the operation queue (finalizeApplicationDeletion).
    if (md.contains("deletionTimestamp") && !md["deletionTimestamp"].is_null() && deleting_.insert(obj.key()).second)
      op_host_->enqueue(k);
    std::string sig = std::to_string(md.value("generation", std::int64_t{0}));
    if (md.contains("annotations") && md["annotations"].contains("argocd.argoproj.io/refresh"))
      sig += "|" + md["annotations"]["argocd.argoproj.io/refresh"].dump();
    auto it = app_sigs_.find(obj.key());
    if (it != app_sigs_.end() && it->second == sig) return;
    app_sigs_[obj.key()] = sig;
    refresh_host_->enqueue(k);
  }

  // The resource cache (§7.1): a managed object's spec or health change refreshes its app at
  // once; status-only churn (pods coming up) does not, unless health changed.
  void on_object_event(cluster::WatchType type, const model::Object& obj, std::string_view actor) {
    if (obj.key().group == kAppGroup && obj.kind() == kAppKind) return;
    std::string app = argocd::owning_app(obj, settings_.controller.tracking);
    if (type == cluster::WatchType::Deleted) {
      if (!app.empty()) tracked_[app].erase(obj.key());
    } else if (!app.empty()) {
      tracked_[app].insert(obj.key());
    }
    std::set<std::string> apps;
    if (!app.empty()) apps.insert(app);
    if (auto t = targets_.find(obj.key()); t != targets_.end()) apps.insert(t->second.begin(), t->second.end());
    if (apps.empty()) return;
    // `sig`: what the app compares (status and bookkeeping metadata left out); `content`: the
    // same without metadata, so a controller's annotation bump does not hide who changed it.
    std::string sig, content;
    if (type != cluster::WatchType::Deleted) {
      json copy = obj.body();
      copy.erase("status");
      json md = copy.contains("metadata") ? copy["metadata"] : json::object();
      copy.erase("metadata");
      content = copy.dump();
      if (md.is_object()) {
        for (const char* k : {"resourceVersion", "managedFields", "generation"}) md.erase(k);
        copy["metadata"] = md;
      }
      sig = copy.dump();
    }
    auto h = type == cluster::WatchType::Deleted ? std::nullopt : health::assess(obj);
    std::string hs = h ? std::string(health::to_string(h->status)) : "-";
    Known& known = objects_[obj.key()];
    bool spec_changed = type != cluster::WatchType::Modified || known.sig != sig;
    bool health_changed = known.health != hs;
    if (type != cluster::WatchType::Deleted && (type == cluster::WatchType::Added || known.content != content))
      writers_[obj.key()] = std::string(actor);
    if (type == cluster::WatchType::Deleted) {
      objects_.erase(obj.key());
    } else {
      known = {sig, content, hs};
    }
    if (!spec_changed && !health_changed) return;
    for (const auto& a : apps) {
      for (const auto& k : app_keys_for(a)) {
        refresh_host_->enqueue(app_key_str(k));
        if (ctrl_.operation_running(k) || deleting_.count(k))
          op_host_->enqueue_after(app_key_str(k), ms(settings_.controller.operation_requeue_ms));
      }
    }
  }

  std::vector<model::ObjectKey> app_keys_for(const std::string& name) {
    std::vector<model::ObjectKey> out;
    for (const auto& [k, _] : app_sigs_)
      if (k.name == name) out.push_back(k);
    return out;
  }

  ReconcileResult do_refresh(const std::string& k) {
    model::ObjectKey key = app_key(k);
    if (!world_->cluster().api().find(key)) return ReconcileResult::done();
    argocd::AppOutcome out = ctrl_.refresh(key, make_env());
    if (out.operation_after_ms) op_host_->enqueue_after(k, ms(*out.operation_after_ms));
    std::int64_t next = settings_.controller.reconciliation_timeout_ms;
    if (settings_.controller.reconciliation_jitter_ms > 0)
      next += jitter_->between(0, settings_.controller.reconciliation_jitter_ms);
    if (out.refresh_after_ms) next = std::min(next, *out.refresh_after_ms);
    if (settings_.controller.reconciliation_timeout_ms <= 0 && !out.refresh_after_ms) return ReconcileResult::done();
    return ReconcileResult::requeue_after(ms(next));
  }

  ReconcileResult do_operation(const std::string& k) {
    model::ObjectKey key = app_key(k);
    if (!world_->cluster().api().find(key)) return ReconcileResult::done();
    // An operation goes first; then a deleting app is finalized (processAppOperationQueueItem).
    if (!ctrl_.operation_running(key) && deleting_.count(key)) {
      argocd::AppOutcome out = ctrl_.finalize_deletion(key, make_env());
      if (out.operation_after_ms) return ReconcileResult::requeue_after(ms(*out.operation_after_ms));
      return ReconcileResult::done();
    }
    argocd::AppOutcome out = ctrl_.process_operation(key, make_env());
    if (out.refresh_after_ms) refresh_host_->enqueue_after(k, ms(*out.refresh_after_ms));
    if (out.operation_after_ms) return ReconcileResult::requeue_after(ms(*out.operation_after_ms));
    return ReconcileResult::done();
  }

  // --- repository -----------------------------------------------------------------------
  const std::vector<argocd::SourceFile>* files_at(const std::string& sha, std::string& error) {
    auto it = files_.find(sha);
    if (it != files_.end()) return &it->second;
    auto dir = world_->git()->checkout(sha);
    if (!dir) {
      error = dir.error().message;
      return nullptr;
    }
    std::vector<std::string> paths;
    for (auto e = fs::recursive_directory_iterator(*dir); e != fs::recursive_directory_iterator(); ++e) {
      if (e->is_directory() && e->path().filename() == ".git") {
        e.disable_recursion_pending();
        continue;
      }
      if (e->is_regular_file()) paths.push_back(fs::relative(e->path(), *dir).generic_string());
    }
    std::sort(paths.begin(), paths.end());
    std::vector<argocd::SourceFile> files;
    for (const auto& p : paths) {
      std::ifstream in(fs::path(*dir) / p, std::ios::binary);
      std::stringstream ss;
      ss << in.rdbuf();
      files.push_back({p, ss.str()});
    }
    return &files_.emplace(sha, std::move(files)).first->second;
  }

  argocd::RenderedApp render(const argocd::Application& app, const std::string& rev) {
    argocd::RenderedApp out;
    GitRepo* git = world_->git();
    if (!git) {
      out.error = "the scenario has no repository";
      return out;
    }
    std::string ref = rev.empty() || rev == "HEAD" ? world_->scenario().repo->branch : rev;
    auto sha = git->resolve(ref);
    if (!sha) {
      out.error = fmt::format("unable to resolve '{}' to a commit SHA", rev);
      return out;
    }
    out.revision = *sha;
    std::string cache_key = *sha;
    for (const auto& s : app.spec.sources)
      cache_key += fmt::format("\n{}|{}|{}|{}|{}|{}", s.path, static_cast<int>(s.type()),
                               s.directory ? fmt::format("{}:{}:{}", s.directory->recurse, s.directory->include, s.directory->exclude) : "-",
                               s.kustomize->dump(), s.chart, s.helm->dump());
    auto it = renders_.find(cache_key);
    if (it == renders_.end()) {
      std::string err;
      const auto* files = files_at(*sha, err);
      Rendered r;
      if (!files) {
        r.error = err;
      } else {
        model::Diagnostics diags;
        argocd::Renderers renderers;
        renderers.kustomize = [](const argocd::ApplicationSource& src, const std::vector<argocd::SourceFile>& fs,
                                 model::Diagnostics& d) {
          kustomize::MemoryFileSource mem;
          for (const auto& f : fs) mem.add(f.path, f.text);
          std::string root = normalize_dir(src.path);
          auto built = kustomize::build(mem, root.empty() ? "." : root, d);
          return built ? std::move(*built) : std::vector<model::Object>{};
        };
        r.objects = argocd::render_sources(app.spec, *files, renderers, diags);
        if (diags.has_errors()) r.error = diags.format();
      }
      it = renders_.emplace(cache_key, std::move(r)).first;
    }
    if (!it->second.error.empty()) {
      out.error = it->second.error;
      return out;
    }
    out.ok = true;
    out.objects = it->second.objects;
    // Remember which keys the app's manifests name (for watch-triggered refreshes of objects
    // that are not tracked yet).
    const auto& kinds = world_->cluster().api().kinds();
    for (const auto& o : out.objects) {
      model::ObjectKey k = o.key();
      if (k.ns.empty() && kinds.is_namespaced(k.group, k.kind)) k.ns = app.spec.destination.ns;
      if (!kinds.is_namespaced(k.group, k.kind)) k.ns.clear();
      targets_[k].insert(app.name);
    }
    return out;
  }

  std::vector<model::Object> live(const argocd::Application& app, const std::vector<model::Object>& desired) {
    std::vector<model::Object> out;
    for (const auto& k : live_keys(app, desired))
      if (const model::Object* o = world_->cluster().api().find(k)) out.push_back(*o);
    return out;
  }

  std::set<model::ObjectKey> live_keys(const argocd::Application& app, const std::vector<model::Object>& desired) {
    const auto& api = world_->cluster().api();
    const auto& kinds = api.kinds();
    std::set<model::ObjectKey> keys;
    if (auto t = tracked_.find(app.name); t != tracked_.end()) keys = t->second;
    for (const auto& o : desired) {
      model::ObjectKey k = o.key();
      if (!kinds.is_namespaced(k.group, k.kind)) k.ns.clear();
      else if (k.ns.empty()) k.ns = app.spec.destination.ns;
      if (!k.name.empty()) keys.insert(k);
    }
    // The destination Namespace (CreateNamespace creates it untracked; the plan must see it).
    if (!app.spec.destination.ns.empty()) keys.insert({"", "Namespace", "", app.spec.destination.ns});
    // Hooks with generated names: any live object carrying the hook annotation and tracked
    // as the app's is already in `tracked_`.
    return keys;
  }

  struct Rendered {
    std::string error;
    std::vector<model::Object> objects;
  };

  ArgoSettings settings_;
  argocd::AppController ctrl_;
  World* world_ = nullptr;
  std::unique_ptr<Rng> jitter_;
  std::unique_ptr<FnReconciler> refresh_rec_, op_rec_;
  std::unique_ptr<ControllerHost> refresh_host_, op_host_;
  std::map<model::ObjectKey, std::string> app_sigs_;
  std::set<model::ObjectKey> deleting_;
  std::unique_ptr<AppSetController> appset_;
  std::map<std::string, std::set<model::ObjectKey>> tracked_;            // app -> live keys
  std::map<model::ObjectKey, std::set<std::string>> targets_;            // key -> apps rendering it
  struct Known {
    std::string sig, content, health;
  };
  std::map<model::ObjectKey, Known> objects_;
  std::map<model::ObjectKey, std::string> writers_;
  std::map<std::string, std::vector<argocd::SourceFile>> files_;
  std::map<std::string, Rendered> renders_;
};

std::optional<std::int64_t> duration_ms(const json& v) {
  if (v.is_number_integer()) return v.get<std::int64_t>() * 1000;
  if (v.is_string()) {
    auto d = parse_go_duration(v.get<std::string>());
    if (d) return to_ms(*d);
    // A bare integer string is seconds, as the argocd-cm values are.
    auto s = v.get<std::string>();
    if (!s.empty() && std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; }))
      return std::stoll(s) * 1000;
  }
  return std::nullopt;
}

// `applicationSet: {enabled, requeueAfter, policy, enablePolicyOverride}` (the
// argocd-applicationset-controller's flags).
bool parse_appset_settings(const json& v, const model::SourcePos& pos, model::Diagnostics& diags,
                           AppSetControllerSettings& out) {
  if (v.is_null()) return true;
  if (!v.is_object()) {
    diags.error(pos, "argocd-settings", "`applicationSet` settings are a mapping");
    return false;
  }
  bool ok = true;
  std::optional<bool> override_flag;
  for (const auto& [k, x] : v.items()) {
    if (k == "enabled" || k == "enablePolicyOverride") {
      if (!x.is_boolean()) {
        diags.error(pos, "argocd-settings", fmt::format("`applicationSet.{}` is true or false", k));
        ok = false;
      } else if (k == "enabled") {
        out.enabled = x.get<bool>();
      } else {
        override_flag = x.get<bool>();
      }
    } else if (k == "requeueAfter") {
      auto d = duration_ms(x);
      // env.ParseDurationFromEnv bounds: 1 s to 8760 h.
      if (!d || *d < 1000 || *d > std::int64_t{8760} * 3600 * 1000) {
        diags.error(pos, "argocd-settings", "`applicationSet.requeueAfter` is a duration between 1s and 8760h");
        ok = false;
      } else {
        out.requeue_after_ms = *d;
      }
    } else if (k == "policy") {
      auto p = x.is_string() ? argocd::parse_applications_sync_policy(x.get<std::string>()) : std::nullopt;
      if (!p) {
        diags.error(pos, "argocd-settings", "`applicationSet.policy` is sync, create-only, create-update or create-delete");
        ok = false;
      } else {
        out.policy = *p;
        out.policy_given = !x.get<std::string>().empty();
      }
    } else {
      diags.error(pos, "argocd-settings",
                  fmt::format("unknown applicationSet setting `{}` (enabled, requeueAfter, policy, enablePolicyOverride)", k));
      ok = false;
    }
  }
  // --enable-policy-override defaults to true exactly when --policy is empty.
  out.enable_policy_override = override_flag.value_or(!out.policy_given);
  return ok;
}

std::optional<ArgoSettings> parse_settings(const json& s, const model::SourcePos& pos, model::Diagnostics& diags) {
  ArgoSettings out;
  if (s.is_null()) return out;
  if (!s.is_object()) {
    diags.error(pos, "argocd-settings", "`argocd` settings are a mapping");
    return std::nullopt;
  }
  bool ok = true;
  auto& c = out.controller;
  const std::map<std::string, std::int64_t*> durations = {
      {"reconciliationTimeout", &c.reconciliation_timeout_ms}, {"jitter", &c.reconciliation_jitter_ms},
      {"selfHealTimeout", &c.self_heal_timeout_ms},            {"selfHealBackoff", &c.self_heal_backoff_ms},
      {"selfHealBackoffCap", &c.self_heal_backoff_cap_ms},     {"syncWaveDelay", &c.wave_delay_ms},
      {"operationRequeueDelay", &c.operation_requeue_ms},      {"operationBackstop", &c.operation_backstop_ms},
      {"syncTimeout", &c.sync_timeout_ms}};
  for (const auto& [k, v] : s.items()) {
    if (auto d = durations.find(k); d != durations.end()) {
      auto ms_value = duration_ms(v);
      if (!ms_value || *ms_value < 0) {
        diags.error(pos, "argocd-settings", fmt::format("`{}` is a non-negative duration (e.g. 120s, 3m) or a number of seconds", k));
        ok = false;
      } else {
        *d->second = *ms_value;
      }
    } else if (k == "selfHealBackoffFactor") {
      if (!v.is_number_integer() || v.get<std::int64_t>() < 1) {
        diags.error(pos, "argocd-settings", "`selfHealBackoffFactor` is a positive integer");
        ok = false;
      } else {
        c.self_heal_backoff_factor = v.get<std::int64_t>();
      }
    } else if (k == "applicationSet") {
      if (!parse_appset_settings(v, pos, diags, out.appset)) ok = false;
    } else if (k == "trackingMethod") {
      auto m = v.is_string() ? argocd::parse_tracking_method(v.get<std::string>()) : std::nullopt;
      if (!m) {
        diags.error(pos, "argocd-settings", "`trackingMethod` is annotation, label or annotation+label");
        ok = false;
      } else {
        c.tracking = *m;
      }
    } else {
      diags.error(pos, "argocd-settings",
                  fmt::format("unknown argocd setting `{}` (reconciliationTimeout, jitter, selfHealTimeout, selfHealBackoff, "
                              "selfHealBackoffFactor, selfHealBackoffCap, syncWaveDelay, operationRequeueDelay, "
                              "operationBackstop, syncTimeout, trackingMethod, applicationSet)",
                              k));
      ok = false;
    }
  }
  if (c.operation_backstop_ms <= 0) {
    diags.error(pos, "argocd-settings", "`operationBackstop` must be positive");
    ok = false;
  }
  if (!ok) return std::nullopt;
  return out;
}

}  // namespace

void register_argocd(ControllerCatalog& catalog) {
  ControllerFactory f;
  f.name = "argocd";
  f.tools = {"argocd"};
  f.verbs = {"app sync", "app rollback", "app set", "app terminate-op", "app refresh"};
  f.create = [](const json& settings, const model::SourcePos& pos, model::Diagnostics& diags) -> std::unique_ptr<SimController> {
    auto s = parse_settings(settings, pos, diags);
    if (!s) return nullptr;
    return std::make_unique<ArgoCdController>(std::move(*s));
  };
  catalog.add(std::move(f));
}

}  // namespace rehearse::sim
