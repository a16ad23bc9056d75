#include "sim/kernel/trace.hpp"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

using namespace rehearse::sim;

TEST(Trace, LineShapeIsStableAndHashed) {
  Trace t;
  t.record(SimTime{seconds(90)}, "kubectl.set-image", "Deployment/prod/web",
           {{"image", "web:2"}, {"container", "web"}});
  ASSERT_EQ(t.entries().size(), 1u);
  EXPECT_EQ(t.entries()[0].line,
            R"({"seq":1,"t":90000,"at":"1m30s","kind":"kubectl.set-image","object":"Deployment/prod/web","details":{"container":"web","image":"web:2"}})");
  Trace same;
  same.record(SimTime{seconds(90)}, "kubectl.set-image", "Deployment/prod/web",
              {{"container", "web"}, {"image", "web:2"}});
  EXPECT_EQ(t.hash(), same.hash());
  Trace other;
  other.record(SimTime{seconds(91)}, "kubectl.set-image", "Deployment/prod/web",
               {{"container", "web"}, {"image", "web:2"}});
  EXPECT_NE(t.hash(), other.hash());
  EXPECT_EQ(t.hash_hex().size(), 16u);
}

TEST(Trace, HashDoesNotDependOnKeepingEntries) {
  Trace kept(true), dropped(false);
  for (int i = 0; i < 10; ++i) {
    kept.record(SimTime{seconds(i)}, "tick", "x");
    dropped.record(SimTime{seconds(i)}, "tick", "x");
  }
  EXPECT_EQ(kept.hash(), dropped.hash());
  EXPECT_EQ(dropped.count(), 10u);
  EXPECT_TRUE(dropped.entries().empty());
}

TEST(Trace, RedactedScratchPathsDoNotChangeTheHash) {
  // Two runs of one scenario use scratch directories named after their process.
  Trace a, b;
  a.redact("/tmp/rehearse-101-3", "$SCRATCH");
  b.redact("/tmp/rehearse-202-3", "$SCRATCH");
  a.record(SimTime{seconds(1)}, "build-failed", "K/ns/x",
           {{"message", "/tmp/rehearse-101-3/checkouts/abc/app.yaml:1:1: bad"}, {"n", {{"deep", "/tmp/rehearse-101-3"}}}});
  b.record(SimTime{seconds(1)}, "build-failed", "K/ns/x",
           {{"message", "/tmp/rehearse-202-3/checkouts/abc/app.yaml:1:1: bad"}, {"n", {{"deep", "/tmp/rehearse-202-3"}}}});
  EXPECT_EQ(a.hash(), b.hash());
  EXPECT_EQ(a.entries()[0].details->at("message"), "$SCRATCH/checkouts/abc/app.yaml:1:1: bad");
  EXPECT_EQ(a.entries()[0].line.find("rehearse-101"), std::string::npos);
}
