// Commit message templates against fluxcd/image-automation-controller internal/source/
// source_test.go (the templates and expected messages of TestSourceManager_CommitAndPush,
// before and after the removal of `.Updated`, and TestTemplateMsgAggregatesObjectChanges...).
#include "engine/image/commit_template.hpp"

#include <gtest/gtest.h>

using namespace rehearse::image;

namespace {

const char* kLegacyTemplate = R"(Commit summary

Automation: {{ .AutomationObject }}

Files:
{{ range $filename, $_ := .Updated.Files -}}
- {{ $filename }}
{{ end -}}

Objects:
{{ range $resource, $_ := .Updated.Objects -}}
{{ if eq $resource.Kind "Deployment" -}}
- {{ $resource.Kind | lower }} {{ $resource.Name | lower }}
{{ else -}}
- {{ $resource.Kind }} {{ $resource.Name }}
{{ end -}}
{{ end -}}

Images:
{{ range .Updated.Images -}}
- {{.}} ({{.Policy.Name}})
{{ end -}}
)";

const char* kResultV2Template = R"(Commit summary with ResultV2

Automation: {{ .AutomationObject }}

{{ range $filename, $objchange := .Changed.FileChanges -}}
- File: {{ $filename }}
{{- range $obj, $changes := $objchange }}
  - Object: {{ $obj.Kind }}/{{ $obj.Namespace }}/{{ $obj.Name }}
    Changes:
{{- range $_ , $change := $changes }}
    - {{ $change.OldValue }} -> {{ $change.NewValue }}
{{ end -}}
{{ end -}}
{{ end -}}
)";

// The upstream test repository: deploy.yaml with Deployment "test" (no namespace) whose
// image helloworld:1.0.0 is marked with test-ns:policy1, now at helloworld:1.0.1.
CommitTemplateData upstream_data(bool legacy) {
  CommitTemplateData d;
  d.automation_ns = "test-ns";
  d.automation_name = "test-update";
  SetterChange c;
  c.file = "deploy.yaml";
  c.line = 10;
  c.old_value = "helloworld:1.0.0";
  c.new_value = "helloworld:1.0.1";
  c.setter = "test-ns:policy1";
  c.object = {"apps/v1", "Deployment", "test", ""};
  d.changes = {c};
  d.refs["test-ns:policy1"] = parse_image_ref("helloworld:1.0.1");
  d.legacy_fields = legacy;
  return d;
}

std::string render(std::string_view tmpl, const CommitTemplateData& d) {
  auto r = render_commit_message(tmpl, d);
  if (!r.ok()) return "ERROR " + r.error().code + ": " + r.error().message;
  return *r;
}

}  // namespace

TEST(CommitTemplate, LegacyUpdatedTemplateRendersAsOlderControllersDid) {
  EXPECT_EQ(render(kLegacyTemplate, upstream_data(true)),
            "Commit summary\n\nAutomation: test-ns/test-update\n\nFiles:\n- deploy.yaml\nObjects:\n"
            "- deployment test\nImages:\n- helloworld:1.0.1 (policy1)\n");
}

TEST(CommitTemplate, UpdatedIsARemovedFieldForV1) {
  auto r = render_commit_message(kLegacyTemplate, upstream_data(false));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, "removed-template-field");
  EXPECT_EQ(r.error().message,
            "template uses removed '.Updated' field. Please use '.Changed' instead. See: "
            "https://fluxcd.io/flux/components/image/imageupdateautomations/#message-template");
  auto r2 = render_commit_message("{{ range .Changed.ImageResult.Images }}{{.}}{{end}}", upstream_data(false));
  ASSERT_FALSE(r2.ok());
  EXPECT_EQ(r2.error().code, "removed-template-field");
  EXPECT_NE(r2.error().message.find("'.Changed.ImageResult'"), std::string::npos);
}

TEST(CommitTemplate, ResultV2TemplateMatchesUpstream) {
  EXPECT_EQ(render(kResultV2Template, upstream_data(false)),
            "Commit summary with ResultV2\n\nAutomation: test-ns/test-update\n\n- File: deploy.yaml\n"
            "  - Object: Deployment//test\n    Changes:\n    - helloworld:1.0.0 -> helloworld:1.0.1\n");
}

TEST(CommitTemplate, ValuesAreReachableByIndexAndField) {
  auto d = upstream_data(false);
  d.values = {{"cluster", "prod"}, {"testing", "value"}};
  EXPECT_EQ(render("Commit summary\n\nAutomation: {{ .AutomationObject }}\n\nCluster: {{ index .Values \"cluster\" }}\n"
                   "Testing: {{ .Values.testing }}\n",
                   d),
            "Commit summary\n\nAutomation: test-ns/test-update\n\nCluster: prod\nTesting: value\n");
  EXPECT_EQ(render("{{ .Values.missing }}", d), "<no value>");
}

TEST(CommitTemplate, EmptyTemplateIsTheDefaultMessage) {
  EXPECT_EQ(render("", upstream_data(false)), "Update from image update automation");
}

TEST(CommitTemplate, ObjectsAggregateAcrossFiles) {
  // TestTemplateMsgAggregatesObjectChangesAcrossFiles.
  CommitTemplateData d;
  d.automation_ns = "flux-system";
  d.automation_name = "podinfo";
  ObjectId id{"apps/v1", "Deployment", "podinfo", "default"};
  SetterChange a{"base/deployment.yaml", 1, 1, "podinfo:v1.0.0", "podinfo:v1.0.1", "flux-system:podinfo", id};
  SetterChange b{"overlays/prod/deployment.yaml", 1, 1, "1", "2", "flux-system:replicas", id};
  d.changes = {a, b};
  std::string msg = render(kResultV2Template, d);
  EXPECT_NE(msg.find("- podinfo:v1.0.0 -> podinfo:v1.0.1"), std::string::npos) << msg;
  EXPECT_NE(msg.find("- 1 -> 2"), std::string::npos) << msg;
  EXPECT_EQ(render("{{ range $o, $c := .Changed.Objects }}{{ len $c }} {{ $o }}{{ end }}", d),
            "2 {{{apps/v1 Deployment} {podinfo default}}}");
}

TEST(CommitTemplate, SeedTemplateNamesTheNewImage) {
  // gitops-for-ml.txt: messageTemplate "chore: update {{range .Updated.Images}}{{.}}{{end}} to latest".
  CommitTemplateData d;
  d.automation_ns = "flux-system";
  d.automation_name = "model-images";
  SetterChange c;
  c.file = "clusters/prod/model-deployments/fraud-detector/deployment.yaml";
  c.old_value = "123456789.dkr.ecr.us-east-1.amazonaws.com/fraud-detector:v1.2.3";
  c.new_value = "123456789.dkr.ecr.us-east-1.amazonaws.com/fraud-detector:v1.3.0";
  c.setter = "flux-system:fraud-detector";
  d.changes = {c};
  d.refs[c.setter] = parse_image_ref(c.new_value);
  d.legacy_fields = true;
  EXPECT_EQ(render("chore: update {{range .Updated.Images}}{{.}}{{end}} to latest\n", d),
            "chore: update 123456789.dkr.ecr.us-east-1.amazonaws.com/fraud-detector:v1.3.0 to latest\n");
  EXPECT_EQ(render("{{range .Updated.Images}}{{.Registry}} {{.Repository}} {{.Identifier}}{{end}}", d),
            "123456789.dkr.ecr.us-east-1.amazonaws.com fraud-detector v1.3.0");
}

TEST(CommitTemplate, ControlFlowVariablesAndFunctions) {
  auto d = upstream_data(false);
  EXPECT_EQ(render("{{ if gt (len .Changed.Changes) 1 }}many{{ else if eq (len .Changed.Changes) 1 }}one{{ else }}none{{ end }}", d),
            "one");
  EXPECT_EQ(render("{{ $n := .AutomationObject.Name }}{{ with .Changed.Changes }}{{ $n | upper }}{{ end }}", d),
            "TEST-UPDATE");
  EXPECT_EQ(render("{{ range .Changed.Changes }}{{ printf \"%s=>%s\" .OldValue .NewValue }}{{ end }}", d),
            "helloworld:1.0.0=>helloworld:1.0.1");
  EXPECT_EQ(render("{{/* a comment */ -}}\n  {{ range $i, $e := list \"a\" \"b\" }}{{ $i }}{{ $e }}{{ end }}", d), "0a1b");
  EXPECT_EQ(render("{{ range .Values }}x{{ else }}empty{{ end }}", d), "empty");
}

TEST(CommitTemplate, ErrorsAreGoLike) {
  auto d = upstream_data(false);
  auto r = render_commit_message("{{ .Nope }}", d);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, "template");
  EXPECT_NE(r.error().message.find("can't evaluate field Nope in type source.TemplateData"), std::string::npos);
  EXPECT_EQ(render_commit_message("{{ if .Changed }}x", d).error().code, "template");
  EXPECT_EQ(render_commit_message("{{ nosuchfn 1 }}", d).error().code, "template");
  EXPECT_EQ(render_commit_message("{{ .AutomationObject ", d).error().code, "template");
  EXPECT_EQ(render_commit_message("{{ end }}", d).error().code, "template");
}
