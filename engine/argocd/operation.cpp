#include "engine/argocd/operation.hpp"

#include <algorithm>
#include <cstdio>
#include <map>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "engine/health/health.hpp"
#include "engine/model/check.hpp"

namespace rehearse::argocd {

using nlohmann::json;

namespace {

constexpr std::string_view kHookFinalizer = "argocd.argoproj.io/hook-finalizer";
// gitops-engine uses this manager for server-side apply; Argo CD's client-side applies
// show up under the same name in managedFields.
constexpr const char* kFieldManager = "argocd-controller";

std::string obj_str(const model::ObjectKey& k) {
  // "Kind/ns/name" as the trace prints objects (ObjectKey::str()).
  return k.str();
}

bool has_finalizer(const model::Object& o) {
  const json& md = o.body()["metadata"];
  if (!md.contains("finalizers") || !md["finalizers"].is_array()) return false;
  for (const auto& f : md["finalizers"])
    if (f.is_string() && f.get<std::string>() == kHookFinalizer) return true;
  return false;
}

bool is_terminating(const model::Object& o) {
  return o.body()["metadata"].contains("deletionTimestamp");
}

// Removes the hook finalizer with a merge patch of the remaining list.
bool remove_hook_finalizer(model::ClusterClient& client, const model::Object& live) {
  if (!has_finalizer(live)) return true;
  json keep = json::array();
  for (const auto& f : live.body()["metadata"]["finalizers"])
    if (!(f.is_string() && f.get<std::string>() == kHookFinalizer)) keep.push_back(f);
  auto r = client.patch(live.key(), model::PatchType::Merge,
                        json{{"metadata", {{"finalizers", keep.empty() ? json(nullptr) : keep}}}});
  return r.ok() || r.error().reason == "NotFound";
}

std::string hook_type_name(const SyncTask& t) {
  return t.is_hook ? std::string(to_string(t.phase)) : std::string();
}

bool has_policy(const SyncTask& t, DeletePolicy p) {
  return std::find(t.delete_policies.begin(), t.delete_policies.end(), p) != t.delete_policies.end();
}

std::string lower(std::string s) {
  for (char& c : s)
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  return s;
}

// kubectl's "deployment.apps/name" spelling for messages.
std::string kubectl_name(const model::ObjectKey& k) {
  return lower(k.kind) + (k.group.empty() ? "" : "." + k.group) + "/" + k.name;
}

model::Propagation propagation_of(const SyncOptions& opts) {
  auto p = opts.get("PrunePropagationPolicy");
  if (p == "background") return model::Propagation::Background;
  if (p == "orphan") return model::Propagation::Orphan;
  return model::Propagation::Foreground;  // §5: foreground by default
}

std::string_view propagation_name(model::Propagation p) {
  switch (p) {
    case model::Propagation::Background: return "background";
    case model::Propagation::Foreground: return "foreground";
    case model::Propagation::Orphan: return "orphan";
  }
  return "foreground";
}

// Days from civil (Howard Hinnant's algorithm), for RFC 3339 without a clock.
void civil_from_days(std::int64_t z, int& y, unsigned& m, unsigned& d) {
  z += 719468;
  const std::int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  const unsigned doe = static_cast<unsigned>(z - era * 146097);
  const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const std::int64_t yy = static_cast<std::int64_t>(yoe) + era * 400;
  const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const unsigned mp = (5 * doy + 2) / 153;
  d = doy - (153 * mp + 2) / 5 + 1;
  m = mp < 10 ? mp + 3 : mp - 9;
  y = static_cast<int>(yy + (m <= 2 ? 1 : 0));
}

// Parses "YYYY-MM-DDTHH:MM:SSZ" (fraction and offset Z only) into Unix ms; nullopt on error.
std::optional<std::int64_t> parse_rfc3339_ms(std::string_view s) {
  int y, mo, d, h, mi, se;
  if (s.size() < 20) return std::nullopt;
  std::string str(s);
  if (std::sscanf(str.c_str(), "%4d-%2d-%2dT%2d:%2d:%2d", &y, &mo, &d, &h, &mi, &se) != 6) return std::nullopt;
  // days_from_civil
  y -= mo <= 2;
  const std::int64_t era = (y >= 0 ? y : y - 399) / 400;
  const unsigned yoe = static_cast<unsigned>(y - era * 400);
  const unsigned doy = (153 * (mo > 2 ? mo - 3 : mo + 9) + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  std::int64_t days = era * 146097 + static_cast<std::int64_t>(doe) - 719468;
  return ((days * 86400) + h * 3600 + mi * 60 + se) * 1000;
}

struct Ctx {
  OperationState& st;
  const OperationEnv& env;
  std::map<model::ObjectKey, const model::Object*> live;

  const model::Object* live_of(const model::ObjectKey& k) const {
    auto it = live.find(k);
    return it == live.end() ? nullptr : it->second;
  }
  void emit(std::string_view kind, const model::ObjectKey& k, json details) const {
    if (env.emit) env.emit(kind, obj_str(k), details);
  }
  void emit_app(std::string_view kind, json details) const {
    if (env.emit) env.emit(kind, env.app_object, details);
  }
};

ResourceResult& add_result(OperationState& st, const SyncTask& t) {
  ResourceResult* r = st.find(t.key, t.phase);
  if (!r) {
    st.results.emplace_back();
    r = &st.results.back();
  }
  r->key = t.key;
  std::string_view av = t.api_version;
  r->version = std::string(model::split_api_version(av).second);
  r->phase = t.phase;
  r->wave = t.wave;
  r->is_hook = t.is_hook;
  r->hook_type = hook_type_name(t);
  r->prune = t.operation == TaskOperation::Prune;
  return *r;
}

void finish(OperationState& st, OperationPhase phase, std::string message, std::int64_t now) {
  st.phase = phase;
  st.message = std::move(message);
  st.finished_at_ms = now;
}

// Deletes the hooks of this operation whose delete policy matches the outcome (§2.4).
void delete_hooks(Ctx& c, const std::vector<const SyncTask*>& hooks, DeletePolicy policy) {
  for (const SyncTask* t : hooks) {
    if (!has_policy(*t, policy)) continue;
    const ResourceResult* r = c.st.find(t->key, t->phase);
    if (!r) continue;  // never created by this operation
    const model::Object* l = c.live_of(t->key);
    if (!l) continue;
    remove_hook_finalizer(*c.env.client, *l);
    auto del = c.env.client->remove(t->key, model::DeleteOptions{model::Propagation::Background, {}});
    c.emit("argocd.hook.deleted", t->key, {{"policy", std::string(to_string(policy))},
                                           {"ok", del.ok() || del.error().reason == "NotFound"}});
  }
}

enum class StepRun { Successful, Failed, Pending };

// Applies one task (§3.4 step 5, §9 apply modes).
bool apply_task(Ctx& c, const SyncTask& t, std::string& error) {
  // The namespace CreateNamespace synthesizes is not tracked as the app's (so never a prune
  // candidate) unless managedNamespaceMetadata makes the app manage it (§9).
  const bool untracked = t.owned && !c.env.managed_namespace_metadata;
  model::Object obj = t.materialize(untracked ? std::string_view{} : std::string_view{c.env.app_name}, c.env.tracking);
  model::ClusterClient& client = *c.env.client;
  model::ApiResult<model::Object> r = model::ApiResult<model::Object>(model::Object{});
  std::string mode = "apply";
  const model::Object* l = c.live_of(t.key);
  switch (t.apply_mode) {
    case ApplyMode::Apply:
      r = client.apply(std::move(obj), model::ApplyOptions{kFieldManager, false, false});
      break;
    case ApplyMode::ServerSideApply:
      mode = "server-side-apply";
      r = client.apply(std::move(obj), model::ApplyOptions{kFieldManager, true, true});
      break;
    case ApplyMode::Replace:
      mode = "replace";
      r = l ? client.update(std::move(obj)) : client.create(std::move(obj));
      break;
  }
  ResourceResult& res = add_result(c.st, t);
  if (!r) {
    res.status = ResultCode::SyncFailed;
    res.state = OperationPhase::Failed;
    res.message = r.error().message;
    error = r.error().message;
    c.emit("argocd.apply", t.key, {{"phase", std::string(to_string(t.phase))}, {"wave", t.wave},
                                   {"mode", mode}, {"ok", false}, {"error", error}, {"hook", t.is_hook}});
    return false;
  }
  res.status = ResultCode::Synced;
  res.state = OperationPhase::Running;
  res.message = fmt::format("{} {}", kubectl_name(t.key), l ? "configured" : "created");
  c.emit(t.is_hook ? "argocd.hook.created" : "argocd.apply", t.key,
         {{"phase", std::string(to_string(t.phase))}, {"wave", t.wave}, {"mode", mode}, {"ok", true},
          {"result", l ? "configured" : "created"}, {"hook", t.is_hook}});
  return true;
}

// Executes one step (§3.4). `first_error` gets the first apply/prune error.
StepRun run_step(Ctx& c, const SyncPlan& plan, const std::vector<size_t>& pending, std::string& first_error,
                 std::string& wait_message) {
  const SyncOptions app_opts(c.st.request.sync_options);
  // 1. leftover hook finalizers of this step's live hooks (idempotency, §2.4).
  for (size_t i : pending) {
    const SyncTask& t = plan.tasks[i];
    if (!t.is_hook) continue;
    if (const model::Object* l = c.live_of(t.key); l && !t.delete_before_creation)
      remove_hook_finalizer(*c.env.client, *l);
  }
  // 2. prune confirmation (§5 Prune=confirm).
  for (size_t i : pending) {
    const SyncTask& t = plan.tasks[i];
    if (t.operation != TaskOperation::Prune || t.prune != PruneDecision::NeedsConfirmation) continue;
    auto approved = parse_rfc3339_ms(c.env.deletion_approved);
    if (!approved || *approved < (c.st.started_at_ms / 1000) * 1000) {
      wait_message = fmt::format("waiting for pruning confirmation of {}", t.short_name());
      return StepRun::Pending;
    }
  }
  // 3. prunes.
  bool failed = false;
  for (size_t i : pending) {
    const SyncTask& t = plan.tasks[i];
    if (t.operation != TaskOperation::Prune) continue;
    ResourceResult& res = add_result(c.st, t);
    res.state = OperationPhase::Succeeded;
    if (t.prune == PruneDecision::SkipRequiresPruning || t.prune == PruneDecision::SkipNoPrune) {
      res.status = ResultCode::PruneSkipped;
      res.message = t.prune == PruneDecision::SkipNoPrune ? "ignored (no prune)" : "ignored (requires pruning)";
      c.emit("argocd.prune.skipped", t.key, {{"reason", res.message}, {"wave", t.wave}});
      continue;
    }
    const model::Object* l = c.live_of(t.key);
    res.status = ResultCode::Pruned;
    res.message = "pruned";
    if (!l || is_terminating(*l)) continue;  // already deleting: still counts as Pruned (§5)
    model::Propagation prop = propagation_of(app_opts);
    auto r = c.env.client->remove(t.key, model::DeleteOptions{prop, {}});
    if (!r && r.error().reason != "NotFound") {
      res.status = ResultCode::SyncFailed;
      res.state = OperationPhase::Failed;
      res.message = r.error().message;
      if (first_error.empty()) first_error = r.error().message;
      failed = true;
      continue;
    }
    c.emit("argocd.prune", t.key, {{"wave", t.wave}, {"propagation", std::string(propagation_name(prop))},
                                   {"pruneLast", t.prune_last}});
  }
  if (failed) return StepRun::Failed;  // a failed prune ends the step before any apply
  // 4. BeforeHookCreation deletions: the hooks are created on a later call (§2.4).
  bool deleting = false;
  for (size_t i : pending) {
    const SyncTask& t = plan.tasks[i];
    if (!t.is_hook || !t.delete_before_creation) continue;
    const model::Object* l = c.live_of(t.key);
    if (!l) continue;
    deleting = true;
    wait_message = fmt::format("waiting for deletion of hook {}", t.short_name());
    if (is_terminating(*l)) continue;
    remove_hook_finalizer(*c.env.client, *l);
    (void)c.env.client->remove(t.key, model::DeleteOptions{model::Propagation::Background, {}});
    c.emit("argocd.hook.deleted", t.key, {{"policy", "BeforeHookCreation"}, {"ok", true}});
  }
  if (deleting) return StepRun::Pending;
  // 5. apply batches, in order; a failed batch does not stop later ones (§3.4).
  for (const auto& step : plan.steps)
    for (const auto& batch : step.apply_batches)
      for (size_t i : batch) {
        if (std::find(pending.begin(), pending.end(), i) == pending.end()) continue;
        std::string err;
        if (!apply_task(c, plan.tasks[i], err)) {
          failed = true;
          if (first_error.empty()) first_error = err;
        }
      }
  return failed ? StepRun::Failed : StepRun::Successful;
}

// Refreshes Running results of `tasks` from live health (§4 rule 3, §2.5).
void refresh_running(Ctx& c, const std::vector<const SyncTask*>& tasks) {
  for (const SyncTask* t : tasks) {
    ResourceResult* r = c.st.find(t->key, t->phase);
    if (!r || r->state != OperationPhase::Running || r->prune) continue;
    const model::Object* l = c.live_of(t->key);
    OperationPhase next = OperationPhase::Running;
    if (!l) {
      // A running hook that disappeared fails the task; a missing resource keeps waiting.
      if (!t->is_hook) continue;
      r->status = ResultCode::SyncFailed;
      next = OperationPhase::Error;
      r->message = fmt::format("Resource {} is missing, it might have been deleted", t->short_name());
    } else {
      next = task_state_from_health(*l, t->is_hook);
    }
    if (next == r->state) continue;
    r->state = next;
    if (t->is_hook) {
      if (l && !r->finalizer_removed) {
        remove_hook_finalizer(*c.env.client, *l);
        r->finalizer_removed = true;
      }
      c.emit(next == OperationPhase::Succeeded ? "argocd.hook.succeeded" : "argocd.hook.failed", t->key,
             {{"phase", std::string(to_string(t->phase))}, {"wave", t->wave}});
    } else if (next == OperationPhase::Failed) {
      auto h = health::assess(*l);
      r->message = h ? h->message : r->message;
      c.emit("argocd.sync.resource-degraded", t->key, {{"wave", t->wave}, {"message", r->message}});
    }
  }
}

void terminate(Ctx& c, const SyncPlan* plan) {
  // Running hooks lose their finalizer and are deleted (§4 Termination).
  bool cleanup_failed = false;
  for (auto& r : c.st.results) {
    if (!r.is_hook || r.state != OperationPhase::Running) continue;
    const model::Object* l = c.live_of(r.key);
    if (l) {
      if (!remove_hook_finalizer(*c.env.client, *l)) cleanup_failed = true;
      auto d = c.env.client->remove(r.key, model::DeleteOptions{model::Propagation::Background, {}});
      if (!d && d.error().reason != "NotFound") cleanup_failed = true;
    }
    r.state = OperationPhase::Failed;
    r.message = "Terminated";
  }
  (void)plan;
  finish(c.st, cleanup_failed ? OperationPhase::Error : OperationPhase::Failed, "Operation terminated", c.env.now_ms);
}

std::string join_names(const std::vector<std::string>& v) {
  std::string out;
  for (size_t i = 0; i < v.size(); ++i) out += (i ? ", " : "") + v[i];
  return out;
}

}  // namespace

std::string_view to_string(OperationPhase p) {
  switch (p) {
    case OperationPhase::Running: return "Running";
    case OperationPhase::Terminating: return "Terminating";
    case OperationPhase::Failed: return "Failed";
    case OperationPhase::Error: return "Error";
    case OperationPhase::Succeeded: return "Succeeded";
  }
  return "Error";
}

std::string_view to_string(ResultCode c) {
  switch (c) {
    case ResultCode::Synced: return "Synced";
    case ResultCode::SyncFailed: return "SyncFailed";
    case ResultCode::Pruned: return "Pruned";
    case ResultCode::PruneSkipped: return "PruneSkipped";
  }
  return "SyncFailed";
}

std::string format_unix_ms(std::int64_t unix_ms) {
  std::int64_t secs = unix_ms >= 0 ? unix_ms / 1000 : -((-unix_ms + 999) / 1000);
  std::int64_t days = secs >= 0 ? secs / 86400 : -((-secs + 86399) / 86400);
  std::int64_t rem = secs - days * 86400;
  int y;
  unsigned m, d;
  civil_from_days(days, y, m, d);
  return fmt::format("{:04d}-{:02d}-{:02d}T{:02d}:{:02d}:{:02d}Z", y, m, d, rem / 3600, (rem % 3600) / 60, rem % 60);
}

OperationPhase task_state_from_health(const model::Object& live, bool is_hook) {
  auto h = health::assess(live);
  if (!h) return OperationPhase::Succeeded;  // no health check: Succeeded (§2.5, §4 rule 3)
  switch (h->status) {
    case health::Status::Healthy: return OperationPhase::Succeeded;
    case health::Status::Degraded: return OperationPhase::Failed;
    case health::Status::Unknown: return is_hook ? OperationPhase::Failed : OperationPhase::Running;
    default: return OperationPhase::Running;  // Progressing, Suspended, Missing
  }
}

const ResourceResult* OperationState::find(const model::ObjectKey& key, SyncPhase phase) const {
  for (const auto& r : results)
    if (r.phase == phase && r.key == key) return &r;
  return nullptr;
}
ResourceResult* OperationState::find(const model::ObjectKey& key, SyncPhase phase) {
  for (auto& r : results)
    if (r.phase == phase && r.key == key) return &r;
  return nullptr;
}

json OperationState::to_json() const {
  json sync = {{"revision", request.revision}, {"prune", request.prune}};
  if (!request.sync_options.empty()) sync["syncOptions"] = request.sync_options;
  if (request.apply_strategy) sync["syncStrategy"] = {{"apply", json::object()}};
  else sync["syncStrategy"] = {{"hook", json::object()}};
  if (request.dry_run) sync["dryRun"] = true;
  if (request.resources) {
    json rs = json::array();
    for (const auto& k : *request.resources) rs.push_back({{"group", k.group}, {"kind", k.kind}, {"name", k.name}, {"namespace", k.ns}});
    sync["resources"] = rs;
  }
  if (request.self_heal_attempts > 0) sync["selfHealAttemptsCount"] = request.self_heal_attempts;
  json initiated = request.automated ? json{{"automated", true}} : json{{"username", request.initiated_by}};
  json op = {{"sync", sync}, {"initiatedBy", initiated}};
  if (request.retry.limit != 0)
    op["retry"] = {{"limit", request.retry.limit},
                   {"backoff", {{"duration", fmt::format("{}s", request.retry.backoff.duration_ms / 1000)},
                                {"factor", request.retry.backoff.factor},
                                {"maxDuration", fmt::format("{}s", request.retry.backoff.max_duration_ms / 1000)}}}};
  json resources = json::array();
  for (const auto& r : results) {
    json e = {{"group", r.key.group}, {"version", r.version}, {"kind", r.key.kind}, {"namespace", r.key.ns},
              {"name", r.key.name}, {"status", std::string(to_string(r.status))}, {"message", r.message},
              {"syncPhase", std::string(to_string(r.phase))}, {"hookPhase", std::string(to_string(r.state))}};
    if (r.is_hook) e["hookType"] = r.hook_type;
    resources.push_back(std::move(e));
  }
  json out = {{"operation", op},
              {"phase", std::string(to_string(phase))},
              {"message", message},
              {"startedAt", format_unix_ms(started_at_ms)},
              {"syncResult", {{"revision", sync_revision}, {"resources", resources}}}};
  if (finished_at_ms) out["finishedAt"] = format_unix_ms(*finished_at_ms);
  if (retry_count > 0) out["retryCount"] = retry_count;
  return out;
}

StepResult run_operation(OperationState& st, const OperationEnv& env) {
  REHEARSE_CHECK(!is_completed(st.phase), "run_operation on a completed operation");
  REHEARSE_CHECK(env.client && env.desired && env.live, "OperationEnv incomplete");
  Ctx c{st, env, {}};
  for (const auto& l : *env.live) c.live.emplace(l.key(), &l);

  if (st.phase == OperationPhase::Terminating) {
    terminate(c, nullptr);
    c.emit_app("argocd.sync.failed", {{"phase", std::string(to_string(st.phase))}, {"message", st.message},
                                      {"revision", st.sync_revision}});
    return {std::nullopt, true};
  }

  SyncSettings s;
  s.app_name = env.app_name;
  s.dest_namespace = env.dest_namespace;
  s.prune = st.request.prune;
  s.sync_options = st.request.sync_options;
  s.tracking = env.tracking;
  s.revision = st.sync_revision;
  s.started_at_unix = st.started_at_ms / 1000;
  s.skip_hooks = st.request.apply_strategy;
  s.resources = st.request.resources;
  s.ignore_differences = env.ignore_differences;
  s.managed_namespace_metadata = env.managed_namespace_metadata;
  s.kinds = env.kinds;
  SyncPlan plan = plan_sync(*env.desired, *env.live, s);

  // §4 step 1: invalid tasks fail the operation without SyncFail hooks.
  if (!plan.errors.empty()) {
    finish(st, OperationPhase::Failed,
           fmt::format("one or more synchronization tasks are not valid: {}", plan.errors.front()), env.now_ms);
    return {std::nullopt, true};
  }

  // §4 step 2: the destination Namespace (CreateNamespace task or a manifest of that name)
  // is created before anything else. The dry run itself is not simulated.
  if (!st.dry_run_done) {
    st.dry_run_done = true;
    for (const auto& t : plan.tasks) {
      if (t.key.group.empty() && t.key.kind == "Namespace" && t.key.name == env.dest_namespace && !t.live &&
          t.operation != TaskOperation::Prune) {
        std::string err;
        if (!apply_task(c, t, err)) {
          finish(st, OperationPhase::Failed, fmt::format("one or more objects failed to apply, reason: {}", err), env.now_ms);
          return {std::nullopt, true};
        }
        // A Namespace has no health check: its task is complete once applied (§4 rule 3).
        if (ResourceResult* r = st.find(t.key, t.phase)) r->state = OperationPhase::Succeeded;
      }
    }
  }

  std::vector<const SyncTask*> all, hooks, sync_fail;
  for (const auto& t : plan.tasks) {
    all.push_back(&t);
    if (t.is_hook) hooks.push_back(&t);
  }
  for (const auto& t : plan.sync_fail) {
    sync_fail.push_back(&t);
    hooks.push_back(&t);
  }

  // SyncFail phase in progress (§2.6): wait for its hooks, then end Failed.
  if (st.sync_fail_started) {
    refresh_running(c, sync_fail);
    std::vector<std::string> running, failed;
    for (const SyncTask* t : sync_fail) {
      const ResourceResult* r = st.find(t->key, t->phase);
      if (!r) continue;
      if (r->state == OperationPhase::Running) running.push_back(t->short_name());
      else if (r->state != OperationPhase::Succeeded) failed.push_back(fmt::format("{}: {}", t->short_name(), r->message));
    }
    if (!running.empty()) {
      st.message = fmt::format("waiting for completion of hook {}", join_names(running));
      return {std::nullopt, false};
    }
    std::string msg = st.failure_message;
    if (!failed.empty()) msg += fmt::format(". SyncFail hook failed: {}", join_names(failed));
    delete_hooks(c, hooks, DeletePolicy::HookFailed);
    finish(st, OperationPhase::Failed, msg, env.now_ms);
    return {std::nullopt, true};
  }

  auto fail_with_sync_fail = [&](std::string message) -> StepResult {
    delete_hooks(c, hooks, DeletePolicy::HookFailed);
    if (!plan.sync_fail.empty()) {
      st.sync_fail_started = true;
      st.failure_message = message;
      st.message = message;
      c.emit_app("argocd.hook.sync-fail", {{"hooks", plan.sync_fail.size()}});
      for (const auto& t : plan.sync_fail) {
        std::string err;
        apply_task(c, t, err);
      }
      return {std::nullopt, false};
    }
    finish(st, OperationPhase::Failed, std::move(message), env.now_ms);
    return {std::nullopt, true};
  };

  // §4 rule 3: refresh running tasks from live state.
  refresh_running(c, all);

  // §4 rule 4: wait for running tasks (multi-step) or running hooks.
  {
    std::vector<std::string> running_hooks, running;
    for (const SyncTask* t : all) {
      const ResourceResult* r = st.find(t->key, t->phase);
      if (!r || r->state != OperationPhase::Running) continue;
      (t->is_hook ? running_hooks : running).push_back(t->short_name());
    }
    if (!running_hooks.empty()) {
      st.message = fmt::format("waiting for completion of hook {}", join_names(running_hooks));
      return {std::nullopt, false};
    }
    if (plan.multi_step && !running.empty()) {
      st.message = fmt::format("waiting for healthy state of {}", join_names(running));
      return {std::nullopt, false};
    }
  }
  // §4 rule 5: pruned objects must be gone before the next step.
  {
    std::vector<std::string> deleting;
    for (const auto& r : st.results)
      if (r.prune && r.status == ResultCode::Pruned)
        if (const model::Object* l = c.live_of(r.key); l && is_terminating(*l))
          deleting.push_back(fmt::format("{}/{}", r.key.kind, r.key.name));
    if (!deleting.empty()) {
      st.message = fmt::format("waiting for deletion of {}", join_names(deleting));
      return {std::nullopt, false};
    }
  }
  // §4 rule 6: a completed task that was unsuccessful fails the operation.
  for (const SyncTask* t : all) {
    const ResourceResult* r = st.find(t->key, t->phase);
    if (r && (r->state == OperationPhase::Failed || r->state == OperationPhase::Error))
      return fail_with_sync_fail("one or more synchronization tasks completed unsuccessfully");
  }
  // Pending tasks, in plan order.
  std::vector<size_t> pending;
  for (size_t i = 0; i < plan.tasks.size(); ++i)
    if (!st.find(plan.tasks[i].key, plan.tasks[i].phase)) pending.push_back(i);
  // §4 rule 7.
  if (pending.empty()) {
    delete_hooks(c, hooks, DeletePolicy::HookSucceeded);
    finish(st, OperationPhase::Succeeded, "successfully synced (no more tasks)", env.now_ms);
    return {std::nullopt, true};
  }
  // §4 rule 8: the next step = the pending tasks sharing the first pending task's (phase, wave).
  const SyncTask& first = plan.tasks[pending.front()];
  std::vector<size_t> step;
  bool step_has_hooks = false;
  for (size_t i : pending)
    if (plan.tasks[i].phase == first.phase && plan.tasks[i].wave == first.wave) {
      step.push_back(i);
      if (plan.tasks[i].is_hook) step_has_hooks = true;
    }
  const bool last_step = step.size() == pending.size();
  json names = json::array();
  for (size_t i : step) names.push_back(plan.tasks[i].short_name());
  c.emit_app("argocd.sync.step", {{"phase", std::string(to_string(first.phase))}, {"wave", first.wave},
                                  {"tasks", names}, {"last", last_step}});
  std::string first_error, wait_message;
  StepRun run = run_step(c, plan, step, first_error, wait_message);
  if (run == StepRun::Pending) {
    st.message = wait_message;
    return {std::nullopt, false};
  }
  if (run == StepRun::Failed)
    return fail_with_sync_fail(fmt::format("one or more objects failed to apply, reason: {}", first_error));
  // §4 rule 9: a last step without hooks ends the operation; its health is not awaited.
  if (last_step && !step_has_hooks) {
    delete_hooks(c, hooks, DeletePolicy::HookSucceeded);
    finish(st, OperationPhase::Succeeded, "successfully synced (all tasks run)", env.now_ms);
    return {std::nullopt, true};
  }
  st.message = fmt::format("waiting for the next wave after {} wave {}", to_string(first.phase), first.wave);
  if (last_step) return {std::nullopt, false};
  // The wave hook sleeps before the next call (§4 rule 8).
  return {env.wave_delay_ms, false};
}

}  // namespace rehearse::argocd
