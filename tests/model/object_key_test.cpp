#include "engine/model/object.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <compare>
#include <string>
#include <tuple>
#include <vector>

using namespace rehearse::model;

namespace {

// The ordering ObjectKey had with a defaulted operator<=>: std::string's, field by field.
std::strong_ordering reference(const ObjectKey& a, const ObjectKey& b) {
  return std::tie(a.group, a.kind, a.ns, a.name) <=> std::tie(b.group, b.kind, b.ns, b.name);
}

const char* sign(std::strong_ordering o) { return o < 0 ? "<" : o > 0 ? ">" : "=="; }

// Prefixes of every length from 0 to 20, and each with one byte raised, lowered, or set to
// 0x00, 0x80 or 0xff, at every position: a difference in each byte of the word-at-a-time
// comparison, its overlapping tail and the short cases.
std::vector<std::string> strings_of_every_length() {
  const std::string base = "abcdefghijklmnopqrst";
  std::vector<std::string> out;
  for (size_t len = 0; len <= base.size(); ++len) {
    const std::string s = base.substr(0, len);
    out.push_back(s);
    for (size_t p = 0; p < len; ++p)
      for (int c : {s[p] + 1, s[p] - 1, 0, 0x80, 0xff}) {
        std::string t = s;
        t[p] = static_cast<char>(c);
        out.push_back(t);
      }
  }
  return out;
}

}  // namespace

TEST(ObjectKey, FieldComparisonIsStdStringOrderForEveryLengthAndPosition) {
  const auto strings = strings_of_every_length();
  ASSERT_GT(strings.size(), 1000u);
  for (const auto& a : strings)
    for (const auto& b : strings) {
      const auto want = a <=> b;
      const auto got = detail::compare_bytes(a, b);
      if (got != want) {
        ADD_FAILURE() << "\"" << a << "\" vs \"" << b << "\": got " << sign(got) << " want " << sign(want);
        return;
      }
    }
}

// Fields that are empty, prefixes of each other, equal for 8 or 16 bytes and then differ,
// differ only past the eighth byte or only in length, and hold bytes >= 0x80 (compared as
// unsigned, as std::string does) and NULs.
TEST(ObjectKey, OrderingIsTheLexicographicStringOrderOverItsFields) {
  const std::vector<std::string> fields = {
      "",
      "a",
      "b",
      "A",
      "ab",
      "apps",
      "argoproj.io",
      "argoproj.io2",
      "argoproj.i",
      "AnalysisRun",
      "AnalysisRunX",
      "abcdefgh",
      "abcdefgi",
      "abcdefgh1",
      "abcdefghabcdefgh",
      "abcdefghabcdefgi",
      "abcdefghabcdefgh0",
      "bbcdefgh",
      "abcdefgH",
      std::string("abc\0def", 7),
      std::string("abc\0deg", 7),
      "abcdefg\x80",
      "abcdefg\x7f",
      "\xc3\xa9t\xc3\xa9",
      "\xff",
      "app-7c9f6b4d8-12-1",
      "app-7c9f6b4d8-12-2",
      "app-7c9f6b4d8-2-1",
  };
  std::vector<ObjectKey> keys;
  // Every field position gets every value, with the other fields held equal, plus a few
  // mixed keys; that covers a difference in each field and ties before it.
  for (const auto& f : fields) {
    keys.push_back({f, "Kind", "ns", "name"});
    keys.push_back({"apps", f, "ns", "name"});
    keys.push_back({"apps", "Kind", f, "name"});
    keys.push_back({"apps", "Kind", "ns", f});
    keys.push_back({f, f, f, f});
  }
  int less = 0, greater = 0;
  for (const auto& a : keys)
    for (const auto& b : keys) {
      const auto want = reference(a, b);
      const auto got = a <=> b;
      ASSERT_STREQ(sign(got), sign(want)) << a.str() << " vs " << b.str();
      EXPECT_EQ(a < b, want < 0);
      EXPECT_EQ(a == b, want == 0);
      less += want < 0;
      greater += want > 0;
    }
  EXPECT_EQ(less, greater);
  EXPECT_GT(less, 1000);
  // Sorting agrees too (maps and sets iterate in this order, and it reaches output).
  auto sorted = keys;
  std::sort(sorted.begin(), sorted.end());
  auto expected = keys;
  std::sort(expected.begin(), expected.end(),
            [](const ObjectKey& a, const ObjectKey& b) { return reference(a, b) < 0; });
  EXPECT_EQ(sorted, expected);
  // Spot checks that do not rely on the reference.
  EXPECT_LT((ObjectKey{"apps", "ReplicaSet", "ns-1", "x"}), (ObjectKey{"argoproj.io", "AnalysisRun", "", ""}));
  EXPECT_LT((ObjectKey{"", "", "", "abcdefg\x7f"}), (ObjectKey{"", "", "", "abcdefg\x80"}));
  EXPECT_LT((ObjectKey{"", "", "", "abcdefgh"}), (ObjectKey{"", "", "", "abcdefgh\x01"}));
  EXPECT_GT((ObjectKey{"", "", "", "abcdefghabcdefgi"}), (ObjectKey{"", "", "", "abcdefghabcdefgh0"}));
}

// Hash maps probe with ObjectKeyHash: equal keys must hash equal, and keys that differ in
// any byte, length or field boundary should not collide (a 64-bit hash that reads every
// byte has no collision among these few thousand; one that skipped a byte or a field
// would have many).
TEST(ObjectKey, HashReadsEveryByteLengthAndFieldBoundary) {
  const ObjectKeyHash hash;
  const auto strings = strings_of_every_length();
  std::vector<ObjectKey> keys;
  for (const auto& s : strings) {
    keys.push_back({"argoproj.io", "AnalysisRun", "ns-1", s});
    keys.push_back({"argoproj.io", "AnalysisRun", s, "app-1"});
    keys.push_back({"apps", s, "ns-1", "app-1"});
    keys.push_back({s, "Kind", "", ""});
  }
  // The same bytes split differently between fields.
  keys.push_back({"ab", "c", "", ""});
  keys.push_back({"a", "bc", "", ""});
  keys.push_back({"", "abc", "", ""});
  keys.push_back({"", "", "", "abc"});
  std::sort(keys.begin(), keys.end());
  keys.erase(std::unique(keys.begin(), keys.end()), keys.end());
  ASSERT_GT(keys.size(), 4000u);
  std::vector<size_t> hashes;
  for (const auto& k : keys) {
    ObjectKey copy = k;  // equal keys in other storage hash equal
    ASSERT_EQ(hash(copy), hash(k)) << k.str();
    hashes.push_back(hash(k));
  }
  std::sort(hashes.begin(), hashes.end());
  EXPECT_EQ(std::adjacent_find(hashes.begin(), hashes.end()), hashes.end()) << "a collision";
}
