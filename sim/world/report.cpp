#include "sim/world/report.hpp"

#include <map>
#include <nlohmann/json.hpp>

#include <fmt/format.h>

#include "engine/model/utf8.hpp"

namespace rehearse::sim {

using nlohmann::json;

int ScenarioOutcome::expectations_failed() const {
  int n = 0;
  for (const auto& r : results) n += r.passed ? 0 : 1;
  return n;
}

namespace {
std::string paint(bool color, const char* code, const std::string& s) {
  return color ? fmt::format("\x1b[{}m{}\x1b[0m", code, s) : s;
}

std::string quote_arg(const std::string& s) {
  bool plain = !s.empty() && s.find_first_of(" \t'\"\\$*?[]") == std::string::npos;
  if (plain) return s;
  std::string out = "'";
  for (char c : s) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return out + "'";
}

// Text for an XML 1.0 attribute or element. Characters XML 1.0 cannot carry at all (control
// characters other than tab, newline and carriage return, U+FFFE, U+FFFF; not even as
// character references) and bytes that are not UTF-8 (a scenario file name is whatever bytes
// the file system holds) become U+FFFD, so the report stays well-formed.
std::string xml_escape(std::string_view s) {
  static constexpr std::string_view kReplacement = "\xEF\xBF\xBD";
  std::string out;
  out.reserve(s.size());
  for (size_t i = 0; i < s.size();) {
    const char c = s[i];
    const auto byte = static_cast<unsigned char>(c);
    if (byte >= 0x80) {
      char32_t cp = 0;
      std::string problem;
      const size_t length = model::utf8_sequence(s, i, cp, problem);
      if (length == 0 || cp == 0xfffe || cp == 0xffff) {
        out += kReplacement;
        i += length == 0 ? 1 : length;
      } else {
        out += s.substr(i, length);
        i += length;
      }
      continue;
    }
    ++i;
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      case '\'': out += "&apos;"; break;
      default:
        if (byte < 0x20 && c != '\n' && c != '\t' && c != '\r') out += kReplacement;
        else out += c;
    }
  }
  return out;
}

std::string failure_text(const ScenarioOutcome& o, const ReportStyle& style, bool color) {
  std::string out;
  if (!o.error.empty()) out += fmt::format("  error: {}\n", o.error);
  for (const auto& f : o.event_failures) out += fmt::format("  event failed: {}\n", f);
  for (const auto& r : o.results) {
    if (r.passed) continue;
    out += fmt::format("  {} {}\n", paint(color, "31", "✗"), r.title);
    if (r.expectation) out += fmt::format("    at {}\n", r.expectation->pos.str());
    out += fmt::format("    expected: {}\n", r.expected);
    out += fmt::format("    observed: {}\n", r.observed);
    if (!r.context.empty()) {
      out += "    trace:\n";
      for (const auto& line : r.context) out += fmt::format("      {}\n", line);
    }
  }
  out += fmt::format("    reproduce: {}\n", reproduce_command(o, style));
  return out;
}
}  // namespace

std::string reproduce_command(const ScenarioOutcome& o, const ReportStyle& style) {
  return fmt::format("{} run {} --filter {} --seed {}", style.program, quote_arg(o.file),
                     quote_arg(o.name), o.seed);
}

std::string format_text_report(const std::vector<ScenarioOutcome>& outcomes, const ReportStyle& style) {
  std::string out;
  int passed = 0, failed = 0;
  for (const auto& o : outcomes) {
    bool ok = o.passed;
    (ok ? passed : failed)++;
    out += fmt::format("{} {}  seed={} events={} trace-hash={}  ({} expectations)\n",
                       ok ? paint(style.color, "32", "PASS") : paint(style.color, "31", "FAIL"),
                       o.name, o.seed, o.events, o.trace_hash, o.results.size());
    if (!ok) out += failure_text(o, style, style.color);
  }
  out += fmt::format("{} passed, {} failed\n", passed, failed);
  return out;
}

std::string format_json_report(const std::vector<ScenarioOutcome>& outcomes) {
  json scenarios = json::array();
  int passed = 0, failed = 0;
  for (const auto& o : outcomes) {
    (o.passed ? passed : failed)++;
    json f = json::array();
    for (const auto& r : o.results) {
      if (r.passed) continue;
      f.push_back({{"expectation", r.title},
                   {"expected", r.expected},
                   {"observed", r.observed},
                   {"at", format_short(r.observed_at - kSimStart)},
                   {"source", r.expectation ? r.expectation->pos.str() : ""},
                   {"trace", r.context}});
    }
    json s = {{"name", o.name},
              {"file", o.file},
              {"passed", o.passed},
              {"seed", o.seed},
              {"events", o.events},
              {"traceHash", o.trace_hash},
              {"expectations", o.results.size()},
              {"failed", f},
              {"eventFailures", o.event_failures}};
    s["error"] = o.error.empty() ? json(nullptr) : json(o.error);
    scenarios.push_back(std::move(s));
  }
  json out = {{"scenarios", scenarios}, {"passed", passed}, {"failed", failed}};
  // File names come from disk and need not be UTF-8: bad bytes become U+FFFD.
  return out.dump(2, ' ', false, json::error_handler_t::replace) + "\n";
}

std::string format_junit_report(const std::vector<ScenarioOutcome>& outcomes) {
  std::map<std::string, std::vector<const ScenarioOutcome*>> by_file;
  for (const auto& o : outcomes) by_file[o.file].push_back(&o);
  int total = 0, failures = 0, errors = 0;
  for (const auto& o : outcomes) {
    ++total;
    if (!o.error.empty()) ++errors;
    else if (!o.passed) ++failures;
  }
  std::string out = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n";
  out += fmt::format("<testsuites name=\"rehearse\" tests=\"{}\" failures=\"{}\" errors=\"{}\" time=\"0\">\n",
                     total, failures, errors);
  ReportStyle plain;
  for (const auto& [file, list] : by_file) {
    int f = 0, e = 0;
    for (const auto* o : list) {
      if (!o->error.empty()) ++e;
      else if (!o->passed) ++f;
    }
    out += fmt::format("  <testsuite name=\"{}\" tests=\"{}\" failures=\"{}\" errors=\"{}\" skipped=\"0\" time=\"0\">\n",
                       xml_escape(file), list.size(), f, e);
    for (const auto* o : list) {
      out += fmt::format("    <testcase name=\"{}\" classname=\"{}\" file=\"{}\" time=\"0\">\n",
                         xml_escape(o->name), xml_escape(file), xml_escape(file));
      out += fmt::format("      <properties><property name=\"seed\" value=\"{}\"/><property name=\"traceHash\" value=\"{}\"/><property name=\"events\" value=\"{}\"/></properties>\n",
                         o->seed, o->trace_hash, o->events);
      if (!o->error.empty()) {
        out += fmt::format("      <error message=\"{}\">{}</error>\n", xml_escape(o->error),
                           xml_escape(failure_text(*o, plain, false)));
      } else if (!o->passed) {
        std::string first;
        for (const auto& r : o->results)
          if (!r.passed) {
            first = r.title;
            break;
          }
        if (first.empty() && !o->event_failures.empty()) first = "event failed: " + o->event_failures[0];
        out += fmt::format("      <failure message=\"{}\" type=\"ExpectationFailed\">{}</failure>\n",
                           xml_escape(first), xml_escape(failure_text(*o, plain, false)));
      }
      out += "    </testcase>\n";
    }
    out += "  </testsuite>\n";
  }
  out += "</testsuites>\n";
  return out;
}

}  // namespace rehearse::sim
