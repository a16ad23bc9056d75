#include "engine/argocd/app_controller.hpp"

#include <algorithm>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "engine/argocd/annotations.hpp"
#include "engine/argocd/tracking.hpp"
#include "engine/model/check.hpp"

namespace rehearse::argocd {

using nlohmann::json;

namespace {


// time.Kitchen ("3:04PM") of a Unix-ms instant, as the retry message prints it (§8).
std::string kitchen(std::int64_t unix_ms) {
  std::int64_t secs = unix_ms / 1000;
  std::int64_t day = ((secs % 86400) + 86400) % 86400;
  int h = static_cast<int>(day / 3600), m = static_cast<int>((day % 3600) / 60);
  int h12 = h % 12 == 0 ? 12 : h % 12;
  return fmt::format("{}:{:02d}{}", h12, m, h < 12 ? "AM" : "PM");
}

json key_json(const model::ObjectKey& k) { return k.str(); }

std::string app_object(const std::string& ns, const std::string& name) {
  return model::ObjectKey{"argoproj.io", "Application", ns, name}.str();
}

}  // namespace

std::int64_t self_heal_delay_ms(const ControllerSettings& s, std::int64_t attempts) {
  if (s.self_heal_backoff_ms <= 0) return s.self_heal_timeout_ms;
  // wait.Backoff{Duration, Factor, Cap}.Step() called `attempts` times: the last value
  // returned (0 when never called).
  double d = 0, next = static_cast<double>(s.self_heal_backoff_ms);
  for (std::int64_t i = 0; i < attempts; ++i) {
    d = next;
    if (s.self_heal_backoff_cap_ms > 0 && d > static_cast<double>(s.self_heal_backoff_cap_ms)) {
      d = static_cast<double>(s.self_heal_backoff_cap_ms);
      break;
    }
    next = d * static_cast<double>(s.self_heal_backoff_factor);
  }
  return static_cast<std::int64_t>(d);
}

bool AppController::operation_running(const model::ObjectKey& app) const {
  auto it = apps_.find(app);
  return it != apps_.end() && it->second.op && !is_completed(it->second.op->phase);
}

const OperationState* AppController::operation(const model::ObjectKey& app) const {
  auto it = apps_.find(app);
  return it == apps_.end() || !it->second.op ? nullptr : &*it->second.op;
}

Result<Application> AppController::load(const model::ObjectKey& key, const AppEnv& env, AppMeta* meta) {
  // Read without copying when the environment can (the Application's status is large).
  std::optional<model::Object> copy;
  const model::Object* o = env.peek ? env.peek(key) : nullptr;
  if (!env.peek) {
    auto got = env.client->get(key);
    if (got) copy = std::move(*got);
    o = copy ? &*copy : nullptr;
  }
  if (!o) return fail("not-found", fmt::format("application {} not found", key.name));
  const json& md = o->body()["metadata"];
  std::string generation = md.value("generation", json(0)).dump();
  if (meta) {
    meta->generation = generation;
    meta->deletion_approved = annotation(o->body(), kAnnotationDeletionApproved);
    meta->deleting = md.contains("deletionTimestamp") && !md["deletionTimestamp"].is_null();
  }
  // The spec only changes with the generation: parse once per generation.
  auto it = parsed_.find(key);
  if (it != parsed_.end() && it->second.first == generation) return it->second.second;
  model::Diagnostics diags;
  auto app = parse_application(*o, diags);
  if (!app || diags.has_errors()) return fail("invalid-spec", diags.format());
  parsed_[key] = {generation, *app};
  return std::move(*app);
}

void AppController::skip(Runtime& rt, const Application& app, const AppEnv& env, const std::string& reason,
                         const std::string& message) {
  std::string sig = reason + "|" + rt.compared_revision + "|" + message;
  if (sig == rt.skip_signature) return;  // one event per reason and revision
  rt.skip_signature = sig;
  if (env.emit)
    env.emit("argocd.auto-sync.skipped", app_object(app.ns, app.name),
             {{"reason", reason}, {"message", message}, {"revision", rt.compared_revision}});
}

Result<void> AppController::start_operation(Runtime& rt, const Application& app, SyncRequest request,
                                            const AppEnv& env) {
  OperationState st;
  st.request = std::move(request);
  st.phase = OperationPhase::Running;
  st.started_at_ms = env.now_ms;
  st.message = "";
  RenderedApp r = env.render(app, st.request.revision);
  st.sync_revision = r.ok ? r.revision : st.request.revision;
  rt.op = std::move(st);
  rt.skip_signature.clear();
  rt.condition_type.clear();
  rt.condition_message.clear();
  const SyncRequest& q = rt.op->request;
  json details = {{"revision", rt.op->sync_revision}, {"prune", q.prune}, {"automated", q.automated},
                  {"initiatedBy", q.automated ? "automated" : q.initiated_by}, {"selective", q.is_selective()},
                  {"hooks", !(q.apply_strategy || q.is_selective())}};
  if (q.self_heal_attempts > 0) details["selfHealAttempt"] = q.self_heal_attempts;
  if (q.rollback_id) details["rollbackTo"] = *q.rollback_id;
  if (q.resources) {
    json rs = json::array();
    for (const auto& k : *q.resources) rs.push_back(key_json(k));
    details["resources"] = rs;
  }
  if (env.emit) env.emit("argocd.sync.started", app_object(app.ns, app.name), details);
  return {};
}

void AppController::auto_sync(Runtime& rt, const Application& app, const AppEnv& env, AppOutcome& out) {
  const auto& automated = app.spec.sync_policy.automated;
  if (!automated || !automated->enabled) return;
  if (rt.op && !is_completed(rt.op->phase)) return;  // another operation is in progress
  if (rt.deleting) return;                            // "Skipping auto-sync: deletion in progress"
  if (rt.sync != SyncStatus::OutOfSync) return;
  const std::string& revision = rt.compared_revision;
  // Prune-only differences with automated prune off (§5).
  if (!automated->prune) {
    bool prune_only = true;
    for (const auto& r : rt.resources)
      if (r.status != SyncStatus::Synced && !r.requires_pruning) prune_only = false;
    if (prune_only) {
      skip(rt, app, env, "prune-disabled",
           fmt::format("Skipping sync attempt to {}: need to prune extra resources only but automated prune is disabled",
                       revision));
      return;
    }
  }
  SyncRequest req;
  req.revision = revision;
  req.prune = automated->prune;
  req.sync_options = app.spec.sync_policy.sync_options;
  req.retry = app.spec.sync_policy.automated_retry();
  req.automated = true;
  // "Already attempted": the last operation synced this revision (§7.2).
  const bool attempted = rt.op && rt.op->sync_revision == revision;
  if (attempted) {
    if (rt.op->phase != OperationPhase::Succeeded) {
      std::string msg = fmt::format("Failed last sync attempt to {}: {}", revision, rt.op->message);
      rt.condition_type = "SyncError";
      rt.condition_message = msg;
      skip(rt, app, env, "failed-last-attempt", msg);
      return;
    }
    if (!automated->self_heal) {
      skip(rt, app, env, "already-synced",
           fmt::format("Skipping auto-sync: most recent sync already to {}", revision));
      return;
    }
    // Self-heal (§7.3): backoff from the previous operation's finishedAt.
    std::int64_t attempts = rt.op->request.self_heal_attempts;
    std::int64_t delay = self_heal_delay_ms(settings_, attempts);
    std::int64_t since = rt.op->finished_at_ms ? env.now_ms - *rt.op->finished_at_ms : 0;
    std::int64_t remaining = delay - since;
    if (remaining > 0) {
      skip(rt, app, env, "self-heal-backoff",
           fmt::format("Skipping auto-sync: already attempted sync to {} with timeout {}ms (retrying in {}ms)",
                       revision, delay, remaining));
      out.refresh_after_ms = remaining;
      return;
    }
    req.self_heal_attempts = attempts + 1;
    req.resources.emplace();
    for (const auto& r : rt.resources)
      if (r.status != SyncStatus::Synced) req.resources->push_back(r.key);
  }
  // Refuse to delete everything (§5).
  if (automated->prune && !automated->allow_empty) {
    bool all_prune = true;
    for (const auto& r : rt.resources)
      if (!r.requires_pruning) all_prune = false;
    if (all_prune) {
      std::string msg = fmt::format("Skipping sync attempt to {}: auto-sync will wipe out all resources", revision);
      rt.condition_type = "SyncError";
      rt.condition_message = msg;
      skip(rt, app, env, "allowEmpty", msg);
      return;
    }
  }
  if (req.self_heal_attempts > 0 && env.emit) {
    json rs = json::array();
    for (const auto& k : *req.resources) rs.push_back(key_json(k));
    env.emit("argocd.self-heal", app_object(app.ns, app.name),
             {{"attempt", req.self_heal_attempts}, {"resources", rs}, {"revision", revision},
              {"backoff", self_heal_delay_ms(settings_, req.self_heal_attempts - 1)}});
  }
  (void)start_operation(rt, app, std::move(req), env);
  out.operation_after_ms = 0;
  out.operation_running = true;
}

AppOutcome AppController::refresh(const model::ObjectKey& key, const AppEnv& env) {
  AppOutcome out;
  Runtime& rt = apps_[key];
  AppMeta meta;
  auto app = load(key, env, &meta);
  if (!app) {
    if (app.error().code == "not-found") apps_.erase(key);
    return out;
  }
  const std::string object = app_object(app->ns, app->name);
  rt.deleting = meta.deleting;
  std::string target = app->spec.sources.empty() ? "HEAD" : app->spec.sources[0].target_revision;
  const std::string& generation = meta.generation;
  if (env.resolve && env.live_fingerprint && rt.compared && rt.compare_error.empty() && !rt.fingerprint.empty()) {
    auto sha = env.resolve(*app, target);
    if (sha && *sha + "|" + generation + "|" + env.live_fingerprint(*app, rt.desired) == rt.fingerprint) {
      if (env.emit)
        env.emit("argocd.refresh", object, {{"revision", rt.compared_revision}, {"sync", std::string(to_string(rt.sync))},
                                            {"health", std::string(health::to_string(rt.health))}});
      const std::string before = rt.condition_type + "\n" + rt.condition_message + "\n" +
                                 (rt.op ? std::to_string(rt.op->started_at_ms) : "-");
      auto_sync(rt, *app, env, out);
      // The status only changes when auto-sync set a condition or started an operation.
      if (before != rt.condition_type + "\n" + rt.condition_message + "\n" +
                        (rt.op ? std::to_string(rt.op->started_at_ms) : "-"))
        write_status(rt, key, *app, env);
      if (out.operation_after_ms) out.operation_running = true;
      return out;
    }
  }
  RenderedApp rendered = env.render(*app, target);
  if (!rendered.ok) {
    rt.sync = SyncStatus::Unknown;
    rt.compare_error = rendered.error;
    rt.condition_type = "ComparisonError";
    rt.condition_message = rendered.error;
    if (env.emit) env.emit("argocd.refresh", object, {{"revision", target}, {"sync", "Unknown"}, {"error", rendered.error}});
    write_status(rt, key, *app, env);
    return out;
  }
  // Targets as the controller compares them: destination namespace defaulted and the
  // tracking annotation/label set (argo-cd controller/state.go), so neither shows as drift.
  const model::KindRegistry no_kinds;
  const model::KindRegistry& kinds = env.kinds ? *env.kinds : no_kinds;
  for (auto& o : rendered.objects) {
    if (o.ns().empty() && kinds.is_namespaced(o.key().group, o.kind()) && !app->spec.destination.ns.empty()) {
      o.body()["metadata"]["namespace"] = app->spec.destination.ns;
      o.refresh_identity();
    }
    set_tracking(o, app->name, settings_.tracking);
  }
  std::vector<model::Object> live = env.live(*app, rendered.objects);
  CompareSettings cs;
  cs.app_name = app->name;
  cs.dest_namespace = app->spec.destination.ns;
  cs.tracking = settings_.tracking;
  cs.ignore_differences = app->spec.ignore_differences;
  cs.kinds = env.kinds;
  AppStatus status = compare_app(rendered.objects, live, cs);

  const bool revision_changed = rt.compared_revision != rendered.revision;
  const SyncStatus old_sync = rt.sync;
  const health::Status old_health = rt.health;
  const bool first = !rt.compared;
  rt.compared = true;
  rt.compared_revision = rendered.revision;
  rt.compare_error.clear();
  if (rt.condition_type == "ComparisonError") rt.condition_type.clear();
  rt.sync = status.sync;
  rt.health = status.health;
  rt.resources = status.resources;
  if (env.emit)
    env.emit("argocd.refresh", object, {{"revision", rendered.revision}, {"sync", std::string(to_string(status.sync))},
                                        {"health", std::string(health::to_string(status.health))}});
  if (status.sync == SyncStatus::Synced) {
    rt.skip_signature.clear();
    if (rt.condition_type == "SyncError") rt.condition_type.clear();
  }

  // argocd.drift: the set of out-of-sync resources (and their fields) changed.
  {
    json drifted = json::array();
    std::string sig;
    for (const auto& r : status.resources) {
      if (r.status == SyncStatus::Synced) continue;
      json e = {{"object", r.key.str()}, {"fields", r.diff_paths}};
      const model::Object* l = nullptr;
      for (const auto& o : live)
        if (o.key() == r.key) l = &o;
      if (!l) e["missing"] = true;
      if (r.requires_pruning) e["requiresPruning"] = true;
      if (l && env.last_writer) {
        std::string w = env.last_writer(r.key);
        if (!w.empty()) e["changedBy"] = w;
      }
      sig += r.key.str() + "|" + json(r.diff_paths).dump() + "|" + (l ? "l" : "m") + ";";
      drifted.push_back(std::move(e));
    }
    if (sig != rt.drift_signature) {
      rt.drift_signature = sig;
      if (!drifted.empty() && env.emit) {
        // A live change when Git is at the revision the last operation synced successfully.
        bool live_change = rt.op && rt.op->phase == OperationPhase::Succeeded &&
                           rt.op->sync_revision == rendered.revision && !revision_changed;
        env.emit("argocd.drift", object, {{"revision", rendered.revision}, {"resources", drifted},
                                          {"cause", first ? "initial" : live_change ? "live-change" : "git-change"}});
      }
    }
  }
  // argocd.health: app-level and per-resource changes.
  if (env.emit) {
    if (!first && old_health != status.health)
      env.emit("argocd.health", object, {{"from", std::string(health::to_string(old_health))},
                                         {"to", std::string(health::to_string(status.health))}});
    else if (first)
      env.emit("argocd.health", object, {{"from", ""}, {"to", std::string(health::to_string(status.health))}});
    std::map<model::ObjectKey, std::string> now;
    for (const auto& r : status.resources) {
      std::string h = r.health ? std::string(health::to_string(r.health->status)) : "";
      now[r.key] = h;
      auto it = rt.resource_health.find(r.key);
      std::string before = it == rt.resource_health.end() ? "" : it->second;
      if (h != before && !h.empty())
        env.emit("argocd.health", r.key.str(), {{"app", app->name}, {"from", before}, {"to", h},
                                                {"message", r.health ? r.health->message : ""}});
    }
    rt.resource_health = std::move(now);
  }
  (void)old_sync;
  if (env.live_fingerprint) {
    rt.desired = rendered.objects;
    rt.fingerprint = rendered.revision + "|" + generation + "|" + env.live_fingerprint(*app, rt.desired);
  }
  auto_sync(rt, *app, env, out);
  write_status(rt, key, *app, env);
  if (out.operation_after_ms) out.operation_running = true;
  return out;
}

AppOutcome AppController::process_operation(const model::ObjectKey& key, const AppEnv& env) {
  AppOutcome out;
  auto it = apps_.find(key);
  if (it == apps_.end() || !it->second.op || is_completed(it->second.op->phase)) return out;
  Runtime& rt = it->second;
  OperationState& st = *rt.op;
  AppMeta meta;
  auto app = load(key, env, &meta);
  if (!app) return out;
  const std::string object = app_object(app->ns, app->name);

  // Retry gate (§8): a re-armed operation waits NextRetryAt(finishedAt, retryCount).
  if (st.phase == OperationPhase::Running && st.finished_at_ms) {
    std::int64_t retry_at = *st.finished_at_ms + st.request.retry.wait_ms(st.retry_count);
    if (env.now_ms < retry_at) {
      out.operation_after_ms = retry_at - env.now_ms;
      out.operation_running = true;
      return out;
    }
    if (env.emit)
      env.emit("argocd.retry", object, {{"attempt", st.retry_count}, {"waited", env.now_ms - *st.finished_at_ms},
                                        {"revision", st.sync_revision}});
    st.finished_at_ms.reset();
    st.results.clear();
    st.dry_run_done = false;
    st.sync_fail_started = false;
    st.failure_message.clear();
    if (st.request.retry.refresh) {
      // retry.refresh: the retry syncs the latest revision of the target.
      std::string target = app->spec.sources.empty() ? "HEAD" : app->spec.sources[0].target_revision;
      RenderedApp latest = env.render(*app, target);
      if (latest.ok) st.sync_revision = latest.revision;
    }
  }
  if (st.phase == OperationPhase::Running && settings_.sync_timeout_ms > 0 &&
      env.now_ms - st.started_at_ms >= settings_.sync_timeout_ms)
    st.phase = OperationPhase::Terminating;

  RenderedApp rendered = env.render(*app, st.sync_revision);
  StepResult step;
  if (!rendered.ok) {
    st.phase = OperationPhase::Error;
    st.message = fmt::format("ComparisonError: {}", rendered.error);
    st.finished_at_ms = env.now_ms;
    step.completed = true;
  } else {
    std::vector<model::Object> live = env.live(*app, rendered.objects);
    OperationEnv oe;
    oe.client = env.client;
    oe.now_ms = env.now_ms;
    oe.app_name = app->name;
    oe.app_object = object;
    oe.dest_namespace = app->spec.destination.ns;
    oe.tracking = settings_.tracking;
    oe.ignore_differences = app->spec.ignore_differences;
    oe.managed_namespace_metadata = !app->spec.sync_policy.managed_namespace_metadata->is_null();
    oe.deletion_approved = meta.deletion_approved;
    oe.desired = &rendered.objects;
    oe.live = &live;
    oe.kinds = env.kinds;
    oe.wave_delay_ms = settings_.wave_delay_ms;
    oe.emit = env.emit;
    step = run_operation(st, oe);
  }

  if (!step.completed) {
    out.operation_running = true;
    out.operation_after_ms = step.requeue_after_ms.value_or(settings_.operation_backstop_ms);
    write_status(rt, key, *app, env);
    return out;
  }
  // Completed: retry (§8), history (§12), events.
  const bool terminated = st.message == "Operation terminated";
  if ((st.phase == OperationPhase::Failed || st.phase == OperationPhase::Error) && !terminated) {
    const RetryStrategy& retry = st.request.retry;
    if (retry.limit < 0 || st.retry_count < retry.limit) {
      // The announced time uses the count before incrementing; the gate uses the new one.
      std::int64_t announced = env.now_ms + retry.wait_ms(st.retry_count);
      if (env.emit)
        env.emit("argocd.sync.failed", object, {{"phase", std::string(to_string(st.phase))}, {"message", st.message},
                                                {"revision", st.sync_revision}, {"retrying", true},
                                                {"retryCount", st.retry_count + 1},
                                                {"nextAttemptIn", retry.wait_ms(st.retry_count + 1)}});
      st.retry_count += 1;
      st.message = fmt::format("{}. Retrying attempt #{} at {}.", st.message, st.retry_count, kitchen(announced));
      st.phase = OperationPhase::Running;
      st.finished_at_ms = env.now_ms;
      out.operation_running = true;
      out.operation_after_ms = retry.wait_ms(st.retry_count);
      write_status(rt, key, *app, env);
      return out;
    }
    if (st.retry_count > 0) st.message = fmt::format("{} (retried {} times).", st.message, st.retry_count);
  }
  if (st.phase == OperationPhase::Succeeded) {
    if (env.emit)
      env.emit("argocd.sync.succeeded", object, {{"revision", st.sync_revision}, {"message", st.message},
                                                 {"selective", st.request.is_selective()},
                                                 {"duration", env.now_ms - st.started_at_ms}});
    if (!st.request.dry_run && !st.request.is_selective()) {
      HistoryEntry h;
      h.id = rt.history.empty() ? 0 : rt.history.back().id + 1;
      h.revision = st.sync_revision;
      h.deployed_at_ms = env.now_ms;
      h.deploy_started_at_ms = st.started_at_ms;
      h.initiated_by = st.request.initiated_by;
      h.automated = st.request.automated;
      rt.history.push_back(h);
      std::int64_t limit = app->spec.revision_history_limit;
      if (limit < 0) limit = 10;
      while (static_cast<std::int64_t>(rt.history.size()) > limit) rt.history.erase(rt.history.begin());
    }
  } else if (env.emit) {
    env.emit("argocd.sync.failed", object, {{"phase", std::string(to_string(st.phase))}, {"message", st.message},
                                            {"revision", st.sync_revision}, {"retrying", false},
                                            {"retryCount", st.retry_count}});
  }
  write_status(rt, key, *app, env);
  out.refresh_after_ms = 0;  // the controller refreshes the app after an operation completes
  return out;
}

Result<void> AppController::sync(const model::ObjectKey& key, SyncRequest request, const AppEnv& env) {
  auto app = load(key, env);
  if (!app) return unexpected(app.error());
  Runtime& rt = apps_[key];
  if (rt.op && !is_completed(rt.op->phase)) return fail("argocd-sync", "another operation is already in progress");
  if (request.revision.empty())
    request.revision = app->spec.sources.empty() ? "HEAD" : app->spec.sources[0].target_revision;
  if (request.sync_options.empty()) request.sync_options = app->spec.sync_policy.sync_options;
  return start_operation(rt, *app, std::move(request), env);
}

Result<void> AppController::rollback(const model::ObjectKey& key, std::optional<std::int64_t> id, bool prune,
                                     const AppEnv& env) {
  auto app = load(key, env);
  if (!app) return unexpected(app.error());
  const auto& automated = app->spec.sync_policy.automated;
  if (automated && automated->enabled)
    return fail("argocd-rollback", "rollback cannot be initiated when auto-sync is enabled");
  Runtime& rt = apps_[key];
  if (rt.op && !is_completed(rt.op->phase)) return fail("argocd-rollback", "another operation is already in progress");
  const HistoryEntry* entry = nullptr;
  if (id) {
    for (const auto& h : rt.history)
      if (h.id == *id) entry = &h;
    if (!entry)
      return fail("argocd-rollback", fmt::format("application {} does not have deployment with id {}", app->name, *id));
  } else {
    // The CLI picks the second-to-last entry.
    if (rt.history.size() < 2)
      return fail("argocd-rollback", fmt::format("Application '{}' should have at least two successful deployments", app->name));
    entry = &rt.history[rt.history.size() - 2];
  }
  SyncRequest req;
  req.revision = entry->revision;
  req.prune = prune;
  req.apply_strategy = true;  // rollback syncs with the apply strategy: no hooks (§12)
  req.sync_options = app->spec.sync_policy.sync_options;
  req.initiated_by = "admin";
  req.rollback_id = entry->id;
  if (env.emit)
    env.emit("argocd.rollback", app_object(app->ns, app->name),
             {{"id", entry->id}, {"revision", entry->revision}, {"prune", prune}});
  return start_operation(rt, *app, std::move(req), env);
}

AppOutcome AppController::finalize_deletion(const model::ObjectKey& key, const AppEnv& env) {
  static constexpr std::string_view kResources = "resources-finalizer.argocd.argoproj.io";
  static constexpr std::string_view kBackground = "resources-finalizer.argocd.argoproj.io/background";
  static constexpr std::string_view kForeground = "resources-finalizer.argocd.argoproj.io/foreground";
  AppOutcome out;
  auto got = env.client->get(key);
  if (!got) return out;
  const json& md = got->body()["metadata"];
  if (!md.contains("deletionTimestamp") || md["deletionTimestamp"].is_null()) return out;
  auto is_policy_finalizer = [](const json& f) {
    if (!f.is_string()) return false;
    const std::string& s = f.get_ref<const std::string&>();
    return s == kResources || s == kBackground || s == kForeground;
  };
  std::string policy;  // the first propagation finalizer (Application.GetPropagationPolicy)
  json finalizers = md.value("finalizers", json::array());
  for (const auto& f : finalizers)
    if (is_policy_finalizer(f)) {
      policy = f.get<std::string>();
      break;
    }
  if (policy.empty()) return out;
  auto app = load(key, env);
  if (!app) return out;
  const std::string object = app_object(app->ns, app->name);
  const SyncOptions app_options = app->spec.sync_policy.options();
  auto should_be_deleted = [&](const model::Object& o) {
    if (o.known_kind() == model::Kind::CustomResourceDefinition) return false;
    SyncOptions res = SyncOptions::from_annotation(o.body());
    std::optional<std::string> del = res.get("Delete");
    if (!del) del = app_options.get("Delete");
    if (del && *del == "false") return false;
    for (const auto& p : annotation_csv(o.body(), "helm.sh/resource-policy"))
      if (p == "keep") return false;
    return true;
  };
  auto managed = [&]() {
    std::vector<model::Object> mine;
    for (auto& o : env.live(*app, {}))
      if (is_tracked_by(o, app->name, settings_.tracking)) mine.push_back(std::move(o));
    std::sort(mine.begin(), mine.end(), [](const model::Object& a, const model::Object& b) { return a.key() < b.key(); });
    return mine;
  };
  std::vector<model::Object> live = managed();
  std::vector<const model::Object*> objs;
  for (const auto& o : live) {
    const json& omd = o.body()["metadata"];
    if (omd.contains("deletionTimestamp") && !omd["deletionTimestamp"].is_null()) {
      // Wait for objects pending deletion before the next wave.
      out.operation_after_ms = settings_.operation_backstop_ms;
      return out;
    }
    if (should_be_deleted(o)) objs.push_back(&o);
  }
  if (!objs.empty()) {
    // FilterObjectsForDeletion: only the highest wave.
    int top = wave_of(objs.front()->body());
    for (const auto* o : objs) top = std::max(top, wave_of(o->body()));
    model::DeleteOptions opts;
    opts.propagation = policy == kBackground ? model::Propagation::Background : model::Propagation::Foreground;
    for (const auto* o : objs) {
      if (wave_of(o->body()) != top) continue;
      auto r = env.client->remove(o->key(), opts);
      if (env.emit)
        env.emit("argocd.app.delete-resource", o->key().str(),
                 r ? json{{"app", app->name}, {"wave", top}, {"propagation", policy == kBackground ? "background" : "foreground"}}
                   : json{{"app", app->name}, {"wave", top}, {"error", r.error().message}});
    }
    live = managed();
    for (const auto& o : live)
      if (should_be_deleted(o)) {
        out.operation_after_ms = settings_.operation_backstop_ms;
        return out;
      }
  }
  // UnSetCascadedDeletion: drop every propagation finalizer.
  json kept = json::array();
  for (const auto& f : finalizers)
    if (!is_policy_finalizer(f)) kept.push_back(f);
  auto r = env.client->patch(key, model::PatchType::Merge, json{{"metadata", {{"finalizers", kept}}}});
  if (env.emit)
    env.emit("argocd.app.finalized", object,
             r ? json{{"finalizer", policy}} : json{{"finalizer", policy}, {"error", r.error().message}});
  if (!r) out.operation_after_ms = settings_.operation_backstop_ms;
  return out;
}

Result<void> AppController::terminate(const model::ObjectKey& key, const AppEnv& env) {
  auto it = apps_.find(key);
  if (it == apps_.end() || !it->second.op || is_completed(it->second.op->phase))
    return fail("argocd-terminate", "Unable to terminate operation. No operation is in progress");
  it->second.op->phase = OperationPhase::Terminating;
  if (env.emit) env.emit("argocd.sync.terminating", app_object(key.ns, key.name), json::object());
  return {};
}

void AppController::write_status(Runtime& rt, const model::ObjectKey& key, const Application& app, const AppEnv& env) {
  json status = json::object();
  json sync = {{"status", std::string(to_string(rt.sync))}};
  if (!rt.compared_revision.empty()) sync["revision"] = rt.compared_revision;
  if (!app.spec.sources.empty()) {
    const auto& s = app.spec.sources[0];
    sync["comparedTo"] = {{"source", {{"repoURL", s.repo_url}, {"path", s.path}, {"targetRevision", s.target_revision}}},
                          {"destination", {{"server", app.spec.destination.server}, {"namespace", app.spec.destination.ns}}}};
  }
  status["sync"] = sync;
  status["health"] = {{"status", std::string(health::to_string(rt.health))}};
  json resources = json::array();
  for (const auto& r : rt.resources) {
    json e = {{"group", r.key.group}, {"kind", r.key.kind}, {"namespace", r.key.ns}, {"name", r.key.name},
              {"status", std::string(to_string(r.status))}};
    if (r.health) {
      e["health"] = {{"status", std::string(health::to_string(r.health->status))}};
      if (!r.health->message.empty()) e["health"]["message"] = r.health->message;
    }
    if (r.requires_pruning) e["requiresPruning"] = true;
    resources.push_back(std::move(e));
  }
  status["resources"] = resources;
  if (rt.op) status["operationState"] = rt.op->to_json();
  if (!rt.history.empty()) {
    json h = json::array();
    for (const auto& e : rt.history) {
      json entry = {{"id", e.id}, {"revision", e.revision}, {"deployedAt", format_unix_ms(e.deployed_at_ms)},
                    {"deployStartedAt", format_unix_ms(e.deploy_started_at_ms)}};
      if (!app.spec.sources.empty())
        entry["source"] = {{"repoURL", app.spec.sources[0].repo_url}, {"path", app.spec.sources[0].path},
                           {"targetRevision", app.spec.sources[0].target_revision}};
      entry["initiatedBy"] = e.automated ? json{{"automated", true}} : json{{"username", e.initiated_by}};
      h.push_back(std::move(entry));
    }
    status["history"] = h;
  }
  if (!rt.condition_type.empty())
    status["conditions"] = json::array({{{"type", rt.condition_type}, {"message", rt.condition_message}}});
  if (!rt.last_status->is_null() && *rt.last_status == status) return;
  auto got = env.client->get(key);
  if (!got) return;
  got->body()["status"] = status;
  if (env.client->update_status(std::move(*got))) rt.last_status = model::JsonBox(std::move(status));
}

}  // namespace rehearse::argocd
