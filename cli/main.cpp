// The `rehearse` executable: resolves everything host-dependent (TTY, colour, cores) at
// the edge, registers the subcommands and maps outcomes to exit codes.

#include <unistd.h>

#include <CLI/CLI.hpp>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <thread>

#include "cli/command.hpp"
#include "cli/commands.inc.hpp"
#include "cli/suggest.hpp"

int main(int argc, char** argv) {
  using namespace rehearse::cli;
  Context ctx;
  ctx.stdout_is_tty = isatty(STDOUT_FILENO) != 0;
  ctx.stderr_is_tty = isatty(STDERR_FILENO) != 0;
  ctx.color = ctx.stdout_is_tty && std::getenv("NO_COLOR") == nullptr;
  ctx.cores = std::max(1u, std::thread::hardware_concurrency());

  CLI::App app{"rehearse: a deterministic simulator for GitOps configuration (Argo CD, Flux, "
               "Argo Rollouts)",
               "rehearse"};
  app.set_version_flag("--version", std::string("rehearse ") + REHEARSE_VERSION);
  app.require_subcommand(1);
  app.fallthrough(false);
  register_all_commands(app, ctx);

  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForVersion& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    std::string hint = suggest_for_parse_error(app, argc, argv);
    app.exit(e);
    if (!hint.empty()) std::fprintf(stderr, "%s\n", hint.c_str());
    return kInputError;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "rehearse: internal error: %s\n", e.what());
    return kInternalError;
  }
  return ctx.exit_code;
}
