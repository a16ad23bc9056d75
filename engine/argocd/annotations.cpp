#include "engine/argocd/annotations.hpp"

#include <algorithm>
#include <climits>

#include <nlohmann/json.hpp>

namespace rehearse::argocd {

using nlohmann::json;

namespace {

std::string trim(std::string_view s) {
  size_t b = 0, e = s.size();
  while (b < e && (s[b] == ' ' || s[b] == '\t' || s[b] == '\n' || s[b] == '\r')) ++b;
  while (e > b && (s[e - 1] == ' ' || s[e - 1] == '\t' || s[e - 1] == '\n' || s[e - 1] == '\r')) --e;
  return std::string(s.substr(b, e - b));
}

std::vector<std::string> split_csv(std::string_view s) {
  std::vector<std::string> out;
  size_t start = 0;
  while (start <= s.size()) {
    size_t comma = s.find(',', start);
    std::string item = trim(s.substr(start, comma == std::string_view::npos ? std::string_view::npos
                                                                            : comma - start));
    if (!item.empty()) out.push_back(std::move(item));
    if (comma == std::string_view::npos) break;
    start = comma + 1;
  }
  return out;
}

std::optional<HookType> argo_hook_type(std::string_view s) {
  // NewHookType: the engine's types plus argo-cd's PreDelete/PostDelete (§2.1).
  for (HookType t : {HookType::PreSync, HookType::Sync, HookType::PostSync, HookType::SyncFail,
                     HookType::Skip, HookType::PreDelete, HookType::PostDelete})
    if (to_string(t) == s) return t;
  return std::nullopt;
}

// pkg/sync/hook/helm/type.go; pre-delete/post-delete per argo-cd controller/hook.go.
std::optional<HookType> helm_hook_type(std::string_view s) {
  if (s == "pre-install" || s == "pre-upgrade") return HookType::PreSync;
  if (s == "post-install" || s == "post-upgrade") return HookType::PostSync;
  if (s == "pre-delete") return HookType::PreDelete;
  if (s == "post-delete") return HookType::PostDelete;
  return std::nullopt;
}

void add_unique(std::vector<HookType>& v, HookType t) {
  if (std::find(v.begin(), v.end(), t) == v.end()) v.push_back(t);
}

}  // namespace

std::string_view to_string(HookType t) {
  switch (t) {
    case HookType::PreSync: return "PreSync";
    case HookType::Sync: return "Sync";
    case HookType::PostSync: return "PostSync";
    case HookType::SyncFail: return "SyncFail";
    case HookType::Skip: return "Skip";
    case HookType::PreDelete: return "PreDelete";
    case HookType::PostDelete: return "PostDelete";
  }
  return "";
}

std::string_view to_string(SyncPhase p) {
  switch (p) {
    case SyncPhase::PreSync: return "PreSync";
    case SyncPhase::Sync: return "Sync";
    case SyncPhase::PostSync: return "PostSync";
    case SyncPhase::SyncFail: return "SyncFail";
  }
  return "";
}

int phase_rank(SyncPhase p) {
  switch (p) {
    case SyncPhase::PreSync: return -1;
    case SyncPhase::Sync: return 0;
    case SyncPhase::PostSync: return 1;
    case SyncPhase::SyncFail: return 2;
  }
  return 0;
}

std::string_view to_string(DeletePolicy p) {
  switch (p) {
    case DeletePolicy::BeforeHookCreation: return "BeforeHookCreation";
    case DeletePolicy::HookSucceeded: return "HookSucceeded";
    case DeletePolicy::HookFailed: return "HookFailed";
  }
  return "";
}

namespace {

// The annotations map of an object, or nullptr. Lookups below use string_view keys
// (nlohmann's object comparator is std::less<>), so no key strings are built.
const json* annotations_of(const json& body) {
  if (!body.is_object()) return nullptr;
  auto md = body.find("metadata");
  if (md == body.end() || !md->is_object()) return nullptr;
  auto ann = md->find("annotations");
  if (ann == md->end() || !ann->is_object()) return nullptr;
  return &*ann;
}

const std::string* annotation_ptr(const json* ann, std::string_view key) {
  if (!ann) return nullptr;
  auto v = ann->find(key);
  if (v == ann->end() || !v->is_string()) return nullptr;
  return &v->get_ref<const std::string&>();
}

}  // namespace

std::string annotation(const json& body, std::string_view key) {
  const std::string* v = annotation_ptr(annotations_of(body), key);
  return v ? *v : std::string{};
}

bool has_annotation(const json& body, std::string_view key) {
  const json* ann = annotations_of(body);
  return ann && ann->find(key) != ann->end();
}

std::vector<std::string> annotation_csv(const json& body, std::string_view key) {
  return split_csv(annotation(body, key));
}

std::vector<HookType> hook_types(const json& body) {
  std::vector<HookType> types;
  for (const auto& item : annotation_csv(body, kAnnotationHook))
    if (auto t = argo_hook_type(item)) add_unique(types, *t);
  if (types.empty())
    for (const auto& item : annotation_csv(body, kHelmHook))
      if (auto t = helm_hook_type(item)) add_unique(types, *t);
  return types;
}

bool is_skip(const json& body) {
  const json* ann = annotations_of(body);
  if (!ann || (ann->find(kAnnotationHook) == ann->end() && ann->find(kHelmHook) == ann->end())) return false;
  auto types = hook_types(body);
  return types.size() == 1 && types[0] == HookType::Skip;
}

bool is_hook(const json& body) {
  // Hot path (every object of every comparison): one metadata walk, no copies when neither
  // hook annotation is present.
  const json* ann = annotations_of(body);
  if (!ann) return false;
  if (ann->find(kAnnotationHook) != ann->end()) return !is_skip(body);
  // helm.IsHook: any helm.sh/hook value except exactly crd-install.
  auto helm = ann->find(kHelmHook);
  if (helm == ann->end()) return false;
  return !(helm->is_string() && helm->get_ref<const std::string&>() == "crd-install");
}

ObjectFlags object_flags(const json& body) {
  ObjectFlags f;
  const json* ann = annotations_of(body);
  if (!ann) return f;
  if (const std::string* v = annotation_ptr(ann, kAnnotationIgnoreHealthCheck)) f.ignore_healthcheck = *v == "true";
  if (ann->find(kAnnotationHook) == ann->end() && ann->find(kHelmHook) == ann->end()) return f;
  f.hook = is_hook(body);
  f.skip = is_skip(body);
  f.ignored_hook = is_ignored_hook(body);
  return f;
}

bool is_ignored_hook(const json& body) {
  if (!is_hook(body)) return false;
  for (HookType t : hook_types(body))
    if (t != HookType::Skip) return false;
  return true;
}

std::vector<DeletePolicy> delete_policies(const json& body) {
  std::vector<DeletePolicy> out;
  auto add = [&](DeletePolicy p) {
    if (std::find(out.begin(), out.end(), p) == out.end()) out.push_back(p);
  };
  for (const auto& s : annotation_csv(body, kAnnotationHookDeletePolicy)) {
    if (s == "BeforeHookCreation") add(DeletePolicy::BeforeHookCreation);
    else if (s == "HookSucceeded") add(DeletePolicy::HookSucceeded);
    else if (s == "HookFailed") add(DeletePolicy::HookFailed);
  }
  for (const auto& s : annotation_csv(body, kHelmHookDeletePolicy)) {
    if (s == "before-hook-creation") add(DeletePolicy::BeforeHookCreation);
    else if (s == "hook-succeeded") add(DeletePolicy::HookSucceeded);
    else if (s == "hook-failed") add(DeletePolicy::HookFailed);
  }
  if (out.empty()) out.push_back(DeletePolicy::BeforeHookCreation);
  return out;
}

std::optional<int> parse_go_int(std::string_view s) {
  if (s.empty()) return std::nullopt;
  size_t i = 0;
  bool neg = false;
  if (s[0] == '+' || s[0] == '-') {
    neg = s[0] == '-';
    i = 1;
  }
  if (i >= s.size()) return std::nullopt;
  long long v = 0;
  for (; i < s.size(); ++i) {
    if (s[i] < '0' || s[i] > '9') return std::nullopt;
    v = v * 10 + (s[i] - '0');
    if (v > static_cast<long long>(INT_MAX) + 1) return std::nullopt;
  }
  if (neg) v = -v;
  if (v > INT_MAX || v < INT_MIN) return std::nullopt;
  return static_cast<int>(v);
}

int wave_of(const json& body) {
  const json* ann = annotations_of(body);
  if (!ann) return 0;
  if (const std::string* v = annotation_ptr(ann, kAnnotationSyncWave))
    if (auto w = parse_go_int(*v)) return *w;
  if (const std::string* v = annotation_ptr(ann, kHelmHookWeight))
    if (auto w = parse_go_int(*v)) return *w;
  return 0;
}

SyncOptions::SyncOptions(const std::vector<std::string>& items) {
  for (const auto& i : items) {
    std::string t = trim(i);
    if (!t.empty()) items_.push_back(std::move(t));
  }
}

SyncOptions SyncOptions::from_annotation(const json& body) {
  const std::string* v = annotation_ptr(annotations_of(body), kAnnotationSyncOptions);
  if (!v) return SyncOptions(std::vector<std::string>{});
  return SyncOptions(split_csv(*v));
}

bool SyncOptions::has(std::string_view key, std::string_view value) const {
  // HasOption/HasAnnotationOption upstream: an exact "key=value" item.
  for (const auto& i : items_)
    if (i.size() == key.size() + 1 + value.size() && std::string_view(i).substr(0, key.size()) == key &&
        i[key.size()] == '=' && std::string_view(i).substr(key.size() + 1) == value)
      return true;
  return false;
}

std::optional<std::string> SyncOptions::get(std::string_view key) const {
  std::optional<std::string> out;
  for (const auto& i : items_) {
    auto eq = i.find('=');
    if (eq == std::string::npos) continue;
    if (std::string_view(i).substr(0, eq) == key) out = i.substr(eq + 1);
  }
  return out;
}

}  // namespace rehearse::argocd
