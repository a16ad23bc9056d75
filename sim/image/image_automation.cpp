#include "sim/image/image_automation.hpp"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <memory>
#include <sstream>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "engine/flux/flux.hpp"
#include "engine/image/automation.hpp"
#include "engine/image/commit_template.hpp"
#include "engine/image/image_policy.hpp"
#include "engine/image/setters.hpp"
#include "engine/model/labels.hpp"
#include "sim/cluster/cluster.hpp"
#include "sim/image/registry.hpp"
#include "sim/kernel/controller_host.hpp"
#include "sim/world/controller.hpp"
#include "sim/world/settings.hpp"
#include "sim/world/world.hpp"

namespace rehearse::sim {

using nlohmann::json;
namespace fs = std::filesystem;

namespace {

constexpr const char* kGroup = image::kImageGroup;
constexpr const char* kReflector = "image-reflector-controller";
constexpr const char* kAutomation = "image-automation-controller";
// Placeholder for an author without email: libgit2 refuses empty emails (go-git does not).
constexpr const char* kNoEmail = "noreply@rehearse.invalid";

struct RegistrySeed {
  std::string image;  // as written
  std::vector<std::string> tags;
  std::map<std::string, std::string> digests;
};

// Timed registry events from the settings (the same as `registry:` scenario events).
struct TimedPush {
  SimDuration at{};
  std::vector<std::string> images;  // IMAGE:TAG[@DIGEST]
};
struct Outage {
  SimDuration from{}, to{};
  std::string image;  // "" = every repository
};

struct Settings {
  std::vector<RegistrySeed> registry;
  std::vector<TimedPush> pushes;
  std::vector<Outage> outages;
};

std::string key_of(const model::Object& o) { return o.ns() + "/" + o.name(); }

std::pair<std::string, std::string> split_key(const std::string& key) {
  size_t p = key.find('/');
  return {key.substr(0, p), key.substr(p + 1)};
}


std::string requested_at(const json& body) {
  const json& m = body["metadata"];
  if (m.contains("annotations") && m["annotations"].is_object() && m["annotations"].contains(flux::kRequestedAtAnnotation) &&
      m["annotations"][flux::kRequestedAtAnnotation].is_string())
    return m["annotations"][flux::kRequestedAtAnnotation].get<std::string>();
  return "";
}

std::string clean_path(std::string p) {
  while (p.rfind("./", 0) == 0) p = p.substr(2);
  while (!p.empty() && p.back() == '/') p.pop_back();
  return p == "." ? "" : p;
}

class ImageAutomation : public SimController {
 public:
  explicit ImageAutomation(Settings s) : settings_(std::move(s)) {}
  std::string_view name() const override { return "image-automation"; }

  void start(World& world) override {
    world_ = &world;
    for (const auto& seed : settings_.registry) {
      auto canonical = image::canonical_image_name(seed.image);
      for (const auto& t : seed.tags) {
        auto d = seed.digests.find(t);
        registry_.push(canonical ? *canonical : seed.image, t, d == seed.digests.end() ? "" : d->second);
      }
    }
    for (const auto& p : settings_.pushes) {
      std::vector<std::string> argv = {"push"};
      argv.insert(argv.end(), p.images.begin(), p.images.end());
      world.queue().schedule_at(kSimStart + p.at, "image-automation/push", [this, argv] { timed(argv); });
    }
    for (const auto& o : settings_.outages) {
      std::vector<std::string> down = {"fail-scans"}, up = {"recover-scans"};
      if (!o.image.empty()) {
        down.push_back(o.image);
        up.push_back(o.image);
      }
      world.queue().schedule_at(kSimStart + o.from, "image-automation/outage", [this, down] { timed(down); });
      world.queue().schedule_at(kSimStart + o.to, "image-automation/outage", [this, up] { timed(up); });
    }
    repo_rec_ = std::make_unique<FnReconciler>(kReflector, [this](const std::string& k, SimTime now) { return reconcile_repository(k, now); });
    policy_rec_ = std::make_unique<FnReconciler>(kReflector, [this](const std::string& k, SimTime now) { return reconcile_policy(k, now); });
    auto_rec_ = std::make_unique<FnReconciler>(kAutomation, [this](const std::string& k, SimTime now) { return reconcile_automation(k, now); });
    BackoffPolicy backoff{ms(750), minutes(15)};  // fluxcd/pkg runtime/controller rate limiter
    repo_host_ = std::make_unique<ControllerHost>(world.queue(), *repo_rec_, backoff);
    policy_host_ = std::make_unique<ControllerHost>(world.queue(), *policy_rec_, backoff);
    auto_host_ = std::make_unique<ControllerHost>(world.queue(), *auto_rec_, backoff);
    auto& api = world.cluster().api();
    for (auto [kind, host] : {std::pair{"ImageRepository", repo_host_.get()}, std::pair{"ImagePolicy", policy_host_.get()},
                              std::pair{"ImageUpdateAutomation", auto_host_.get()}}) {
      std::string k = kind;
      ControllerHost* h = host;
      api.watch(kGroup, k, [this, h, k](cluster::WatchType type, const model::Object& obj, std::string_view) {
        std::string key = key_of(obj);
        if (type == cluster::WatchType::Deleted) {
          h->forget(key);
          seen_.erase(k + "/" + key);
          if (k == "ImageRepository") repos_.erase(key);
          return;
        }
        // Generation and reconcile requests retrigger; status writes do not.
        std::string sig = fmt::format("{}|{}", obj.body()["metadata"].value("generation", std::int64_t{0}), requested_at(obj.body()));
        auto& prev = seen_[k + "/" + key];
        if (type == cluster::WatchType::Added || prev != sig) {
          prev = sig;
          h->enqueue(key);
        }
      });
      model::ListOptions lo;
      lo.group = kGroup;
      lo.kind = k;
      api.visit(lo, [&](const model::Object& o) { h->enqueue(key_of(o)); });
    }
  }

  Result<void> command(World& world, std::string_view tool, const std::vector<std::string>& argv) override {
    if (tool == "registry") return registry_command(world, argv);
    return image_command(world, argv);
  }

 private:
  // --- commands --------------------------------------------------------------------------
  void timed(const std::vector<std::string>& argv) {
    // Validated when the settings were read; a failure here is a programmer error.
    auto r = registry_command(*world_, argv);
    REHEARSE_CHECK(r.ok(), "timed registry event failed");
  }

  Result<void> registry_command(World& world, const std::vector<std::string>& argv) {
    if (argv.empty()) return fail("registry-usage", "missing verb (push, fail-scans, recover-scans)");
    const std::string& verb = argv[0];
    if (verb == "push") {
      if (argv.size() < 2) return fail("registry-usage", "usage: registry push IMAGE:TAG[@DIGEST] ...");
      for (size_t i = 1; i < argv.size(); ++i) {
        image::ImageRef ref = image::parse_image_ref(argv[i]);
        if (ref.tag.empty()) return fail("registry-usage", fmt::format("`{}` names no tag (IMAGE:TAG[@DIGEST])", argv[i]));
        auto canonical = image::canonical_image_name(ref.name);
        if (!canonical) return fail("registry-usage", canonical.error().message);
        registry_.push(*canonical, ref.tag, ref.digest);
        world.record("image.registry.push", "",
                     {{"image", ref.name}, {"repository", *canonical}, {"tag", ref.tag},
                      {"digest", *registry_.digest(*canonical, ref.tag)}});
      }
      return {};
    }
    if (verb == "fail-scans" || verb == "recover-scans") {
      std::vector<std::string> targets;
      for (size_t i = 1; i < argv.size(); ++i) {
        auto canonical = image::canonical_image_name(argv[i]);
        if (!canonical) return fail("registry-usage", canonical.error().message);
        targets.push_back(*canonical);
      }
      if (targets.empty()) targets.push_back("");
      for (const auto& t : targets) {
        if (verb == "fail-scans") registry_.fail_scans(t);
        else registry_.recover_scans(t);
        world.record(verb == "fail-scans" ? "image.registry.scans-failing" : "image.registry.scans-recovered", "",
                     {{"repository", t.empty() ? "*" : t}});
      }
      return {};
    }
    return fail("registry-usage", fmt::format("unknown registry command `{}` (push, fail-scans, recover-scans)", verb));
  }

  Result<void> image_command(World& world, const std::vector<std::string>& argv) {
    std::vector<std::string> args;
    std::string ns = "flux-system";
    for (size_t i = 0; i < argv.size(); ++i) {
      if ((argv[i] == "-n" || argv[i] == "--namespace") && i + 1 < argv.size()) ns = argv[++i];
      else if (argv[i].rfind("--namespace=", 0) == 0) ns = argv[i].substr(12);
      else args.push_back(argv[i]);
    }
    if (args.size() != 3 || args[0] != "reconcile")
      return fail("image-usage", "usage: image reconcile repository|policy|update NAME [-n NS]");
    std::string kind = args[1] == "repository" ? "ImageRepository" : args[1] == "policy" ? "ImagePolicy"
                       : args[1] == "update"   ? "ImageUpdateAutomation" : "";
    if (kind.empty()) return fail("image-usage", fmt::format("unknown image kind `{}` (repository, policy, update)", args[1]));
    json p = {{"metadata", {{"annotations", {{flux::kRequestedAtAnnotation, format_rfc3339(world.now())}}}}}};
    auto r = world.client("flux").patch({kGroup, kind, ns, args[2]}, model::PatchType::Merge, p);
    if (!r) return fail("image-reconcile", r.error().message);
    return {};
  }

  // --- helpers ---------------------------------------------------------------------------
  void write_status(model::ClusterClient& client, const model::Object& obj, const json& status) {
    model::Object copy = obj;
    copy.body()["status"] = status;
    (void)client.update_status(std::move(copy));
  }

  static std::int64_t generation_of(const json& body) { return body["metadata"].value("generation", std::int64_t{1}); }

  // --- image-reflector-controller: ImageRepository -----------------------------------------
  struct RepoState {
    std::string canonical;
    std::vector<std::string> tags;
    std::string revision;
    SimTime last_scan{};
    bool scanned = false;
    std::string requested;
    std::vector<std::string> exclusions;
  };

  ReconcileResult reconcile_repository(const std::string& key, SimTime now) {
    auto [ns, name] = split_key(key);
    model::ClusterClient& client = world_->client(kReflector);
    auto got = client.get({kGroup, "ImageRepository", ns, name});
    if (!got) return ReconcileResult::done();
    const model::Object& obj = *got;
    const json& body = obj.body();
    std::int64_t gen = generation_of(body);
    json status = body.value("status", json::object());
    std::string ref = obj.key().str();
    auto spec = image::ImageRepositorySpec::from_body(body);
    if (!spec) {
      flux::set_condition(status, "Ready", "False", "InvalidSpec", spec.error().message, now, gen);
      flux::set_condition(status, "Stalled", "True", "InvalidSpec", spec.error().message, now, gen);
      write_status(client, obj, status);
      return ReconcileResult::done();
    }
    if (spec->suspend) return ReconcileResult::done();
    auto canonical = image::canonical_image_name(spec->image);
    if (!canonical) {
      // Stalled ImageURLInvalid (reference 4.1).
      flux::set_condition(status, "Ready", "False", "ImageURLInvalid", canonical.error().message, now, gen);
      flux::set_condition(status, "Stalled", "True", "ImageURLInvalid", canonical.error().message, now, gen);
      write_status(client, obj, status);
      return ReconcileResult::done();
    }
    flux::remove_condition(status, "Stalled");
    RepoState& st = repos_[key];
    std::string req = requested_at(body);
    // shouldScan (imagerepository_controller.go): first scan, reconcile requested, new image
    // name, changed exclusions, empty database, or the interval elapsed (< 1 s left counts).
    std::string reason;
    if (!st.scanned) reason = "first scan";
    else if (req != st.requested) reason = "reconcile requested";
    else if (*canonical != st.canonical) reason = "new image name";
    else if (spec->exclusion_list != st.exclusions) reason = "updated exclusion list";
    else if (st.tags.empty()) reason = "no tags in database";
    else if (now - st.last_scan + seconds(1) > spec->interval) reason = "triggered by interval";
    if (reason.empty()) return ReconcileResult::requeue_after(spec->interval - (now - st.last_scan));
    if (!req.empty()) status["lastHandledReconcileAt"] = req;
    st.requested = req;
    auto tags = registry_.list_tags(*canonical);
    std::vector<std::string> filtered;
    std::string error;
    if (!tags) {
      error = tags.error().message;
    } else {
      auto f = image::filter_tags(*tags, spec->exclusion_list);
      if (!f) error = f.error().message;
      else filtered = std::move(*f);
    }
    if (!error.empty()) {
      flux::set_condition(status, "Ready", "False", "ReadOperationFailed", error, now, gen);
      status["observedGeneration"] = gen;
      write_status(client, obj, status);
      world_->record("image.repository.scan-failed", ref, {{"error", error}, {"reason", reason}});
      return ReconcileResult::failed(error);
    }
    image::ScanResult scan = image::scan_result(std::move(filtered));
    bool changed = scan.revision != st.revision;
    st.canonical = *canonical;
    st.exclusions = spec->exclusion_list;
    st.tags = scan.tags;
    st.revision = scan.revision;
    st.last_scan = now;
    st.scanned = true;
    json last = {{"revision", scan.revision}, {"tagCount", scan.tags.size()}, {"scanTime", format_rfc3339(now)}};
    if (!scan.latest_tags.empty()) last["latestTags"] = scan.latest_tags;
    status["lastScanResult"] = last;
    status["canonicalImageName"] = *canonical;
    status["observedExclusionList"] = spec->exclusion_list;
    status["observedGeneration"] = gen;
    flux::set_condition(status, "Ready", "True", "Succeeded",
                        fmt::format("successful scan: found {} tags with checksum {}", scan.tags.size(), scan.revision), now, gen);
    write_status(client, obj, status);
    world_->record("image.repository.scanned", ref,
                   {{"reason", reason}, {"tagCount", scan.tags.size()}, {"latestTags", scan.latest_tags},
                    {"revision", scan.revision}, {"changed", changed}});
    if (changed) {
      // ImagePolicies watch their repository's lastScanResult.revision (reference 4.2).
      model::ListOptions lo;
      lo.group = kGroup;
      lo.kind = "ImagePolicy";
      world_->cluster().api().visit(lo, [&](const model::Object& p) {
        auto ps = image::ImagePolicySpec::from_body(p.body());
        if (!ps) return;
        std::string rns = ps->repository_namespace.empty() ? p.ns() : ps->repository_namespace;
        if (ps->repository_name == name && rns == ns) policy_host_->enqueue(key_of(p));
      });
    }
    return ReconcileResult::requeue_after(spec->interval);
  }

  // --- image-reflector-controller: ImagePolicy ---------------------------------------------
  bool access_allowed(const json& repo_body, const std::string& policy_ns) {
    // accessFrom.namespaceSelectors (reference 4.2): none -> denied; an empty matchLabels
    // matches every namespace.
    json::json_pointer p("/spec/accessFrom/namespaceSelectors");
    if (!repo_body.contains(p) || !repo_body.at(p).is_array()) return false;
    auto ns_obj = world_->cluster().api().find({"", "Namespace", "", policy_ns});
    model::Labels labels;
    if (ns_obj) labels = model::labels_of(ns_obj->body());
    for (const auto& sel : repo_body.at(p)) {
      json ml = sel.value("matchLabels", json::object());
      if (ml.empty()) return true;
      bool all = true;
      for (const auto& [k, v] : ml.items()) {
        auto it = labels.find(k);
        if (it == labels.end() || !v.is_string() || it->second != v.get<std::string>()) all = false;
      }
      if (all) return true;
    }
    return false;
  }

  ReconcileResult reconcile_policy(const std::string& key, SimTime now) {
    auto [ns, name] = split_key(key);
    model::ClusterClient& client = world_->client(kReflector);
    auto got = client.get({kGroup, "ImagePolicy", ns, name});
    if (!got) return ReconcileResult::done();
    const model::Object& obj = *got;
    const json& body = obj.body();
    std::int64_t gen = generation_of(body);
    json status = body.value("status", json::object());
    status["observedGeneration"] = gen;
    std::string req = requested_at(body);
    if (!req.empty()) status["lastHandledReconcileAt"] = req;
    auto not_ready = [&](std::string_view reason, const std::string& msg, bool stalled) {
      flux::set_condition(status, "Ready", "False", reason, msg, now, gen);
      if (stalled) flux::set_condition(status, "Stalled", "True", reason, msg, now, gen);
      write_status(client, obj, status);
    };
    auto spec = image::ImagePolicySpec::from_body(body);
    if (!spec) {
      not_ready(image::kReasonInvalidPolicy, spec.error().message, true);
      return ReconcileResult::done();
    }
    flux::remove_condition(status, "Stalled");
    std::string repo_ns = spec->repository_namespace.empty() ? ns : spec->repository_namespace;
    auto repo = client.get({kGroup, "ImageRepository", repo_ns, spec->repository_name});
    if (!repo) {
      not_ready(image::kReasonDependencyNotReady,
                fmt::format("failed to get ImageRepository: imagerepositories.image.toolkit.fluxcd.io \"{}\" not found",
                            spec->repository_name),
                false);
      return ReconcileResult::done();
    }
    if (repo_ns != ns && !access_allowed(repo->body(), ns)) {
      not_ready("AccessDenied",
                fmt::format("cannot access '{}/{}', the ImageRepository does not allow access from namespace '{}'",
                            repo_ns, spec->repository_name, ns),
                false);
      return ReconcileResult::failed("access denied");
    }
    auto policer = image::Policer::build(*spec);
    if (!policer) {
      not_ready(policer.error().reason, policer.error().message, true);
      return ReconcileResult::done();
    }
    auto st = repos_.find(repo_ns + "/" + spec->repository_name);
    std::vector<std::string> tags = st == repos_.end() ? std::vector<std::string>{} : st->second.tags;
    auto tag = policer->latest(tags);
    if (!tag) {
      not_ready(tag.error().reason, tag.error().message, false);
      if (tag.error().reason == image::kReasonDependencyNotReady) return ReconcileResult::requeue_after(seconds(30));
      return ReconcileResult::done();
    }
    std::string repo_image = repo->body()["spec"].value("image", "");
    image::ImageRef latest{repo_image, *tag, ""};
    std::optional<image::ImageRef> previous = image::latest_ref_of(body);
    std::string canonical = st == repos_.end() ? "" : st->second.canonical;
    if (spec->digest_reflection_policy == "Always" ||
        (spec->digest_reflection_policy == "IfNotPresent")) {
      if (spec->digest_reflection_policy == "IfNotPresent" && previous && previous->name == latest.name &&
          previous->tag == latest.tag && !previous->digest.empty())
        latest.digest = previous->digest;
      else if (auto d = registry_.digest(canonical, *tag))
        latest.digest = *d;
    }
    std::string version = image::image_api_version(body);
    image::write_latest(status, version, latest, previous);
    std::string msg = fmt::format("Latest image tag for {} resolved to {}", repo_image, *tag);
    if (!latest.digest.empty()) msg += fmt::format(" with digest {}", latest.digest);
    bool changed = !previous || *previous != latest;
    if (changed && previous) msg += fmt::format(" (previously {})", previous->str());
    flux::set_condition(status, "Ready", "True", "Succeeded", msg, now, gen);
    write_status(client, obj, status);
    if (changed) {
      world_->record("image.policy.changed", obj.key().str(),
                     {{"old", previous ? previous->str() : ""}, {"new", latest.str()}, {"tag", *tag}});
      // image-automation-controller watches ImagePolicies of its namespace.
      model::ListOptions lo;
      lo.group = kGroup;
      lo.kind = "ImageUpdateAutomation";
      lo.ns = ns;
      world_->cluster().api().visit(lo, [&](const model::Object& a) { auto_host_->enqueue(key_of(a)); });
    }
    if (spec->digest_reflection_policy == "Always") {
      json::json_pointer ip("/spec/interval");
      SimDuration every = minutes(10);
      if (body.contains(ip) && body.at(ip).is_string())
        if (auto d = parse_go_duration(body.at(ip).get<std::string>())) every = *d;
      return ReconcileResult::requeue_after(every);
    }
    return ReconcileResult::done();
  }

  // --- image-automation-controller ---------------------------------------------------------
  Result<std::map<std::string, std::string>> read_tree(const std::string& dir) {
    std::map<std::string, std::string> out;
    std::error_code ec;
    if (!fs::is_directory(dir, ec)) return fail("update-path", "update path does not exist");
    std::vector<fs::path> paths;
    for (auto it = fs::recursive_directory_iterator(dir, ec); !ec && it != fs::recursive_directory_iterator(); it.increment(ec)) {
      if (it->path().filename() == ".git") {
        it.disable_recursion_pending();
        continue;
      }
      if (it->is_regular_file()) paths.push_back(it->path());
    }
    std::sort(paths.begin(), paths.end());
    for (const auto& p : paths) {
      std::ifstream in(p, std::ios::binary);
      std::stringstream ss;
      ss << in.rdbuf();
      out[fs::relative(p, dir).generic_string()] = ss.str();
    }
    return out;
  }

  ReconcileResult reconcile_automation(const std::string& key, SimTime now) {
    auto [ns, name] = split_key(key);
    model::ClusterClient& client = world_->client(kAutomation);
    auto got = client.get({kGroup, "ImageUpdateAutomation", ns, name});
    if (!got) return ReconcileResult::done();
    const model::Object& obj = *got;
    const json& body = obj.body();
    std::int64_t gen = generation_of(body);
    json status = body.value("status", json::object());
    status["observedGeneration"] = gen;
    std::string req = requested_at(body);
    if (!req.empty()) status["lastHandledReconcileAt"] = req;
    std::string ref = obj.key().str();
    auto stalled = [&](std::string_view reason, const std::string& msg) {
      flux::set_condition(status, "Ready", "False", reason, msg, now, gen);
      flux::set_condition(status, "Stalled", "True", reason, msg, now, gen);
      write_status(client, obj, status);
      world_->record("image.automation.failed", ref, {{"reason", reason}, {"message", msg}});
      return ReconcileResult::done();
    };
    auto spec = image::ImageUpdateAutomationSpec::from_body(body);
    if (!spec) return stalled("InvalidSpec", spec.error().message);
    if (spec->suspend) return ReconcileResult::done();
    auto failed = [&](std::string_view reason, const std::string& msg) {
      flux::set_condition(status, "Ready", "False", reason, msg, now, gen);
      write_status(client, obj, status);
      world_->record("image.automation.failed", ref, {{"reason", reason}, {"message", msg}});
      return ReconcileResult::requeue_after(spec->interval);
    };
    if (spec->source_kind != "GitRepository")
      return stalled("InvalidSourceConfiguration",
                     fmt::format("source kind '{}' not supported: invalid source configuration", spec->source_kind));
    if (!spec->has_git)
      return stalled("InvalidSourceConfiguration",
                     "source kind 'GitRepository' necessitates field .spec.git: invalid source configuration");
    if (!spec->has_update) return stalled("InvalidUpdateStrategy", "no update strategy");
    if (spec->update_strategy != "Setters")
      return stalled("InvalidUpdateStrategy", fmt::format("unsupported update strategy: {}", spec->update_strategy));
    flux::remove_condition(status, "Stalled");
    auto source = client.get({"source.toolkit.fluxcd.io", "GitRepository", spec->source_ns, spec->source_name});
    if (!source)
      return failed("SourceManagerFailed",
                    fmt::format("failed to get source GitRepository/{}/{}: not found", spec->source_ns, spec->source_name));
    GitRepo* git = world_->git();
    if (!git) return failed("GitOperationFailed", "the scenario has no repository");
    std::string checkout = spec->checkout_branch;
    if (checkout.empty() && spec->checkout_tag.empty() && spec->checkout_commit.empty() &&
        spec->checkout_semver.empty() && spec->checkout_name.empty()) {
      json::json_pointer bp("/spec/ref/branch");
      checkout = source->body().contains(bp) && source->body().at(bp).is_string() ? source->body().at(bp).get<std::string>() : "master";
    }
    if (checkout.empty())
      return failed("GitOperationFailed", "rehearse simulates branch checkouts only (spec.git.checkout.ref.branch)");
    std::string push = spec->push_branch.empty() ? checkout : spec->push_branch;
    auto branches = git->branches();
    auto has_branch = [&](const std::string& b) { return std::find(branches.begin(), branches.end(), b) != branches.end(); };
    if (!has_branch(checkout))
      return failed("GitOperationFailed",
                    fmt::format("failed to checkout source: unable to clone: couldn't find remote ref \"refs/heads/{}\"", checkout));
    // SwitchBranch (fluxcd/pkg git/gogit): an existing push branch is checked out and built
    // upon; otherwise it starts from the checkout branch.
    bool push_exists = has_branch(push);
    std::string base_ref = push != checkout && push_exists ? push : checkout;
    auto base = git->resolve(base_ref);
    if (!base) return failed("GitOperationFailed", base.error().message);
    // Policies of the automation's namespace with a latest image (reference 5.1).
    image::SetterTable table;
    std::map<std::string, image::ImageRef> refs;
    json observed = json::object();
    model::ListOptions lo;
    lo.group = kGroup;
    lo.kind = "ImagePolicy";
    lo.ns = ns;
    lo.selector = spec->policy_selector;
    world_->cluster().api().visit(lo, [&](const model::Object& p) {
      auto latest = image::latest_ref_of(p.body());
      if (!latest) return;
      table.add_policy(p.ns(), p.name(), *latest);
      for (const char* suffix : {"", ":tag", ":name", ":digest"}) refs[p.ns() + ":" + p.name() + suffix] = *latest;
      json o = {{"name", latest->name}, {"tag", latest->tag}};
      if (!latest->digest.empty()) o["digest"] = latest->digest;
      observed[p.name()] = o;
    });
    status["observedPolicies"] = observed;
    auto dir = git->checkout(*base);
    if (!dir) return failed("GitOperationFailed", dir.error().message);
    std::string upath = clean_path(spec->update_path);
    if (upath.find("..") != std::string::npos)
      return failed("UpdateFailed", fmt::format("failed to secure join manifest path: {}", spec->update_path));
    auto files = read_tree(upath.empty() ? *dir : *dir + "/" + upath);
    if (!files) return failed("UpdateFailed", fmt::format("failed to apply policies: walking path for files: {}", spec->update_path));
    image::SetterRun run = image::apply_setters(*files, table);
    status["lastAutomationRunTime"] = format_rfc3339(now);
    status["observedSourceRevision"] = fmt::format("{}@sha1:{}", checkout, *base);
    if (run.files.empty()) {
      flux::set_condition(status, "Ready", "True", "Succeeded", "repository up-to-date", now, gen);
      write_status(client, obj, status);
      return ReconcileResult::requeue_after(spec->interval);
    }
    // Change paths are relative to the update path, as upstream's Result.
    image::CommitTemplateData td;
    td.automation_ns = ns;
    td.automation_name = name;
    td.changes = run.changes();
    td.refs = refs;
    td.values = spec->message_values;
    td.legacy_fields = spec->version != "v1";
    auto message = image::render_commit_message(spec->message_template, td);
    if (!message) {
      if (message.error().code == "removed-template-field") return stalled("RemovedTemplateField", message.error().message);
      return failed("UpdateFailed", message.error().message);
    }
    std::vector<FileChange> changes;
    std::vector<std::string> paths;
    std::string diff;
    for (const auto& f : run.files) {
      std::string repo_path = upath.empty() ? f.path : upath + "/" + f.path;
      changes.push_back({FileChange::Op::Write, repo_path, f.after});
      paths.push_back(repo_path);
      diff += image::unified_diff(repo_path, f.before, f.after);
    }
    if (push != checkout && !push_exists) {
      if (auto r = git->create_branch(push, *base); !r) return failed("GitOperationFailed", r.error().message);
    }
    GitAuthor author;
    author.name = spec->author_name.empty() ? "fluxcdbot" : spec->author_name;
    author.email = spec->author_email.empty() ? kNoEmail : spec->author_email;
    auto sha = git->commit(push, changes, *message, author, now);
    if (!sha) return failed("GitOperationFailed", sha.error().message);
    json file_changes = json::array();
    for (const auto& c : run.changes())
      file_changes.push_back({{"file", upath.empty() ? c.file : upath + "/" + c.file}, {"line", c.line},
                              {"old", c.old_value}, {"new", c.new_value}, {"marker", c.setter}});
    world_->record("image.automation.commit", ref,
                   {{"branch", push}, {"sha", *sha}, {"files", paths}, {"message", *message}, {"diff", diff},
                    {"changes", file_changes}, {"author", author.name}});
    world_->record("git.commit", "",
                   {{"branch", push}, {"sha", *sha}, {"message", *message}, {"files", paths}, {"author", author.name},
                    {"actor", kAutomation}});
    world_->record("image.automation.push", ref,
                   {{"branch", push}, {"sha", *sha}, {"created", push != checkout && !push_exists}});
    status["lastPushCommit"] = *sha;
    status["lastPushTime"] = format_rfc3339(now);
    flux::set_condition(status, "Ready", "True", "Succeeded", "repository up-to-date", now, gen);
    write_status(client, obj, status);
    return ReconcileResult::requeue_after(spec->interval);
  }

  Settings settings_;
  World* world_ = nullptr;
  FakeRegistry registry_;
  std::map<std::string, RepoState> repos_;
  std::map<std::string, std::string> seen_;
  std::unique_ptr<FnReconciler> repo_rec_, policy_rec_, auto_rec_;
  std::unique_ptr<ControllerHost> repo_host_, policy_host_, auto_host_;
};

std::optional<Settings> parse_settings(const json& s, const model::SourcePos& pos, model::Diagnostics& diags) {
  Settings out;
  if (s.is_null() || (s.is_object() && s.empty())) return out;
  SettingsChecker check(pos, "image-automation-settings", diags);
  auto bad = [&](const std::string& msg) { check.bad(msg); };
  if (!s.is_object()) {
    bad("`image-automation` settings are a mapping: {registry: {IMAGE: {tags: [...], digests: {...}}}}");
    return std::nullopt;
  }
  auto duration = [&](const json& v, const std::string& where) { return check.duration(v, where, "11m"); };
  auto image_ok = [&](const std::string& ref, const std::string& where, bool need_tag) {
    image::ImageRef r = image::parse_image_ref(ref);
    if (need_tag && r.tag.empty()) return bad(fmt::format("{}: `{}` names no tag (IMAGE:TAG[@DIGEST])", where, ref));
    if (auto c = image::canonical_image_name(r.name); !c) bad(fmt::format("{}: {}", where, c.error().message));
  };
  for (const auto& [k, v] : s.items()) {
    if (k == "pushes") {
      if (!v.is_array()) {
        bad("image-automation.pushes is a list of {at, images}");
        continue;
      }
      for (size_t i = 0; i < v.size(); ++i) {
        std::string where = fmt::format("image-automation.pushes[{}]", i);
        const json& p = v[i];
        if (!p.is_object()) {
          bad(where + " is {at: DURATION, images: [IMAGE:TAG, ...]}");
          continue;
        }
        TimedPush tp;
        for (const auto& [pk, pv] : p.items()) {
          if (pk == "at") {
            if (auto d = duration(pv, where + ".at")) tp.at = *d;
          } else if (pk == "images" || pk == "image") {
            std::vector<json> list = pv.is_array() ? std::vector<json>(pv.begin(), pv.end()) : std::vector<json>{pv};
            for (const auto& img : list) {
              if (!img.is_string()) {
                bad(where + "." + pk + ": images are strings IMAGE:TAG[@DIGEST]");
                continue;
              }
              image_ok(img.get<std::string>(), where + "." + pk, true);
              tp.images.push_back(img.get<std::string>());
            }
          } else {
            bad(fmt::format("{}: unknown key `{}` (known: at, images)", where, pk));
          }
        }
        if (!p.contains("at")) bad(where + ": `at` is required");
        if (tp.images.empty()) bad(where + ": `images` names at least one IMAGE:TAG");
        out.pushes.push_back(std::move(tp));
      }
      continue;
    }
    if (k == "outages") {
      if (!v.is_array()) {
        bad("image-automation.outages is a list of {from, to, image?}");
        continue;
      }
      for (size_t i = 0; i < v.size(); ++i) {
        std::string where = fmt::format("image-automation.outages[{}]", i);
        const json& o = v[i];
        if (!o.is_object()) {
          bad(where + " is {from: DURATION, to: DURATION, image: REPOSITORY}");
          continue;
        }
        Outage out_ev;
        for (const auto& [ok, ov] : o.items()) {
          if (ok == "from") {
            if (auto d = duration(ov, where + ".from")) out_ev.from = *d;
          } else if (ok == "to") {
            if (auto d = duration(ov, where + ".to")) out_ev.to = *d;
          } else if (ok == "image") {
            if (!ov.is_string()) bad(where + ".image is a repository name");
            else {
              image_ok(ov.get<std::string>(), where + ".image", false);
              out_ev.image = ov.get<std::string>();
            }
          } else {
            bad(fmt::format("{}: unknown key `{}` (known: from, to, image)", where, ok));
          }
        }
        if (!o.contains("from") || !o.contains("to")) bad(where + ": `from` and `to` are required");
        else if (out_ev.to <= out_ev.from) bad(where + ": `to` must be after `from`");
        out.outages.push_back(std::move(out_ev));
      }
      continue;
    }
    if (k != "registry") {
      bad(fmt::format("unknown image-automation setting `{}` (known: registry, pushes, outages)", k));
      continue;
    }
    if (!v.is_object()) {
      bad("image-automation.registry maps image repositories to {tags, digests}");
      continue;
    }
    for (const auto& [img, content] : v.items()) {
      RegistrySeed seed;
      seed.image = img;
      std::string where = fmt::format("image-automation.registry.\"{}\"", img);
      if (auto c = image::canonical_image_name(img); !c) bad(fmt::format("{}: {}", where, c.error().message));
      if (!content.is_object()) {
        bad(fmt::format("{} is a mapping {{tags: [...], digests: {{tag: digest}}}}", where));
        continue;
      }
      for (const auto& [ck, cv] : content.items()) {
        if (ck == "tags") {
          if (!cv.is_array()) bad(fmt::format("{}.tags is a list of tags", where));
          else
            for (const auto& t : cv) {
              if (t.is_string() && !t.get<std::string>().empty()) seed.tags.push_back(t.get<std::string>());
              else bad(fmt::format("{}.tags: {} is not a tag (quote numbers: \"1.10\")", where, t.dump()));
            }
        } else if (ck == "digests") {
          if (!cv.is_object()) bad(fmt::format("{}.digests maps tags to digests", where));
          else
            for (const auto& [tag, d] : cv.items()) {
              if (!d.is_string() || d.get<std::string>().rfind("sha256:", 0) != 0)
                bad(fmt::format("{}.digests.{} is a digest \"sha256:<hex>\"", where, tag));
              else seed.digests[tag] = d.get<std::string>();
            }
        } else {
          std::string hint = ck == "tag" ? " (did you mean `tags`?)" : ck == "digest" ? " (did you mean `digests`?)" : "";
          bad(fmt::format("{}: unknown key `{}`{} (known: tags, digests)", where, ck, hint));
        }
      }
      for (const auto& [tag, _] : seed.digests)
        if (std::find(seed.tags.begin(), seed.tags.end(), tag) == seed.tags.end())
          bad(fmt::format("{}.digests.{}: no such tag in {}.tags", where, tag, where));
      out.registry.push_back(std::move(seed));
    }
  }
  if (!check.ok()) return std::nullopt;
  return out;
}

}  // namespace

void register_image_automation(ControllerCatalog& catalog) {
  ControllerFactory f;
  f.name = "image-automation";
  f.tools = {"registry", "image"};
  f.verbs = {"push", "fail-scans", "recover-scans", "reconcile repository", "reconcile policy", "reconcile update"};
  f.create = [](const json& settings, const model::SourcePos& pos, model::Diagnostics& diags) -> std::unique_ptr<SimController> {
    auto s = parse_settings(settings, pos, diags);
    if (!s) return nullptr;
    return std::make_unique<ImageAutomation>(std::move(*s));
  };
  catalog.add(std::move(f));
}

}  // namespace rehearse::sim
