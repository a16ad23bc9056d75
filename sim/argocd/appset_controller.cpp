#include "sim/argocd/appset_controller.hpp"

#include <algorithm>
#include <filesystem>
#include <map>
#include <set>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "sim/cluster/cluster.hpp"
#include "sim/kernel/controller_host.hpp"
#include "sim/world/world.hpp"

namespace rehearse::sim {

using nlohmann::json;
namespace fs = std::filesystem;

namespace {

constexpr const char* kGroup = "argoproj.io";
constexpr const char* kActor = "argocd-applicationset-controller";
constexpr const char* kRefreshAnnotation = "argocd.argoproj.io/application-set-refresh";
// ReconcileRequeueOnValidationError (applicationset_controller.go).
constexpr std::int64_t kRequeueOnErrorMs = 180'000;

std::string key_str(const model::ObjectKey& k) { return k.ns + "/" + k.name; }

const json& meta(const json& body) {
  static const json kEmpty = json::object();
  auto it = body.find("metadata");
  return it == body.end() || !it->is_object() ? kEmpty : *it;
}

json meta_field(const json& body, const char* k) {
  const json& md = meta(body);
  auto it = md.find(k);
  return it == md.end() ? json() : *it;
}

// Go's filepath.WalkDir order below `root`: entries of each directory sorted by name, depth
// first; hidden directories (and their subtrees) skipped as the repo server does (§13).
void walk_dirs(const fs::path& root, const std::string& rel, std::vector<std::string>& out) {
  std::vector<std::string> names;
  std::error_code ec;
  for (fs::directory_iterator it(rel.empty() ? root : root / rel, ec), end; !ec && it != end; it.increment(ec)) {
    if (!it->is_directory() || it->is_symlink()) continue;
    std::string name = it->path().filename().string();
    if (name.empty() || name[0] == '.') continue;
    names.push_back(name);
  }
  std::sort(names.begin(), names.end());
  for (const auto& n : names) {
    std::string child = rel.empty() ? n : rel + "/" + n;
    out.push_back(child);
    walk_dirs(root, child, out);
  }
}

}  // namespace

struct AppSetController::Impl : Reconciler {
  AppSetControllerSettings settings;
  World* world = nullptr;
  std::unique_ptr<ControllerHost> host;
  struct SetSig {
    std::string spec, annotations;
    bool refresh = false;
  };
  std::map<model::ObjectKey, SetSig> set_sigs;  // what re-queues a set (shouldRequeueForApplicationSet)
  std::map<model::ObjectKey, std::string> app_sigs;  // what re-queues the owner (shouldRequeueForApplication)
  std::map<std::string, std::vector<std::string>> listings;  // commit -> directories
  std::map<model::ObjectKey, std::string> last_error;

  explicit Impl(AppSetControllerSettings s) : settings(std::move(s)) {}

  std::string_view controller_name() const override { return "argocd-applicationset"; }

  cluster::ApiServer& api() { return world->cluster().api(); }

  void start(World& w) {
    world = &w;
    host = std::make_unique<ControllerHost>(w.queue(), *this);
    api().watch(kGroup, "ApplicationSet", [this](cluster::WatchType t, const model::Object& o, std::string_view) {
      on_set(t, o);
    });
    api().watch(kGroup, "Application", [this](cluster::WatchType t, const model::Object& o, std::string_view) {
      on_app(t, o);
    });
    for (const auto& initial : w.scenario().cluster_objects) {
      model::ObjectKey k = initial.key();
      if (k.group != kGroup || k.kind != "ApplicationSet") continue;
      if (k.ns.empty()) k.ns = "default";
      if (const model::Object* o = api().find(k)) on_set(cluster::WatchType::Added, *o);
    }
  }

  void on_set(cluster::WatchType type, const model::Object& obj) {
    std::string k = key_str(obj.key());
    if (type == cluster::WatchType::Deleted) {
      set_sigs.erase(obj.key());
      last_error.erase(obj.key());
      host->forget(k);
      return;
    }
    const json& body = obj.body();
    json ann = meta_field(body, "annotations");
    bool refresh = ann.is_object() && ann.contains(kRefreshAnnotation);
    std::string sig = json{{"spec", body.value("spec", json())},
                           {"labels", meta_field(body, "labels")},
                           {"finalizers", meta_field(body, "finalizers")},
                           {"deletion", meta_field(body, "deletionTimestamp")}}
                          .dump();
    // Annotation changes re-queue, except the removal of the refresh annotation.
    std::string ann_sig = ann.dump();
    auto it = set_sigs.find(obj.key());
    bool requeue = it == set_sigs.end() || it->second.spec != sig ||
                   (it->second.annotations != ann_sig && !(it->second.refresh && !refresh));
    set_sigs[obj.key()] = SetSig{sig, ann_sig, refresh};
    if (requeue) host->enqueue(k);
  }

  void on_app(cluster::WatchType type, const model::Object& obj) {
    const json& body = obj.body();
    std::string owner = argocd::owning_application_set(body);
    if (type == cluster::WatchType::Deleted) {
      app_sigs.erase(obj.key());
      if (!owner.empty()) host->enqueue(obj.ns() + "/" + owner);
      return;
    }
    std::string sig = json{{"spec", body.value("spec", json())},
                           {"annotations", meta_field(body, "annotations")},
                           {"labels", meta_field(body, "labels")},
                           {"finalizers", meta_field(body, "finalizers")}}
                          .dump();
    auto it = app_sigs.find(obj.key());
    bool changed = it != app_sigs.end() && it->second != sig;
    app_sigs[obj.key()] = sig;
    // Creates are ignored (the set made them); updates of what the set owns re-queue it.
    if (type == cluster::WatchType::Modified && changed && !owner.empty()) host->enqueue(obj.ns() + "/" + owner);
  }

  // The directories of the repository at `revision`.
  Result<const std::vector<std::string>*> listing(const std::string& revision) {
    GitRepo* git = world->git();
    if (!git) return fail("appset", "the scenario has no repository for the git generator");
    std::string ref = revision.empty() || revision == "HEAD" ? world->scenario().repo->branch : revision;
    auto sha = git->resolve(ref);
    if (!sha) return fail("appset", fmt::format("error generating params from git: unable to resolve git revision '{}'", revision));
    auto it = listings.find(*sha);
    if (it == listings.end()) {
      auto dir = git->checkout(*sha);
      if (!dir) return fail("appset", dir.error().message);
      std::vector<std::string> dirs;
      walk_dirs(fs::path(*dir), "", dirs);
      it = listings.emplace(*sha, std::move(dirs)).first;
    }
    return &it->second;
  }

  // Every generator against its own revision, concatenated in generator order.
  Result<std::vector<argocd::GeneratedApplication>> generate(const argocd::ApplicationSet& set) {
    std::vector<argocd::GeneratedApplication> out;
    std::set<std::string> names;
    for (const auto& gen : set.generators) {
      argocd::ApplicationSet one = set;
      one.generators = {gen};
      argocd::RepoListing repo;
      if (gen.git) {
        auto dirs = listing(gen.git->revision);
        if (!dirs) return unexpected(dirs.error());
        repo.directories = **dirs;
      }
      auto apps = argocd::generate_applications(one, repo);
      if (!apps) return apps;
      for (auto& a : *apps) {
        if (a.name.empty())
          return fail("appset", fmt::format("ApplicationSet {} contains an application with no name; a name must be set "
                                            "in the template's metadata.name or via a templatePatch",
                                            set.name));
        if (!names.insert(a.name).second)
          return fail("appset", fmt::format("ApplicationSet {} contains applications with duplicate name: {}", set.name, a.name));
        out.push_back(std::move(a));
      }
    }
    return out;
  }

  std::vector<model::ObjectKey> owned(const std::string& ns, const std::string& set_name) {
    std::vector<model::ObjectKey> out;
    api().visit({kGroup, "Application", ns, {}}, [&](const model::Object& o) {
      if (argocd::owning_application_set(o.body()) == set_name) out.push_back(o.key());
    });
    std::sort(out.begin(), out.end());
    return out;
  }

  void write_status(const model::ObjectKey& key, const std::string& error, bool params_generated) {
    json conds = json::array();
    conds.push_back({{"type", "ErrorOccurred"}, {"status", error.empty() ? "False" : "True"},
                     {"reason", error.empty() ? "ApplicationSetUpToDate" : "ApplicationGenerationFromParamsError"},
                     {"message", error.empty() ? "Successfully generated parameters for all Applications" : error}});
    conds.push_back({{"type", "ParametersGenerated"}, {"status", params_generated ? "True" : "False"},
                     {"reason", params_generated ? "ParametersGenerated" : "ErrorOccurred"},
                     {"message", params_generated ? "Successfully generated parameters for all Applications" : error}});
    conds.push_back({{"type", "ResourcesUpToDate"}, {"status", error.empty() ? "True" : "False"},
                     {"reason", error.empty() ? "ApplicationSetUpToDate" : "ErrorOccurred"},
                     {"message", error.empty() ? "All applications have been generated successfully" : error}});
    const model::Object* cur = api().find(key);
    if (!cur) return;
    if (cur->body().contains("status") && cur->body()["status"].value("conditions", json()) == conds) return;
    model::Object next = *cur;
    next.body()["status"]["conditions"] = conds;
    (void)world->client(kActor).update_status(std::move(next));
  }

  void report_error(const model::ObjectKey& key, const std::string& message, bool params_generated) {
    if (last_error[key] != message) {
      world->record("argocd.appset.error", key.str(), {{"error", message}});
      last_error[key] = message;
    }
    write_status(key, message, params_generated);
  }

  ReconcileResult reconcile(const std::string& k, SimTime) override {
    size_t slash = k.find('/');
    model::ObjectKey key{kGroup, "ApplicationSet", k.substr(0, slash), k.substr(slash + 1)};
    const model::Object* cur = api().find(key);
    if (!cur) return ReconcileResult::done();
    model::Object set_obj = *cur;
    const json& body = set_obj.body();
    model::ObjectKey app_base{kGroup, "Application", key.ns, ""};
    auto& client = world->client(kActor);

    model::Diagnostics diags;
    auto set = argocd::parse_application_set(set_obj, diags);
    const bool deleting = !meta_field(body, "deletionTimestamp").is_null();
    if (deleting) {
      // Being deleted: keep the Applications when the policy forbids deletes, then release.
      bool allow_delete = set && argocd::allows_delete(argocd::effective_policy(*set, settings.policy,
                                                                                 settings.enable_policy_override));
      if (!allow_delete) {
        for (const auto& ak : owned(key.ns, key.name)) {
          const model::Object* a = api().find(ak);
          if (!a) continue;
          json refs = json::array();
          for (const auto& r : meta_field(a->body(), "ownerReferences"))
            if (!(r.value("kind", "") == "ApplicationSet" && r.value("name", "") == key.name)) refs.push_back(r);
          (void)client.patch(ak, model::PatchType::Merge, json{{"metadata", {{"ownerReferences", refs}}}});
        }
      }
      json fins = meta_field(body, "finalizers");
      if (fins.is_array()) {
        json kept = json::array();
        for (const auto& f : fins)
          if (f != std::string(argocd::kResourcesFinalizer)) kept.push_back(f);
        if (kept.size() != fins.size())
          (void)client.patch(key, model::PatchType::Merge, json{{"metadata", {{"finalizers", kept}}}});
      }
      return ReconcileResult::done();
    }
    if (!set || diags.has_errors()) {
      report_error(key, diags.format(), false);
      return ReconcileResult::requeue_after(ms(kRequeueOnErrorMs));
    }
    auto generated = generate(*set);
    if (!generated) {
      report_error(key, generated.error().message, false);
      return ReconcileResult::requeue_after(ms(kRequeueOnErrorMs));
    }
    const auto policy = argocd::effective_policy(*set, settings.policy, settings.enable_policy_override);
    const std::vector<model::ObjectKey> current = owned(key.ns, key.name);
    std::set<std::string> current_names;
    for (const auto& c : current) current_names.insert(c.name);
    argocd::AppSetOwner owner{key.name, meta(body).value("uid", "")};
    std::string error;
    for (const auto& g : *generated) {
      // create-only / create-delete: only Applications the set does not have yet.
      if (!argocd::allows_update(policy) && current_names.count(g.name)) continue;
      model::ObjectKey ak = app_base;
      ak.name = g.name;
      const model::Object* found = api().find(ak);
      auto merged = argocd::merge_generated_application(found ? found->body() : json(), *g.application, owner);
      if (!merged) {
        if (error.empty()) error = merged.error().message;
        continue;
      }
      if (found && !merged->changed) continue;
      model::Object next{model::JsonBox(*merged->body)};
      auto r = found ? client.update(std::move(next)) : client.create(std::move(next));
      if (!r) {
        if (error.empty()) error = r.error().message;
        continue;
      }
      json details = {{"applicationSet", key.name}};
      if (found) details["fields"] = merged->fields;
      world->record(found ? "argocd.appset.updated" : "argocd.appset.created", ak.str(), details);
    }
    if (argocd::allows_delete(policy)) {
      std::set<std::string> wanted;
      for (const auto& g : *generated) wanted.insert(g.name);
      for (const auto& ak : current) {
        if (wanted.count(ak.name)) continue;
        const model::Object* a = api().find(ak);
        if (!a || !meta_field(a->body(), "deletionTimestamp").is_null()) continue;
        bool cascade = false;
        for (const auto& f : meta_field(a->body(), "finalizers"))
          if (f.is_string() && f.get_ref<const std::string&>().rfind(argocd::kResourcesFinalizer, 0) == 0) cascade = true;
        auto r = client.remove(ak, model::DeleteOptions{});
        if (!r) {
          if (error.empty()) error = r.error().message;
          continue;
        }
        world->record("argocd.appset.deleted", ak.str(), {{"applicationSet", key.name}, {"cascade", cascade}});
      }
    }
    if (!error.empty()) {
      report_error(key, error, true);
      return ReconcileResult::failed(error);
    }
    last_error.erase(key);
    // The refresh annotation is consumed.
    json ann = meta_field(body, "annotations");
    if (ann.is_object() && ann.contains(kRefreshAnnotation))
      (void)client.patch(key, model::PatchType::Merge, json{{"metadata", {{"annotations", {{kRefreshAnnotation, nullptr}}}}}});
    write_status(key, "", true);
    std::int64_t next = argocd::requeue_after_ms(*set, settings.requeue_after_ms);
    if (next <= 0) return ReconcileResult::done();
    return ReconcileResult::requeue_after(ms(next));
  }
};

AppSetController::AppSetController(AppSetControllerSettings settings)
    : impl_(std::make_unique<Impl>(std::move(settings))) {}
AppSetController::~AppSetController() = default;
void AppSetController::start(World& world) { impl_->start(world); }

}  // namespace rehearse::sim
