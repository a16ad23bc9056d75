#pragma once
// The contract every subcommand file (cli/cmd_<name>.cpp) implements:
//
//   void rehearse::cli::register_<name>(CLI::App& app, Context& ctx);
//
// It adds its subcommand to `app` and sets a callback that stores the exit code in
// ctx.exit_code. cli/CMakeLists.txt finds cmd_*.cpp files and generates the registration
// list, so adding a command never edits a shared file.
//
// Exit codes (public contract, docs/cli.md): 0 ok, 1 expectations failed / findings,
// 2 usage or input error, 3 internal error.

#include <cstdio>
#include <iosfwd>
#include <nlohmann/json_fwd.hpp>
#include <string>

namespace CLI {
class App;
}

namespace rehearse::cli {

enum ExitCode : int { kOk = 0, kFindings = 1, kInputError = 2, kInternalError = 3 };

struct Context {
  int exit_code = kOk;
  bool stdout_is_tty = false;
  bool stderr_is_tty = false;
  bool color = false;  // colour on a TTY unless NO_COLOR is set
  unsigned cores = 1;  // hardware concurrency, resolved at the edge
};

// Writes `text` to stdout or to `path` ("-" = stdout). Files are written to a temporary
// name and renamed, so a failure never leaves a partial file. False on failure (message on
// stderr).
bool write_output(const std::string& path, const std::string& text);

// Parses "-o text|json|yaml" values; prints a usage error and returns false when `value` is
// not in `allowed` (a comma-separated list).
bool check_output_format(const std::string& value, const std::string& allowed);
// check_output_format that also sets ctx.exit_code to kInputError when `value` is not allowed;
// a callback starts with `if (!output_format_ok(opts->output, "text,json", ctx)) return;`.
bool output_format_ok(const std::string& value, const std::string& allowed, Context& ctx);

// `j` as JSON text, as j.dump(indent) writes it, except that bytes that are not valid UTF-8
// become U+FFFD instead of throwing: strings from disk (file and directory names) and from the
// command line are not checked. Every -o json / JSON report goes through this.
std::string dump_json(const nlohmann::json& j, int indent);

}  // namespace rehearse::cli
