#include "cli/suggest.hpp"

#include <CLI/CLI.hpp>
#include <algorithm>

namespace rehearse::cli {

namespace {
size_t distance(std::string_view a, std::string_view b) {
  std::vector<std::vector<size_t>> d(a.size() + 1, std::vector<size_t>(b.size() + 1));
  for (size_t i = 0; i <= a.size(); ++i) d[i][0] = i;
  for (size_t j = 0; j <= b.size(); ++j) d[0][j] = j;
  for (size_t i = 1; i <= a.size(); ++i)
    for (size_t j = 1; j <= b.size(); ++j) {
      size_t cost = a[i - 1] == b[j - 1] ? 0 : 1;
      d[i][j] = std::min({d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost});
      if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1])
        d[i][j] = std::min(d[i][j], d[i - 2][j - 2] + 1);
    }
  return d[a.size()][b.size()];
}

void collect_flags(const CLI::App* app, std::vector<std::string>& out) {
  for (const CLI::Option* opt : app->get_options()) {
    for (const auto& l : opt->get_lnames()) out.push_back("--" + l);
    for (const auto& s : opt->get_snames()) out.push_back("-" + s);
  }
}
}  // namespace

std::string closest(std::string_view word, const std::vector<std::string>& candidates) {
  std::string best;
  size_t best_d = std::max<size_t>(2, word.size() / 3) + 1;
  for (const auto& c : candidates) {
    size_t dd = distance(word, c);
    if (dd < best_d) {
      best_d = dd;
      best = c;
    }
  }
  return best;
}

std::string suggest_for_parse_error(CLI::App& app, int argc, char** argv) {
  // Find the deepest subcommand named on the command line, then the first unknown token.
  CLI::App* cur = &app;
  std::vector<std::string> subs;
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    if (!arg.empty() && arg[0] == '-') {
      std::string flag = arg.substr(0, arg.find('='));
      std::vector<std::string> flags;
      collect_flags(cur, flags);
      if (std::find(flags.begin(), flags.end(), flag) == flags.end()) {
        std::string c = closest(flag, flags);
        if (!c.empty()) return "did you mean `" + c + "`?";
      }
      continue;
    }
    CLI::App* next = nullptr;
    std::vector<std::string> names;
    for (CLI::App* sub : cur->get_subcommands([](CLI::App*) { return true; })) {
      names.push_back(sub->get_name());
      if (sub->get_name() == arg) next = sub;
    }
    if (next) {
      cur = next;
    } else if (cur == &app) {
      std::string c = closest(arg, names);
      if (!c.empty()) return "did you mean `rehearse " + c + "`?";
      return {};
    }
  }
  return {};
}

}  // namespace rehearse::cli
