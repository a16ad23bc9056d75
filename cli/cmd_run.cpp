// `rehearse run PATH...`: the scenario suite runner (docs/scenarios.md, docs/cli.md).
// Exit 0 when every expectation holds, 1 otherwise, 2 for input errors.

#include <CLI/CLI.hpp>
#include <cstdio>
#include <filesystem>
#include <nlohmann/json.hpp>

#include <fmt/format.h>

#include "cli/command.hpp"
#include "cli/input.hpp"
#include "cli/controllers.hpp"
#include "sim/world/report.hpp"
#include "sim/world/runner.hpp"

namespace rehearse::cli {

namespace fs = std::filesystem;

void register_run(CLI::App& app, Context& ctx) {
  struct Opts {
    std::vector<std::string> paths;
    unsigned jobs = 0;
    std::string shard;
    std::string filter;
    std::optional<std::uint64_t> seed;
    std::string junit, json_file, trace_dir;
    std::string output = "text";
    bool list = false;
    bool no_progress = false;
  };
  auto o = std::make_shared<Opts>();
  auto* cmd = app.add_subcommand("run", "Run scenario files and check their expectations");
  cmd->add_option("paths", o->paths, "Scenario files or directories (recursive, sorted)")->required();
  cmd->add_option("-j,--jobs", o->jobs, "Scenarios run in parallel (default: number of cores)");
  cmd->add_option("--shard", o->shard, "Run only shard K of N (K/N, 1-based), stable by scenario name");
  cmd->add_option("--filter", o->filter, "Only scenarios whose name matches this glob");
  cmd->add_option("--seed", o->seed, "Override every scenario's seed");
  cmd->add_option("--junit", o->junit, "Write a JUnit XML report to FILE");
  cmd->add_option("--json", o->json_file, "Write a JSON report to FILE");
  cmd->add_option("--trace-dir", o->trace_dir, "Write one JSONL trace per scenario into DIR");
  cmd->add_option("-o,--output", o->output, "text|json (the JSON report on stdout)")->capture_default_str();
  cmd->add_flag("--list", o->list, "List the selected scenarios and exit");
  cmd->add_flag("--no-progress", o->no_progress, "No progress line on a terminal");
  cmd->callback([o, &ctx] {
    if (!output_format_ok(o->output, "text,json", ctx)) return;
    sim::RunOptions opts;
    opts.jobs = o->jobs ? o->jobs : ctx.cores;
    opts.seed = o->seed;
    opts.filter = o->filter;
    if (!o->shard.empty()) {
      unsigned k = 0, n = 0;
      char extra = 0;
      if (std::sscanf(o->shard.c_str(), "%u/%u%c", &k, &n, &extra) != 2 || n == 0 || k == 0 || k > n) {
        std::fprintf(stderr, "rehearse: --shard must be K/N with 1 <= K <= N, not \"%s\"\n", o->shard.c_str());
        ctx.exit_code = kInputError;
        return;
      }
      opts.shard_index = k - 1;
      opts.shard_count = n;
    }
    opts.keep_trace_lines = !o->trace_dir.empty();
    const sim::ControllerCatalog& catalog = default_catalog();
    model::Diagnostics diags;
    sim::Suite suite = sim::load_suite(o->paths, catalog, diags);
    if (diags.has_errors()) {
      fail_input(diags, ctx);
      return;
    }
    auto selected = sim::select_scenarios(suite, opts);
    if (o->list) {
      for (const auto* s : selected) std::printf("%s\t%s\n", s->name.c_str(), s->file.c_str());
      ctx.exit_code = kOk;
      return;
    }
    bool progress = ctx.stderr_is_tty && !o->no_progress;
    auto outcomes = sim::run_scenarios(selected, catalog, opts, [&](size_t done, size_t total) {
      if (progress) std::fprintf(stderr, "\r[%zu/%zu] scenarios", done, total);
    });
    if (progress) std::fprintf(stderr, "\r\x1b[K");
    bool all_passed = true;
    bool input_error = false;
    for (const auto& out : outcomes) {
      all_passed = all_passed && out.passed;
      // Setup errors caused by the scenario's own content (a bad path in the repository,
      // an invalid controller setting) are input errors.
      if (!out.error.empty()) input_error = true;
    }
    sim::ReportStyle style;
    style.color = ctx.color;
    if (o->output == "json") {
      write_output("-", sim::format_json_report(outcomes));
    } else {
      write_output("-", sim::format_text_report(outcomes, style));
    }
    bool wrote = true;
    if (!o->json_file.empty()) wrote &= write_output(o->json_file, sim::format_json_report(outcomes));
    if (!o->junit.empty()) wrote &= write_output(o->junit, sim::format_junit_report(outcomes));
    if (!o->trace_dir.empty()) {
      std::error_code ec;
      fs::create_directories(o->trace_dir, ec);
      for (const auto& out : outcomes) {
        std::string text;
        for (const auto& line : out.trace_lines) text += line + "\n";
        wrote &= write_output((fs::path(o->trace_dir) / (out.name + ".jsonl")).string(), text);
      }
    }
    if (!wrote) {
      ctx.exit_code = kInputError;
      return;
    }
    ctx.exit_code = input_error ? kInputError : all_passed ? kOk : kFindings;
  });
}

}  // namespace rehearse::cli
