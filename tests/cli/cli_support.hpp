#pragma once
// Runs the built `rehearse` binary and captures its output and exit code.

#include <sys/wait.h>

#include <array>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>

struct CliResult {
  int exit_code = -1;
  std::string out;  // stdout
  std::string err;  // stderr
};

inline std::string source_dir() {
  const char* s = std::getenv("REHEARSE_SOURCE_DIR");
  return s ? s : REHEARSE_SOURCE_DIR;
}

inline std::string read_all(const std::string& path) {
  std::ifstream in(path);
  return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

// `args` is appended to the binary path as shell words; runs in the source directory.
inline CliResult rehearse(const std::string& args, const std::string& stdin_text = "") {
  namespace fs = std::filesystem;
  static int counter = 0;
  fs::path tmp = fs::temp_directory_path() / ("rehearse-cli-" + std::to_string(::getpid()) + "-" + std::to_string(counter++));
  fs::create_directories(tmp);
  std::string in = (tmp / "in").string(), out = (tmp / "out").string(), err = (tmp / "err").string();
  std::ofstream(in) << stdin_text;
  std::string cmd = "cd '" + source_dir() + "' && NO_COLOR=1 '" + std::string(REHEARSE_BIN) + "' " +
                    args + " <'" + in + "' >'" + out + "' 2>'" + err + "'";
  int status = std::system(cmd.c_str());
  CliResult r;
  r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  r.out = read_all(out);
  r.err = read_all(err);
  fs::remove_all(tmp);
  return r;
}
