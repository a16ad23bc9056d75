#pragma once
// The benchmark tree: 10 bases x 200 resources (50 each of Deployment, Service, ConfigMap,
// ServiceAccount) = 2,000 resources, and one overlay with namespace, namePrefix, labels,
// images and a JSON 6902 patch targeting every Deployment. Written to disk so that
// `kubectl kustomize` can build the very same files (bench/kustomize/measure_kubectl.sh).

#include <filesystem>
#include <fstream>
#include <string>

#include <fmt/format.h>

namespace rehearse::bench {

inline void write_file(const std::filesystem::path& p, const std::string& text) {
  std::filesystem::create_directories(p.parent_path());
  std::ofstream(p, std::ios::binary) << text;
}

// Writes the tree under `root`; returns the overlay directory to build.
inline std::filesystem::path write_overlay_tree(const std::filesystem::path& root,
                                                int bases = 10, int per_kind = 50) {
  namespace fs = std::filesystem;
  fs::remove_all(root);
  std::string overlay_resources;
  for (int b = 0; b < bases; ++b) {
    std::string base = fmt::format("base-{:02}", b);
    std::string kust = "apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources:\n";
    for (int i = 0; i < per_kind; ++i) {
      std::string app = fmt::format("svc{:02}-{:03}", b, i);
      std::string file = fmt::format("{}.yaml", app);
      kust += "- " + file + "\n";
      write_file(root / base / file, fmt::format(R"(apiVersion: apps/v1
kind: Deployment
metadata:
  name: {0}
  labels:
    app: {0}
  annotations:
    argocd.argoproj.io/sync-wave: "2"
spec:
  replicas: 2
  selector:
    matchLabels:
      app: {0}
  template:
    metadata:
      labels:
        app: {0}
    spec:
      serviceAccountName: {0}
      containers:
        - name: model
          image: registry.example.com/models/{0}:v1.{1}.0
          ports:
            - containerPort: 8080
          envFrom:
            - configMapRef:
                name: {0}-config
          resources:
            requests:
              cpu: 500m
              memory: 1Gi
            limits:
              cpu: "2"
              memory: 2Gi
          readinessProbe:
            httpGet:
              path: /health
              port: 8080
            periodSeconds: 10
---
apiVersion: v1
kind: Service
metadata:
  name: {0}
spec:
  selector:
    app: {0}
  ports:
    - port: 80
      targetPort: 8080
---
apiVersion: v1
kind: ConfigMap
metadata:
  name: {0}-config
data:
  MODEL_NAME: {0}
  THRESHOLD: "0.85"
  FEATURE_STORE: http://feature-store:8080
---
apiVersion: v1
kind: ServiceAccount
metadata:
  name: {0}
)",
                                                 app, i));
    }
    write_file(root / base / "kustomization.yaml", kust);
    overlay_resources += "- ../" + base + "\n";
  }
  write_file(root / "overlay" / "kustomization.yaml",
             "apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\n"
             "namespace: ml-prod\nnamePrefix: prod-\n"
             "labels:\n- pairs:\n    environment: prod\n    team: ml-platform\n"
             "  includeSelectors: false\n  includeTemplates: true\n"
             "images:\n- name: registry.example.com/models/svc00-000\n  newTag: v2.0.0\n"
             "- name: busybox\n  newName: registry.example.com/busybox\n"
             "patches:\n- target:\n    kind: Deployment\n  patch: |-\n"
             "    - op: replace\n      path: /spec/replicas\n      value: 4\n"
             "    - op: add\n      path: /metadata/annotations/rehearse.dev~1patched\n"
             "      value: \"true\"\n"
             "resources:\n" +
                 overlay_resources);
  return root / "overlay";
}

}  // namespace rehearse::bench
