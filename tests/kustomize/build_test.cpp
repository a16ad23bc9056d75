// kustomize build features on in-memory trees. Expected values are kustomize v5.5 facts
// (each checked with `kubectl kustomize` on the same files).

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "engine/kustomize/kustomize.hpp"
#include "engine/model/yaml_writer.hpp"

namespace rehearse::kustomize {
namespace {

using nlohmann::json;

struct Built {
  std::vector<model::Object> objects;
  model::Diagnostics diags;
  bool ok = false;
  const model::Object* find(const std::string& kind, const std::string& name) const {
    for (const auto& o : objects)
      if (o.kind() == kind && o.name() == name) return &o;
    return nullptr;
  }
};

Built run(const MemoryFileSource& fs, const std::string& dir, BuildOptions opts = {}) {
  Built b;
  auto r = build(fs, dir, b.diags, opts);
  b.ok = r.ok();
  if (r) b.objects = std::move(*r);
  return b;
}

const char* kDeployment = R"(apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
spec:
  template:
    spec:
      containers:
      - name: c
        image: nginx:1.0
        env:
        - name: X
          valueFrom:
            configMapKeyRef: {name: cfg, key: A}
      volumes:
      - name: v
        configMap: {name: cfg}
)";

TEST(KustomizeBuild, GeneratedConfigMapGetsKustomizesContentHashAndReferencesFollow) {
  MemoryFileSource fs;
  fs.add("app/kustomization.yaml", R"(resources: [dep.yaml]
namespace: prod
namePrefix: p-
configMapGenerator:
- name: cfg
  literals: [A=1, B=hello world]
)");
  fs.add("app/dep.yaml", kDeployment);
  auto b = run(fs, "app");
  ASSERT_TRUE(b.ok) << b.diags.format();
  // kubectl kustomize printed p-cfg-g85ggb8cd4 for exactly these literals.
  ASSERT_NE(b.find("ConfigMap", "p-cfg-g85ggb8cd4"), nullptr);
  const auto* d = b.find("Deployment", "p-web");
  ASSERT_NE(d, nullptr);
  EXPECT_EQ(d->ns(), "prod");
  const json& spec = d->body()["spec"]["template"]["spec"];
  EXPECT_EQ(spec["volumes"][0]["configMap"]["name"], "p-cfg-g85ggb8cd4");
  EXPECT_EQ(spec["containers"][0]["env"][0]["valueFrom"]["configMapKeyRef"]["name"],
            "p-cfg-g85ggb8cd4");
}

TEST(KustomizeBuild, ConfigHashIgnoresNameAndLabelsButNotData) {
  json a = {{"apiVersion", "v1"}, {"kind", "ConfigMap"},
            {"metadata", {{"name", "x"}, {"labels", {{"a", "b"}}}}},
            {"data", {{"A", "1"}, {"B", "hello world"}}}};
  json b = a;
  b["metadata"] = {{"name", "other"}};
  EXPECT_EQ(config_hash(a), "g85ggb8cd4");
  EXPECT_EQ(config_hash(b), "g85ggb8cd4");
  b["data"]["A"] = "2";
  EXPECT_NE(config_hash(b), "g85ggb8cd4");
}

TEST(KustomizeBuild, OutputFollowsTheLegacyKindOrder) {
  MemoryFileSource fs;
  fs.add("k/kustomization.yaml", "resources: [r.yaml]\n");
  fs.add("k/r.yaml", R"(apiVersion: admissionregistration.k8s.io/v1
kind: ValidatingWebhookConfiguration
metadata: {name: vw}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: d}
---
apiVersion: example.com/v1
kind: Widget
metadata: {name: w}
---
apiVersion: v1
kind: Service
metadata: {name: s}
---
apiVersion: v1
kind: Namespace
metadata: {name: n}
---
apiVersion: v1
kind: ConfigMap
metadata: {name: same, namespace: b}
---
apiVersion: v1
kind: ConfigMap
metadata: {name: same, namespace: a}
)");
  auto b = run(fs, "k");
  ASSERT_TRUE(b.ok) << b.diags.format();
  std::vector<std::string> got;
  for (const auto& o : b.objects) got.push_back(o.kind() + "/" + o.ns() + "/" + o.name());
  EXPECT_EQ(got, (std::vector<std::string>{"Namespace//n", "ConfigMap/a/same", "ConfigMap/b/same",
                                           "Service//s", "Deployment//d", "Widget//w",
                                           "ValidatingWebhookConfiguration//vw"}));
}

TEST(KustomizeBuild, DuplicateIdsAreRejectedWithThePositionOfTheDocument) {
  MemoryFileSource fs;
  fs.add("k/kustomization.yaml", "resources: [a.yaml, b.yaml]\n");
  fs.add("k/a.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x}\n");
  fs.add("k/b.yaml", "# dup\napiVersion: v1\nkind: ConfigMap\nmetadata: {name: x}\n");
  auto b = run(fs, "k");
  EXPECT_FALSE(b.ok);
  ASSERT_FALSE(b.diags.empty());
  EXPECT_EQ(b.diags.items()[0].code, "kustomize-duplicate-id");
  EXPECT_NE(b.diags.items()[0].message.find("already registered id"), std::string::npos);
  EXPECT_EQ(b.diags.items()[0].pos.file, "k/b.yaml");
}

TEST(KustomizeBuild, MissingResourceIsReportedAtItsEntryInTheKustomization) {
  MemoryFileSource fs;
  fs.add("k/kustomization.yaml", "resources:\n- ok.yaml\n- missing.yaml\n");
  fs.add("k/ok.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x}\n");
  auto b = run(fs, "k");
  EXPECT_FALSE(b.ok);
  ASSERT_FALSE(b.diags.empty());
  const auto& d = b.diags.items()[0];
  EXPECT_EQ(d.code, "kustomize-missing-resource");
  EXPECT_EQ(d.pos.file, "k/kustomization.yaml");
  EXPECT_EQ(d.pos.line, 3);
  EXPECT_EQ(d.pos.col, 3);
}

TEST(KustomizeBuild, CyclesBetweenBasesAreErrorsNotHangs) {
  MemoryFileSource fs;
  fs.add("a/kustomization.yaml", "resources: [../b]\n");
  fs.add("b/kustomization.yaml", "resources: [../a]\n");
  auto b = run(fs, "a");
  EXPECT_FALSE(b.ok);
  ASSERT_FALSE(b.diags.empty());
  EXPECT_EQ(b.diags.items()[0].code, "kustomize-cycle");
}

TEST(KustomizeBuild, RemoteBasesAreReportedUnsupportedNotFetched) {
  MemoryFileSource fs;
  fs.add("k/kustomization.yaml",
         "resources:\n- https://github.com/example/repo//base?ref=v1\n");
  auto b = run(fs, "k");
  EXPECT_FALSE(b.ok);
  EXPECT_EQ(b.diags.items()[0].code, "kustomize-remote-unsupported");
}

TEST(KustomizeBuild, OverlayImagesNamespaceLabelsAndJson6902ApplyToBaseResources) {
  MemoryFileSource fs;
  fs.add("base/kustomization.yaml", "resources: [dep.yaml]\n");
  fs.add("base/dep.yaml", R"(apiVersion: apps/v1
kind: Deployment
metadata: {name: web}
spec:
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      containers: [{name: c, image: "nginx:1@sha256:old"}]
)");
  fs.add("overlay/kustomization.yaml", R"(resources: [../base]
namespace: team
nameSuffix: -v2
labels:
- pairs: {env: prod}
  includeSelectors: true
images:
- name: nginx
  newName: registry.example.com/nginx
  newTag: "1.27"
patches:
- target: {kind: Dep.*, name: web}
  patch: |-
    - op: add
      path: /spec/replicas
      value: 3
)");
  auto b = run(fs, "overlay");
  ASSERT_TRUE(b.ok) << b.diags.format();
  const auto* d = b.find("Deployment", "web-v2");
  ASSERT_NE(d, nullptr);
  const json& body = d->body();
  EXPECT_EQ(body["metadata"]["namespace"], "team");
  EXPECT_EQ(body["spec"]["replicas"], 3);
  EXPECT_EQ(body["spec"]["selector"]["matchLabels"]["env"], "prod");
  EXPECT_EQ(body["spec"]["template"]["metadata"]["labels"]["env"], "prod");
  // newTag replaces both tag and digest (kustomize imageTagUpdater).
  EXPECT_EQ(body["spec"]["template"]["spec"]["containers"][0]["image"],
            "registry.example.com/nginx:1.27");
}

TEST(KustomizeBuild, GeneratorMergeKeepsBaseKeysAndOverridesChangedOnes) {
  MemoryFileSource fs;
  fs.add("base/kustomization.yaml",
         "configMapGenerator:\n- name: cfg\n  literals: [A=1, B=2]\n");
  fs.add("overlay/kustomization.yaml", R"(resources: [../base]
configMapGenerator:
- name: cfg
  behavior: merge
  literals: [B=3, C=4]
)");
  auto b = run(fs, "overlay");
  ASSERT_TRUE(b.ok) << b.diags.format();
  ASSERT_EQ(b.objects.size(), 1u);
  EXPECT_EQ(b.objects[0].body()["data"], (json{{"A", "1"}, {"B", "3"}, {"C", "4"}}));
  EXPECT_EQ(b.objects[0].name(), "cfg-" + config_hash(b.objects[0].body()));
}

TEST(KustomizeBuild, MergeWithoutABaseGeneratorIsAnError) {
  MemoryFileSource fs;
  fs.add("k/kustomization.yaml",
         "configMapGenerator:\n- name: cfg\n  behavior: merge\n  literals: [A=1]\n");
  auto b = run(fs, "k");
  EXPECT_FALSE(b.ok);
  EXPECT_EQ(b.diags.items()[0].code, "kustomize-generator-behavior");
}

TEST(KustomizeBuild, ComponentsTransformEverythingAccumulatedBeforeThem) {
  MemoryFileSource fs;
  fs.add("app/kustomization.yaml", "resources: [dep.yaml]\ncomponents: [../ha]\n");
  fs.add("app/dep.yaml", kDeployment);
  fs.add("ha/kustomization.yaml", R"(apiVersion: kustomize.config.k8s.io/v1alpha1
kind: Component
replicas:
- name: web
  count: 5
)");
  auto b = run(fs, "app");
  ASSERT_TRUE(b.ok) << b.diags.format();
  EXPECT_EQ(b.find("Deployment", "web")->body()["spec"]["replicas"], 5);
}

TEST(KustomizeBuild, AComponentListedAsAResourceIsRejected) {
  MemoryFileSource fs;
  fs.add("app/kustomization.yaml", "resources: [../ha]\n");
  fs.add("ha/kustomization.yaml", "kind: Component\n");
  auto b = run(fs, "app");
  EXPECT_FALSE(b.ok);
}

TEST(KustomizeBuild, StrategicMergePatchDeleteDirectiveRemovesTheResource) {
  MemoryFileSource fs;
  fs.add("k/kustomization.yaml", "resources: [dep.yaml]\npatches:\n- path: del.yaml\n");
  fs.add("k/dep.yaml", kDeployment);
  fs.add("k/del.yaml", "$patch: delete\napiVersion: apps/v1\nkind: Deployment\nmetadata: {name: web}\n");
  auto b = run(fs, "k");
  ASSERT_TRUE(b.ok) << b.diags.format();
  EXPECT_TRUE(b.objects.empty());
}

TEST(KustomizeBuild, StrategicMergeListsPutPatchElementsFirstLikeKyaml) {
  MemoryFileSource fs;
  fs.add("k/kustomization.yaml", "resources: [dep.yaml]\npatches:\n- path: p.yaml\n");
  fs.add("k/dep.yaml", R"(apiVersion: apps/v1
kind: Deployment
metadata: {name: d}
spec:
  template:
    spec:
      containers: [{name: a, image: x}, {name: b, image: x}, {name: c, image: x}]
)");
  fs.add("k/p.yaml", R"(apiVersion: apps/v1
kind: Deployment
metadata: {name: d}
spec:
  template:
    spec:
      containers: [{name: c, image: new}, {name: d, image: dd}]
)");
  auto b = run(fs, "k");
  ASSERT_TRUE(b.ok) << b.diags.format();
  std::vector<std::string> names;
  for (const auto& c : b.objects[0].body()["spec"]["template"]["spec"]["containers"])
    names.push_back(c["name"]);
  EXPECT_EQ(names, (std::vector<std::string>{"c", "d", "a", "b"}));
}

TEST(KustomizeBuild, NamespaceRenamesNamespaceObjectsAndDefaultSubjects) {
  MemoryFileSource fs;
  fs.add("k/kustomization.yaml", "resources: [r.yaml]\nnamespace: prod\n");
  fs.add("k/r.yaml", R"(apiVersion: v1
kind: Namespace
metadata: {name: other}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata: {name: rb}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: Role, name: r}
subjects:
- {kind: ServiceAccount, name: default, namespace: other}
- {kind: ServiceAccount, name: zz, namespace: default}
)");
  auto b = run(fs, "k");
  ASSERT_TRUE(b.ok) << b.diags.format();
  EXPECT_NE(b.find("Namespace", "prod"), nullptr);
  const json& subjects = b.find("RoleBinding", "rb")->body()["subjects"];
  EXPECT_EQ(subjects[0]["namespace"], "prod");
  EXPECT_EQ(subjects[1]["namespace"], "default");
}

TEST(KustomizeBuild, NamespaceCollisionIsAnIdConflict) {
  MemoryFileSource fs;
  fs.add("k/kustomization.yaml", "resources: [r.yaml]\nnamespace: prod\n");
  fs.add("k/r.yaml",
         "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: same, namespace: a}\n---\n"
         "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: same, namespace: b}\n");
  auto b = run(fs, "k");
  EXPECT_FALSE(b.ok);
  EXPECT_NE(b.diags.format().find("namespace transformation produces ID conflict"),
            std::string::npos);
}

TEST(KustomizeBuild, PlainDirectoryRendersLikeFluxGeneratedKustomization) {
  MemoryFileSource fs;
  fs.add("repo/apps/a.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\n");
  fs.add("repo/apps/nested/b.yml", "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: b}\n");
  fs.add("repo/apps/notes.txt", "not yaml");
  fs.add("repo/apps/kbase/kustomization.yaml", "resources: [c.yaml]\nnamePrefix: k-\n");
  fs.add("repo/apps/kbase/c.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\n");
  auto b = run(fs, "repo/apps");
  ASSERT_TRUE(b.ok) << b.diags.format();
  std::vector<std::string> names;
  for (const auto& o : b.objects) names.push_back(o.name());
  EXPECT_EQ(names, (std::vector<std::string>{"a", "b", "k-c"}));  // legacy order sorts by name

  BuildOptions strict;
  strict.generate_if_missing = false;
  EXPECT_FALSE(run(fs, "repo/apps", strict).ok);
}

TEST(KustomizeBuild, FilesOutsideTheKustomizationRootAreRefused) {
  MemoryFileSource fs;
  fs.add("k/kustomization.yaml", "resources: [../outside.yaml]\n");
  fs.add("outside.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\n");
  auto b = run(fs, "k");
  EXPECT_FALSE(b.ok);
  EXPECT_EQ(b.diags.items()[0].code, "kustomize-load-restriction");
}

TEST(KustomizeBuild, UnknownKustomizationFieldsAreErrorsWithPositions) {
  MemoryFileSource fs;
  fs.add("k/kustomization.yaml", "resources: []\nresourcez: [a.yaml]\n");
  auto b = run(fs, "k");
  EXPECT_FALSE(b.ok);
  EXPECT_EQ(b.diags.items()[0].code, "kustomize-invalid");
  EXPECT_EQ(b.diags.items()[0].pos.line, 2);
}

TEST(KustomizeBuild, SecretGeneratorBase64EncodesAndStripsLiteralQuotes) {
  MemoryFileSource fs;
  fs.add("k/kustomization.yaml",
         "secretGenerator:\n- name: sec\n  literals: [\"pw='x y'\", 'k=\"quoted\"']\n");
  auto b = run(fs, "k");
  ASSERT_TRUE(b.ok) << b.diags.format();
  // kubectl printed p-sec-s-hm4c7g5k75 / data pw: eCB5, k: cXVvdGVk for these literals.
  EXPECT_EQ(b.objects[0].body()["data"], (json{{"k", "cXVvdGVk"}, {"pw", "eCB5"}}));
  EXPECT_EQ(b.objects[0].name(), "sec-hm4c7g5k75");
  EXPECT_EQ(b.objects[0].body()["type"], "Opaque");
}

}  // namespace
}  // namespace rehearse::kustomize

namespace rehearse::kustomize {
namespace {

TEST(KustomizeBuild, FluxOverlaySetsNamespaceAndMergesImagesIntoExistingEntries) {
  MemoryFileSource fs;
  fs.add("k/kustomization.yaml", R"(resources: [dep.yaml]
images:
- name: nginx
  newName: mirror/nginx
  newTag: "1.0"
)");
  fs.add("k/dep.yaml", kDeployment);
  BuildOptions opts;
  // spec.targetNamespace + spec.images of a Flux Kustomization (reference flux.md 3.4).
  opts.flux_overlay = model::JsonBox(nlohmann::json{
      {"namespace", "flux-ns"},
      {"images", nlohmann::json::array({{{"name", "nginx"}, {"digest", "sha256:abc"}}})}});
  auto b = run(fs, "k", opts);
  ASSERT_TRUE(b.ok) << b.diags.format();
  const auto* d = b.find("Deployment", "web");
  ASSERT_NE(d, nullptr);
  EXPECT_EQ(d->ns(), "flux-ns");
  // newName kept, newTag and digest replaced together: digest only.
  EXPECT_EQ(d->body()["spec"]["template"]["spec"]["containers"][0]["image"],
            "mirror/nginx@sha256:abc");
}

}  // namespace
}  // namespace rehearse::kustomize
