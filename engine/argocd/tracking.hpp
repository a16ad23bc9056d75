#pragma once
// Resource tracking: which live objects belong to an Application (reference argocd.md §1;
// argo-cd docs/user-guide/resource_tracking.md). Only tracked live objects are prune
// candidates.
//
// Annotation mode (the 3.x default): `argocd.argoproj.io/tracking-id:
// <app>:<group>/<Kind>:<namespace>/<name>`. An object counts as the app's only when the id
// names the app *and* describes the object itself, so a copied object (same annotation,
// other name) is not claimed. Label mode: `app.kubernetes.io/instance: <app>`.

#include <optional>
#include <string>
#include <string_view>

#include "engine/model/object.hpp"

namespace rehearse::argocd {

enum class TrackingMethod { Annotation, Label, AnnotationAndLabel };
std::optional<TrackingMethod> parse_tracking_method(std::string_view s);  // annotation|label|annotation+label

struct TrackingId {
  std::string app;
  std::string group;
  std::string kind;
  std::string ns;
  std::string name;
};

// "<app>:<group>/<kind>:<ns>/<name>"; ns is "" for cluster-scoped objects.
std::string format_tracking_id(std::string_view app, const model::ObjectKey& key);
std::optional<TrackingId> parse_tracking_id(std::string_view s);

// The app that owns `live` under `method`, or "" when none.
std::string owning_app(const model::Object& live, TrackingMethod method);
inline bool is_tracked_by(const model::Object& live, std::string_view app, TrackingMethod method) {
  return !app.empty() && owning_app(live, method) == app;
}

// Adds the tracking annotation/label for `app` to a desired object (what Argo CD does before
// applying).
void set_tracking(model::Object& obj, std::string_view app, TrackingMethod method);

}  // namespace rehearse::argocd
