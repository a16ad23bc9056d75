#include "sim/world/world.hpp"

#include <filesystem>
#include <nlohmann/json.hpp>

#include <fmt/format.h>

#include "engine/model/manifest_loader.hpp"
#include "engine/model/yaml_loader.hpp"
#include "sim/cluster/cluster.hpp"
#include "sim/world/kubectl.hpp"
#include "sim/world/yaml_edit.hpp"

namespace rehearse::sim {

using nlohmann::json;
namespace fs = std::filesystem;

World::World(const Scenario& scenario, std::uint64_t seed, WorldOptions options)
    : scenario_(scenario),
      seed_(seed),
      options_(std::move(options)),
      root_rng_(seed),
      trace_(options_.keep_trace) {
  // The scratch directory is named after the process: it must never reach the trace.
  if (!options_.private_dir.empty()) trace_.redact(options_.private_dir, "$SCRATCH");
  cluster::ClusterSettings settings;
  for (const auto& w : scenario.workloads) {
    using P = cluster::WorkloadProfile;
    P p = P::ready_after(w.ready_after.value_or(w.run_for.value_or(SimDuration{0})));
    if (w.never_ready) p = P::never_ready();
    if (w.crash_loop) p = P::crash_loop(w.run_for.value_or(seconds(1)));
    if (w.fails) p = P::exits_with_failure(w.run_for.value_or(seconds(1)));
    settings.profiles.add(w.image, p);
  }
  cluster_ = std::make_unique<cluster::Cluster>(queue_, root_rng_.stream("cluster"), &trace_, settings);
  // Expectations read the history of the objects they name.
  for (const auto& e : scenario.expectations)
    if (e.kind == Expectation::Kind::State) history_.watch(e.object.key());
  cluster_->api().watch("", "", [this](cluster::WatchType type, const model::Object& obj, std::string_view) {
    history_.record(obj.key(), queue_.now(), type == cluster::WatchType::Deleted ? nullptr : &obj.body());
  });
}

World::~World() = default;

model::ClusterClient& World::client(std::string_view actor) {
  auto it = clients_.find(actor);
  if (it == clients_.end()) {
    auto c = std::make_unique<cluster::ApiClient>(cluster_->api().as(std::string(actor)));
    it = clients_.emplace(std::string(actor), std::move(c)).first;
  }
  return *it->second;
}

void World::record(std::string_view kind, std::string_view object, const json& details) {
  trace_.record(queue_.now(), kind, object, details);
}
void World::record(std::string_view kind, std::string_view object) {
  trace_.record(queue_.now(), kind, object);
}

SimController* World::controller_for_tool(std::string_view tool) {
  for (auto& c : controllers_)
    for (const auto& t : c.tools)
      if (t == tool) return c.impl.get();
  return nullptr;
}

SimController* World::controller(std::string_view name) {
  for (auto& c : controllers_)
    if (c.name == name) return c.impl.get();
  return nullptr;
}

Result<void> World::setup_repository() {
  if (!scenario_.repo) return {};
  const RepoSpec& r = *scenario_.repo;
  GitAuthor author;
  Result<std::unique_ptr<GitRepo>> repo =
      !r.fixture.empty()
          ? GitRepo::from_directory(r.fixture, options_.private_dir, r.branch, queue_.now(), author)
          : GitRepo::clone_local(r.git, options_.private_dir);
  if (!repo) return fail("repo", fmt::format("{}: {}", r.pos.str(), repo.error().message));
  git_ = std::move(*repo);
  auto head = git_->resolve(r.branch);
  if (!head) return fail("repo", fmt::format("{}: {}", r.pos.str(), head.error().message));
  record("git.init", "", {{"branch", r.branch}, {"sha", *head}});
  return {};
}

Result<void> World::setup_cluster() {
  model::ClusterClient& setup = client("rehearse-setup");
  for (const auto& ns : scenario_.namespaces) {
    if (cluster_->api().find({"", "Namespace", "", ns})) continue;
    model::Object obj(model::JsonBox(json{{"apiVersion", "v1"}, {"kind", "Namespace"}, {"metadata", {{"name", ns}}}}));
    auto r = setup.create(std::move(obj));
    if (!r) return fail("cluster", fmt::format("creating namespace {}: {}", ns, r.error().message));
  }
  for (const auto& o : scenario_.cluster_objects) {
    model::Object copy = o;
    if (copy.ns().empty() && cluster_->api().kinds().is_namespaced(copy.key().group, copy.kind())) {
      copy.body()["metadata"]["namespace"] = "default";
      copy.refresh_identity();
    }
    auto r = setup.apply(std::move(copy), model::ApplyOptions{});
    if (!r) return fail("cluster", fmt::format("{}: {}: {}", o.origin().str(), o.key().str(), r.error().message));
  }
  return {};
}

Result<void> World::start_controllers(const ControllerCatalog& catalog, model::Diagnostics& diags) {
  auto start_one = [&](const ControllerFactory& f, const json& settings, const model::SourcePos& pos) {
    auto impl = f.create(settings, pos, diags);
    if (!impl) return;
    controllers_.push_back({f.name, f.tools, std::move(impl)});
  };
  if (scenario_.controllers_listed) {
    for (const auto& [name, settings] : scenario_.controllers) {
      const ControllerFactory* f = catalog.find(name);
      if (!f) {
        std::vector<std::string> names;
        for (const auto& c : catalog.all()) names.push_back(c.name);
        std::string known;
        for (const auto& n : names) known += (known.empty() ? "" : ", ") + n;
        diags.error(scenario_.controller_pos.at(name), "unknown-controller",
                    fmt::format("unknown controller `{}` (available: {})", name, known.empty() ? "none" : known));
        continue;
      }
      start_one(*f, *settings, scenario_.controller_pos.at(name));
    }
  } else {
    for (const auto& f : catalog.all()) start_one(f, json::object(), scenario_.pos);
  }
  if (diags.has_errors()) return fail("controllers", "invalid controller settings");
  for (auto& c : controllers_) {
    record("controller.start", "", {{"controller", c.name}});
    c.impl->start(*this);
  }
  return {};
}

Result<void> World::apply_manifests_from_repo(const std::string& ref, const std::string& path,
                                              bool recursive, std::string_view actor) {
  if (!git_) return fail("bootstrap", "the scenario has no repository");
  auto dir = git_->checkout(ref);
  if (!dir) return fail("bootstrap", dir.error().message);
  fs::path target = fs::path(*dir) / path;
  if (!fs::exists(target)) return fail("bootstrap", fmt::format("\"{}\" does not exist at {}", path, ref));
  model::Diagnostics diags;
  model::LoadOptions lo;
  lo.recursive = recursive;
  auto objs = model::load_manifests(target.string(), diags, lo);
  if (diags.has_errors()) {
    std::string text = diags.format();
    // Report repository paths, not the private checkout's.
    for (size_t p; (p = text.find(*dir + "/")) != std::string::npos;) text.erase(p, dir->size() + 1);
    return fail("bootstrap", text);
  }
  model::ClusterClient& c = client(actor);
  for (auto& o : objs) {
    if (o.ns().empty() && cluster_->api().kinds().is_namespaced(o.key().group, o.kind())) {
      o.body()["metadata"]["namespace"] = "default";
      o.refresh_identity();
    }
    model::ObjectKey key = o.key();
    auto r = c.apply(std::move(o), model::ApplyOptions{});
    if (!r) return fail("bootstrap", fmt::format("applying {}: {}", key.str(), r.error().message));
  }
  return {};
}

Result<void> World::bootstrap() {
  for (const auto& step : scenario_.bootstrap) {
    if (step.kind == BootstrapStep::Kind::Apply) {
      record("bootstrap.apply", "", {{"path", step.path}, {"ref", step.ref}});
      if (auto r = apply_manifests_from_repo(step.ref, step.path, step.recursive, "kubectl"); !r)
        return fail("bootstrap", fmt::format("{}: {}", step.pos.str(), r.error().message));
    } else {
      SimController* flux = controller_for_tool("flux");
      if (!flux)
        return fail("bootstrap", fmt::format("{}: `flux` bootstrap needs the flux controller, which is not enabled", step.pos.str()));
      record("bootstrap.flux", "", {{"path", step.path}, {"ref", step.ref}});
      auto r = flux->command(*this, "flux", {"bootstrap", "--path", step.path, "--branch", step.ref});
      if (!r) return fail("bootstrap", fmt::format("{}: {}", step.pos.str(), r.error().message));
    }
  }
  return {};
}

void World::schedule_events() {
  for (const auto& ev : scenario_.events) {
    const ScenarioEvent* p = &ev;
    queue_.schedule_at(ev.at, "scenario-event", [this, p] { execute(*p); });
  }
}

Result<std::string> World::execute_git(const ScenarioEvent& ev) {
  if (!git_) return fail("git", "the scenario has no repository");
  GitAuthor author;
  if (!ev.author_name.empty()) author.name = ev.author_name;
  if (!ev.author_email.empty()) author.email = ev.author_email;
  switch (ev.kind) {
    case ScenarioEvent::Kind::Commit: {
      std::vector<FileChange> changes;
      if (!ev.from_ref.empty() && !git_->resolve(ev.branch).ok()) {
        if (auto r = git_->create_branch(ev.branch, ev.from_ref); !r) return unexpected(r.error());
      }
      for (const auto& [path, content] : ev.writes) changes.push_back({FileChange::Op::Write, path, content});
      for (const auto& path : ev.deletes) changes.push_back({FileChange::Op::Delete, path, ""});
      for (const auto& set : ev.sets) {
        // Later sets in the same commit see earlier ones.
        std::string text;
        bool pending = false;
        for (auto it = changes.rbegin(); it != changes.rend(); ++it)
          if (it->path == set.file && it->op == FileChange::Op::Write) {
            text = it->content;
            pending = true;
            break;
          }
        if (!pending) {
          auto content = git_->read_file(ev.branch, set.file);
          if (!content) return unexpected(content.error());
          text = *content;
        }
        auto edited = set_yaml_value(text, set.path, *set.value);
        if (!edited) return fail("git", fmt::format("{}: {}", set.file, edited.error().message));
        changes.push_back({FileChange::Op::Write, set.file, *edited});
      }
      auto sha = git_->commit(ev.branch, changes, ev.message, author, queue_.now());
      if (!sha) return unexpected(sha.error());
      std::vector<std::string> files;
      for (const auto& c : changes) files.push_back(c.path);
      std::sort(files.begin(), files.end());
      files.erase(std::unique(files.begin(), files.end()), files.end());
      record("git.commit", "", {{"branch", ev.branch}, {"sha", *sha}, {"message", ev.message}, {"files", files}, {"author", author.name}});
      return *sha;
    }
    case ScenarioEvent::Kind::Branch: {
      if (auto r = git_->create_branch(ev.name, ev.from_ref); !r) return unexpected(r.error());
      auto sha = git_->resolve(ev.name);
      record("git.branch", "", {{"branch", ev.name}, {"from", ev.from_ref}, {"sha", sha.ok() ? *sha : ""}});
      return sha.ok() ? *sha : std::string();
    }
    case ScenarioEvent::Kind::Merge: {
      auto before = git_->resolve(ev.into);
      auto sha = git_->merge(ev.from_ref, ev.into, ev.fast_forward, author, queue_.now());
      if (!sha) return unexpected(sha.error());
      std::vector<std::string> files;
      if (before) {
        auto changed = git_->changed_files(*before, *sha);
        if (changed) files = *changed;
      }
      record("git.merge", "", {{"from", ev.from_ref}, {"into", ev.into}, {"sha", *sha}, {"files", files}});
      return *sha;
    }
    case ScenarioEvent::Kind::Revert: {
      std::string target = ev.commit_ref;
      if (auto it = named_commits_.find(target); it != named_commits_.end()) target = it->second;
      auto sha = git_->revert(target, ev.branch, author, queue_.now());
      if (!sha) return unexpected(sha.error());
      record("git.revert", "", {{"branch", ev.branch}, {"reverted", target}, {"sha", *sha}});
      return *sha;
    }
    case ScenarioEvent::Kind::Tag: {
      if (auto r = git_->tag(ev.name, ev.from_ref); !r) return unexpected(r.error());
      auto sha = git_->resolve(ev.name);
      record("git.tag", "", {{"tag", ev.name}, {"sha", sha.ok() ? *sha : ""}});
      return sha.ok() ? *sha : std::string();
    }
    default:
      return fail("git", "not a git event");
  }
}

void World::execute(const ScenarioEvent& ev) {
  auto failed = [&](const std::string& tool, const std::string& message) {
    record(tool + ".error", "", {{"command", ev.command_text}, {"error", message}, {"source", ev.pos.str()}});
    if (!ev.expect_failure)
      event_failures_.push_back(fmt::format("{} at {}: {}", ev.pos.str(), format_short(ev.at - kSimStart), message));
  };
  switch (ev.kind) {
    case ScenarioEvent::Kind::Commit:
    case ScenarioEvent::Kind::Branch:
    case ScenarioEvent::Kind::Merge:
    case ScenarioEvent::Kind::Revert:
    case ScenarioEvent::Kind::Tag: {
      auto sha = execute_git(ev);
      if (!sha) return failed("git", sha.error().message);
      if (!ev.id.empty()) named_commits_[ev.id] = *sha;
      if (ev.expect_failure) event_failures_.push_back(fmt::format("{}: expected this git event to fail, it succeeded", ev.pos.str()));
      return;
    }
    case ScenarioEvent::Kind::Kubectl: {
      KubectlContext ctx{client("kubectl"), queue_.now(), fs::path(scenario_.file).parent_path().string()};
      record("kubectl.command", "", {{"command", ev.command_text}});
      auto r = run_kubectl(ctx, ev.argv);
      if (!r) return failed("kubectl", r.error().message);
      for (const auto& o : r->objects) record("kubectl." + r->verb, o, {{"command", ev.command_text}});
      if (ev.expect_failure) event_failures_.push_back(fmt::format("{}: expected `kubectl {}` to fail, it succeeded", ev.pos.str(), ev.command_text));
      return;
    }
    case ScenarioEvent::Kind::Tool: {
      SimController* c = controller_for_tool(ev.tool);
      record(ev.tool + ".command", "", {{"command", ev.command_text}});
      if (!c) return failed(ev.tool, fmt::format("no enabled controller handles `{}` commands", ev.tool));
      auto r = c->command(*this, ev.tool, ev.argv);
      if (!r) return failed(ev.tool, r.error().message);
      if (ev.expect_failure) event_failures_.push_back(fmt::format("{}: expected `{} {}` to fail, it succeeded", ev.pos.str(), ev.tool, ev.command_text));
      return;
    }
  }
}

Result<void> World::run() {
  CheckContext ctx{seed_, 0, scenario_.name};
  set_check_context(&ctx);
  auto stop = queue_.run_until(SimTime{scenario_.horizon}, scenario_.max_events);
  set_check_context(nullptr);
  if (stop == EventQueue::Stop::EventBudgetExhausted)
    return fail("livelock", fmt::format("stopped after {} kernel events at {} without reaching the horizon "
                                        "(a livelock? raise spec.maxEvents if the scenario really needs more)",
                                        queue_.dispatched(), format_short(queue_.now() - kSimStart)));
  return {};
}

}  // namespace rehearse::sim
