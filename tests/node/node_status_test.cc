// Copyright 2026 The vkubelet Authors. Licensed under the Apache License 2.0.
//
// The node controller's pure part: the registered Node, notifications, the
// Ready condition and the status patch, applied with the same strategic merge
// engine the FakeApiServer uses.

#include "node/node_status.h"

#include <doctest/doctest.h>

#include <nlohmann/json.hpp>

#include "absl/strings/match.h"
#include "kube/patch.h"
#include "vkubelet/errdefs.h"
#include "vkubelet/kube/codec.h"
#include "vkubelet/testing/assertions.h"

namespace vkubelet::node::internal {
namespace {

using Json = nlohmann::json;

const absl::Time kT0 = absl::FromUnixSeconds(1'700'000'000);

NodeControllerOptions Options() {
  NodeControllerOptions o;
  o.node_name = "vk-1";
  o.provider_name = "acme";
  o.internal_ip = "10.0.0.7";
  o.kubelet_port = 10250;
  return o;
}

corev1::NodeCondition Cond(const std::string& type, const std::string& status, const std::string& reason = "R") {
  corev1::NodeCondition c;
  c.set_type(type);
  c.set_status(status);
  c.set_reason(reason);
  return c;
}

const corev1::NodeCondition* Find(const corev1::Node& node, const std::string& type) {
  for (const auto& c : node.status().conditions()) {
    if (c.type() == type) return &c;
  }
  return nullptr;
}

// What the API server would store after the patch.
corev1::Node Apply(const corev1::Node& server, const std::string& patch) {
  auto applied = vkubelet::internal::ApplyPatch(vkubelet::internal::PatchType::kStrategicMergePatch,
                                                kube::ToJsonValue(server), patch, corev1::Node::descriptor());
  REQUIRE_MESSAGE(applied.ok(), applied.status().ToString());
  corev1::Node out;
  VK_REQUIRE_OK(kube::FromJsonValue(*applied, &out));
  return out;
}

TEST_CASE("managed fields round-trip and reject garbage") {
  ManagedFields f;
  f.labels = {"a", "b"};
  f.conditions = {"Ready", "example.com/X"};
  f.capacity = {"cpu"};
  std::string text = EncodeManagedFields(f);
  CHECK(text == R"({"capacity":["cpu"],"conditions":["Ready","example.com/X"],"labels":["a","b"]})");
  auto back = DecodeManagedFields(text);
  VK_REQUIRE_OK(back);
  CHECK(*back == f);
  CHECK(DecodeManagedFields("{}")->labels.empty());
  // A newer SDK may add members.
  VK_CHECK_OK(DecodeManagedFields(R"({"labels":["x"],"future":{"y":1}})"));

  for (const char* bad : {"", "not json", "[]", R"({"labels":"a"})", R"({"conditions":[1]})"}) {
    CAPTURE(bad);
    CHECK(errdefs::IsInvalidInput(DecodeManagedFields(bad).status()));
  }
  corev1::Node node;
  (*node.mutable_metadata()->mutable_annotations())[kManagedFieldsAnnotation] = "{broken";
  CHECK(errdefs::IsInvalidInput(ManagedFieldsOf(node).status()));
}

TEST_CASE("the Go reference's last-applied annotations are read as ownership") {
  corev1::Node node;
  auto& ann = *node.mutable_metadata()->mutable_annotations();
  ann[kLegacyLastAppliedStatus] =
      R"({"capacity":{"cpu":"2"},"conditions":[{"type":"Ready","status":"True"},{"type":"Old","status":"False"}]})";
  ann[kLegacyLastAppliedMeta] = R"({"name":"vk-1","labels":{"type":"virtual-kubelet"},"annotations":{"a":"1"}})";
  auto f = ManagedFieldsOf(node);
  VK_REQUIRE_OK(f);
  CHECK(f->conditions == std::set<std::string>{"Ready", "Old"});
  CHECK(f->capacity == std::set<std::string>{"cpu"});
  CHECK(f->labels == std::set<std::string>{"type"});
  CHECK(f->annotations == std::set<std::string>{"a"});

  // The next patch removes them (and the old condition).
  corev1::Node desired;
  *desired.mutable_status()->add_conditions() = Cond("Ready", "True");
  NodeStatusPatch p = BuildNodeStatusPatch(desired, &node, *f, kT0);
  Json j = Json::parse(p.body);
  CHECK(j["metadata"]["annotations"][kLegacyLastAppliedStatus].is_null());
  CHECK(j["metadata"]["annotations"][kLegacyLastAppliedMeta].is_null());
}

TEST_CASE("registration node: labels, taint, address, port, node info") {
  corev1::Node n = BuildRegistrationNode(Options());
  CHECK(n.metadata().name() == "vk-1");
  const auto& l = n.metadata().labels();
  CHECK(l.at("type") == "virtual-kubelet");
  CHECK(l.at("kubernetes.io/role") == "agent");
  CHECK(l.at("kubernetes.io/hostname") == "vk-1");
  CHECK(l.at("kubernetes.io/os") == "linux");
  CHECK(l.at("kubernetes.io/arch") == std::string(BuildArchitecture()));
  REQUIRE(n.spec().taints_size() == 1);
  CHECK(n.spec().taints(0).key() == "virtual-kubelet.io/provider");
  CHECK(n.spec().taints(0).value() == "acme");
  CHECK(n.spec().taints(0).effect() == "NoSchedule");
  REQUIRE(n.status().addresses_size() == 1);
  CHECK(n.status().addresses(0).type() == "InternalIP");
  CHECK(n.status().addresses(0).address() == "10.0.0.7");
  CHECK(n.status().daemonendpoints().kubeletendpoint().port() == 10250);
  CHECK(n.status().nodeinfo().operatingsystem() == "linux");
  CHECK(absl::StartsWith(n.status().nodeinfo().kubeletversion(), "v1.31.4-vkubelet-"));

  // The template wins where it says something; the taint is configurable.
  NodeControllerOptions o = Options();
  (*o.node_template.mutable_metadata()->mutable_labels())["kubernetes.io/role"] = "edge";
  o.node_template.mutable_status()->mutable_nodeinfo()->set_kubeletversion("v1.30.0-custom");
  o.taint.key = "example.com/virtual";
  o.taint.value = "yes";
  o.taint.effect = "NoExecute";
  o.kubelet_port = 11250;
  o.internal_ip.clear();
  n = BuildRegistrationNode(o);
  CHECK(n.metadata().labels().at("kubernetes.io/role") == "edge");
  CHECK(n.status().nodeinfo().kubeletversion() == "v1.30.0-custom");
  REQUIRE(n.spec().taints_size() == 1);
  CHECK(n.spec().taints(0).key() == "example.com/virtual");
  CHECK(n.spec().taints(0).value() == "yes");
  CHECK(n.spec().taints(0).effect() == "NoExecute");
  CHECK(n.status().addresses_size() == 0);
  CHECK(n.status().daemonendpoints().kubeletendpoint().port() == 11250);

  o.taint.enabled = false;
  CHECK(BuildRegistrationNode(o).spec().taints_size() == 0);
}

TEST_CASE("Ready condition") {
  ReadyInputs in;
  CHECK(ReadyCondition(in).status() == "False");
  CHECK(ReadyCondition(in).reason() == kReasonKubeletNotReady);
  in.pods_synced = true;
  CHECK(ReadyCondition(in).status() == "False");  // no ping yet
  in.ping = absl::OkStatus();
  CHECK(ReadyCondition(in).status() == "True");
  CHECK(ReadyCondition(in).reason() == kReasonKubeletReady);
  in.ping = absl::UnavailableError("backend unreachable");
  CHECK(ReadyCondition(in).status() == "False");
  CHECK(ReadyCondition(in).reason() == kReasonProviderPingFailed);
  CHECK(ReadyCondition(in).message() == "backend unreachable");
  in.ping = absl::OkStatus();
  in.shutting_down = true;
  CHECK(ReadyCondition(in).status() == "False");
  CHECK(ReadyCondition(in).message() == "node is shutting down");

  // The provider's own Ready is replaced.
  corev1::Node reported;
  *reported.mutable_status()->add_conditions() = Cond("Ready", "False", "KubeletPending");
  *reported.mutable_status()->add_conditions() = Cond("MemoryPressure", "False");
  in.shutting_down = false;
  corev1::Node with = WithReady(reported, in);
  REQUIRE(with.status().conditions_size() == 2);
  CHECK(Find(with, "Ready")->status() == "True");
  CHECK(Find(with, "Ready")->reason() == kReasonKubeletReady);
}

TEST_CASE("status patch keeps what others wrote and deletes what we dropped") {
  // The API server's node: ours (Ready, example.com/Mine, label, annotation,
  // capacity) and others' (a condition, a label, an annotation, a capacity key).
  corev1::Node server;
  server.mutable_metadata()->set_name("vk-1");
  auto& labels = *server.mutable_metadata()->mutable_labels();
  labels["type"] = "virtual-kubelet";
  labels["ours/dropped"] = "1";
  labels["theirs"] = "x";
  auto& ann = *server.mutable_metadata()->mutable_annotations();
  ann["ours/note"] = "old";
  ann["theirs/note"] = "y";
  auto* st = server.mutable_status();
  *st->add_conditions() = Cond("Ready", "False", "KubeletNotReady");
  st->mutable_conditions(0)->mutable_lasttransitiontime()->set_seconds(100);
  *st->add_conditions() = Cond("example.com/Mine", "True");
  st->mutable_conditions(1)->mutable_lasttransitiontime()->set_seconds(200);
  *st->add_conditions() = Cond("example.com/Theirs", "True");
  (*st->mutable_capacity())["cpu"].set_string("2");
  (*st->mutable_capacity())["example.com/gpu"].set_string("1");
  (*st->mutable_capacity())["theirs.io/dongle"].set_string("3");
  auto* a = st->add_addresses();
  a->set_type("InternalIP");
  a->set_address("10.0.0.1");
  a = st->add_addresses();
  a->set_type("InternalIP");
  a->set_address("10.0.0.2");

  ManagedFields previous;
  previous.labels = {"type", "ours/dropped"};
  previous.annotations = {"ours/note"};
  previous.conditions = {"Ready", "example.com/Mine", "example.com/Gone"};
  previous.capacity = {"cpu", "example.com/gpu"};

  corev1::Node desired;
  (*desired.mutable_metadata()->mutable_labels())["type"] = "virtual-kubelet";
  (*desired.mutable_metadata()->mutable_annotations())["ours/note"] = "new";
  auto* ds = desired.mutable_status();
  *ds->add_conditions() = Cond("Ready", "True", "KubeletReady");        // status changes
  *ds->add_conditions() = Cond("example.com/Mine", "True", "StillOk");   // same status
  *ds->add_conditions() = Cond("", "True");                              // no type: dropped
  (*ds->mutable_capacity())["cpu"].set_string("4");
  a = ds->add_addresses();
  a->set_type("InternalIP");
  a->set_address("10.0.0.9");

  const absl::Time now = kT0;
  NodeStatusPatch p = BuildNodeStatusPatch(desired, &server, previous, now);
  corev1::Node after = Apply(server, p.body);

  // Others' things survive.
  CHECK(after.metadata().labels().at("theirs") == "x");
  CHECK(after.metadata().annotations().at("theirs/note") == "y");
  REQUIRE(Find(after, "example.com/Theirs") != nullptr);
  CHECK(after.status().capacity().at("theirs.io/dongle").string() == "3");
  // Ours updated, dropped ones gone.
  CHECK(after.metadata().labels().count("ours/dropped") == 0);
  CHECK(after.metadata().annotations().at("ours/note") == "new");
  CHECK(after.status().capacity().at("cpu").string() == "4");
  CHECK(after.status().capacity().count("example.com/gpu") == 0);
  CHECK(Find(after, "example.com/Gone") == nullptr);
  // Timestamps: heartbeat always now; transition only on a status change.
  const auto* ready = Find(after, "Ready");
  REQUIRE(ready != nullptr);
  CHECK(ready->status() == "True");
  CHECK(ready->lastheartbeattime().seconds() == absl::ToUnixSeconds(now));
  CHECK(ready->lasttransitiontime().seconds() == absl::ToUnixSeconds(now));
  const auto* mine = Find(after, "example.com/Mine");
  REQUIRE(mine != nullptr);
  CHECK(mine->reason() == "StillOk");
  CHECK(mine->lastheartbeattime().seconds() == absl::ToUnixSeconds(now));
  CHECK(mine->lasttransitiontime().seconds() == 200);
  CHECK(after.status().conditions_size() == 3);
  // Addresses replaced whole (merging by type would keep both old InternalIPs).
  REQUIRE(after.status().addresses_size() == 1);
  CHECK(after.status().addresses(0).address() == "10.0.0.9");
  // The ownership record says what is ours now.
  auto recorded = ManagedFieldsOf(after);
  VK_REQUIRE_OK(recorded);
  CHECK(*recorded == p.managed);
  CHECK(p.managed.labels == std::set<std::string>{"type"});
  CHECK(p.managed.conditions == std::set<std::string>{"Ready", "example.com/Mine"});
  CHECK(p.managed.capacity == std::set<std::string>{"cpu"});

  // Applying the next patch with the new record changes nothing but heartbeats.
  NodeStatusPatch again = BuildNodeStatusPatch(desired, &after, p.managed, now + absl::Minutes(1));
  corev1::Node after2 = Apply(after, again.body);
  CHECK(after2.status().conditions_size() == 3);
  CHECK(Find(after2, "Ready")->lasttransitiontime().seconds() == absl::ToUnixSeconds(now));
  CHECK(Find(after2, "Ready")->lastheartbeattime().seconds() == absl::ToUnixSeconds(now + absl::Minutes(1)));
}

TEST_CASE("notifications replace status, keep identity fields and standard labels") {
  corev1::Node registered = BuildRegistrationNode(Options());
  (*registered.mutable_status()->mutable_capacity())["cpu"].set_string("8");
  corev1::Node reported = registered;

  corev1::Node notified;
  (*notified.mutable_metadata()->mutable_labels())["pool"] = "blue";
  (*notified.mutable_metadata()->mutable_annotations())[kManagedFieldsAnnotation] = "{}";
  *notified.mutable_status()->add_conditions() = Cond("example.com/Fresh", "True");
  ApplyNotification(notified, registered, &reported);

  CHECK(reported.metadata().labels().at("pool") == "blue");
  CHECK(reported.metadata().labels().at("type") == "virtual-kubelet");  // standard label kept
  CHECK(reported.metadata().annotations().empty() == registered.metadata().annotations().empty());
  REQUIRE(reported.status().conditions_size() == 1);
  CHECK(reported.status().conditions(0).type() == "example.com/Fresh");
  CHECK(reported.status().capacity().at("cpu").string() == "8");  // not reported: kept
  CHECK(reported.status().addresses(0).address() == "10.0.0.7");
  CHECK(reported.status().daemonendpoints().kubeletendpoint().port() == 10250);
  CHECK_FALSE(reported.status().nodeinfo().kubeletversion().empty());

  // A notification without labels leaves them alone.
  corev1::Node status_only;
  (*status_only.mutable_status()->mutable_capacity())["cpu"].set_string("16");
  ApplyNotification(status_only, registered, &reported);
  CHECK(reported.metadata().labels().at("pool") == "blue");
  CHECK(reported.status().capacity().at("cpu").string() == "16");
  CHECK(reported.status().conditions_size() == 0);
}

TEST_CASE("micro time keeps microseconds") {
  metav1::MicroTime mt;
  absl::Time t = kT0 + absl::Microseconds(123456);
  SetMicroTime(t, &mt);
  CHECK(mt.seconds() == 1'700'000'000);
  CHECK(mt.nanos() == 123456000);
  CHECK(FromMicroTime(mt) == t);
}

}  // namespace
}  // namespace vkubelet::node::internal
