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
