// `rehearse setters --dir DIR --policy NS:NAME=IMAGE[:TAG][@DIGEST]... [--write] [-o text|json]`:
// what Flux's image-automation-controller (Setters strategy) would change under DIR if the
// named ImagePolicies reported those images (docs/setters.md). Text output is a unified diff,
// JSON is {"changes": [{"file", "line", "old", "new", "marker"}], ...}. With --write the
// changed files are rewritten in place, each atomically (temporary file + rename); this is
// the only rehearse command that writes into a user's directory.
// Exit 0 (changes or none), 2 on input error.

#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <system_error>

#include "cli/command.hpp"
#include "cli/input.hpp"
#include "engine/image/setters.hpp"
#include "engine/model/diagnostic.hpp"
#include "engine/model/yaml_loader.hpp"

namespace rehearse::cli {

namespace {

namespace fs = std::filesystem;

struct PolicyArg {
  std::string ns, name;
  image::ImageRef ref;
};

bool parse_policy(const std::string& text, PolicyArg& out, std::string& error) {
  size_t eq = text.find('=');
  if (eq == std::string::npos) {
    error = "expected NS:NAME=IMAGE[:TAG][@DIGEST]";
    return false;
  }
  std::string key = text.substr(0, eq), image = text.substr(eq + 1);
  size_t colon = key.find(':');
  if (colon == std::string::npos || colon == 0 || colon + 1 == key.size() ||
      key.find(':', colon + 1) != std::string::npos) {
    error = "the policy is NS:NAME (the marker's \"$imagepolicy\" value without :tag/:name/:digest)";
    return false;
  }
  out.ns = key.substr(0, colon);
  out.name = key.substr(colon + 1);
  out.ref = image::parse_image_ref(image);
  if (out.ref.name.empty()) {
    error = "the image is empty";
    return false;
  }
  if (image.find_first_of(" \t\n") != std::string::npos) {
    error = "the image contains white space";
    return false;
  }
  return true;
}

// Files under `dir` whose names the automation looks at, sorted, .git skipped.
bool read_candidates(const fs::path& dir, std::map<std::string, std::string>& out, model::Diagnostics& diags) {
  std::error_code ec;
  std::vector<fs::path> paths;
  for (auto it = fs::recursive_directory_iterator(dir, fs::directory_options::skip_permission_denied, ec);
       !ec && it != fs::recursive_directory_iterator(); it.increment(ec)) {
    if (it->path().filename() == ".git") {
      it.disable_recursion_pending();
      continue;
    }
    if (!it->is_regular_file(ec)) continue;
    std::string rel = fs::relative(it->path(), dir, ec).generic_string();
    if (!image::considered(rel, "\"$imagepolicy\"")) continue;  // name rule only
    paths.push_back(it->path());
  }
  if (ec) {
    diags.error({dir.string(), 0, 0}, "io", fmt::format("cannot walk the directory: {}", ec.message()));
    return false;
  }
  std::sort(paths.begin(), paths.end());
  for (const auto& p : paths) {
    std::string text;
    if (!model::read_text_file(p.string(), text, diags)) return false;
    out[fs::relative(p, dir).generic_string()] = std::move(text);
  }
  return true;
}

bool write_atomically(const fs::path& target, const std::string& content) {
  fs::path tmp = target;
  tmp += ".rehearse-tmp";
  {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    if (!out) return false;
    out.write(content.data(), static_cast<std::streamsize>(content.size()));
    out.close();
    if (!out) {
      std::error_code ec;
      fs::remove(tmp, ec);
      return false;
    }
  }
  std::error_code ec;
  fs::permissions(tmp, fs::status(target, ec).permissions(), ec);
  fs::rename(tmp, target, ec);
  if (ec) {
    fs::remove(tmp, ec);
    return false;
  }
  return true;
}

}  // namespace

void register_setters(CLI::App& app, Context& ctx) {
  struct Opts {
    std::string dir;
    std::vector<std::string> policies;
    bool write = false;
    std::string output = "text";
  };
  auto opts = std::make_shared<Opts>();
  auto* cmd = app.add_subcommand("setters", "Show (or apply) what Flux image automation would change in a directory");
  cmd->add_option("--dir", opts->dir, "Directory to scan (the automation's update.path)")->required();
  cmd->add_option("--policy", opts->policies, "NS:NAME=IMAGE[:TAG][@DIGEST], the latest image of an ImagePolicy (repeatable)")
      ->required();
  cmd->add_flag("--write", opts->write, "Rewrite the changed files in place");
  cmd->add_option("-o,--output", opts->output, "text|json")->capture_default_str();
  cmd->callback([opts, &ctx] {
    if (!output_format_ok(opts->output, "text,json", ctx)) return;
    std::error_code ec;
    if (!fs::is_directory(opts->dir, ec)) {
      std::fprintf(stderr, "rehearse setters: --dir %s: not a directory\n", opts->dir.c_str());
      ctx.exit_code = kInputError;
      return;
    }
    image::SetterTable table;
    for (const auto& p : opts->policies) {
      PolicyArg arg;
      std::string error;
      if (!parse_policy(p, arg, error)) {
        std::fprintf(stderr, "rehearse setters: --policy %s: %s\n", p.c_str(), error.c_str());
        ctx.exit_code = kInputError;
        return;
      }
      table.add_policy(arg.ns, arg.name, arg.ref);
    }
    model::Diagnostics diags;
    std::map<std::string, std::string> files;
    if (!read_candidates(opts->dir, files, diags)) {
      fail_input(diags, ctx);
      return;
    }
    image::SetterRun run = image::apply_setters(files, table);
    for (const auto& f : run.problem_files)
      std::fprintf(stderr, "rehearse setters: skipped %s: not parsable as YAML manifests (image-automation-controller skips it too)\n",
                   f.c_str());
    if (opts->write) {
      for (const auto& f : run.files) {
        if (!write_atomically(fs::path(opts->dir) / f.path, f.after)) {
          std::fprintf(stderr, "rehearse setters: cannot write %s\n", f.path.c_str());
          ctx.exit_code = kInternalError;
          return;
        }
      }
    }
    std::string out;
    if (opts->output == "json") {
      nlohmann::json changes = nlohmann::json::array();
      for (const auto& c : run.changes())
        changes.push_back({{"file", c.file}, {"line", c.line}, {"column", c.col}, {"old", c.old_value},
                           {"new", c.new_value}, {"marker", c.setter}});
      nlohmann::json files_json = nlohmann::json::array();
      for (const auto& f : run.files) files_json.push_back(f.path);
      out = dump_json(nlohmann::json{{"changes", changes}, {"files", files_json}, {"skipped", run.problem_files},
                                     {"written", opts->write}},
                      2) +
            "\n";
    } else {
      for (const auto& f : run.files) out += image::unified_diff(f.path, f.before, f.after);
      if (run.files.empty()) std::fprintf(stderr, "rehearse setters: no changes\n");
    }
    if (!write_output("-", out)) {
      ctx.exit_code = kInternalError;
      return;
    }
    ctx.exit_code = kOk;
  });
}

}  // namespace rehearse::cli
