// Copyright 2026 The vkubelet Authors. Licensed under the Apache License 2.0.

#include "node/pod_status.h"

#include <doctest/doctest.h>

#include <nlohmann/json.hpp>

#include "absl/container/flat_hash_set.h"
#include "google/protobuf/util/message_differencer.h"
#include "kube/patch.h"
#include "vkubelet/errdefs.h"
#include "vkubelet/kube/codec.h"
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

TEST_CASE("a terminated state with only exitCode 0 reaches the patch") {
  corev1::Pod api = ApiPod();
  *api.mutable_status() = DesiredStatus(api.status(), Running(), {});
  corev1::PodStatus stopped = Running();
  stopped.set_phase("Succeeded");
  auto* state = stopped.mutable_containerstatuses(0)->mutable_state();
  state->clear_running();
  state->mutable_terminated()->set_exitcode(0);  // nothing else: no reason, no finishedAt
  corev1::PodStatus desired = DesiredStatus(api.status(), stopped, {});
  auto patch = BuildStatusPatch(api, desired);
  VK_REQUIRE_OK(patch);
  REQUIRE(patch->has_value());
  nlohmann::json body = nlohmann::json::parse(**patch);
  INFO(body.dump());
  nlohmann::json statuses = body["status"].value("containerStatuses", nlohmann::json::array());
  REQUIRE(statuses.size() == 1);
  nlohmann::json st = statuses[0].value("state", nlohmann::json::object());
  // containerStatuses is an atomic list: the patch replaces it whole.
  CHECK(st == nlohmann::json({{"terminated", {{"exitCode", 0}}}}));
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

// --- The straightforward definitions the optimised code must match ------------------------

bool ReferenceEqual(const corev1::PodStatus& a, const corev1::PodStatus& b) {
  google::protobuf::util::MessageDifferencer differ;
  differ.set_message_field_comparison(google::protobuf::util::MessageDifferencer::EQUIVALENT);
  differ.set_repeated_field_comparison(google::protobuf::util::MessageDifferencer::AS_LIST);
  return differ.Compare(a, b);
}

// The API status with every field the provider sets replaced, conditions merged.
corev1::PodStatus ReferenceDesired(const corev1::PodStatus& api, const corev1::PodStatus& provider,
                                   const std::vector<std::string>& owned) {
  corev1::PodStatus out = api;
  const auto* desc = corev1::PodStatus::descriptor();
  const auto* refl = corev1::PodStatus::GetReflection();
  for (int i = 0; i < desc->field_count(); ++i) {
    const auto* field = desc->field(i);
    if (field->name() == "conditions") continue;
    const bool set =
        field->is_repeated() ? refl->FieldSize(provider, field) > 0 : refl->HasField(provider, field);
    if (!set) continue;
    refl->ClearField(&out, field);
    corev1::PodStatus only;
    // Copy one field through a message holding just it.
    only.CopyFrom(provider);
    for (int j = 0; j < desc->field_count(); ++j) {
      if (desc->field(j) != field) refl->ClearField(&only, desc->field(j));
    }
    only.GetReflection()->MutableUnknownFields(&only)->Clear();
    out.MergeFrom(only);
  }
  absl::flat_hash_set<std::string> reported;
  out.clear_conditions();
  for (const auto& c : provider.conditions()) {
    reported.insert(c.type());
    *out.add_conditions() = c;
  }
  for (const auto& c : api.conditions()) {
    if (reported.contains(c.type())) continue;
    if (IsKubeletCondition(c.type()) || std::count(owned.begin(), owned.end(), c.type()) > 0) continue;
    *out.add_conditions() = c;
  }
  return out;
}

// Both whole statuses through JSON and the strategic-merge differ.
std::optional<std::string> ReferencePatch(const corev1::Pod& api, const corev1::PodStatus& desired) {
  nlohmann::json original = kube::ToJsonValue(api.status());
  nlohmann::json modified = kube::ToJsonValue(desired);
  PruneZeroValues(&original);
  PruneZeroValues(&modified);
  auto patch =
      vkubelet::internal::CreateStrategicMergePatch(original, modified, corev1::PodStatus::descriptor());
  REQUIRE(patch.ok());
  if (patch->empty()) return std::nullopt;
  nlohmann::json body = {{"metadata", {{"uid", api.metadata().uid()}}}, {"status", *patch}};
  return body.dump();
}

void SetTime(metav1::Time* t, int64_t seconds, int32_t nanos = 0) {
  t->set_seconds(seconds);
  if (nanos != 0) t->set_nanos(nanos);
}

// Statuses as the API server and providers produce them, in many variations.
std::vector<corev1::PodStatus> ApiStatuses() {
  std::vector<corev1::PodStatus> out;
  corev1::PodStatus pending;
  pending.set_phase("Pending");
  pending.set_qosclass("Burstable");
  *pending.add_conditions() = Cond("PodScheduled", "True");
  out.push_back(pending);
  corev1::PodStatus empty;
  out.push_back(empty);
  corev1::PodStatus foreign = pending;
  *foreign.add_conditions() = Cond("example.com/Foreign", "True");
  *foreign.add_conditions() = Cond("Ready", "False");
  foreign.set_nominatednodename("elsewhere");
  out.push_back(foreign);
  return out;
}

std::vector<corev1::PodStatus> ProviderStatuses() {
  std::vector<corev1::PodStatus> out;
  corev1::PodStatus running;
  running.set_phase("Running");
  for (const char* type :
       {"PodReadyToStartContainers", "Initialized", "Ready", "ContainersReady", "PodScheduled"}) {
    auto* c = running.add_conditions();
    *c = Cond(type, "True");
    SetTime(c->mutable_lasttransitiontime(), 1700000000);
  }
  running.set_hostip("127.0.0.1");
  running.add_hostips()->set_ip("127.0.0.1");
  running.set_podip("10.244.0.2");
  running.add_podips()->set_ip("10.244.0.2");
  SetTime(running.mutable_starttime(), 1700000000);
  auto* cs = running.add_containerstatuses();
  cs->set_name("app");
  cs->set_image("docker.io/library/nginx:1.25");
  cs->set_imageid("docker.io/library/nginx@sha256:abc");
  cs->set_containerid("mock://0123");
  cs->set_restartcount(0);
  cs->set_ready(true);
  cs->set_started(true);
  SetTime(cs->mutable_state()->mutable_running()->mutable_startedat(), 1700000000);
  cs->mutable_laststate();
  running.set_qosclass("Burstable");
  out.push_back(running);

  corev1::PodStatus stopped = running;
  stopped.set_phase("Succeeded");
  stopped.set_reason("PodDeleted");
  stopped.set_message("deleted");
  for (auto& c : *stopped.mutable_conditions()) {
    if (c.type() == "Ready" || c.type() == "ContainersReady") {
      c.set_status("False");
      c.set_reason("PodCompleted");
    }
  }
  auto* term = stopped.mutable_containerstatuses(0)->mutable_state();
  term->Clear();
  term->mutable_terminated()->set_exitcode(0);
  term->mutable_terminated()->set_reason("Completed");
  SetTime(term->mutable_terminated()->mutable_finishedat(), 1700000100);
  stopped.mutable_containerstatuses(0)->set_ready(false);
  out.push_back(stopped);

  corev1::PodStatus reordered = running;
  std::swap(*reordered.mutable_conditions(0), *reordered.mutable_conditions(4));
  reordered.clear_podips();
  reordered.add_hostips()->set_ip("::1");
  SetTime(reordered.mutable_starttime(), 1700000000, 500);
  out.push_back(reordered);

  corev1::PodStatus sparse;  // only a phase, a condition of its own and an explicitly empty message
  sparse.set_phase("Running");
  sparse.set_message("");
  *sparse.add_conditions() = Cond("example.com/Mine", "True");
  out.push_back(sparse);

  corev1::PodStatus zeros = running;  // explicit zero values where the API side has none
  zeros.set_reason("");
  zeros.mutable_containerstatuses(0)->set_imageid("");
  zeros.set_nominatednodename("");
  out.push_back(zeros);
  return out;
}

TEST_CASE("DesiredStatus, StatusEqual and BuildStatusPatch agree with the straightforward definitions") {
  int cases = 0, patches = 0;
  for (const corev1::PodStatus& api_status : ApiStatuses()) {
    for (const corev1::PodStatus& provider : ProviderStatuses()) {
      for (const std::vector<std::string>& owned :
           {std::vector<std::string>{}, std::vector<std::string>{"example.com/Foreign"}}) {
        // The provider's status against the API server's, then against the
        // API server after each other write (what later syncs see).
        std::vector<corev1::PodStatus> api_views = {api_status};
        for (const corev1::PodStatus& written : ProviderStatuses()) {
          api_views.push_back(ReferenceDesired(api_status, written, {}));
        }
        for (const corev1::PodStatus& view : api_views) {
          corev1::Pod api = ApiPod();
          *api.mutable_status() = view;
          CAPTURE(cases);
          ++cases;
          corev1::PodStatus desired = DesiredStatus(view, provider, owned);
          corev1::PodStatus reference = ReferenceDesired(view, provider, owned);
          REQUIRE(desired.SerializeAsString() == reference.SerializeAsString());
          CHECK(StatusEqual(desired, view) == ReferenceEqual(desired, view));
          CHECK(StatusEqual(view, desired) == ReferenceEqual(view, desired));
          auto patch = BuildStatusPatch(api, desired);
          VK_REQUIRE_OK(patch);
          std::optional<std::string> want = ReferencePatch(api, desired);
          CHECK(*patch == want);
          if (want) ++patches;
        }
      }
    }
  }
  CHECK(cases > 100);
  CHECK(patches > cases / 2);  // most pairs differ: the patch builder really ran
}

TEST_CASE("invalid UTF-8: replaced in statuses, an error (not a crash) in metadata changes") {
  corev1::Pod api = ApiPod();
  corev1::PodStatus provider = Running();
  provider.set_message(std::string("bad \xff bytes"));
  auto patch = BuildStatusPatch(api, DesiredStatus(api.status(), provider, {}));
  VK_REQUIRE_OK(patch);
  REQUIRE(patch->has_value());
  CHECK(nlohmann::json::parse(**patch)["status"]["message"] == "bad \xef\xbf\xbd bytes");
  MetadataChanges meta;
  meta.labels["zone"] = std::string("\xff");
  auto bad = BuildStatusPatch(api, api.status(), meta);
  REQUIRE_FALSE(bad.ok());
  CHECK(errdefs::IsInvalidInput(bad.status()));
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
