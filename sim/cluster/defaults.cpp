#include "sim/cluster/defaults.hpp"

#include <string>

#include <nlohmann/json.hpp>

namespace rehearse::cluster {

using nlohmann::json;

namespace {

void def(json& obj, const char* key, json value) {
  if (!obj.is_object()) obj = json::object();
  if (!obj.contains(key) || obj[key].is_null()) obj[key] = std::move(value);
}

json& child(json& obj, const char* key) {
  if (!obj.is_object()) obj = json::object();
  json& c = obj[key];
  if (!c.is_object()) c = json::object();
  return c;
}

void default_container(json& c) {
  if (!c.is_object()) return;
  if (c.contains("image") && c["image"].is_string())
    def(c, "imagePullPolicy", std::string(default_pull_policy(c["image"].get<std::string>())));
  def(c, "terminationMessagePath", "/dev/termination-log");
  def(c, "terminationMessagePolicy", "File");
  def(c, "resources", json::object());
  if (c.contains("ports") && c["ports"].is_array())
    for (auto& p : c["ports"])
      if (p.is_object()) def(p, "protocol", "TCP");
  if (c.contains("env") && c["env"].is_array())
    for (auto& e : c["env"])
      if (e.is_object() && e.contains("valueFrom") && e["valueFrom"].is_object() &&
          e["valueFrom"].contains("fieldRef") && e["valueFrom"]["fieldRef"].is_object())
        def(e["valueFrom"]["fieldRef"], "apiVersion", "v1");
  for (const char* probe : {"readinessProbe", "livenessProbe", "startupProbe"}) {
    if (!c.contains(probe) || !c[probe].is_object()) continue;
    json& p = c[probe];
    def(p, "timeoutSeconds", 1);
    def(p, "periodSeconds", 10);
    def(p, "successThreshold", 1);
    def(p, "failureThreshold", 3);
    if (p.contains("httpGet") && p["httpGet"].is_object()) def(p["httpGet"], "scheme", "HTTP");
  }
}

void default_template(json& tmpl) {
  if (!tmpl.is_object()) return;
  json& spec = child(tmpl, "spec");
  default_pod_spec(spec);
  // The API server leaves template metadata as given, but an empty creationTimestamp shows up
  // in every real object; kubectl diff tools ignore it. Not added here.
}

std::string default_volume_mode() { return "Filesystem"; }

}  // namespace

std::string_view default_pull_policy(std::string_view image) {
  // pkg/apis/core/v1/defaults.go SetDefaults_Container: tag "latest" or no tag -> Always.
  if (image.find('@') != std::string_view::npos) return "IfNotPresent";
  auto slash = image.rfind('/');
  auto colon = image.rfind(':');
  if (colon == std::string_view::npos || (slash != std::string_view::npos && colon < slash))
    return "Always";
  return image.substr(colon + 1) == "latest" ? "Always" : "IfNotPresent";
}

void default_pod_spec(json& spec) {
  if (!spec.is_object()) spec = json::object();
  def(spec, "restartPolicy", "Always");
  def(spec, "terminationGracePeriodSeconds", 30);
  def(spec, "dnsPolicy", "ClusterFirst");
  def(spec, "schedulerName", "default-scheduler");
  def(spec, "securityContext", json::object());
  for (const char* list : {"containers", "initContainers"}) {
    if (!spec.contains(list) || !spec[list].is_array()) continue;
    for (auto& c : spec[list]) default_container(c);
  }
  if (spec.contains("volumes") && spec["volumes"].is_array()) {
    for (auto& v : spec["volumes"]) {
      if (!v.is_object()) continue;
      for (const char* src : {"configMap", "secret"}) {
        if (v.contains(src) && v[src].is_object()) def(v[src], "defaultMode", 420);
      }
    }
  }
}

void apply_defaults(json& body, std::string_view group, std::string_view kind) {
  if (!body.is_object()) return;
  json& meta = child(body, "metadata");
  (void)meta;
  if (group.empty()) {
    if (kind == "Pod") {
      default_pod_spec(child(body, "spec"));
      def(child(body, "spec"), "enableServiceLinks", true);
    } else if (kind == "Service") {
      json& spec = child(body, "spec");
      def(spec, "type", "ClusterIP");
      def(spec, "sessionAffinity", "None");
      std::string type = spec["type"].is_string() ? spec["type"].get<std::string>() : "";
      if (type != "ExternalName") {
        def(spec, "ipFamilies", json::array({"IPv4"}));
        def(spec, "ipFamilyPolicy", "SingleStack");
        def(spec, "internalTrafficPolicy", "Cluster");
      }
      if (type == "NodePort" || type == "LoadBalancer") def(spec, "externalTrafficPolicy", "Cluster");
      if (spec.contains("ports") && spec["ports"].is_array())
        for (auto& p : spec["ports"]) {
          if (!p.is_object()) continue;
          def(p, "protocol", "TCP");
          if (p.contains("port")) def(p, "targetPort", p["port"]);
        }
    } else if (kind == "Secret") {
      def(body, "type", "Opaque");
    } else if (kind == "PersistentVolumeClaim") {
      def(child(body, "spec"), "volumeMode", default_volume_mode());
    } else if (kind == "Namespace") {
      def(child(body, "spec"), "finalizers", json::array({"kubernetes"}));
      json& labels = child(meta, "labels");
      if (meta.contains("name") && meta["name"].is_string())
        def(labels, "kubernetes.io/metadata.name", meta["name"]);
    } else if (kind == "ServiceAccount" || kind == "ConfigMap") {
      // nothing
    }
  } else if (group == "apps") {
    json& spec = child(body, "spec");
    if (kind == "Deployment") {
      def(spec, "replicas", 1);
      def(spec, "revisionHistoryLimit", 10);
      def(spec, "progressDeadlineSeconds", 600);
      json& strategy = child(spec, "strategy");
      def(strategy, "type", "RollingUpdate");
      if (strategy["type"] == "RollingUpdate") {
        json& ru = child(strategy, "rollingUpdate");
        def(ru, "maxUnavailable", "25%");
        def(ru, "maxSurge", "25%");
      }
      default_template(child(spec, "template"));
    } else if (kind == "ReplicaSet") {
      def(spec, "replicas", 1);
      default_template(child(spec, "template"));
    } else if (kind == "StatefulSet") {
      def(spec, "replicas", 1);
      def(spec, "podManagementPolicy", "OrderedReady");
      def(spec, "revisionHistoryLimit", 10);
      json& strategy = child(spec, "updateStrategy");
      def(strategy, "type", "RollingUpdate");
      if (strategy["type"] == "RollingUpdate") def(child(strategy, "rollingUpdate"), "partition", 0);
      json& retention = child(spec, "persistentVolumeClaimRetentionPolicy");
      def(retention, "whenDeleted", "Retain");
      def(retention, "whenScaled", "Retain");
      default_template(child(spec, "template"));
    } else if (kind == "DaemonSet") {
      def(spec, "revisionHistoryLimit", 10);
      json& strategy = child(spec, "updateStrategy");
      def(strategy, "type", "RollingUpdate");
      if (strategy["type"] == "RollingUpdate") {
        json& ru = child(strategy, "rollingUpdate");
        def(ru, "maxUnavailable", 1);
        def(ru, "maxSurge", 0);
      }
      default_template(child(spec, "template"));
    }
  } else if (group == "batch") {
    json& spec = child(body, "spec");
    if (kind == "Job") {
      def(spec, "backoffLimit", 6);
      def(spec, "completions", 1);
      def(spec, "parallelism", 1);
      def(spec, "completionMode", "NonIndexed");
      def(spec, "suspend", false);
      def(spec, "podReplacementPolicy", "TerminatingOrFailed");
      default_template(child(spec, "template"));
    } else if (kind == "CronJob") {
      def(spec, "concurrencyPolicy", "Allow");
      def(spec, "suspend", false);
      def(spec, "successfulJobsHistoryLimit", 3);
      def(spec, "failedJobsHistoryLimit", 1);
      json& jt = child(spec, "jobTemplate");
      json& jspec = child(jt, "spec");
      def(jspec, "backoffLimit", 6);
      def(jspec, "completionMode", "NonIndexed");
      def(jspec, "suspend", false);
      default_template(child(jspec, "template"));
    }
  }
}

}  // namespace rehearse::cluster
