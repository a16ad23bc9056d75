// JsonBox copy-on-write (engine/model/json_box.hpp): frozen boxes share, edits unshare,
// and a box that handed out a mutable reference is never shared.
#include "engine/model/json_box.hpp"

#include <gtest/gtest.h>

#include <utility>

#include <nlohmann/json.hpp>

#include "engine/model/object.hpp"

using rehearse::model::JsonBox;
using rehearse::model::Object;
using nlohmann::json;

TEST(JsonBox, CopiesOfAFrozenBoxShareUntilOneIsEdited) {
  JsonBox a(json{{"spec", {{"replicas", 1}}}});
  a.freeze();
  JsonBox b = a;
  EXPECT_TRUE(b.shares_with(a));
  (*b)["spec"]["replicas"] = 2;  // non-const access unshares first
  EXPECT_FALSE(b.shares_with(a));
  EXPECT_EQ((*std::as_const(a))["spec"]["replicas"], 1);
  EXPECT_EQ((*std::as_const(b))["spec"]["replicas"], 2);
}

TEST(JsonBox, ABoxWithAnOutstandingMutableReferenceIsDeepCopied) {
  JsonBox a(json{{"x", 1}});
  json& ref = *a;  // a mutable reference is out: copies must not see writes through it
  JsonBox b = a;
  EXPECT_FALSE(b.shares_with(a));
  ref["x"] = 2;
  EXPECT_EQ((*std::as_const(b))["x"], 1);
  // Assignment follows the same rule.
  JsonBox c;
  c = a;
  EXPECT_FALSE(c.shares_with(a));
  a.freeze();
  JsonBox d;  // holds the shared null: assignment shares a frozen source
  d = a;
  EXPECT_TRUE(d.shares_with(a));
}

// Found by ASan in the Deployment controller: `const json& b = d.body(); ... d = updated;`
// then reading b. A box that owns its document alone is assigned in place, so a reference
// to its root keeps seeing its (new) value, as before copy-on-write.
TEST(JsonBox, AssigningToABoxThatOwnsItsDocumentKeepsRootReferencesValid) {
  JsonBox stored(json{{"rv", 1}});
  stored.freeze();
  JsonBox mine = stored;         // shares
  const json& root = *mine;      // unshares: mine owns a copy
  JsonBox newer(json{{"rv", 2}});
  newer.freeze();
  mine = newer;                  // in place
  EXPECT_EQ(root["rv"], 2);
  EXPECT_EQ((*std::as_const(stored))["rv"], 1);
}

TEST(JsonBox, EmptyAndMovedFromBoxesHoldNullAndNeverWriteTheSharedNull) {
  JsonBox a, b;
  EXPECT_TRUE(std::as_const(a).get().is_null());
  *a = json{{"k", "v"}};
  EXPECT_TRUE(std::as_const(b).get().is_null());
  JsonBox moved = std::move(a);
  EXPECT_EQ((*std::as_const(moved))["k"], "v");
  EXPECT_TRUE(std::as_const(a).get().is_null());  // NOLINT(bugprone-use-after-move): specified
  *a = 5;
  EXPECT_TRUE(std::as_const(b).get().is_null());
}

TEST(JsonBox, ObjectsCopiedFromAStoreShareTheBodyAndReadingKeepsItShared) {
  Object stored(JsonBox(json{{"apiVersion", "v1"}, {"kind", "ConfigMap"}, {"metadata", {{"name", "cm"}}}}));
  stored.freeze();
  Object copy = stored;
  const Object& view = copy;
  EXPECT_EQ(view.body()["metadata"]["name"], "cm");
  copy.refresh_identity();  // reads through the const path
  Object again = copy;
  copy.body()["data"] = {{"a", "b"}};
  EXPECT_FALSE(std::as_const(stored).body().contains("data"));
  EXPECT_FALSE(std::as_const(again).body().contains("data"));
  EXPECT_TRUE(std::as_const(copy).body().contains("data"));
}

// Object::stamp vouches for a body as its store wrote it: copies keep it, any non-const
// access to the body clears it (the body may then differ from what the store holds).
TEST(ObjectStamp, CopiesKeepItAndEditsClearIt) {
  Object o(JsonBox(json::parse(
      R"({"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"a","namespace":"n"}})")));
  EXPECT_EQ(o.stamp(), 0u);
  o.freeze();
  o.set_stamp(7);
  const Object copy = o;
  EXPECT_EQ(copy.stamp(), 7u);
  EXPECT_EQ(std::as_const(o).body()["metadata"]["name"], "a");  // const reads keep it
  EXPECT_EQ(o.stamp(), 7u);
  Object edited = o;
  edited.body()["data"] = {{"k", "v"}};
  EXPECT_EQ(edited.stamp(), 0u);
  EXPECT_EQ(o.stamp(), 7u);
  EXPECT_FALSE(std::as_const(o).body().contains("data"));
}
