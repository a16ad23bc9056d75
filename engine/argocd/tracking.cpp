#include "engine/argocd/tracking.hpp"

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "engine/argocd/annotations.hpp"
#include "engine/model/labels.hpp"

namespace rehearse::argocd {

std::optional<TrackingMethod> parse_tracking_method(std::string_view s) {
  if (s == "annotation") return TrackingMethod::Annotation;
  if (s == "label") return TrackingMethod::Label;
  if (s == "annotation+label") return TrackingMethod::AnnotationAndLabel;
  return std::nullopt;
}

std::string format_tracking_id(std::string_view app, const model::ObjectKey& key) {
  return fmt::format("{}:{}/{}:{}/{}", app, key.group, key.kind, key.ns, key.name);
}

std::optional<TrackingId> parse_tracking_id(std::string_view s) {
  // app:group/kind:ns/name — the app name has no ':' ; group may be empty.
  auto c1 = s.find(':');
  if (c1 == std::string_view::npos) return std::nullopt;
  auto c2 = s.find(':', c1 + 1);
  if (c2 == std::string_view::npos) return std::nullopt;
  std::string_view gk = s.substr(c1 + 1, c2 - c1 - 1);
  std::string_view nn = s.substr(c2 + 1);
  auto s1 = gk.find('/');
  auto s2 = nn.find('/');
  if (s1 == std::string_view::npos || s2 == std::string_view::npos) return std::nullopt;
  TrackingId id{std::string(s.substr(0, c1)), std::string(gk.substr(0, s1)),
                std::string(gk.substr(s1 + 1)), std::string(nn.substr(0, s2)),
                std::string(nn.substr(s2 + 1))};
  if (id.app.empty() || id.kind.empty() || id.name.empty()) return std::nullopt;
  return id;
}

std::string owning_app(const model::Object& live, TrackingMethod method) {
  const auto& body = live.body();
  if (method != TrackingMethod::Label) {
    if (auto id = parse_tracking_id(annotation(body, kAnnotationTrackingId))) {
      const auto& k = live.key();
      // The id must describe this very object (copies are not claimed). Cluster-scoped
      // objects carry an empty namespace in the id; accept either form for them.
      if (id->group == k.group && id->kind == k.kind && id->name == k.name &&
          (id->ns == k.ns || id->ns.empty() || k.ns.empty()))
        return id->app;
      if (method == TrackingMethod::Annotation) return {};
    } else if (method == TrackingMethod::Annotation) {
      return {};
    }
  }
  auto labels = model::labels_of(body);
  auto it = labels.find(kLabelAppInstance);
  return it == labels.end() ? std::string{} : it->second;
}

void set_tracking(model::Object& obj, std::string_view app, TrackingMethod method) {
  auto& md = obj.body()["metadata"];
  if (method != TrackingMethod::Label)
    md["annotations"][std::string(kAnnotationTrackingId)] = format_tracking_id(app, obj.key());
  if (method != TrackingMethod::Annotation)
    md["labels"][std::string(kLabelAppInstance)] = std::string(app);
}

}  // namespace rehearse::argocd
