#include "engine/model/kinds.hpp"

#include <gtest/gtest.h>

using namespace rehearse::model;

TEST(Kinds, ClusterScopedKindsAreNotNamespaced) {
  KindRegistry reg;
  for (auto [g, k] : {std::pair{"", "Namespace"}, {"apiextensions.k8s.io", "CustomResourceDefinition"},
                      {"rbac.authorization.k8s.io", "ClusterRole"},
                      {"rbac.authorization.k8s.io", "ClusterRoleBinding"},
                      {"external-secrets.io", "ClusterSecretStore"},
                      {"argoproj.io", "ClusterAnalysisTemplate"}, {"", "PersistentVolume"},
                      {"storage.k8s.io", "StorageClass"}})
    EXPECT_FALSE(reg.is_namespaced(g, k)) << k;
  EXPECT_TRUE(reg.is_namespaced("apps", "Deployment"));
  EXPECT_TRUE(reg.is_namespaced("example.com", "Widget"));
  reg.add_custom("example.com", "Widget", false);
  EXPECT_FALSE(reg.is_namespaced("example.com", "Widget"));
}

TEST(Kinds, GroupIsPartOfIdentity) {
  EXPECT_EQ(classify("apps", "Deployment"), Kind::Deployment);
  EXPECT_EQ(classify("", "Deployment"), Kind::Unknown);
  EXPECT_EQ(classify("kustomize.toolkit.fluxcd.io", "Kustomization"), Kind::Kustomization);
  auto [g, v] = split_api_version("apps/v1");
  EXPECT_EQ(g, "apps");
  EXPECT_EQ(v, "v1");
  EXPECT_EQ(split_api_version("v1").first, "");
}
