// `rehearse appset -f APPLICATIONSET.yaml [--repo DIR] [-o text|json]`: the Applications an
// ApplicationSet generates from a repository checkout (engine/argocd/appset.hpp, docs/appset.md).
// Exit codes: 0 rendered, 2 input error (bad YAML, unsupported generator, template error,
// missing --repo for a git generator).

#include <CLI/CLI.hpp>
#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <nlohmann/json.hpp>

#include <fmt/format.h>

#include "cli/command.hpp"
#include "cli/input.hpp"
#include "engine/argocd/appset.hpp"
#include "engine/model/manifest_loader.hpp"

namespace rehearse::cli {

namespace {

namespace fs = std::filesystem;

// Go's filepath.WalkDir as the repo server uses it (GetGitDirectories): depth first, entries
// of each directory sorted by name, hidden directories skipped with their subtree, symlinks
// not followed, the root left out.
void walk_dirs(const fs::path& root, const std::string& rel, std::vector<std::string>& out) {
  std::vector<std::string> names;
  std::error_code ec;
  for (fs::directory_iterator it(root / rel, ec), end; !ec && it != end; it.increment(ec)) {
    std::error_code sec;
    if (it->symlink_status(sec).type() != fs::file_type::directory) continue;
    std::string name = it->path().filename().string();
    if (!name.empty() && name[0] == '.') continue;
    names.push_back(name);
  }
  std::sort(names.begin(), names.end());
  for (const auto& n : names) {
    std::string child = rel.empty() ? n : rel + "/" + n;
    out.push_back(child);
    walk_dirs(root, child, out);
  }
}

}  // namespace

void register_appset(CLI::App& app, Context& ctx) {
  struct Opts {
    std::string file;
    std::string repo;
    std::string output = "text";
  };
  auto opts = std::make_shared<Opts>();
  auto* cmd = app.add_subcommand("appset", "List the Applications an ApplicationSet generates from a repository");
  cmd->add_option("-f,--file", opts->file, "ApplicationSet manifest")->required();
  cmd->add_option("--repo", opts->repo, "Repository checkout (plain directory or git work tree) the git generators read");
  cmd->add_option("-o,--output", opts->output, "text|json")->capture_default_str();
  cmd->callback([opts, &ctx] {
    if (!output_format_ok(opts->output, "text,json", ctx)) return;
    model::Diagnostics diags;
    auto objects = model::load_manifests(opts->file, diags);
    auto sets = objects_of_kind(objects, model::Kind::ApplicationSet);
    if (sets.size() > 1)
      diags.error(sets[1]->origin(), "appset", "more than one ApplicationSet in the input; pass one file per set");
    if (!diags.has_errors() && sets.empty())
      diags.error(model::SourcePos{opts->file, 0, 0}, "appset", "no argoproj.io ApplicationSet in the input");
    const model::Object* set_obj = sets.empty() ? nullptr : sets[0];
    std::optional<argocd::ApplicationSet> set;
    if (!diags.has_errors()) set = argocd::parse_application_set(*set_obj, diags);
    argocd::RepoListing listing;
    if (!diags.has_errors() && set) {
      bool needs_repo = false;
      for (const auto& g : set->generators) needs_repo = needs_repo || g.git.has_value();
      if (needs_repo && opts->repo.empty()) {
        std::fputs("rehearse: the ApplicationSet has a git generator: pass --repo DIR (a checkout of its repoURL)\n", stderr);
        ctx.exit_code = kInputError;
        return;
      }
      if (!opts->repo.empty()) {
        std::error_code ec;
        if (!fs::is_directory(opts->repo, ec)) {
          std::fprintf(stderr, "rehearse: --repo %s is not a directory\n", opts->repo.c_str());
          ctx.exit_code = kInputError;
          return;
        }
        walk_dirs(opts->repo, "", listing.directories);
      }
    }
    if (diags.has_errors() || !set) {
      fail_input(diags, ctx);
      return;
    }
    auto apps = argocd::generate_applications(*set, listing);
    if (!apps) {
      model::Diagnostics d;
      d.error(set->origin, "appset", apps.error().message);
      fail_input(d, ctx);
      return;
    }
    if (opts->output == "json") {
      nlohmann::json list = nlohmann::json::array();
      for (const auto& a : *apps)
        list.push_back({{"name", a.name}, {"params", *a.params}, {"application", *a.application}});
      write_output("-", dump_json(nlohmann::json{{"applications", list}}, 2) + "\n");
    } else {
      std::string out;
      for (const auto& a : *apps) {
        const nlohmann::json& spec = a.application->value("spec", nlohmann::json::object());
        std::string path, ns;
        if (spec.contains("source") && spec["source"].is_object()) path = spec["source"].value("path", "");
        if (spec.contains("destination") && spec["destination"].is_object())
          ns = spec["destination"].value("namespace", "");
        out += fmt::format("{:<30} path={:<30} namespace={}\n", a.name, path, ns);
      }
      if (apps->empty()) out = "no applications generated\n";
      write_output("-", out);
    }
    ctx.exit_code = kOk;
  });
}

}  // namespace rehearse::cli
