// `rehearse semver CONSTRAINT [VERSION...] [-o text|json]`: checks versions against a
// Masterminds semver v3 constraint as Flux evaluates it (docs/expr.md). For each version it
// reports the lenient parse (Masterminds NewVersion), the stricter Flux tag parse
// (fluxcd/pkg/version.ParseVersion: three parts) and whether the constraint matches.
// Exit 0 when every version matches, 1 when one does not, 2 for an invalid constraint.

#include <CLI/CLI.hpp>
#include <algorithm>
#include <cstdio>
#include <nlohmann/json.hpp>

#include "cli/command.hpp"
#include "engine/expr/semver.hpp"

namespace rehearse::cli {

namespace {
std::string fmt_row(const std::string& cell, size_t width) {
  return cell + std::string(width + 2 - std::min(cell.size(), width), ' ');
}
}  // namespace

void register_semver(CLI::App& app, Context& ctx) {
  struct Opts {
    std::string constraint;
    std::vector<std::string> versions;
    std::string output = "text";
  };
  auto opts = std::make_shared<Opts>();
  auto* cmd = app.add_subcommand("semver", "Check versions against a semver constraint (Masterminds v3, as Flux)");
  cmd->add_option("constraint", opts->constraint, "Constraint, e.g. \">=1.0.0 <2.0.0 || ~3.1\"")->required();
  cmd->add_option("versions", opts->versions, "Versions or image tags to check");
  cmd->add_option("-o,--output", opts->output, "text|json")->capture_default_str();
  cmd->callback([opts, &ctx] {
    using namespace expr::semver;
    if (!output_format_ok(opts->output, "text,json", ctx)) return;
    auto constraint = Constraints::parse(opts->constraint);
    nlohmann::json out = {{"constraint", opts->constraint},
                          {"valid", constraint.ok()},
                          {"error", constraint.ok() ? nlohmann::json(nullptr) : nlohmann::json(constraint.error().message)},
                          {"results", nlohmann::json::array()}};
    bool all_match = true;
    for (const auto& text : opts->versions) {
      auto v = Version::parse(text);
      bool tag_valid = Version::parse_flux(text).ok();
      bool match = constraint.ok() && v.ok() && constraint->check(*v);
      all_match = all_match && match;
      nlohmann::json row = {{"version", text}, {"valid", v.ok()}, {"tagValid", tag_valid}, {"match", match}};
      if (v.ok()) row["normalized"] = v->str();
      else row["parseError"] = v.error().message;
      out["results"].push_back(std::move(row));
    }
    if (!constraint.ok()) {
      std::fprintf(stderr, "rehearse semver: invalid constraint: %s\n", constraint.error().message.c_str());
    }
    if (opts->output == "json") {
      write_output("-", dump_json(out, 2) + "\n");
    } else if (constraint.ok()) {
      std::string text = "constraint " + opts->constraint + "\n";
      if (!opts->versions.empty()) {
        size_t w = 7;
        for (const auto& v : opts->versions) w = std::max(w, v.size());
        auto yn = [](bool b) { return b ? "yes" : "no"; };
        text += fmt_row("VERSION", w) + "VALID  TAG-VALID  MATCH\n";
        for (const auto& r : out["results"]) {
          text += fmt_row(r["version"].get<std::string>(), w);
          std::string valid = yn(r["valid"].get<bool>());
          std::string tag = yn(r["tagValid"].get<bool>());
          text += valid + std::string(7 - valid.size(), ' ') + tag + std::string(11 - tag.size(), ' ') +
                  yn(r["match"].get<bool>());
          if (r.contains("normalized") && r["normalized"] != r["version"]) {
            text += "  (" + r["normalized"].get<std::string>() + ")";
          } else if (r.contains("parseError")) {
            text += "  (" + r["parseError"].get<std::string>() + ")";
          }
          text += "\n";
        }
      }
      write_output("-", text);
    }
    if (!constraint.ok()) ctx.exit_code = kInputError;
    else ctx.exit_code = all_match ? kOk : kFindings;
  });
}

}  // namespace rehearse::cli
