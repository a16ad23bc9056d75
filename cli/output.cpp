#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "cli/command.hpp"

namespace rehearse::cli {

bool write_output(const std::string& path, const std::string& text) {
  if (path.empty() || path == "-") {
    std::fwrite(text.data(), 1, text.size(), stdout);
    std::fflush(stdout);
    return true;
  }
  namespace fs = std::filesystem;
  fs::path target(path);
  fs::path tmp = target;
  tmp += ".rehearse-tmp-" + std::to_string(::getpid());
  {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    if (!out) {
      std::fprintf(stderr, "rehearse: cannot write %s\n", path.c_str());
      return false;
    }
    out.write(text.data(), static_cast<std::streamsize>(text.size()));
    if (!out) {
      std::fprintf(stderr, "rehearse: write to %s failed\n", path.c_str());
      std::error_code ec;
      fs::remove(tmp, ec);
      return false;
    }
  }
  std::error_code ec;
  fs::rename(tmp, target, ec);
  if (ec) {
    std::fprintf(stderr, "rehearse: cannot write %s: %s\n", path.c_str(), ec.message().c_str());
    fs::remove(tmp, ec);
    return false;
  }
  return true;
}

bool check_output_format(const std::string& value, const std::string& allowed) {
  std::stringstream ss(allowed);
  std::string item;
  while (std::getline(ss, item, ','))
    if (item == value) return true;
  std::fprintf(stderr, "rehearse: -o must be one of %s, not \"%s\"\n", allowed.c_str(),
               value.c_str());
  return false;
}

bool output_format_ok(const std::string& value, const std::string& allowed, Context& ctx) {
  if (check_output_format(value, allowed)) return true;
  ctx.exit_code = kInputError;
  return false;
}

std::string dump_json(const nlohmann::json& j, int indent) {
  return j.dump(indent, ' ', false, nlohmann::json::error_handler_t::replace);
}

}  // namespace rehearse::cli
