// JUnit reports must stay well-formed XML whatever bytes a scenario's file name or error holds.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "sim/world/report.hpp"
#include "sim/world/runner.hpp"

using namespace rehearse;

namespace {

// Whether every byte sequence is well-formed UTF-8 and no character is one XML 1.0 forbids
// (controls other than tab, newline, carriage return; U+FFFE, U+FFFF).
bool xml_safe(const std::string& s) {
  for (size_t i = 0; i < s.size();) {
    const auto b = static_cast<unsigned char>(s[i]);
    if (b < 0x80) {
      if (b < 0x20 && b != '\n' && b != '\t' && b != '\r') return false;
      ++i;
      continue;
    }
    size_t n = b >= 0xf0 ? 4 : b >= 0xe0 ? 3 : b >= 0xc2 ? 2 : 0;
    if (n == 0 || i + n > s.size()) return false;
    for (size_t k = 1; k < n; ++k)
      if ((static_cast<unsigned char>(s[i + k]) & 0xc0) != 0x80) return false;
    if (s.compare(i, n, "\xEF\xBF\xBE") == 0 || s.compare(i, n, "\xEF\xBF\xBF") == 0) return false;
    i += n;
  }
  return true;
}

}  // namespace

TEST(JunitReport, NonUtf8NamesAndControlCharactersBecomeReplacementCharacters) {
  sim::ScenarioOutcome o;
  o.name = "caf\xC3\xA9";                 // valid UTF-8: kept
  o.file = "scenarios/bad-\xFF\xC0.yaml";  // not UTF-8
  o.error = "boom\x01 \xEF\xBF\xBF & <x>";  // a control character and U+FFFF
  o.passed = false;
  const std::string xml = sim::format_junit_report({o});
  EXPECT_TRUE(xml_safe(xml)) << xml;
  EXPECT_NE(xml.find("caf\xC3\xA9"), std::string::npos);
  EXPECT_NE(xml.find("scenarios/bad-\xEF\xBF\xBD\xEF\xBF\xBD.yaml"), std::string::npos) << xml;
  EXPECT_NE(xml.find("boom\xEF\xBF\xBD \xEF\xBF\xBD &amp; &lt;x&gt;"), std::string::npos) << xml;
}
