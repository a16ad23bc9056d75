// `rehearse image-policy -f POLICY.yaml (--tags T1,T2,... | --tags-file FILE) [-o text|json]`:
// evaluates a Flux ImagePolicy (image.toolkit.fluxcd.io v1, v1beta2 or v1beta1) against a
// list of tags as image-reflector-controller would (docs/image-policy.md).
// Exit 0 when a tag is selected, 1 when none is, 2 on invalid input (YAML, not an
// ImagePolicy, invalid range/order/regex - reported as file:line:col).

#include <CLI/CLI.hpp>
#include <cstdio>
#include <nlohmann/json.hpp>
#include <sstream>

#include "cli/command.hpp"
#include "cli/input.hpp"
#include "engine/image/image_policy.hpp"
#include "engine/model/manifest_loader.hpp"

namespace rehearse::cli {

namespace {

std::vector<std::string> read_tags(const std::string& text) {
  std::vector<std::string> tags;
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) {
    size_t b = line.find_first_not_of(" \t\r");
    if (b == std::string::npos) continue;
    size_t e = line.find_last_not_of(" \t\r");
    std::string tag = line.substr(b, e - b + 1);
    if (tag[0] == '#') continue;
    tags.push_back(std::move(tag));
  }
  return tags;
}

// Where an InvalidPolicy message points in the manifest.
std::string invalid_policy_pointer(const image::ImagePolicySpec& spec, const std::string& message) {
  if (message.rfind("failed to filter tags", 0) == 0) return "/spec/filterTags/pattern";
  switch (spec.kind) {
    case image::PolicyKind::SemVer:
      return "/spec/policy/semver/range";
    case image::PolicyKind::Alphabetical:
      return "/spec/policy/alphabetical/order";
    case image::PolicyKind::Numerical:
      return "/spec/policy/numerical/order";
    case image::PolicyKind::None:
      break;
  }
  return "/spec/policy";
}

}  // namespace

void register_image_policy(CLI::App& app, Context& ctx) {
  struct Opts {
    std::string file;
    std::vector<std::string> tags;
    std::string tags_file;
    std::string output = "text";
  };
  auto opts = std::make_shared<Opts>();
  auto* cmd = app.add_subcommand("image-policy", "Select the latest tag with a Flux ImagePolicy");
  cmd->add_option("-f,--file", opts->file, "ImagePolicy manifest (YAML)")->required();
  auto* tags = cmd->add_option("--tags", opts->tags, "Comma-separated tags, in tag-database order")->delimiter(',');
  auto* tags_file = cmd->add_option("--tags-file", opts->tags_file, "File with one tag per line (# comments)");
  tags->excludes(tags_file);
  cmd->add_option("-o,--output", opts->output, "text|json")->capture_default_str();
  cmd->callback([opts, &ctx, tags, tags_file] {
    if (!output_format_ok(opts->output, "text,json", ctx)) return;
    if (tags->count() == 0 && tags_file->count() == 0) {
      std::fprintf(stderr, "rehearse image-policy: one of --tags or --tags-file is required\n");
      ctx.exit_code = kInputError;
      return;
    }
    model::Diagnostics diags;
    std::vector<std::string> tag_list = opts->tags;
    if (!opts->tags_file.empty()) {
      std::string text;
      if (model::read_text_file(opts->tags_file, text, diags)) tag_list = read_tags(text);
    }
    model::LoadOptions load;  // named, not designated: GCC 12 -Wextra warns on the omitted fields
    load.recursive = false;
    auto objects = model::load_manifests(opts->file, diags, load);
    auto policies = objects_of_kind(objects, model::Kind::ImagePolicy);
    const model::Object* policy = policies.empty() ? nullptr : policies[0];
    size_t found = policies.size();
    if (!diags.has_errors() && found == 0) {
      diags.error(model::SourcePos{opts->file, 0, 0}, "not-image-policy",
                  "no image.toolkit.fluxcd.io ImagePolicy in this file");
    } else if (found > 1) {
      diags.error(objects.empty() ? model::SourcePos{opts->file, 0, 0} : objects[0].origin(), "several-image-policies",
                  "expected one ImagePolicy, found " + std::to_string(found) + "; split the file");
    }
    std::optional<image::ImagePolicySpec> spec;
    if (!diags.has_errors()) {
      auto s = image::ImagePolicySpec::from_body(policy->body());
      if (!s) {
        diags.error(policy->origin(), s.error().code, s.error().message);
      } else {
        spec = std::move(*s);
      }
    }
    if (diags.has_errors()) {
      fail_input(diags, ctx);
      return;
    }
    nlohmann::json out = {{"policy", spec->name},
                          {"namespace", spec->ns},
                          {"kind", image::policy_kind_name(spec->kind)},
                          {"latest", nullptr},
                          {"error", nullptr},
                          {"tags", tag_list.size()}};
    int code = kOk;
    auto policer = image::Policer::build(*spec);
    if (!policer) {
      out["error"] = {{"reason", policer.error().reason}, {"message", policer.error().message}};
      diags.error(policy->pos_of(invalid_policy_pointer(*spec, policer.error().message)), "invalid-policy",
                  policer.error().message);
      std::fputs(diags.format().c_str(), stderr);
      code = kInputError;
    } else {
      auto latest = policer->latest(tag_list);
      if (latest) {
        out["latest"] = *latest;
      } else {
        out["error"] = {{"reason", latest.error().reason}, {"message", latest.error().message}};
        code = kFindings;
      }
    }
    if (opts->output == "json") {
      write_output("-", dump_json(out, 2) + "\n");
    } else {
      std::string who = "ImagePolicy " + (spec->ns.empty() ? "" : spec->ns + "/") + spec->name;
      std::string text;
      if (!out["latest"].is_null()) {
        text = who + ": latest tag " + out["latest"].get<std::string>() + " (of " + std::to_string(tag_list.size()) +
               " tags)\n";
      } else {
        text = who + ": no tag selected: " + out["error"]["reason"].get<std::string>() + ": " +
               out["error"]["message"].get<std::string>() + "\n";
      }
      write_output("-", text);
    }
    ctx.exit_code = code;
  });
}

}  // namespace rehearse::cli
