// RFC 7386 and RFC 6902 behaviour, with the examples of the RFCs' appendices.

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "engine/patch/patch.hpp"

using nlohmann::json;
using namespace rehearse::patch;

namespace {
json J(const char* s) { return json::parse(s); }
}  // namespace

// RFC 7386 Appendix A, test cases.
TEST(MergePatch, FollowsTheRfc7386AppendixExamples) {
  struct Case {
    const char* target;
    const char* patch;
    const char* result;
  } cases[] = {
      {R"({"a":"b"})", R"({"a":"c"})", R"({"a":"c"})"},
      {R"({"a":"b"})", R"({"b":"c"})", R"({"a":"b","b":"c"})"},
      {R"({"a":"b"})", R"({"a":null})", R"({})"},
      {R"({"a":"b","b":"c"})", R"({"a":null})", R"({"b":"c"})"},
      {R"({"a":["b"]})", R"({"a":"c"})", R"({"a":"c"})"},
      {R"({"a":"c"})", R"({"a":["b"]})", R"({"a":["b"]})"},
      {R"({"a":{"b":"c"}})", R"({"a":{"b":"d","c":null}})", R"({"a":{"b":"d"}})"},
      {R"({"a":[{"b":"c"}]})", R"({"a":[1]})", R"({"a":[1]})"},
      {R"(["a","b"])", R"(["c","d"])", R"(["c","d"])"},
      {R"({"a":"b"})", R"(["c"])", R"(["c"])"},
      {R"({"a":"foo"})", R"(null)", R"(null)"},
      {R"({"a":"foo"})", R"("bar")", R"("bar")"},
      {R"({"e":null})", R"({"a":1})", R"({"e":null,"a":1})"},
      {R"([1,2])", R"({"a":"b","c":null})", R"({"a":"b"})"},
      {R"({})", R"({"a":{"bb":{"ccc":null}}})", R"({"a":{"bb":{}}})"},
  };
  for (const auto& c : cases) {
    json t = J(c.target);
    apply_merge_patch(t, J(c.patch));
    EXPECT_EQ(t, J(c.result)) << c.target << " + " << c.patch;
  }
}

TEST(MergePatch, CreateMergePatchRoundTripsAndNullsRemovedKeys) {
  json from = J(R"({"a":1,"b":{"c":2,"d":3},"e":[1]})");
  json to = J(R"({"a":1,"b":{"c":5},"f":true,"e":[1,2]})");
  json p = create_merge_patch(from, to);
  EXPECT_EQ(p, J(R"({"b":{"c":5,"d":null},"e":[1,2],"f":true})"));
  apply_merge_patch(from, p);
  EXPECT_EQ(from, to);
  EXPECT_EQ(create_merge_patch(to, to), json::object());
}

// RFC 6902 Appendix A.1 - A.16.
TEST(JsonPatch, AppliesTheRfc6902AppendixExamples) {
  struct Case {
    const char* doc;
    const char* ops;
    const char* result;
  } cases[] = {
      {R"({"foo":"bar"})", R"([{"op":"add","path":"/baz","value":"qux"}])",
       R"({"baz":"qux","foo":"bar"})"},
      {R"({"foo":["bar","baz"]})", R"([{"op":"add","path":"/foo/1","value":"qux"}])",
       R"({"foo":["bar","qux","baz"]})"},
      {R"({"baz":"qux","foo":"bar"})", R"([{"op":"remove","path":"/baz"}])", R"({"foo":"bar"})"},
      {R"({"foo":["bar","qux","baz"]})", R"([{"op":"remove","path":"/foo/1"}])",
       R"({"foo":["bar","baz"]})"},
      {R"({"baz":"qux","foo":"bar"})", R"([{"op":"replace","path":"/baz","value":"boo"}])",
       R"({"baz":"boo","foo":"bar"})"},
      {R"({"foo":{"bar":"baz","waldo":"fred"},"qux":{"corge":"grault"}})",
       R"([{"op":"move","from":"/foo/waldo","path":"/qux/thud"}])",
       R"({"foo":{"bar":"baz"},"qux":{"corge":"grault","thud":"fred"}})"},
      {R"({"foo":["all","grass","cows","eat"]})", R"([{"op":"move","from":"/foo/1","path":"/foo/3"}])",
       R"({"foo":["all","cows","eat","grass"]})"},
      {R"({"baz":"qux","foo":["a",2,"c"]})",
       R"([{"op":"test","path":"/baz","value":"qux"},{"op":"test","path":"/foo/1","value":2}])",
       R"({"baz":"qux","foo":["a",2,"c"]})"},
      {R"({"foo":"bar"})", R"([{"op":"add","path":"/child","value":{"grandchild":{}}}])",
       R"({"foo":"bar","child":{"grandchild":{}}})"},
      {R"({"foo":"bar"})", R"([{"op":"add","path":"/baz","value":"qux","xyz":123}])",
       R"({"foo":"bar","baz":"qux"})"},
      {R"({"/":9,"~1":10})", R"([{"op":"test","path":"/~01","value":10}])", R"({"/":9,"~1":10})"},
      {R"({"foo":["bar"]})", R"([{"op":"add","path":"/foo/-","value":["abc","def"]}])",
       R"({"foo":["bar",["abc","def"]]})"},
      {R"({"a":{"b":1}})", R"([{"op":"copy","from":"/a","path":"/c"}])",
       R"({"a":{"b":1},"c":{"b":1}})"},
      {R"({"a/b":1})", R"([{"op":"replace","path":"/a~1b","value":2}])", R"({"a/b":2})"},
  };
  for (const auto& c : cases) {
    json d = J(c.doc);
    auto r = apply_json_patch(d, J(c.ops));
    ASSERT_TRUE(r.ok()) << c.ops << ": " << r.error().message;
    EXPECT_EQ(d, J(c.result)) << c.ops;
  }
}

TEST(JsonPatch, ErrorsNameTheOperationIndexAndLeaveTheTargetUnchanged) {
  json d = J(R"({"foo":"bar","n":[1]})");
  json before = d;
  // A.9: test failure; A.12: add to a nonexistent target; bad index; bad escape.
  auto r = apply_json_patch(
      d, J(R"([{"op":"add","path":"/x","value":1},{"op":"test","path":"/foo","value":"nope"}])"));
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().message.find("operation 1"), std::string::npos) << r.error().message;
  EXPECT_EQ(d, before);

  r = apply_json_patch(d, J(R"([{"op":"add","path":"/baz/bat","value":"qux"}])"));
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().message.find("operation 0"), std::string::npos);

  r = apply_json_patch(d, J(R"([{"op":"add","path":"/n/2","value":3}])"));
  EXPECT_FALSE(r.ok());
  r = apply_json_patch(d, J(R"([{"op":"remove","path":"/n/01"}])"));
  EXPECT_FALSE(r.ok());
  r = apply_json_patch(d, J(R"([{"op":"remove","path":"/a~2"}])"));
  EXPECT_FALSE(r.ok());
  r = apply_json_patch(d, J(R"([{"op":"move","from":"/n","path":"/n/0"}])"));
  EXPECT_FALSE(r.ok());
  r = apply_json_patch(d, J(R"([{"op":"frobnicate","path":"/n"}])"));
  EXPECT_FALSE(r.ok());
  r = apply_json_patch(d, J(R"([{"op":"replace","path":"/missing","value":1}])"));
  EXPECT_FALSE(r.ok());
  EXPECT_EQ(d, before);
}

TEST(JsonPatch, PointerUnescapesTildeOneBeforeTildeZero) {
  auto t = parse_json_pointer("/a~1b/~0c/~01");
  ASSERT_TRUE(t.ok());
  EXPECT_EQ(*t, (std::vector<std::string>{"a/b", "~c", "~1"}));
  EXPECT_TRUE(parse_json_pointer("")->empty());
  EXPECT_FALSE(parse_json_pointer("a").ok());
}

TEST(JsonPatch, InPlaceAppliesWithoutACopyAndKeepsEarlierOperationsOnError) {
  json doc = {{"a", json::array({1, 2})}};
  ASSERT_TRUE(apply_json_patch_in_place(doc, json::parse(R"([{"op":"add","path":"/a/-","value":3},{"op":"remove","path":"/a/0"}])")).ok());
  EXPECT_EQ(doc, json::parse(R"({"a":[2,3]})"));
  auto r = apply_json_patch_in_place(doc, json::parse(R"([{"op":"add","path":"/b","value":1},{"op":"remove","path":"/zz"}])"));
  EXPECT_FALSE(r.ok());
  EXPECT_EQ(doc, json::parse(R"({"a":[2,3],"b":1})"));  // the first operation stays applied
  // The atomic form leaves the target untouched.
  json atomic = {{"a", 1}};
  EXPECT_FALSE(apply_json_patch(atomic, json::parse(R"([{"op":"add","path":"/b","value":1},{"op":"remove","path":"/zz"}])")).ok());
  EXPECT_EQ(atomic, json::parse(R"({"a":1})"));
}
