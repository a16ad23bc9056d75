#include "engine/flux/kustomization_controller.hpp"

#include <algorithm>
#include <set>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "engine/kustomize/envsubst.hpp"
#include "engine/kustomize/kustomize.hpp"

namespace rehearse::flux {

using nlohmann::json;

namespace {

constexpr const char* kSourceGroup = "source.toolkit.fluxcd.io";
constexpr const char* kKustomizeGroup = "kustomize.toolkit.fluxcd.io";
constexpr const char* kActor = "kustomize-controller";

std::string base64_decode(const std::string& in) {
  static const std::string chars = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  int val = 0, bits = -8;
  for (char c : in) {
    size_t p = chars.find(c);
    if (p == std::string::npos) continue;
    val = (val << 6) + static_cast<int>(p);
    bits += 6;
    if (bits >= 0) {
      out.push_back(static_cast<char>((val >> bits) & 0xFF));
      bits -= 8;
    }
  }
  return out;
}

std::string json_str(const json& j, const char* key) {
  auto it = j.find(key);
  return it != j.end() && it->is_string() ? it->get<std::string>() : std::string();
}

std::string status_str(const json& body, const char* key) {
  auto st = body.find("status");
  if (st == body.end() || !st->is_object()) return {};
  return json_str(*st, key);
}

std::string annotation(const json& body, const char* key) {
  if (!body.contains("metadata") || !body["metadata"].contains("annotations")) return {};
  return json_str(body["metadata"]["annotations"], key);
}

std::int64_t generation_of(const json& body) {
  return body.value("metadata", json::object()).value("generation", std::int64_t{1});
}

// The status a pass writes, on a copy of the Kustomization's status.
struct StatusWriter {
  json status;
  std::int64_t generation;
  SimTime now;

  void ready(const char* s, std::string_view reason, std::string_view message) {
    set_condition(status, "Ready", s, reason, message, now, generation);
  }
  void reconciling(std::string_view reason, std::string_view message) {
    set_condition(status, "Reconciling", "True", reason, message, now, generation);
  }
  // A failed attempt: Ready=False, Reconciling (if present) flips to ProgressingWithRetry (§1).
  void failed(std::string_view reason, std::string_view message) {
    ready("False", reason, message);
    if (const json* r = find_status_condition(status, "Reconciling")) {
      std::string msg = json_str(*r, "message");
      set_condition(status, "Reconciling", "True", "ProgressingWithRetry", msg, now, generation);
    }
  }
};

json inventory_json(const std::vector<model::Object>& objects, const std::vector<model::Object>& kept) {
  std::map<std::string, std::string> entries;  // id -> version, sorted like upstream's
  for (const auto& o : objects) entries[inventory_id(o.key())] = std::string(o.version());
  for (const auto& o : kept) entries[inventory_id(o.key())] = std::string(o.version());
  json arr = json::array();
  for (const auto& [id, v] : entries) arr.push_back({{"id", id}, {"v", v}});
  return json{{"entries", arr}};
}

std::vector<model::ObjectKey> inventory_keys(const json& body) {
  std::vector<model::ObjectKey> keys;
  auto st = body.find("status");
  if (st == body.end() || !st->contains("inventory")) return keys;
  const json& inv = (*st)["inventory"];
  if (!inv.contains("entries") || !inv["entries"].is_array()) return keys;
  for (const auto& e : inv["entries"])
    if (auto k = parse_inventory_id(json_str(e, "id"))) keys.push_back(*k);
  return keys;
}

// Every field of `want` is present in `have` with the same value (lists compared whole).
bool subset(const json& want, const json& have) {
  if (want.is_object()) {
    if (!have.is_object()) return false;
    for (auto it = want.begin(); it != want.end(); ++it) {
      auto h = have.find(it.key());
      if (h == have.end() || !subset(*it, *h)) return false;
    }
    return true;
  }
  return want == have;
}

std::string resource_version(const json& body) {
  auto m = body.find("metadata");
  return m == body.end() ? std::string() : json_str(*m, "resourceVersion");
}

std::string describe(const model::ObjectKey& k) {
  return k.ns.empty() ? fmt::format("{}/{}", k.kind, k.name) : fmt::format("{}/{}/{}", k.kind, k.ns, k.name);
}

}  // namespace

model::ObjectKey kustomization_key(std::string ns, std::string name) {
  return {kKustomizeGroup, "Kustomization", std::move(ns), std::move(name)};
}

void KustomizationController::object_changed(const model::ObjectKey& key) {
  ++changes_;
  if (settled_.empty()) return;
  model::ObjectKey k{key.group, key.kind, "", key.name};
  auto it = readers_.find(k);
  if (it == readers_.end()) return;
  for (const auto& ks : it->second) settled_.erase(ks);
  readers_.erase(it);  // every reader is unsettled now
}

ReconcileOutcome KustomizationController::reconcile(const model::ObjectKey& key, const KustomizeEnv& env) {
  ReconcileOutcome out;
  // Settled (see track_changes): nothing this pass would read has changed since the last one,
  // which succeeded without writing; it would decide the same things again.
  if (tracking_) {
    auto s = settled_.find(key);
    if (s != settled_.end()) {
      if (s->second.strict == env.strict_substitution && !waits_.count(key)) {
        out.requeue_after = jittered(s->second.interval, env.jitter_unit, env.jitter_percent);
        return out;
      }
      settled_.erase(s);
    }
  }
  model::ClusterClient& client = *env.client;
  const std::string subject = key.str();
  auto event = [&](std::string kind, std::string object, json details) {
    out.events.push_back({std::move(kind), std::move(object), model::JsonBox(std::move(details))});
  };

  const std::uint64_t changes_before = changes_;
  int writes = 0;  // API writes made by this pass
  // Reads without a copy when the host offers it (ApiServer::find).
  auto read = [&](const model::ObjectKey& k, std::optional<model::Object>& slot) -> const model::Object* {
    if (env.find) return env.find(k);
    auto r = client.get(k);
    if (!r) return nullptr;
    slot.emplace(std::move(*r));
    return &*slot;
  };

  auto got = client.get(key);
  if (!got) {
    waits_.erase(key);
    prepared_.erase(key);
    return out;
  }
  model::Object ks = std::move(*got);
  json& body = ks.body();
  json& meta = body["metadata"];

  // Deletion: garbage-collect the inventory per MirrorPrune, then release the finalizer (§3.7).
  if (meta.contains("deletionTimestamp") && !meta["deletionTimestamp"].is_null()) {
    waits_.erase(key);
    auto spec = parse_kustomization(body);
    if (spec && spec->prune && !spec->suspend) {
      auto keys = inventory_keys(body);
      std::sort(keys.begin(), keys.end(), [](const auto& a, const auto& b) {
        int sa = apply_stage(a.group, a.kind), sb = apply_stage(b.group, b.kind);
        return sa != sb ? sa > sb : apply_less(b, a);
      });
      for (const auto& k : keys) {
        std::optional<model::Object> slot;
        const model::Object* live = read(k, slot);
        if (!live || !prune_blocker(live->body(), key.name, key.ns).empty()) continue;
        if (client.remove(k, {})) event("flux.kustomization.pruned", k.str(), {{"kustomization", key.ns + "/" + key.name}, {"reason", "deleted"}});
      }
    }
    json fins = json::array();
    for (const auto& f : meta.value("finalizers", json::array()))
      if (f != kFinalizer) fins.push_back(f);
    meta["finalizers"] = fins;
    (void)client.update(ks);
    return out;
  }

  // First pass adds the finalizer (§1); we continue in the same pass.
  bool has_fin = false;
  for (const auto& f : meta.value("finalizers", json::array())) has_fin |= f == kFinalizer;
  if (!has_fin) {
    meta["finalizers"].push_back(kFinalizer);
    ++writes;
    auto up = client.update(ks);
    if (!up) return {SimDuration{0}, {}};
    ks = std::move(*up);
  }
  json& kbody = ks.body();
  const std::int64_t generation = generation_of(kbody);
  StatusWriter st{kbody.value("status", json::object()), generation, env.now};
  auto write_status = [&]() {
    if (kbody.contains("status") && kbody["status"] == st.status) return;  // a no-op write
    model::Object copy = ks;
    copy.body()["status"] = st.status;
    ++writes;
    auto r = client.update_status(std::move(copy));
    (void)r;
  };

  auto spec_r = parse_kustomization(kbody);
  if (!spec_r) {
    st.ready("False", "InvalidSpec", spec_r.error().message);
    set_condition(st.status, "Stalled", "True", "InvalidSpec", spec_r.error().message, env.now, generation);
    write_status();
    event("flux.kustomization.invalid", subject, {{"message", spec_r.error().message}});
    return out;
  }
  const KustomizationSpec& spec = *spec_r;
  if (spec.suspend) return out;  // no status change, no requeue (§1)

  std::string requested = annotation(kbody, kRequestedAtAnnotation);
  if (!requested.empty()) st.status["lastHandledReconcileAt"] = requested;
  const SimDuration retry = retry_interval(spec);
  auto fail_with = [&](const char* reason, const std::string& message, SimDuration requeue,
                       const char* event_kind) -> ReconcileOutcome {
    st.failed(reason, message);
    write_status();
    event(event_kind, subject, {{"reason", reason}, {"message", message}});
    out.requeue_after = requeue;
    return out;
  };

  // A pending health-check wait for this generation: poll only.
  auto wait_it = waits_.find(key);
  if (wait_it != waits_.end() && wait_it->second.generation != generation) {
    waits_.erase(wait_it);
    wait_it = waits_.end();
  }

  std::string revision;
  // What a full pass read (for settling, see track_changes).
  bool full_pass = false;
  std::vector<model::ObjectKey> reads;
  if (wait_it == waits_.end()) {
    // Source (§3.1 rows 2-3).
    if (spec.source.kind != "GitRepository") {
      return fail_with("ArtifactFailed",
                       fmt::format("source kind '{}' is not supported by rehearse", spec.source.kind), retry,
                       "flux.kustomization.artifact-failed");
    }
    model::ObjectKey src_key{kSourceGroup, spec.source.kind, spec.source.ns, spec.source.name};
    std::optional<model::Object> src_slot;
    const model::Object* src = read(src_key, src_slot);
    if (!src)
      return fail_with("ArtifactFailed",
                       fmt::format("Source '{}/{}/{}' not found", spec.source.kind, spec.source.ns, spec.source.name),
                       retry, "flux.kustomization.artifact-failed");
    const json& sst = src->body().value("status", json::object());
    if (!sst.contains("artifact") || !sst["artifact"].is_object())
      return fail_with("ArtifactFailed", "Source artifact not found, retrying in 30s", kDependencyRequeue,
                       "flux.kustomization.artifact-failed");
    revision = json_str(sst["artifact"], "revision");

    // dependsOn (§3.3).
    for (const auto& dep : spec.depends_on) {
      std::optional<model::Object> dep_slot;
      const model::Object* d = read(kustomization_key(dep.ns, dep.name), dep_slot);
      std::string why;
      if (!d) {
        why = "not found";
      } else if (!ready_at_generation(d->body())) {
        why = "not ready";
      } else {
        auto dspec = parse_kustomization(d->body());
        if (dspec && dspec->source.kind == spec.source.kind && dspec->source.name == spec.source.name &&
            dspec->source.ns == spec.source.ns && status_str(d->body(), "lastAppliedRevision") != revision)
          why = "not ready (revision)";
      }
      if (!why.empty()) {
        std::string msg = fmt::format("dependency '{}/{}' is {}", dep.ns, dep.name, why);
        st.ready("False", "DependencyNotReady", msg);
        write_status();
        event("flux.kustomization.dependency-not-ready", subject, {{"dependency", dep.ns + "/" + dep.name}, {"message", msg}});
        out.requeue_after = kDependencyRequeue;
        return out;
      }
    }

    st.reconciling("Progressing", fmt::format("Fetching manifests for revision {} with a timeout of {}", revision,
                                              sim::format_go_duration(effective_timeout(spec))));
    std::optional<Artifact> art = env.artifact ? env.artifact(*src, revision) : std::nullopt;
    if (!art)
      return fail_with("ArtifactFailed", fmt::format("failed to fetch artifact for revision {}", revision),
                       kDependencyRequeue, "flux.kustomization.artifact-failed");
    std::string dir = kustomize::path_clean(kustomize::path_join(art->root, spec.path.empty() ? "." : spec.path));
    if (!art->files->is_dir(dir))
      return fail_with("ArtifactFailed", fmt::format("kustomization path not found: {}", spec.path), retry,
                       "flux.kustomization.artifact-failed");
    st.status["lastAttemptedRevision"] = revision;

    // Build (§3.4) and post-build substitution (§3.5).
    model::Diagnostics diags;
    kustomize::BuildOptions bo;
    bo.generate_if_missing = true;
    bo.flux_overlay = spec.overlay;
    auto build_failed = [&](std::string msg) {
      // File positions relative to the artifact root: where the source was unpacked is an
      // implementation detail (and must not make two runs differ).
      const std::string prefix = art->root.empty() || art->root.back() == '/' ? art->root : art->root + "/";
      if (!art->root.empty())
        for (size_t at = msg.find(prefix); at != std::string::npos; at = msg.find(prefix, at)) msg.erase(at, prefix.size());
      return fail_with("BuildFailed", msg, retry, "flux.kustomization.build-failed");
    };
    // The artifact view depends on the source's ignore rules too.
    std::string cache_key = src_key.str() + "\n" + src->body().value("spec", json::object()).value("ignore", "") +
                            "\n" + revision + "\n" + dir + "\n" + (spec.overlay->is_null() ? "" : spec.overlay->dump());
    auto cached = build_cache_.find(cache_key);
    if (cached == build_cache_.end()) {
      auto built = kustomize::build(*art->files, dir, diags, bo);
      if (!built) return build_failed(built.error().message);
      if (build_cache_.size() >= 4096) build_cache_.clear();
      cached = build_cache_.emplace(cache_key, std::move(*built)).first;
    }
    kustomize::Vars vars;
    if (spec.post_build) {
      std::vector<kustomize::SubstituteSource> from;
      for (const auto& f : spec.substitute_from) {
        kustomize::SubstituteSource s{f.kind, f.name, f.optional, std::nullopt};
        std::optional<model::Object> slot;
        if (const model::Object* o = read({"", f.kind, key.ns, f.name}, slot)) {
          kustomize::Vars found;
          auto data = o->body().find("data");
          if (data != o->body().end() && data->is_object())
            for (const auto& [k, v] : data->items())
              if (v.is_string()) found[k] = f.kind == "Secret" ? base64_decode(v.get<std::string>()) : v.get<std::string>();
          auto sd = o->body().find("stringData");
          if (f.kind == "Secret" && sd != o->body().end() && sd->is_object())
            for (const auto& [k, v] : sd->items())
              if (v.is_string()) found[k] = v.get<std::string>();
          s.data = std::move(found);
        }
        from.push_back(std::move(s));
      }
      kustomize::Vars inline_vars(spec.substitute.begin(), spec.substitute.end());
      auto resolved = kustomize::resolve_post_build_vars(from, inline_vars);
      if (!resolved) return build_failed(resolved.error().message);
      vars = std::move(*resolved);
    }

    // The labelled output is kept per Kustomization and rebuilt only when the build or the
    // variables change: substitution and labelling are pure functions of them.
    Prepared& prep = prepared_[key];
    const bool reuse = !prep.build_key.empty() && prep.build_key == cache_key && prep.post_build == spec.post_build &&
                       (!spec.post_build || (prep.strict == env.strict_substitution && prep.vars == vars));
    if (!reuse) {
      std::vector<model::Object> fresh = cached->second;
      if (spec.post_build) {
        kustomize::SubstituteOptions so;
        so.strict = env.strict_substitution;
        auto sub = kustomize::substitute_objects(fresh, vars, so, diags);
        if (!sub) {
          prepared_.erase(key);
          return build_failed(sub.error().message);
        }
      }
      // Owner labels and default namespace (§3.6).
      for (auto& o : fresh) mark_owned(o, key.ns, key.name);
      prep.build_key = cache_key;
      prep.post_build = spec.post_build;
      prep.strict = env.strict_substitution;
      prep.vars = std::move(vars);
      prep.objects = std::move(fresh);
    }
    const std::vector<model::Object>& objects = prep.objects;

    // Staged server-side apply.
    std::map<model::ObjectKey, const model::Object*> by_key;
    std::vector<model::ObjectKey> keys;
    for (const auto& o : objects) {
      by_key[o.key()] = &o;
      keys.push_back(o.key());
    }
    const std::string last_applied = status_str(kbody, "lastAppliedRevision");
    json created = json::array(), configured = json::array();
    int unchanged = 0, skipped = 0;
    std::vector<model::ObjectKey> applied;
    model::ApplyOptions ao{kActor, true, true};
    auto& last_of_ks = last_applied_[key];
    for (const auto& stage : apply_stages(keys)) {
      for (const auto& k : stage) {
        const model::Object& desired = *by_key.at(k);
        std::optional<model::Object> slot;
        const model::Object* live = read(k, slot);
        if (apply_disabled(desired.body()) || (live && apply_disabled(live->body()))) {
          ++skipped;
          continue;
        }
        if (live && has_flag(desired.body(), kSsaKey, "ifnotpresent")) {
          ++skipped;
          continue;
        }
        auto& last = last_of_ks[k];
        if (live && *last == desired.body() && subset(desired.body(), live->body())) {
          applied.push_back(k);
          ++unchanged;
          continue;
        }
        const bool existed = live != nullptr;
        std::string rv_before = live ? resource_version(live->body()) : "";
        live = nullptr;  // the write below invalidates it
        ++writes;
        auto r = client.apply(desired, ao);
        if (!r) {
          return fail_with("ReconciliationFailed",
                           fmt::format("{} apply failed: {}", describe(k), r.error().message), retry,
                           "flux.kustomization.apply-failed");
        }
        applied.push_back(k);
        *last = desired.body();
        std::string rv_after = resource_version(r->body());
        if (!existed) {
          created.push_back(describe(k));
        } else if (rv_after != rv_before) {
          configured.push_back(describe(k));
          if (revision == last_applied)
            event("flux.kustomization.drift-corrected", k.str(), {{"kustomization", key.ns + "/" + key.name}, {"revision", revision}});
        } else {
          ++unchanged;
        }
      }
    }
    if (!created.empty() || !configured.empty())
      event("flux.kustomization.applied", subject,
            {{"revision", revision}, {"created", created}, {"configured", configured}, {"unchanged", unchanged}, {"skipped", skipped}});

    // Inventory and prune (§3.7).
    std::set<std::string> new_ids;
    for (const auto& o : objects) new_ids.insert(inventory_id(o.key()));
    std::vector<model::ObjectKey> stale;
    for (const auto& k : inventory_keys(kbody))
      if (!new_ids.count(inventory_id(k))) stale.push_back(k);
    std::vector<model::Object> kept;  // stale objects whose delete failed
    std::string prune_error;
    if (spec.prune && !stale.empty()) {
      std::sort(stale.begin(), stale.end(), [](const auto& a, const auto& b) {
        int sa = apply_stage(a.group, a.kind), sb = apply_stage(b.group, b.kind);
        return sa != sb ? sa > sb : apply_less(b, a);
      });
      for (const auto& k : stale) {
        std::optional<model::Object> slot;
        const model::Object* found = read(k, slot);
        if (!found) continue;  // already gone counts as deleted
        std::optional<model::Object> live(*found);
        std::string blocker = prune_blocker(live->body(), key.name, key.ns);
        if (!blocker.empty()) {
          event("flux.kustomization.prune-skipped", k.str(), {{"kustomization", key.ns + "/" + key.name}, {"reason", blocker}});
          continue;
        }
        ++writes;
        auto r = client.remove(k, {model::Propagation::Background, std::nullopt});
        if (!r) {
          if (prune_error.empty()) prune_error = fmt::format("{} delete failed: {}", describe(k), r.error().message);
          kept.push_back(*live);  // retried next time
          continue;
        }
        event("flux.kustomization.pruned", k.str(), {{"kustomization", key.ns + "/" + key.name}, {"revision", revision}});
      }
    }
    st.status["inventory"] = inventory_json(objects, kept);
    full_pass = true;
    if (tracking_) {
      reads = {key, src_key};
      for (const auto& d : spec.depends_on) reads.push_back(kustomization_key(d.ns, d.name));
      for (const auto& f : spec.substitute_from) reads.push_back({"", f.kind, key.ns, f.name});
      for (const auto& o : objects) reads.push_back(o.key());
      for (const auto& k : stale) reads.push_back(k);
    }
    if (!prune_error.empty())
      return fail_with("PruneFailed", prune_error, retry, "flux.kustomization.prune-failed");

    // Health checks (§3.8).
    std::vector<model::ObjectKey> targets;
    if (spec.wait) {
      for (const auto& k : applied)
        if (k != key) targets.push_back(k);
    } else {
      for (const auto& h : spec.health_checks) targets.push_back({h.group, h.kind, h.ns, h.name});
    }
    if (targets.empty()) {
      remove_condition(st.status, "Healthy");
    } else {
      HealthWait w{revision, generation, env.now, env.now + effective_timeout(spec), targets};
      wait_it = waits_.insert_or_assign(key, std::move(w)).first;
      st.reconciling("Progressing", fmt::format("Running health checks for revision {} with a timeout of {}", revision,
                                                sim::format_go_duration(effective_timeout(spec))));
      st.ready("Unknown", "Progressing", "Reconciliation in progress");
    }
  }

  if (wait_it != waits_.end()) {
    HealthWait& w = wait_it->second;
    revision = w.revision;
    std::vector<std::string> pending, failed;
    for (const auto& t : w.targets) {
      if (tracking_) reads.push_back(t);
      std::optional<model::Object> slot;
      const model::Object* live = read(t, slot);
      KStatus s = compute_kstatus(live ? &live->body() : nullptr, t.group, t.kind);
      if (s == KStatus::Current) continue;
      std::string text = fmt::format("{} status: '{}'", describe(t), to_string(s));
      (s == KStatus::Failed ? failed : pending).push_back(text);
    }
    auto join = [](const std::vector<std::string>& v) {
      std::string r;
      for (const auto& s : v) r += (r.empty() ? "" : ", ") + s;
      return "[" + r + "]";
    };
    if (!failed.empty() || (!pending.empty() && env.now >= w.deadline)) {
      std::string msg = !failed.empty() ? "failed early due to stalled resources: " + join(failed)
                                        : "timeout waiting for: " + join(pending);
      waits_.erase(wait_it);
      set_condition(st.status, "Healthy", "False", "HealthCheckFailed", msg, env.now, generation);
      return fail_with("HealthCheckFailed", msg, retry, "flux.kustomization.health-failed");
    }
    if (!pending.empty()) {
      write_status();
      out.requeue_after = std::min(kHealthPollInterval, w.deadline - env.now);
      return out;
    }
    set_condition(st.status, "Healthy", "True", "Succeeded",
                  fmt::format("Health check passed in {}", sim::format_go_duration(env.now - w.started)), env.now,
                  generation);
    waits_.erase(wait_it);
  }

  // Success (§3.1 last row).
  bool was_ready = [&] {
    const json* r = find_condition(kbody, "Ready");
    return r && json_str(*r, "status") == "True" && status_str(kbody, "lastAppliedRevision") == revision;
  }();
  st.ready("True", "ReconciliationSucceeded", "Applied revision: " + revision);
  remove_condition(st.status, "Reconciling");
  remove_condition(st.status, "Stalled");
  st.status["lastAppliedRevision"] = revision;
  st.status["lastAttemptedRevision"] = revision;
  st.status["observedGeneration"] = generation;
  write_status();
  if (!was_ready) event("flux.kustomization.ready", subject, {{"revision", revision}});
  out.requeue_after = jittered(spec.interval, env.jitter_unit, env.jitter_percent);
  // Settle only after a full pass that read everything, wrote nothing and had nothing to say:
  // repeating it on the same state is a no-op (see track_changes).
  if (tracking_ && full_pass && writes == 0 && changes_ == changes_before && out.events.empty()) {
    for (auto k : reads) {
      k.ns.clear();
      readers_[std::move(k)].insert(key);
    }
    settled_[key] = Settled{spec.interval, env.strict_substitution};
  }
  return out;
}

}  // namespace rehearse::flux
