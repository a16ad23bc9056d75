#include "engine/model/manifest_loader.hpp"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

using namespace rehearse::model;

TEST(ManifestLoader, ReadsIdentityAndSkipsEmptyDocuments) {
  Diagnostics d;
  auto objs = load_manifests_text(
      "---\napiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\n  namespace: prod\n"
      "---\n---\napiVersion: v1\nkind: Namespace\nmetadata:\n  name: prod\n",
      "m.yaml", d);
  ASSERT_FALSE(d.has_errors()) << d.format();
  ASSERT_EQ(objs.size(), 2u);
  EXPECT_EQ(objs[0].key().group, "apps");
  EXPECT_EQ(objs[0].key().kind, "Deployment");
  EXPECT_EQ(objs[0].key().ns, "prod");
  EXPECT_EQ(objs[0].version(), "v1");
  EXPECT_EQ(objs[0].known_kind(), Kind::Deployment);
  EXPECT_EQ(objs[1].known_kind(), Kind::Namespace);
  EXPECT_EQ(objs[0].origin().line, 2);
  EXPECT_EQ(objs[0].pos_of("/metadata/namespace").line, 6);
}

TEST(ManifestLoader, CollectsEveryProblemInAFile) {
  Diagnostics d;
  auto objs = load_manifests_text(
      "kind: ConfigMap\nmetadata:\n  name: a\n---\napiVersion: v1\nkind: ConfigMap\n"
      "metadata: {}\n---\n- just\n- a list\n",
      "bad.yaml", d);
  EXPECT_TRUE(objs.empty());
  ASSERT_EQ(d.size(), 3u) << d.format();
  EXPECT_EQ(d.items()[0].code, "missing-apiversion");
  EXPECT_EQ(d.items()[0].pos.line, 1);
  EXPECT_EQ(d.items()[1].code, "missing-name");
  EXPECT_EQ(d.items()[1].pos.line, 7);
  EXPECT_EQ(d.items()[2].code, "not-an-object");
  EXPECT_EQ(d.items()[2].pos.line, 9);
}

TEST(ManifestLoader, ExpandsListKind) {
  Diagnostics d;
  auto objs = load_manifests_text(
      "apiVersion: v1\nkind: List\nitems:\n- apiVersion: v1\n  kind: ConfigMap\n  metadata:\n"
      "    name: a\n- apiVersion: v1\n  kind: ConfigMap\n  metadata:\n    name: b\n",
      "list.yaml", d);
  ASSERT_EQ(objs.size(), 2u);
  EXPECT_EQ(objs[1].name(), "b");
  EXPECT_EQ(objs[1].origin().line, 8);
}

TEST(ManifestLoader, WalksDirectoriesSortedAndSkipsHidden) {
  namespace fs = std::filesystem;
  fs::path dir = fs::temp_directory_path() / "rehearse-ml-test";
  fs::remove_all(dir);
  fs::create_directories(dir / "b");
  fs::create_directories(dir / ".git");
  auto write = [](const fs::path& p, const std::string& name) {
    std::ofstream(p) << "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: " << name << "\n";
  };
  write(dir / "z.yaml", "z");
  write(dir / "a.yml", "a");
  write(dir / "b" / "m.yaml", "m");
  write(dir / ".git" / "x.yaml", "hidden");
  std::ofstream(dir / "notes.txt") << "not yaml";
  Diagnostics d;
  auto objs = load_manifests(dir.string(), d);
  ASSERT_EQ(objs.size(), 3u);
  EXPECT_EQ(objs[0].name(), "a");
  EXPECT_EQ(objs[1].name(), "m");
  EXPECT_EQ(objs[2].name(), "z");
  LoadOptions flat;
  flat.recursive = false;
  EXPECT_EQ(load_manifests(dir.string(), d, flat).size(), 2u);
  fs::remove_all(dir);
}

TEST(ManifestLoader, MissingPathIsAnError) {
  Diagnostics d;
  load_manifests("/nonexistent/rehearse", d);
  ASSERT_TRUE(d.has_errors());
  EXPECT_EQ(d.items()[0].code, "not-found");
}
