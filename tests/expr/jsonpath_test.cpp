// JSONPath cases from k8s.io/client-go/util/jsonpath/jsonpath_test.go (nodes, users and store
// fixtures) plus the Argo Rollouts web-provider form `{$.f1_score}`.
#include "engine/expr/jsonpath.hpp"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

using rehearse::expr::JsonPath;
using nlohmann::json;

namespace {

const json& nodes() {
  static const json j = json::parse(R"({
    "kind": "List",
    "items": [
      {"kind": "None",
       "metadata": {"name": "127.0.0.1", "labels": {"kubernetes.io/hostname": "127.0.0.1"}},
       "status": {"capacity": {"cpu": "4"}, "ready": true,
                  "addresses": [{"type": "LegacyHostIP", "address": "127.0.0.1"}]}},
      {"kind": "None",
       "metadata": {"name": "127.0.0.2", "labels": {"kubernetes.io/hostname": "127.0.0.2"}},
       "status": {"capacity": {"cpu": "8"}, "ready": false,
                  "addresses": [{"type": "LegacyHostIP", "address": "127.0.0.2"},
                                {"type": "another", "address": "127.0.0.3"}]}}
    ],
    "users": [
      {"name": "myself", "user": {}},
      {"name": "e2e", "user": {"username": "admin", "password": "secret"}}
    ]
  })");
  return j;
}

const json& store() {
  static const json j = json::parse(R"({
    "Name": "jsonpath",
    "Book": [
      {"Category": "reference", "Author": "Nigel Rees", "Title": "Sayings of the Centurey", "Price": 8.95},
      {"Category": "fiction", "Author": "Evelyn Waugh", "Title": "Sword of Honour", "Price": 12.99},
      {"Category": "fiction", "Author": "Herman Melville", "Title": "Moby Dick", "Price": 8.99}
    ],
    "Bicycle": [
      {"Color": "red", "Price": 19.95, "IsNew": true},
      {"Color": "green", "Price": 20.01, "IsNew": false}
    ],
    "Labels": {"engieer": 10, "web/html": 15, "k8s-app": 20},
    "Employees": {"jason": "manager", "dan": "clerk"}
  })");
  return j;
}

std::string render(std::string_view path, const json& data) {
  auto p = JsonPath::parse(path);
  EXPECT_TRUE(p.ok()) << path << ": " << (p.ok() ? "" : p.error().message);
  if (!p.ok()) return "<error>";
  return p->render(data);
}

}  // namespace

TEST(JsonPath, ClientGoNodeTemplates) {
  EXPECT_EQ(render("{.items[*].status.addresses[*].address}", nodes()), "127.0.0.1 127.0.0.2 127.0.0.3");
  EXPECT_EQ(render("{.items[*].metadata.name}", nodes()), "127.0.0.1 127.0.0.2");
  EXPECT_EQ(render(R"({.users[?(@.name=="e2e")].user.password})", nodes()), "secret");
  EXPECT_EQ(render(R"({.items[0].metadata.labels.kubernetes\.io/hostname})", nodes()), "127.0.0.1");
  EXPECT_EQ(render(R"({.items[?(@.metadata.labels.kubernetes\.io/hostname=="127.0.0.1")].kind})", nodes()),
            "None");
  EXPECT_EQ(render("{.items[?(@..ready==true)].metadata.name}", nodes()), "127.0.0.1");
}

TEST(JsonPath, UnionEvaluatesEachMemberAgainstAllInputsInTurn) {
  // client-go "union nodes capacity": all names first, then all capacities.
  EXPECT_EQ(render("{.items[*]['metadata.name', 'status.capacity']}", nodes()),
            R"(127.0.0.1 127.0.0.2 {"cpu":"4"} {"cpu":"8"})");
  EXPECT_EQ(render("{[1,3,4]}", json::parse("[0,1,2,3,4]")), "1 3 4");
}

TEST(JsonPath, ClientGoStoreTemplates) {
  // client-go prints brace-less text as is; rehearse reads brace-less text as a path
  // (the scenario form), so plain text needs at least one template.
  EXPECT_FALSE(JsonPath::parse("hello jsonpath").ok());
  EXPECT_EQ(render(R"({"{"})", json()), "{");
  EXPECT_EQ(render("{[?(@<5)]}", json::parse("[2,6,3,7]")), "2 3");
  EXPECT_EQ(render("{[0:2]}", json::parse(R"(["Monday","Tudesday"])")), "Monday Tudesday");
  EXPECT_EQ(render("hello {.Name}", store()), "hello jsonpath");
  EXPECT_EQ(render("{$.Labels.web/html}", store()), "15");
  EXPECT_EQ(render("{$.Employees.jason}", store()), "manager");
  EXPECT_EQ(render("{.Labels.k8s-app}", store()), "20");
  EXPECT_EQ(render("{.Bicycle[*].Color}", store()), "red green");
  EXPECT_EQ(render("{.Book[*].Author}", store()), "Nigel Rees Evelyn Waugh Herman Melville");
  EXPECT_EQ(render("{.Book[-1:]}", store()),
            R"({"Author":"Herman Melville","Category":"fiction","Price":8.99,"Title":"Moby Dick"})");
  EXPECT_EQ(render("{..Book[2].Title}", store()), "Moby Dick");
  EXPECT_EQ(render("{.Bicycle[?(@.IsNew==true)].Color}", store()), "red");
  EXPECT_EQ(render("{.Book[?(@.Price<10)].Title}", store()), "Sayings of the Centurey Moby Dick");
  EXPECT_EQ(render("{.Book[?(@.Price>=12.99)].Author}", store()), "Evelyn Waugh");
  EXPECT_EQ(render("{.Book[?(@.Category!='fiction')].Author}", store()), "Nigel Rees");
}

TEST(JsonPath, RecursiveDescentVisitsKeysInSortedOrder) {
  // client-go walks Go maps in random order; rehearse walks keys byte-wise (Bicycle < Book).
  EXPECT_EQ(render("{..Price}", store()), "19.95 20.01 8.95 12.99 8.99");
  EXPECT_EQ(render("{...Price}", store()), "19.95 20.01 8.95 12.99 8.99");
  EXPECT_FALSE(JsonPath::parse("{....Price}").ok());
}

TEST(JsonPath, WildcardOnObjectYieldsValuesByKey) {
  EXPECT_EQ(render("{.Employees.*}", store()), "clerk manager");
  EXPECT_EQ(render("{.Employees[*]}", store()), "clerk manager");
}

TEST(JsonPath, SlicesAndNegativeIndexes) {
  json a = json::parse("[0,1,2,3,4,5]");
  EXPECT_EQ(render("{[-1]}", a), "5");
  EXPECT_EQ(render("{[1:4]}", a), "1 2 3");
  EXPECT_EQ(render("{[::2]}", a), "0 2 4");
  EXPECT_EQ(render("{[-2:]}", a), "4 5");
  EXPECT_EQ(render("{[9]}", a), "");
}

TEST(JsonPath, WebProviderF1ScoreSelectsOneNumber) {
  auto p = JsonPath::parse("{$.f1_score}");
  ASSERT_TRUE(p.ok());
  auto r = p->select(json::parse(R"({"f1_score": 0.93, "model": "fraud-detector"})"));
  ASSERT_EQ(r.size(), 1u);
  EXPECT_DOUBLE_EQ(r[0].get<double>(), 0.93);
  // The default web jsonPath `{$}` is the whole document.
  auto whole = JsonPath::parse("{$}");
  ASSERT_TRUE(whole.ok());
  auto w = whole->select(json::parse(R"({"a":1})"));
  ASSERT_EQ(w.size(), 1u);
  EXPECT_EQ(w[0], json::parse(R"({"a":1})"));
}

TEST(JsonPath, MissingKeysSelectNothing) {
  auto p = JsonPath::parse("{$.data.missing}");
  ASSERT_TRUE(p.ok());
  EXPECT_TRUE(p->select(json::parse(R"({"data":{}})")).empty());
  EXPECT_TRUE(p->select(json::parse("5")).empty());
}

TEST(JsonPath, BracesAreOptionalForScenarioPaths) {
  json deploy = json::parse(R"({"spec":{"template":{"spec":{"containers":[
      {"name":"sidecar","image":"envoy:1"},{"name":"model","image":"fraud:1.2.0"}]}}}})");
  auto p = JsonPath::parse(R"(.spec.template.spec.containers[?(@.name=="model")].image)");
  ASSERT_TRUE(p.ok()) << p.error().message;
  auto r = p->select(deploy);
  ASSERT_EQ(r.size(), 1u);
  EXPECT_EQ(r[0], "fraud:1.2.0");
  auto q = JsonPath::parse("spec.template.spec.containers[0].name");
  ASSERT_TRUE(q.ok());
  EXPECT_EQ(q->render(deploy), "sidecar");
}

TEST(JsonPath, FilterExistenceAndRootReferences) {
  json d = json::parse(R"({"limit": 2, "xs": [{"v": 1}, {"v": 3}, {"w": 0}]})");
  EXPECT_EQ(render("{.xs[?(@.v)].v}", d), "1 3");
  EXPECT_EQ(render("{.xs[?(@.v > $.limit)].v}", d), "3");
}

TEST(JsonPath, SyntaxErrorsAreReported) {
  for (const char* bad : {"{.a[}", "{.a", "{.a[?(@.x = 1)]}", "{.a[0}", "{.a]}", "{range .items[*]}{end}"}) {
    auto p = JsonPath::parse(bad);
    EXPECT_FALSE(p.ok()) << bad;
    if (!p.ok()) {
      EXPECT_EQ(p.error().code, "invalid-jsonpath");
    }
  }
}
