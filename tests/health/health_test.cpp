// Health checks per kind, as coded and tested upstream (reference argocd.md §11;
// gitops-engine pkg/health/*_test.go, argo-cd Rollout health_test.yaml).

#include "engine/health/health.hpp"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "engine/model/manifest_loader.hpp"

using namespace rehearse;
using health::Status;

namespace {
health::HealthResult assess_yaml(const std::string& yaml) {
  model::Diagnostics d;
  auto objs = model::load_manifests_text(yaml, "t.yaml", d);
  EXPECT_EQ(objs.size(), 1u) << d.format();
  auto r = health::assess(objs.at(0));
  EXPECT_TRUE(r.has_value());
  return r.value_or(health::HealthResult{Status::Unknown, "no health", {}});
}
}  // namespace

TEST(Health, SeverityOrderIsHealthySuspendedProgressingMissingDegradedUnknown) {
  EXPECT_TRUE(health::is_worse(Status::Healthy, Status::Suspended));
  EXPECT_TRUE(health::is_worse(Status::Suspended, Status::Progressing));
  EXPECT_TRUE(health::is_worse(Status::Progressing, Status::Missing));
  EXPECT_TRUE(health::is_worse(Status::Missing, Status::Degraded));
  EXPECT_TRUE(health::is_worse(Status::Degraded, Status::Unknown));
  EXPECT_FALSE(health::is_worse(Status::Degraded, Status::Progressing));
}

TEST(Health, KindsWithoutABuiltInCheckHaveNoHealth) {
  model::Diagnostics d;
  auto objs = model::load_manifests_text(
      "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\n---\n"
      "apiVersion: argoproj.io/v1alpha1\nkind: Application\nmetadata: {name: a}\n---\n"
      "apiVersion: serving.knative.dev/v1\nkind: Service\nmetadata: {name: a}\n",
      "t.yaml", d);
  for (const auto& o : objs) EXPECT_FALSE(health::assess(o).has_value()) << o.kind();
}

TEST(Health, DeletingObjectIsProgressingPendingDeletion) {
  auto r = assess_yaml("apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: d, deletionTimestamp: \"2024-01-01T00:00:00Z\"}\n");
  EXPECT_EQ(r.status, Status::Progressing);
  EXPECT_EQ(r.message, "Pending deletion");
}

TEST(DeploymentHealth, ProgressDeadlineExceededIsDegraded) {
  auto r = assess_yaml(
      "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: web, generation: 2}\nspec: {replicas: 1}\n"
      "status: {observedGeneration: 2, conditions: [{type: Progressing, status: \"False\", reason: ProgressDeadlineExceeded}]}\n");
  EXPECT_EQ(r.status, Status::Degraded);
  EXPECT_EQ(r.message, "Deployment \"web\" exceeded its progress deadline");
}

TEST(DeploymentHealth, PausedDeploymentIsSuspended) {
  auto r = assess_yaml("apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: web}\nspec: {paused: true}\n");
  EXPECT_EQ(r.status, Status::Suspended);
  EXPECT_EQ(r.message, "Deployment is paused");
}

TEST(DeploymentHealth, WaitsForUpdatedOldAndAvailableReplicasThenIsHealthy) {
  auto base = std::string("apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: web, generation: 1}\nspec: {replicas: 3}\n");
  EXPECT_EQ(assess_yaml(base + "status: {observedGeneration: 1, updatedReplicas: 1}\n").message,
            "Waiting for rollout to finish: 1 out of 3 new replicas have been updated...");
  EXPECT_EQ(assess_yaml(base + "status: {observedGeneration: 1, updatedReplicas: 3, replicas: 4}\n").message,
            "Waiting for rollout to finish: 1 old replicas are pending termination...");
  EXPECT_EQ(assess_yaml(base + "status: {observedGeneration: 1, updatedReplicas: 3, replicas: 3, availableReplicas: 2}\n").message,
            "Waiting for rollout to finish: 2 of 3 updated replicas are available...");
  EXPECT_EQ(assess_yaml(base + "status: {observedGeneration: 1, updatedReplicas: 3, replicas: 3, availableReplicas: 3}\n").status,
            Status::Healthy);
  EXPECT_EQ(assess_yaml(base + "status: {observedGeneration: 0}\n").status, Status::Progressing);
}

TEST(StatefulSetHealth, FollowsGenerationReadinessAndRevisions) {
  auto base = std::string("apiVersion: apps/v1\nkind: StatefulSet\nmetadata: {name: db, generation: 1}\n");
  EXPECT_EQ(assess_yaml(base + "spec: {replicas: 2}\nstatus: {observedGeneration: 0}\n").message,
            "Waiting for statefulset spec update to be observed...");
  EXPECT_EQ(assess_yaml(base + "spec: {replicas: 2}\nstatus: {observedGeneration: 1, readyReplicas: 1}\n").message,
            "Waiting for 1 pods to be ready...");
  EXPECT_EQ(assess_yaml(base + "spec: {replicas: 2, updateStrategy: {type: RollingUpdate, rollingUpdate: {partition: 1}}}\n"
                               "status: {observedGeneration: 1, readyReplicas: 2, updatedReplicas: 0}\n").status,
            Status::Progressing);
  EXPECT_EQ(assess_yaml(base + "spec: {replicas: 2, updateStrategy: {type: OnDelete}}\nstatus: {observedGeneration: 1, readyReplicas: 2}\n").status,
            Status::Healthy);
  EXPECT_EQ(assess_yaml(base + "spec: {replicas: 2}\nstatus: {observedGeneration: 1, readyReplicas: 2, updateRevision: b, currentRevision: a}\n").status,
            Status::Progressing);
}

TEST(DaemonSetHealth, WaitsForScheduledAndAvailablePods) {
  auto base = std::string("apiVersion: apps/v1\nkind: DaemonSet\nmetadata: {name: ds, generation: 1}\n");
  EXPECT_EQ(assess_yaml(base + "status: {observedGeneration: 1, desiredNumberScheduled: 3, updatedNumberScheduled: 2}\n").status,
            Status::Progressing);
  EXPECT_EQ(assess_yaml(base + "status: {observedGeneration: 1, desiredNumberScheduled: 3, updatedNumberScheduled: 3, numberAvailable: 3}\n").status,
            Status::Healthy);
}

TEST(ReplicaSetHealth, ReplicaFailureIsDegraded) {
  auto r = assess_yaml("apiVersion: apps/v1\nkind: ReplicaSet\nmetadata: {name: rs, generation: 1}\nspec: {replicas: 1}\n"
                       "status: {observedGeneration: 1, conditions: [{type: ReplicaFailure, status: \"True\", message: quota}]}\n");
  EXPECT_EQ(r.status, Status::Degraded);
  EXPECT_EQ(r.message, "quota");
}

TEST(PodHealth, CrashLoopBackOffIsDegradedForRestartPolicyAlways) {
  auto r = assess_yaml("apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec: {restartPolicy: Always}\n"
                       "status: {phase: Running, containerStatuses: [{name: c, state: {waiting: {reason: CrashLoopBackOff, message: back-off}}}]}\n");
  EXPECT_EQ(r.status, Status::Degraded);
  EXPECT_EQ(r.message, "back-off");
}

TEST(PodHealth, ImagePullErrorsOfHookStylePodsDoNotDegradeThem) {
  auto r = assess_yaml("apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec: {restartPolicy: Never}\n"
                       "status: {phase: Pending, containerStatuses: [{name: c, state: {waiting: {reason: ErrImagePull}}}]}\n");
  EXPECT_EQ(r.status, Status::Progressing);
}

TEST(PodHealth, RestartPolicyAlwaysNotReadyIsProgressingAndReadyIsHealthy) {
  auto base = std::string("apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec: {restartPolicy: Always}\n");
  EXPECT_EQ(assess_yaml(base + "status: {phase: Running, conditions: [{type: Ready, status: \"False\"}]}\n").status,
            Status::Progressing);
  EXPECT_EQ(assess_yaml(base + "status: {phase: Running, conditions: [{type: Ready, status: \"True\"}]}\n").status,
            Status::Healthy);
  // Not ready after a container terminated: Degraded.
  EXPECT_EQ(assess_yaml(base + "status: {phase: Running, containerStatuses: [{name: c, lastState: {terminated: {exitCode: 1}}}]}\n").status,
            Status::Degraded);
  // restartPolicy defaults to Always.
  EXPECT_EQ(assess_yaml("apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nstatus: {phase: Running, conditions: [{type: Ready, status: \"True\"}]}\n").status,
            Status::Healthy);
}

TEST(PodHealth, RunningNeverOrOnFailurePodIsProgressingEvenWhenReady) {
  auto r = assess_yaml("apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec: {restartPolicy: OnFailure}\n"
                       "status: {phase: Running, conditions: [{type: Ready, status: \"True\"}]}\n");
  EXPECT_EQ(r.status, Status::Progressing);
}

TEST(PodHealth, FailedPodUsesStatusMessageThenContainerExitCode) {
  auto base = std::string("apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec: {restartPolicy: Never}\n");
  EXPECT_EQ(assess_yaml(base + "status: {phase: Failed, containerStatuses: [{name: main, state: {terminated: {exitCode: 2}}}]}\n").message,
            "container \"main\" failed with exit code 2");
  EXPECT_EQ(assess_yaml(base + "status: {phase: Succeeded}\n").status, Status::Healthy);
  EXPECT_EQ(assess_yaml(base + "status: {phase: Weird}\n").status, Status::Unknown);
}

TEST(ServiceHealth, LoadBalancerNeedsAnIngressEntryEvenAnEmptyOne) {
  auto base = std::string("apiVersion: v1\nkind: Service\nmetadata: {name: s}\nspec: {type: LoadBalancer}\n");
  EXPECT_EQ(assess_yaml(base).status, Status::Progressing);
  EXPECT_EQ(assess_yaml(base + "status: {loadBalancer: {ingress: [{}]}}\n").status, Status::Healthy);
  EXPECT_EQ(assess_yaml("apiVersion: v1\nkind: Service\nmetadata: {name: s}\nspec: {type: ClusterIP}\n").status,
            Status::Healthy);
}

TEST(IngressHealth, SameLoadBalancerRuleForBothGroups) {
  EXPECT_EQ(assess_yaml("apiVersion: networking.k8s.io/v1\nkind: Ingress\nmetadata: {name: i}\n").status, Status::Progressing);
  EXPECT_EQ(assess_yaml("apiVersion: extensions/v1beta1\nkind: Ingress\nmetadata: {name: i}\nstatus: {loadBalancer: {ingress: [{ip: 1.2.3.4}]}}\n").status,
            Status::Healthy);
}

TEST(PvcHealth, MapsPhases) {
  auto pvc = [](const char* phase) {
    return assess_yaml(std::string("apiVersion: v1\nkind: PersistentVolumeClaim\nmetadata: {name: c}\nstatus: {phase: ") + phase + "}\n").status;
  };
  EXPECT_EQ(pvc("Bound"), Status::Healthy);
  EXPECT_EQ(pvc("Pending"), Status::Progressing);
  EXPECT_EQ(pvc("Lost"), Status::Degraded);
  EXPECT_EQ(pvc("Other"), Status::Unknown);
}

TEST(JobHealth, FailedIsDegradedCompleteIsHealthyRunningIsProgressing) {
  auto job = [](const std::string& conditions) {
    return assess_yaml("apiVersion: batch/v1\nkind: Job\nmetadata: {name: j}\nstatus: {conditions: " + conditions + "}\n");
  };
  auto failed = job("[{type: Failed, status: \"True\", message: BackoffLimitExceeded}]");
  EXPECT_EQ(failed.status, Status::Degraded);
  EXPECT_EQ(failed.message, "BackoffLimitExceeded");
  EXPECT_EQ(job("[{type: Complete, status: \"True\"}]").status, Status::Healthy);
  EXPECT_EQ(job("[]").status, Status::Progressing);
  EXPECT_EQ(job("[{type: Suspended, status: \"True\"}]").status, Status::Suspended);
  // Quirk: a resumed Job (Suspended=False) is reported Healthy.
  EXPECT_EQ(job("[{type: Suspended, status: \"False\"}]").status, Status::Healthy);
}

TEST(ApiServiceHealth, AvailableConditionDecides) {
  auto base = std::string("apiVersion: apiregistration.k8s.io/v1\nkind: APIService\nmetadata: {name: a}\n");
  auto waiting = assess_yaml(base);
  EXPECT_EQ(waiting.status, Status::Progressing);
  EXPECT_EQ(waiting.message, "Waiting to be processed");
  EXPECT_EQ(assess_yaml(base + "status: {conditions: [{type: Available, status: \"True\", reason: Passed, message: ok}]}\n").message,
            "Passed: ok");
  EXPECT_EQ(assess_yaml(base + "status: {conditions: [{type: Available, status: \"False\"}]}\n").status, Status::Progressing);
}

TEST(HpaHealth, KnownConditionsDecideOtherwiseWaitingToAutoscale) {
  auto base = std::string("apiVersion: autoscaling/v2\nkind: HorizontalPodAutoscaler\nmetadata: {name: h}\n");
  EXPECT_EQ(assess_yaml(base).message, "Waiting to Autoscale");
  EXPECT_EQ(assess_yaml(base + "status: {conditions: [{type: ScalingActive, reason: FailedGetResourceMetric}]}\n").status,
            Status::Degraded);
  EXPECT_EQ(assess_yaml(base + "status: {conditions: [{type: AbleToScale, reason: SucceededRescale}]}\n").status,
            Status::Healthy);
}

TEST(RolloutHealth, FollowsTheBundledLuaCheck) {
  auto base = std::string("apiVersion: argoproj.io/v1alpha1\nkind: Rollout\nmetadata: {name: r, generation: 2}\n");
  auto canary = base + "spec: {replicas: 2, strategy: {canary: {}}}\n";
  EXPECT_EQ(assess_yaml(canary).message, "Waiting for rollout spec update to be observed");
  EXPECT_EQ(assess_yaml(canary + "status: {observedGeneration: \"1\"}\n").status, Status::Progressing);
  // A non-numeric (legacy hash) observedGeneration passes the generation check.
  EXPECT_EQ(assess_yaml(canary + "status: {observedGeneration: \"7d66d4485f\", phase: Healthy}\n").status, Status::Healthy);
  EXPECT_EQ(assess_yaml(canary + "status: {observedGeneration: \"2\", phase: Paused, message: CanaryPauseStep}\n").status,
            Status::Suspended);
  EXPECT_EQ(assess_yaml(canary + "status: {observedGeneration: \"2\", conditions: [{type: Progressing, reason: RolloutAborted, message: aborted}]}\n").status,
            Status::Degraded);
  EXPECT_EQ(assess_yaml(canary + "status: {observedGeneration: \"2\", pauseConditions: [{reason: CanaryPauseStep}]}\n").message,
            "Rollout is paused");
  EXPECT_EQ(assess_yaml(canary + "status: {observedGeneration: \"2\", currentPodHash: abc, updatedReplicas: 2, availableReplicas: 2, replicas: 2, stableRS: old}\n").message,
            "Waiting for rollout to finish steps");
  EXPECT_EQ(assess_yaml(canary + "status: {observedGeneration: \"2\", currentPodHash: abc, updatedReplicas: 2, availableReplicas: 2, replicas: 2, stableRS: abc}\n").status,
            Status::Healthy);
  auto bg = base + "spec: {strategy: {blueGreen: {}}}\n";
  EXPECT_EQ(assess_yaml(bg + "status: {observedGeneration: \"2\", currentPodHash: abc, updatedReplicas: 1, availableReplicas: 1, blueGreen: {activeSelector: old}}\n").message,
            "active service cutover pending");
}
