#pragma once
// The commit message of an ImageUpdateAutomation: `spec.git.commit.messageTemplate` rendered
// as Go text/template (IAC internal/source/source.go templateMsg; reference flux.md 5.1).
//
// Template data (upstream TemplateData):
//   .AutomationObject        "ns/name" (types.NamespacedName; .Namespace, .Name)
//   .Changed.FileChanges     file -> ObjectIdentifier -> [Change{OldValue, NewValue, Setter}]
//   .Changed.Changes         deduplicated changes
//   .Changed.Objects         ObjectIdentifier -> [Change], merged across files
//   .Values                  spec.git.commit.messageTemplateValues
// and, when `legacy_fields` is set (image-automation-controller before v1.0, which served
// v1beta1/v1beta2 objects):
//   .Updated                 Result{.Files: file -> {.Objects: ObjectIdentifier -> [ImageRef]},
//                                   .Images: [ImageRef], .Objects: ObjectIdentifier -> [ImageRef]}
//   .Changed.ImageResult     the same Result
// ImageRef prints as the reference string (e.g. `reg/app:v1.3.0`) and has .Repository,
// .Registry, .Identifier, .Name and .Policy (go-containerregistry name.Reference).
// Without legacy fields, touching .Updated or .Changed.ImageResult is the error code
// "removed-template-field" (Stalled RemovedTemplateField upstream).
//
// Template subset: text and actions with trim markers and comments; `if`/`else if`/`else`,
// `range` (lists, maps in sorted key order as Go's fmtsort, with `$i, $v :=`, `else`),
// `with`, variables (`$x := ...`, `$x = ...`, `$`), pipelines, parenthesised pipelines,
// literals; functions and, or, not, eq, ne, lt, le, gt, ge, len, index, print, printf,
// println and the Sprig hermetic text functions join, upper, lower, title, trim, trimPrefix,
// trimSuffix, replace, quote, squote, default, contains, hasPrefix, hasSuffix, toString,
// list, first, last, trunc, indent, nindent, sortAlpha, uniq, splitList, repeat, cat.
// Anything else is a parse error (code "template").
//
// Determinism: where upstream iterates Go maps (.Changed.Changes, .Updated.Images), entries
// come in (file, object, file order) order.

#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "engine/image/setters.hpp"
#include "engine/model/result.hpp"

namespace rehearse::image {

inline constexpr std::string_view kDefaultCommitMessage = "Update from image update automation";

struct CommitTemplateData {
  std::string automation_ns;
  std::string automation_name;
  std::vector<SetterChange> changes;      // as SetterRun::changes()
  std::map<std::string, ImageRef> refs;   // setter name -> the policy's image ref
  std::map<std::string, std::string> values;
  bool legacy_fields = false;
};

// Renders `tmpl` (the default message when empty). Errors: "template" (parse or execution,
// Go-like message), "removed-template-field".
Result<std::string> render_commit_message(std::string_view tmpl, const CommitTemplateData& data);

}  // namespace rehearse::image
