#include "sim/flux/flux_controller.hpp"

#include <filesystem>
#include <memory>
#include <set>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "engine/flux/flux.hpp"
#include "engine/flux/helm_release.hpp"
#include "engine/flux/kustomization_controller.hpp"
#include "engine/flux/sourceignore.hpp"
#include "engine/kustomize/file_source.hpp"
#include "engine/model/manifest_loader.hpp"
#include "sim/cluster/cluster.hpp"
#include "sim/kernel/controller_host.hpp"
#include "sim/world/controller.hpp"
#include "sim/world/settings.hpp"
#include "sim/world/world.hpp"

namespace rehearse::sim {

using nlohmann::json;
namespace fs = std::filesystem;

namespace {

constexpr const char* kSourceGroup = "source.toolkit.fluxcd.io";
constexpr const char* kKustomizeGroup = "kustomize.toolkit.fluxcd.io";
constexpr const char* kHelmGroup = "helm.toolkit.fluxcd.io";

struct ReleaseFaults {
  std::set<std::string> fail_upgrade_to;  // chart versions whose upgrade fails
  bool fail_upgrade_any = false;
  std::set<std::string> fail_install_of;
  bool fail_install_any = false;
  bool fail_test = false;
  std::optional<SimDuration> fail_after;
};

struct FluxSettings {
  bool jitter = true;
  bool strict = true;
  struct ChartEntry {
    std::string dir;          // manifests directory ("" = a chart without objects)
    SimDuration published{};  // when the version appears in the repository index
  };
  std::map<std::string, std::map<std::string, ChartEntry>> charts;  // chart -> version -> entry
  std::map<std::string, ReleaseFaults> releases;
};

std::string key_str(const model::ObjectKey& k) { return k.ns + "/" + k.name; }

std::pair<std::string, std::string> split_key(const std::string& key) {
  size_t p = key.find('/');
  return {key.substr(0, p), key.substr(p + 1)};
}

class FluxController;

// One controller-runtime reconciler hosted on the queue.

class SimHelmBackend : public flux::HelmBackend {
 public:
  SimHelmBackend(const FluxSettings& s, model::ClusterClient& client, const EventQueue& queue)
      : settings_(s), client_(client), queue_(queue) {}
  std::optional<std::vector<flux::ChartVersion>> index(const flux::NamespacedRef& source, const std::string& chart) override {
    if (source.kind != "HelmRepository") return std::nullopt;
    if (!client_.get({kSourceGroup, "HelmRepository", source.ns, source.name})) return std::nullopt;
    std::vector<flux::ChartVersion> out;
    auto it = settings_.charts.find(chart);
    if (it != settings_.charts.end())
      for (const auto& [v, e] : it->second)
        if (queue_.now() >= SimTime{e.published}) out.push_back({v, SimTime{e.published}});
    return out;
  }
  Result<std::vector<model::Object>> render(const std::string& chart, const std::string& version, const json& values,
                                            const std::string& ns) override {
    std::vector<model::Object> out;
    auto it = settings_.charts.find(chart);
    if (it == settings_.charts.end()) return out;
    auto v = it->second.find(version);
    if (v == it->second.end() || v->second.dir.empty()) return out;
    model::Diagnostics diags;
    out = model::load_manifests(v->second.dir, diags);
    if (diags.has_errors()) return fail("helm-render", diags.format());
    return out;
  }
  Outcome action(const std::string& release, std::string_view action, const std::string& chart,
                 const std::string& version) override {
    Outcome o;
    auto it = settings_.releases.find(release);
    if (it == settings_.releases.end()) return o;
    const ReleaseFaults& f = it->second;
    o.duration = f.fail_after;
    if (action == "upgrade" && (f.fail_upgrade_any || f.fail_upgrade_to.count(version))) {
      o.fail = true;
      o.message = "context deadline exceeded";
    } else if (action == "install" && (f.fail_install_any || f.fail_install_of.count(version))) {
      o.fail = true;
      o.message = "context deadline exceeded";
    } else if (action == "test" && f.fail_test) {
      o.fail = true;
      o.message = "test hook failed";
    }
    return o;
  }

 private:
  const FluxSettings& settings_;
  model::ClusterClient& client_;
  const EventQueue& queue_;
};

class FluxController : public SimController {
 public:
  explicit FluxController(FluxSettings s) : settings_(std::move(s)) {}
  std::string_view name() const override { return "flux"; }

  void start(World& world) override {
    world_ = &world;
    jitter_rng_ = std::make_unique<Rng>(world.rng("flux/jitter"));
    disk_ = kustomize::make_disk_file_source();
    fs::path base = fs::path(world.scenario().file).parent_path();
    for (auto& [chart, versions] : settings_.charts)
      for (auto& [v, e] : versions)
        if (!e.dir.empty() && fs::path(e.dir).is_relative()) e.dir = (base / e.dir).lexically_normal().string();
    backend_ = std::make_unique<SimHelmBackend>(settings_, world.client("source-controller"), world.queue());

    source_rec_ = std::make_unique<FnReconciler>("source-controller", [this](const std::string& k, SimTime now) {
      return reconcile_source(k, now);
    });
    ks_rec_ = std::make_unique<FnReconciler>("kustomize-controller", [this](const std::string& k, SimTime now) {
      return reconcile_kustomization(k, now);
    });
    hr_rec_ = std::make_unique<FnReconciler>("helm-controller", [this](const std::string& k, SimTime now) {
      return reconcile_helm(k, now);
    });
    BackoffPolicy backoff{ms(750), minutes(15)};  // PKG runtime/controller/rate_limiter.go
    source_host_ = std::make_unique<ControllerHost>(world.queue(), *source_rec_, backoff);
    ks_host_ = std::make_unique<ControllerHost>(world.queue(), *ks_rec_, backoff);
    hr_host_ = std::make_unique<ControllerHost>(world.queue(), *hr_rec_, backoff);

    auto& api = world.cluster().api();
    watch(api, kSourceGroup, "GitRepository", *source_host_, nullptr);
    watch(api, kKustomizeGroup, "Kustomization", *ks_host_, &ks_);
    watch(api, kHelmGroup, "HelmRelease", *hr_host_, nullptr);
    // Every write reaches the kustomize-controller's change tracking: a Kustomization whose
    // objects nothing touched since its last clean pass only requeues (track_changes).
    api.watch("", "", [this](cluster::WatchType, const model::Object& obj, std::string_view) {
      ks_.object_changed(obj.key());
    });
    ks_.track_changes(true);
    // Objects that exist already (scenario `cluster.objects`).
    for (auto [group, kind, host] : {std::tuple{kSourceGroup, "GitRepository", source_host_.get()},
                                     std::tuple{kKustomizeGroup, "Kustomization", ks_host_.get()},
                                     std::tuple{kHelmGroup, "HelmRelease", hr_host_.get()}}) {
      model::ListOptions lo;
      lo.group = group;
      lo.kind = kind;
      api.visit(lo, [&](const model::Object& o) { host->enqueue(key_str(o.key())); });
    }
  }

  Result<void> command(World& world, std::string_view tool, const std::vector<std::string>& argv) override {
    std::vector<std::string> args;
    std::string ns = "flux-system";
    std::map<std::string, std::string> flags;
    bool with_source = false;
    for (size_t i = 0; i < argv.size(); ++i) {
      const std::string& a = argv[i];
      auto value = [&](const std::string& flag) -> std::optional<std::string> {
        if (a == flag && i + 1 < argv.size()) return argv[++i];
        if (a.rfind(flag + "=", 0) == 0) return a.substr(flag.size() + 1);
        return std::nullopt;
      };
      if (auto v = value("-n")) ns = *v;
      else if (auto v2 = value("--namespace")) ns = *v2;
      else if (auto p = value("--path")) flags["path"] = *p;
      else if (auto b = value("--branch")) flags["branch"] = *b;
      else if (a == "--with-source") with_source = true;
      else if (!a.empty() && a[0] == '-') return fail("flux-usage", fmt::format("unknown flag {}", a));
      else args.push_back(a);
    }
    if (args.empty()) return fail("flux-usage", "missing verb");
    model::ClusterClient& cli = world.client("flux");
    if (args[0] == "bootstrap") return bootstrap(world, flags["path"], flags.count("branch") ? flags["branch"] : "main");
    auto kind_of = [](const std::string& word) -> std::optional<model::ObjectKey> {
      if (word == "kustomization" || word == "ks") return model::ObjectKey{kKustomizeGroup, "Kustomization", "", ""};
      if (word == "helmrelease" || word == "hr") return model::ObjectKey{kHelmGroup, "HelmRelease", "", ""};
      return std::nullopt;
    };
    auto annotate = [&](model::ObjectKey k) -> Result<void> {
      json p = {{"metadata", {{"annotations", {{flux::kRequestedAtAnnotation, format_rfc3339(world.now())}}}}}};
      auto r = cli.patch(k, model::PatchType::Merge, p);
      if (!r) return fail("flux-reconcile", r.error().message);
      return {};
    };
    if (args[0] == "reconcile") {
      model::ObjectKey k;
      if (args.size() == 4 && args[1] == "source" && args[2] == "git") {
        k = {kSourceGroup, "GitRepository", ns, args[3]};
      } else if (args.size() == 3 && kind_of(args[1])) {
        k = *kind_of(args[1]);
        k.ns = ns;
        k.name = args[2];
      } else {
        return fail("flux-usage", "usage: flux reconcile source git|kustomization|helmrelease NAME [-n NS]");
      }
      if (with_source && k.kind == "Kustomization") {
        auto o = cli.get(k);
        if (o) {
          auto spec = flux::parse_kustomization(o->body());
          if (spec) {
            auto r = annotate({kSourceGroup, spec->source.kind, spec->source.ns, spec->source.name});
            if (!r) return r;
          }
        }
      }
      return annotate(k);
    }
    if (args[0] == "suspend" || args[0] == "resume") {
      if (args.size() != 3 || !kind_of(args[1]))
        return fail("flux-usage", fmt::format("usage: flux {} kustomization|helmrelease NAME [-n NS]", args[0]));
      model::ObjectKey k = *kind_of(args[1]);
      k.ns = ns;
      k.name = args[2];
      bool suspend = args[0] == "suspend";
      auto r = cli.patch(k, model::PatchType::Merge, json{{"spec", {{"suspend", suspend ? json(true) : json(nullptr)}}}});
      if (!r) return fail("flux-" + args[0], r.error().message);
      world.record(suspend ? "flux.suspended" : "flux.resumed", k.str());
      if (!suspend) return annotate(k);  // `flux resume` requests a reconcile right away
      return {};
    }
    return fail("flux-usage", fmt::format("unsupported flux command `{}`", args[0]));
  }

 private:
  void watch(cluster::ApiServer& api, const char* group, const char* kind, ControllerHost& host,
             flux::KustomizationController* ks) {
    api.watch(group, kind, [this, &host, ks](cluster::WatchType type, const model::Object& obj, std::string_view) {
      std::string key = key_str(obj.key());
      if (type == cluster::WatchType::Deleted) {
        host.forget(key);
        seen_.erase(obj.key());
        if (ks) ks->forget(obj.key());
        return;
      }
      // Generation, requestedAt annotation or deletion retrigger; status updates do not (§1).
      const json& m = obj.body()["metadata"];
      std::string requested;
      if (m.contains("annotations") && m["annotations"].contains(flux::kRequestedAtAnnotation))
        requested = m["annotations"][flux::kRequestedAtAnnotation].get<std::string>();
      std::string sig = fmt::format("{}|{}|{}", m.value("generation", std::int64_t{0}), requested,
                                    m.contains("deletionTimestamp") ? "d" : "");
      auto it = seen_.find(obj.key());
      if (type == cluster::WatchType::Added || it == seen_.end() || it->second != sig) {
        seen_[obj.key()] = sig;
        host.enqueue(key);
      }
    });
  }

  void emit(const std::vector<flux::FluxEvent>& events) {
    for (const auto& e : events) world_->record(e.kind, e.object, *e.details);
  }

  ReconcileResult to_result(const std::optional<SimDuration>& requeue) {
    return requeue ? ReconcileResult::requeue_after(*requeue) : ReconcileResult::done();
  }

  double jitter_draw() { return settings_.jitter ? jitter_rng_->unit() : 0.5; }

  // --- source-controller ---------------------------------------------------------------
  ReconcileResult reconcile_source(const std::string& k, SimTime now) {
    auto [ns, name] = split_key(k);
    model::ClusterClient& client = world_->client("source-controller");
    model::ObjectKey key{kSourceGroup, "GitRepository", ns, name};
    auto got = client.get(key);
    if (!got) return ReconcileResult::done();
    model::Object obj = std::move(*got);
    json& body = obj.body();
    auto spec = flux::parse_git_repository(body);
    std::int64_t generation = body["metadata"].value("generation", std::int64_t{1});
    json status = body.value("status", json::object());
    auto write = [&] {
      model::Object copy = obj;
      copy.body()["status"] = status;
      (void)client.update_status(std::move(copy));
    };
    if (!spec) {
      flux::set_condition(status, "Ready", "False", "InvalidSpec", spec.error().message, now, generation);
      flux::set_condition(status, "Stalled", "True", "InvalidSpec", spec.error().message, now, generation);
      write();
      return ReconcileResult::done();
    }
    if (spec->suspend) return ReconcileResult::done();
    if (body["metadata"].contains("annotations") && body["metadata"]["annotations"].contains(flux::kRequestedAtAnnotation))
      status["lastHandledReconcileAt"] = body["metadata"]["annotations"][flux::kRequestedAtAnnotation];
    GitRepo* git = world_->git();
    auto fetch_failed = [&](const std::string& msg) {
      flux::set_condition(status, "FetchFailed", "True", "GitOperationFailed", msg, now, generation);
      flux::set_condition(status, "Ready", "False", "GitOperationFailed", msg, now, generation);
      write();
      world_->record("flux.source.fetch-failed", key.str(), {{"message", msg}});
      return ReconcileResult::requeue_after(flux::jittered(spec->interval, jitter_draw(), settings_.jitter ? 5 : 0));
    };
    if (!git) return fetch_failed("the scenario has no repository");
    flux::RefChoice ref = flux::choose_ref(spec->ref);
    std::string full_ref, sha;
    bool keep_full = false;
    switch (ref.kind) {
      case flux::RefChoice::Kind::Branch: {
        auto r = git->resolve(ref.value);
        if (!r || !has_branch(*git, ref.value))
          return fetch_failed(fmt::format("failed to checkout and determine revision: unable to clone '{}': couldn't find remote ref \"refs/heads/{}\"", spec->url, ref.value));
        full_ref = "refs/heads/" + ref.value;
        sha = *r;
        break;
      }
      case flux::RefChoice::Kind::Tag: {
        auto tags = git->tags();
        if (std::find(tags.begin(), tags.end(), ref.value) == tags.end())
          return fetch_failed(fmt::format("failed to checkout and determine revision: couldn't find remote ref \"refs/tags/{}\"", ref.value));
        auto r = git->resolve(ref.value);
        if (!r) return fetch_failed(r.error().message);
        full_ref = "refs/tags/" + ref.value;
        sha = *r;
        break;
      }
      case flux::RefChoice::Kind::Semver: {
        std::vector<flux::TagCandidate> cands;
        for (const auto& t : git->tags()) {
          auto info = git->commit_info(t);
          cands.push_back({t, info ? info->time : SimTime{}});
        }
        auto tag = flux::select_semver_tag(cands, ref.value);
        if (!tag) return fetch_failed(tag.error().message);
        auto r = git->resolve(*tag);
        if (!r) return fetch_failed(r.error().message);
        full_ref = "refs/tags/" + *tag;
        sha = *r;
        break;
      }
      case flux::RefChoice::Kind::Commit: {
        auto r = git->resolve(ref.value);
        if (!r) return fetch_failed(fmt::format("failed to checkout and determine revision: {}", r.error().message));
        if (!ref.branch.empty()) full_ref = "refs/heads/" + ref.branch;
        sha = *r;
        break;
      }
      case flux::RefChoice::Kind::Name: {
        std::string n = ref.value;
        std::string shortn = n.rfind("refs/heads/", 0) == 0 ? n.substr(11) : n.rfind("refs/tags/", 0) == 0 ? n.substr(10) : n;
        auto r = git->resolve(shortn);
        if (!r) return fetch_failed(fmt::format("failed to checkout and determine revision: {}", r.error().message));
        full_ref = n;
        keep_full = true;
        sha = *r;
        break;
      }
    }
    std::string revision = flux::artifact_revision(full_ref, sha, keep_full);
    std::string old = status.contains("artifact") ? status["artifact"].value("revision", "") : "";
    flux::remove_condition(status, "FetchFailed");
    bool changed = old != revision;
    if (changed) {
      auto dir = git->checkout(sha);
      if (!dir) return fetch_failed(dir.error().message);
      status["artifact"] = {{"revision", revision},
                            {"path", fmt::format("gitrepository/{}/{}/{}.tar.gz", ns, name, sha)},
                            {"url", fmt::format("http://source-controller.flux-system.svc.cluster.local./gitrepository/{}/{}/{}.tar.gz", ns, name, sha)},
                            {"lastUpdateTime", format_rfc3339(now)}};
      checkouts_[sha] = *dir;
    }
    flux::set_condition(status, "Ready", "True", "Succeeded", fmt::format("stored artifact for revision '{}'", revision), now, generation);
    flux::set_condition(status, "ArtifactInStorage", "True", "Succeeded", fmt::format("stored artifact for revision '{}'", revision), now, generation);
    status["observedGeneration"] = generation;
    status["url"] = spec->url;
    write();
    if (changed) {
      world_->record("flux.source.fetched", key.str(), {{"revision", revision}, {"previous", old}});
      // Downstream watch: Kustomizations of this source not yet at the revision (§2).
      model::ListOptions lo;
      lo.group = kKustomizeGroup;
      lo.kind = "Kustomization";
      world_->cluster().api().visit(lo, [&](const model::Object& ks) {
        auto ks_spec = flux::parse_kustomization(ks.body());
        if (!ks_spec || ks_spec->source.kind != "GitRepository" || ks_spec->source.name != name || ks_spec->source.ns != ns)
          return;
        const json& kst = ks.body().value("status", json::object());
        if (kst.value("lastAppliedRevision", "") == revision) return;
        ks_host_->enqueue(key_str(ks.key()));
      });
    }
    return ReconcileResult::requeue_after(flux::jittered(spec->interval, jitter_draw(), settings_.jitter ? 5 : 0));
  }

  static bool has_branch(const GitRepo& git, const std::string& b) {
    auto bs = git.branches();
    return std::find(bs.begin(), bs.end(), b) != bs.end();
  }

  std::optional<flux::Artifact> artifact(const model::Object& source, const std::string& revision) {
    std::string sha = flux::revision_sha(revision);
    auto it = checkouts_.find(sha);
    if (it == checkouts_.end()) {
      if (!world_->git()) return std::nullopt;
      auto dir = world_->git()->checkout(sha);
      if (!dir) return std::nullopt;
      it = checkouts_.emplace(sha, *dir).first;
    }
    auto spec = flux::parse_git_repository(source.body());
    std::string ignore = spec && spec->ignore ? *spec->ignore : std::string("\x01none");
    std::string cache_key = sha + "\n" + ignore;
    auto f = filtered_.find(cache_key);
    if (f == filtered_.end()) {
      auto m = flux::build_source_matcher(*disk_, it->second, spec ? spec->ignore : std::nullopt);
      f = filtered_.emplace(cache_key, std::make_unique<flux::FilteredFileSource>(*disk_, it->second, std::move(m))).first;
    }
    return flux::Artifact{f->second.get(), it->second, revision};
  }

  // --- kustomize-controller ---------------------------------------------------------------
  ReconcileResult reconcile_kustomization(const std::string& k, SimTime now) {
    auto [ns, name] = split_key(k);
    flux::KustomizeEnv env;
    env.client = &world_->client("kustomize-controller");
    env.now = now;
    env.jitter_unit = jitter_draw();
    env.jitter_percent = settings_.jitter ? flux::kJitterPercent : 0;
    env.strict_substitution = settings_.strict;
    env.artifact = [this](const model::Object& s, const std::string& r) { return artifact(s, r); };
    env.find = [this](const model::ObjectKey& key) { return world_->cluster().api().find(key); };
    auto out = ks_.reconcile(flux::kustomization_key(ns, name), env);
    emit(out.events);
    return to_result(out.requeue_after);
  }

  // --- helm-controller --------------------------------------------------------------------
  ReconcileResult reconcile_helm(const std::string& k, SimTime now) {
    auto [ns, name] = split_key(k);
    flux::HelmEnv env;
    env.client = &world_->client("helm-controller");
    env.backend = backend_.get();
    env.now = now;
    env.jitter_unit = jitter_draw();
    env.jitter_percent = settings_.jitter ? flux::kJitterPercent : 0;
    auto out = hr_.reconcile(flux::helm_release_key(ns, name), env);
    emit(out.events);
    return to_result(out.requeue_after);
  }

  Result<void> bootstrap(World& world, const std::string& path, const std::string& branch) {
    if (path.empty()) return fail("flux-usage", "flux bootstrap needs --path");
    model::ClusterClient& cli = world.client("flux");
    if (!world.cluster().api().find({"", "Namespace", "", "flux-system"})) {
      auto r = cli.create(model::Object(model::JsonBox(json{{"apiVersion", "v1"}, {"kind", "Namespace"}, {"metadata", {{"name", "flux-system"}}}})));
      if (!r) return fail("flux-bootstrap", r.error().message);
    }
    std::string clean = path;
    while (clean.rfind("./", 0) == 0) clean = clean.substr(2);
    json repo = {{"apiVersion", "source.toolkit.fluxcd.io/v1"},
                 {"kind", "GitRepository"},
                 {"metadata", {{"name", "flux-system"}, {"namespace", "flux-system"}}},
                 {"spec", {{"interval", "1m0s"}, {"ref", {{"branch", branch}}}, {"url", "ssh://git@rehearse.invalid/scenario.git"}}}};
    json ks = {{"apiVersion", "kustomize.toolkit.fluxcd.io/v1"},
               {"kind", "Kustomization"},
               {"metadata", {{"name", "flux-system"}, {"namespace", "flux-system"}}},
               {"spec", {{"interval", "10m0s"}, {"path", "./" + clean}, {"prune", true},
                         {"sourceRef", {{"kind", "GitRepository"}, {"name", "flux-system"}}}}}};
    for (json* o : {&repo, &ks}) {
      auto r = cli.apply(model::Object(model::JsonBox(*o)), model::ApplyOptions{"flux", true, true});
      if (!r) return fail("flux-bootstrap", r.error().message);
    }
    world.record("flux.bootstrapped", "", {{"path", clean}, {"branch", branch}});
    return {};
  }

  FluxSettings settings_;
  World* world_ = nullptr;
  std::unique_ptr<Rng> jitter_rng_;
  std::unique_ptr<kustomize::FileSource> disk_;
  std::unique_ptr<SimHelmBackend> backend_;
  std::unique_ptr<FnReconciler> source_rec_, ks_rec_, hr_rec_;
  std::unique_ptr<ControllerHost> source_host_, ks_host_, hr_host_;
  flux::KustomizationController ks_;
  flux::HelmReleaseController hr_;
  std::map<model::ObjectKey, std::string> seen_;
  std::map<std::string, std::string> checkouts_;  // sha -> directory
  std::map<std::string, std::unique_ptr<flux::FilteredFileSource>> filtered_;
};

std::optional<FluxSettings> parse_settings(const json& s, const model::SourcePos& pos, model::Diagnostics& diags) {
  FluxSettings out;
  if (s.is_null()) return out;
  if (!s.is_object()) {
    diags.error(pos, "flux-settings", "`flux` settings are a mapping");
    return std::nullopt;
  }
  SettingsChecker check(pos, "flux-settings", diags);
  auto bad = [&](const std::string& msg) { check.bad(msg); };
  for (const auto& [k, v] : s.items()) {
    if (k == "jitter") {
      if (!v.is_boolean()) bad("`jitter` is true or false");
      else out.jitter = v.get<bool>();
    } else if (k == "strictSubstitution") {
      if (!v.is_boolean()) bad("`strictSubstitution` is true or false");
      else out.strict = v.get<bool>();
    } else if (k == "helm") {
      if (!v.is_object()) {
        bad("`helm` is {charts, releases}");
        continue;
      }
      for (const auto& [hk, hv] : v.items()) {
        if (hk == "charts") {
          for (const auto& [chart, versions] : hv.items()) {
            if (versions.is_array()) {
              for (const auto& ver : versions)
                if (ver.is_string()) out.charts[chart][ver.get<std::string>()] = {};
                else bad(fmt::format("helm.charts.{}: versions are strings", chart));
            } else if (versions.is_object()) {
              for (const auto& [ver, e] : versions.items()) {
                FluxSettings::ChartEntry entry;
                if (e.is_string()) {
                  entry.dir = e.get<std::string>();
                } else if (e.is_object()) {
                  if (e.contains("manifests") && e["manifests"].is_string()) entry.dir = e["manifests"].get<std::string>();
                  if (e.contains("publishedAt")) {
                    auto d = e["publishedAt"].is_string() ? parse_go_duration(e["publishedAt"].get<std::string>())
                                                          : Result<SimDuration>(fail("x", "not a string"));
                    if (!d) bad(fmt::format("helm.charts.{}.{}.publishedAt is a duration", chart, ver));
                    else entry.published = *d;
                  }
                } else if (!e.is_null()) {
                  bad(fmt::format("helm.charts.{}.{} is a manifests directory or {{manifests, publishedAt}}", chart, ver));
                }
                out.charts[chart][ver] = entry;
              }
            } else {
              bad(fmt::format("helm.charts.{} is a list of versions or {{version: manifests-dir}}", chart));
            }
          }
        } else if (hk == "releases") {
          for (const auto& [rel, faults] : hv.items()) {
            ReleaseFaults f;
            if (!faults.is_object()) {
              bad(fmt::format("helm.releases.{} is a mapping", rel));
              continue;
            }
            for (const auto& [fk, fv] : faults.items()) {
              auto versions = [&](std::set<std::string>& set, bool& any) {
                if (fv.is_boolean()) any = fv.get<bool>();
                else if (fv.is_string()) set.insert(fv.get<std::string>());
                else if (fv.is_array())
                  for (const auto& x : fv) set.insert(x.is_string() ? x.get<std::string>() : x.dump());
                else bad(fmt::format("helm.releases.{}.{} is a version, a list of versions or a boolean", rel, fk));
              };
              if (fk == "failUpgradeTo") versions(f.fail_upgrade_to, f.fail_upgrade_any);
              else if (fk == "failInstall") versions(f.fail_install_of, f.fail_install_any);
              else if (fk == "failTest") f.fail_test = fv.is_boolean() && fv.get<bool>();
              else if (fk == "failAfter") {
                auto d = fv.is_string() ? parse_go_duration(fv.get<std::string>()) : Result<SimDuration>(fail("x", "not a string"));
                if (!d) bad(fmt::format("helm.releases.{}.failAfter is a duration", rel));
                else f.fail_after = *d;
              } else {
                bad(fmt::format("unknown key helm.releases.{}.{} (failUpgradeTo, failInstall, failTest, failAfter)", rel, fk));
              }
            }
            out.releases[rel] = std::move(f);
          }
        } else {
          bad(fmt::format("unknown key helm.{} (charts, releases)", hk));
        }
      }
    } else {
      bad(fmt::format("unknown flux setting `{}` (jitter, strictSubstitution, helm)", k));
    }
  }
  if (!check.ok()) return std::nullopt;
  return out;
}

}  // namespace

void register_flux(ControllerCatalog& catalog) {
  ControllerFactory f;
  f.name = "flux";
  f.tools = {"flux"};
  f.verbs = {"bootstrap", "reconcile source git", "reconcile kustomization", "reconcile ks", "reconcile helmrelease",
             "reconcile hr", "suspend kustomization", "resume kustomization", "suspend helmrelease", "resume helmrelease",
             "suspend ks", "resume ks", "suspend hr", "resume hr"};
  f.create = [](const json& settings, const model::SourcePos& pos, model::Diagnostics& diags) -> std::unique_ptr<SimController> {
    auto s = parse_settings(settings, pos, diags);
    if (!s) return nullptr;
    return std::make_unique<FluxController>(std::move(*s));
  };
  catalog.add(std::move(f));
}

}  // namespace rehearse::sim
