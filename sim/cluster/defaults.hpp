#pragma once
// API-server defaulting (k8s.io/kubernetes pkg/apis/*/v1/defaults.go) for the kinds the
// simulation runs, applied on every write like the real decode path. Only fields that are
// absent are filled; nothing a user set is changed. Diff code can call this on a desired
// manifest to know which live fields are defaults rather than drift.

#include <string_view>

#include <nlohmann/json_fwd.hpp>

namespace rehearse::cluster {

// Fills defaults into a full object body (apiVersion/kind/metadata/spec) in place.
void apply_defaults(nlohmann::json& body, std::string_view group, std::string_view kind);

// PodSpec defaults (restartPolicy Always, dnsPolicy ClusterFirst, container
// imagePullPolicy from the tag, terminationMessagePath, port protocol TCP, ...).
void default_pod_spec(nlohmann::json& spec);

// "Always" for ":latest" or untagged images (no digest), else "IfNotPresent".
std::string_view default_pull_policy(std::string_view image);

}  // namespace rehearse::cluster
