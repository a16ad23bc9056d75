#pragma once
// Diagnostics for user input (STYLE.md "Errors", kind 1): every problem in a file is
// collected, each with a 1-based file:line:col, a stable code and a message that says what
// to do. Printed as `file:line:col: error[CODE]: message`.

#include <string>
#include <vector>

namespace rehearse::model {

// A place in a source file. line and col are 1-based; 0 means "unknown" (whole file).
struct SourcePos {
  std::string file;
  int line = 0;
  int col = 0;

  std::string str() const;  // "file:line:col", "file:line" or "file"
};

enum class Severity { Error, Warning, Note };

struct Diagnostic {
  Severity severity = Severity::Error;
  SourcePos pos;
  std::string code;     // stable, e.g. "yaml-syntax", "duplicate-key", "unknown-field"
  std::string message;  // what is wrong and what to do

  // `file:line:col: error[code]: message`
  std::string format() const;
};

// An ordered collection of diagnostics. Order is insertion order (deterministic: callers
// walk files and documents in sorted order).
class Diagnostics {
 public:
  void error(SourcePos pos, std::string code, std::string message);
  void warning(SourcePos pos, std::string code, std::string message);
  void add(Diagnostic d) { items_.push_back(std::move(d)); }
  void append(const Diagnostics& other);

  bool has_errors() const;
  bool empty() const { return items_.empty(); }
  size_t size() const { return items_.size(); }
  const std::vector<Diagnostic>& items() const { return items_; }

  // All diagnostics, one per line, each ending in '\n'.
  std::string format() const;

 private:
  std::vector<Diagnostic> items_;
};

}  // namespace rehearse::model
