// Copyright 2026 The vkubelet Authors. Licensed under the Apache License 2.0.

#include "node/pod_status.h"

#include <doctest/doctest.h>

#include <nlohmann/json.hpp>

#include "vkubelet/testing/assertions.h"

namespace vkubelet::node::internal {
namespace {

corev1::PodCondition Cond(const std::string& type, const std::string& status) {
  corev1::PodCondition c;
  c.set_type(type);
  c.set_status(status);
  return c;
}

corev1::Pod ApiPod() {
  corev1::Pod pod;
  pod.mutable_metadata()->set_name("web");
  pod.mutable_metadata()->set_namespace_("default");
  pod.mutable_metadata()->set_uid("uid-1");
  auto* st = pod.mutable_status();
  st->set_phase("Pending");
  st->set_qosclass("BestEffort");
  *st->add_conditions() = Cond("PodScheduled", "True");
  *st->add_conditions() = Cond("example.com/Foreign", "True");
  return pod;
}

corev1::PodStatus Running() {
  corev1::PodStatus s;
  s.set_phase("Running");
  s.set_podip("10.0.0.5");
  *s.add_conditions() = Cond("Ready", "True");
  auto* cs = s.add_containerstatuses();
  cs->set_name("app");
  cs->set_ready(true);
  cs->mutable_state()->mutable_running()->mutable_startedat()->set_seconds(1700000000);
  return s;
}

TEST_CASE("the patch carries the uid, changes only what differs and keeps foreign conditions") {
  corev1::Pod api = ApiPod();
  corev1::PodStatus desired = DesiredStatus(api.status(), Running(), {});
  // Fields the provider does not report stay; foreign conditions stay.
  CHECK(desired.qosclass() == "BestEffort");
  REQUIRE(desired.conditions_size() == 3);
  CHECK(desired.conditions(0).type() == "Ready");
  auto patch = BuildStatusPatch(api, desired);
  VK_REQUIRE_OK(patch);
  REQUIRE(patch->has_value());
  auto body = nlohmann::json::parse(**patch);
  CHECK(body["metadata"]["uid"] == "uid-1");
  CHECK(body["status"]["phase"] == "Running");
  CHECK(body["status"]["podIP"] == "10.0.0.5");
  CHECK_FALSE(body["status"].contains("qosClass"));
  // No deletion directive for the foreign condition.
  CHECK(body["status"].dump().find("$patch") == std::string::npos);
  CHECK(body["status"].dump().find("Foreign") != std::string::npos);  // only in $setElementOrder
}

TEST_CASE("an identical status gives no patch, even with zero values present on one side") {
  corev1::Pod api = ApiPod();
  *api.mutable_status() = DesiredStatus(api.status(), Running(), {});
  // What a protobuf-decoded object carries: Go's zero values.
  api.mutable_status()->mutable_containerstatuses(0)->set_restartcount(0);
  api.mutable_status()->mutable_containerstatuses(0)->set_image("");
  api.mutable_status()->set_message("");
  corev1::PodStatus desired = DesiredStatus(api.status(), Running(), {});
  auto patch = BuildStatusPatch(api, desired);
  VK_REQUIRE_OK(patch);
  CHECK_FALSE(patch->has_value());
}

TEST_CASE("a condition the SDK wrote before and the provider dropped is removed; kubelet ones too") {
  corev1::Pod api = ApiPod();
  *api.mutable_status()->add_conditions() = Cond("example.com/Mine", "True");
  *api.mutable_status()->add_conditions() = Cond("ContainersReady", "True");
  corev1::PodStatus desired = DesiredStatus(api.status(), Running(), {"example.com/Mine"});
  std::vector<std::string> types;
  for (const auto& c : desired.conditions()) types.push_back(c.type());
  CHECK(types == std::vector<std::string>{"Ready", "PodScheduled", "example.com/Foreign"});
}

TEST_CASE("metadata changes travel with the status") {
  corev1::Pod api = ApiPod();
  MetadataChanges meta;
  meta.labels["provider.example.com/zone"] = "eu-1";
  meta.annotations["old"] = std::nullopt;
  auto patch = BuildStatusPatch(api, api.status(), meta);
  VK_REQUIRE_OK(patch);
  REQUIRE(patch->has_value());
  auto body = nlohmann::json::parse(**patch);
  CHECK(body["metadata"]["labels"]["provider.example.com/zone"] == "eu-1");
  CHECK(body["metadata"]["annotations"]["old"].is_null());
  CHECK_FALSE(body.contains("status"));
}

TEST_CASE("running, terminal, and the synthetic statuses") {
  corev1::Pod pod = ApiPod();
  CHECK_FALSE(IsRunning(pod.status()));
  *pod.mutable_status() = Running();
  CHECK(IsRunning(pod.status()));
  CHECK_FALSE(IsTerminal(pod.status()));
  auto lost = LostPodStatus(pod, absl::FromUnixSeconds(1700000100));
  CHECK(lost.phase() == "Failed");
  CHECK(lost.reason() == "NotFound");
  CHECK(lost.containerstatuses(0).state().terminated().exitcode() == -137);
  CHECK(lost.containerstatuses(0).state().terminated().startedat().seconds() == 1700000000);
  CHECK_FALSE(IsRunning(lost));
  auto deleted = DeletedPodStatus(pod, absl::FromUnixSeconds(1700000100));
  CHECK(deleted.phase() == "Succeeded");
  CHECK(deleted.containerstatuses(0).state().terminated().reason() == "Terminated");
  CHECK(IsTerminal(deleted));
  pod.mutable_spec()->set_restartpolicy("Never");
  CHECK(ProviderFailedStatus(pod, "boom").phase() == "Failed");
  pod.mutable_spec()->set_restartpolicy("Always");
  auto failed = ProviderFailedStatus(pod, "boom");
  CHECK(failed.phase() == "Pending");
  CHECK(failed.reason() == "ProviderFailed");
  CHECK(failed.message() == "boom");
}

}  // namespace
}  // namespace vkubelet::node::internal
