#include "engine/model/glob.hpp"

#include <gtest/gtest.h>

using rehearse::model::glob_match;

TEST(Glob, StarAndQuestionMark) {
  EXPECT_TRUE(glob_match("*", ""));
  EXPECT_TRUE(glob_match("*", "anything"));
  EXPECT_TRUE(glob_match("flux-*", "flux-bootstrap"));
  EXPECT_FALSE(glob_match("flux-*", "argocd-prune"));
  EXPECT_TRUE(glob_match("*.apps", "Deployment.apps"));
  EXPECT_TRUE(glob_match("a?c", "abc"));
  EXPECT_FALSE(glob_match("a?c", "ac"));
  EXPECT_TRUE(glob_match("*fraud*:v1.?.*", "ecr/fraud-detector:v1.3.0"));
  EXPECT_FALSE(glob_match("*fraud*:v1.?.*", "ecr/fraud-detector:v1.30"));
  // Backtracking past a first, wrong match of the text after the star.
  EXPECT_TRUE(glob_match("*ab", "aab"));
  EXPECT_TRUE(glob_match("a*b*c", "a-b-b-c"));
  EXPECT_FALSE(glob_match("a*b*c", "a-b-b-"));
  EXPECT_FALSE(glob_match("", "x"));
  EXPECT_TRUE(glob_match("", ""));
}
