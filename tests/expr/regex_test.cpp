// Go RE2 syntax on std::regex: translation, refusals, and regexp.Expand semantics
// (Go regexp/example_test.go ExampleRegexp_Expand, Flux filterTags docs).
#include "engine/expr/regex.hpp"

#include <gtest/gtest.h>

using rehearse::expr::Regex;

namespace {
std::string expand(const char* pattern, const char* tmpl, const char* text) {
  auto re = Regex::compile(pattern);
  EXPECT_TRUE(re.ok()) << pattern;
  auto m = re->find_submatch(text);
  if (!m) return "<no match>";
  return re->expand(tmpl, *m);
}
}  // namespace

TEST(Regex, NamedGroupsInBothSpellings) {
  auto re = Regex::compile(R"(^main-[a-fA-F0-9]+-(?P<ts>.*))");
  ASSERT_TRUE(re.ok());
  EXPECT_EQ(re->group_names().size(), 2u);
  EXPECT_EQ(re->group_names()[1], "ts");
  EXPECT_EQ(expand(R"(^main-[a-fA-F0-9]+-(?P<ts>.*))", "$ts", "main-0e9f8c1-1611905227"), "1611905227");
  EXPECT_EQ(expand(R"(^v(?<num>\d+))", "${num}", "v42"), "42");
}

TEST(Regex, ExpandFollowsGo) {
  // Go's Expand: $1x is the group named "1x" (empty); ${1}x is group 1 then "x".
  EXPECT_EQ(expand(R"((\w+)-(\w+))", "$2.$1", "ab-cd"), "cd.ab");
  EXPECT_EQ(expand(R"((\w+)-(\w+))", "$1x", "ab-cd"), "");
  EXPECT_EQ(expand(R"((\w+)-(\w+))", "${1}x", "ab-cd"), "abx");
  EXPECT_EQ(expand(R"((\w+)-(\w+))", "$$1", "ab-cd"), "$1");
  EXPECT_EQ(expand(R"((\w+)-(\w+))", "$9", "ab-cd"), "");
  EXPECT_EQ(expand(R"((\w+)-(\w+))", "a$-b", "ab-cd"), "a$-b");
  EXPECT_EQ(expand(R"((?P<first>\w+)\s(?P<second>\w+))", "$second $first", "hello world"), "world hello");
}

TEST(Regex, SearchIsUnanchored) {
  auto re = Regex::compile(R"(\d+\.\d+)");
  ASSERT_TRUE(re.ok());
  EXPECT_TRUE(re->search("release-1.2-final"));
  EXPECT_FALSE(re->search("release"));
  auto anchored = Regex::compile(R"(\A1\.\d+\z)");
  ASSERT_TRUE(anchored.ok());
  EXPECT_TRUE(anchored->search("1.5"));
  EXPECT_FALSE(anchored->search("x1.5"));
}

TEST(Regex, LeadingCaseInsensitiveFlagAndQuoting) {
  auto re = Regex::compile("(?i)^RC");
  ASSERT_TRUE(re.ok());
  EXPECT_TRUE(re->search("rc1"));
  auto q = Regex::compile(R"(^\Q1.0+x\E$)");
  ASSERT_TRUE(q.ok());
  EXPECT_TRUE(q->search("1.0+x"));
  EXPECT_FALSE(q->search("1x0+x"));
  auto brace = Regex::compile("a{b");  // RE2 reads a non-repetition brace literally
  ASSERT_TRUE(brace.ok());
  EXPECT_TRUE(brace->search("a{b"));
  auto rep = Regex::compile("^a{2,3}$");
  ASSERT_TRUE(rep.ok());
  EXPECT_TRUE(rep->search("aaa"));
  EXPECT_FALSE(rep->search("a"));
}

TEST(Regex, UnsupportedConstructsAreRefusedWithAColumn) {
  for (const char* bad : {"a(?=b)", "(?!x)", "(?<=x)y", R"((a)\1)", R"(\p{Greek})", "x(?i)y", "(?P<>a)",
                          "[a-", "(unclosed", R"(\Z)"}) {
    auto re = Regex::compile(bad);
    EXPECT_FALSE(re.ok()) << bad;
    if (!re.ok()) {
      EXPECT_EQ(re.error().code, "invalid-regex");
    }
  }
  auto la = Regex::compile("ab(?=c)");
  ASSERT_FALSE(la.ok());
  EXPECT_NE(la.error().message.find("column 3"), std::string::npos) << la.error().message;
}
