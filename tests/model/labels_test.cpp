#include "engine/model/labels.hpp"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

using namespace rehearse::model;

TEST(Selector, ParsesEqualitySetAndExistence) {
  auto s = Selector::parse("app=web, tier!=db,env in (prod, staging),canary,!legacy");
  ASSERT_TRUE(s.ok()) << s.error().message;
  Labels l{{"app", "web"}, {"env", "prod"}, {"canary", "true"}};
  EXPECT_TRUE(s->matches(l));
  l["legacy"] = "1";
  EXPECT_FALSE(s->matches(l));
  l.erase("legacy");
  l["env"] = "dev";
  EXPECT_FALSE(s->matches(l));
  EXPECT_EQ(s->str(), "app=web,tier!=db,env in (prod,staging),canary,!legacy");
}

TEST(Selector, EmptyMatchesEverythingNotInMatchesAbsentKey) {
  EXPECT_TRUE(Selector().matches({}));
  auto s = Selector::parse("env notin (prod)");
  ASSERT_TRUE(s.ok());
  EXPECT_TRUE(s->matches({}));
  EXPECT_FALSE(s->matches({{"env", "prod"}}));
}

TEST(Selector, FromLabelSelectorObject) {
  auto j = nlohmann::json::parse(
      R"({"matchLabels":{"app":"fraud"},"matchExpressions":[{"key":"track","operator":"In","values":["canary","stable"]}]})");
  auto s = Selector::from_json(j);
  ASSERT_TRUE(s.ok());
  EXPECT_TRUE(s->matches({{"app", "fraud"}, {"track", "canary"}}));
  EXPECT_FALSE(s->matches({{"app", "fraud"}}));
  auto bad = Selector::from_json(nlohmann::json::parse(
      R"({"matchExpressions":[{"key":"a","operator":"Gt"}]})"));
  EXPECT_FALSE(bad.ok());
}

// matches_labels_of reads metadata.labels in place; it must agree with matching a copy made
// by labels_of, including bodies without labels and labels that are not strings (labels_of
// renders those with dump()).
TEST(Selector, MatchesLabelsOfAgreesWithMatchingACopyOfTheLabels) {
  const char* bodies[] = {
      R"(null)",
      R"([])",
      R"({})",
      R"({"metadata": null})",
      R"({"metadata": []})",
      R"({"metadata": {}})",
      R"({"metadata": {"labels": null}})",
      R"({"metadata": {"labels": ["app", "web"]}})",
      R"({"metadata": {"labels": {}}})",
      R"({"metadata": {"labels": {"app": "web"}}})",
      R"({"metadata": {"labels": {"app": "web", "env": "prod", "canary": ""}}})",
      R"({"metadata": {"labels": {"app": "db", "env": "staging", "legacy": "1"}}})",
      R"({"metadata": {"labels": {"app": 3, "env": true, "canary": null}}})",
      R"({"metadata": {"labels": {"app": "3", "env": "true", "canary": "null"}}})",
      R"({"metadata": {"labels": {"app": {"x": 1}, "env": [1, 2], "n": 1.5}}})",
      R"({"metadata": {"labels": {"app": "{\"x\":1}", "env": "[1,2]", "n": "1.5"}}})",
  };
  const char* selectors[] = {
      "",
      "app=web",
      "app!=web",
      "app=3",
      "env=true",
      "canary=null",
      "canary",
      "!canary",
      "canary=",
      "env in (prod, staging)",
      "env notin (prod)",
      "env notin (true)",
      "n in (1.5)",
      "app=web,env in (prod),canary,!legacy",
      "app!=db,!legacy",
  };
  std::vector<Selector> sels;
  for (const char* text : selectors) {
    auto s = Selector::parse(text);
    ASSERT_TRUE(s.ok()) << text;
    sels.push_back(*s);
  }
  auto structured = Selector::from_json(nlohmann::json::parse(
      R"({"matchLabels":{"app":"web"},"matchExpressions":[{"key":"env","operator":"In","values":["prod","true"]},{"key":"x","operator":"DoesNotExist"}]})"));
  ASSERT_TRUE(structured.ok());
  sels.push_back(*structured);
  int matched = 0;
  for (const char* text : bodies) {
    const auto body = nlohmann::json::parse(text);
    const Labels labels = labels_of(body);
    for (size_t i = 0; i < sels.size(); ++i) {
      const bool expected = sels[i].matches(labels);
      EXPECT_EQ(sels[i].matches_labels_of(body), expected) << text << " vs " << sels[i].str();
      matched += expected;
    }
  }
  EXPECT_GT(matched, 20);  // the table exercises both outcomes
  // Spot checks, independent of labels_of.
  const auto numeric = nlohmann::json::parse(R"({"metadata": {"labels": {"app": 3, "env": true}}})");
  EXPECT_TRUE(Selector::parse("app=3,env=true")->matches_labels_of(numeric));
  EXPECT_FALSE(Selector::parse("app=web")->matches_labels_of(numeric));
  EXPECT_TRUE(Selector::parse("!app2")->matches_labels_of(nlohmann::json::parse("null")));
  EXPECT_FALSE(Selector::parse("app")->matches_labels_of(nlohmann::json::parse(R"({"metadata": {}})")));
}
