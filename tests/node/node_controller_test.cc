// Copyright 2026 The vkubelet Authors. Licensed under the Apache License 2.0.
//
// The node controller against FakeApiServer (real HTTP, real client), with a
// FakeClock driving pings, lease renewals and status intervals.

#include "vkubelet/node/node_controller.h"

#include <doctest/doctest.h>

#include <dirent.h>

#include <algorithm>
#include <functional>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "node/node_status.h"
#include "vkubelet/errdefs.h"
#include "vkubelet/kube/config.h"
#include "vkubelet/kube/rest_client.h"
#include "vkubelet/node/node_provider.h"
#include "vkubelet/testing/assertions.h"
#include "vkubelet/testing/fake_api_server.h"
#include "vkubelet/testing/fake_clock.h"

namespace vkubelet::node {
namespace {

using testing::FakeApiServer;
using testing::FakeClock;

constexpr char kNode[] = "vk-test";
constexpr absl::Duration kWait = absl::Seconds(20);  // real-time bound for every wait

testing::Fault MakeFault(std::string verb, std::string resource, int code, int count = 1) {
  testing::Fault f;
  f.verb = std::move(verb);
  f.resource = std::move(resource);
  f.code = code;
  f.count = count;
  return f;
}

// A provider with a controllable Ping, a NotifyNodeStatus it can fire, and a
// ConfigureNode that reports capacity and a condition of its own.
class FakeNodeProvider : public NodeProvider, public NodeConfigurer {
 public:
  absl::Status Ping(const Context& ctx) override {
    absl::MutexLock lock(&mu_);
    ++pings_;
    if (block_) {
      auto release = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { return !block_; };
      // Ignores its Context on purpose when told to: a stuck backend.
      while (!release() && (ignore_cancel_ || !ctx.Done())) mu_.AwaitWithTimeout(absl::Condition(&release), absl::Milliseconds(5));
      if (block_) return ctx.Err();
    }
    return result_;
  }
  void NotifyNodeStatus(const Context&, std::function<void(std::shared_ptr<const corev1::Node>)> cb) override {
    absl::MutexLock lock(&mu_);
    callback_ = std::move(cb);
  }
  void ConfigureNode(const Context&, corev1::Node* node) override {
    absl::MutexLock lock(&mu_);
    auto* st = node->mutable_status();
    (*st->mutable_capacity())["cpu"].set_string("4");
    (*st->mutable_capacity())["memory"].set_string("16Gi");
    (*st->mutable_capacity())["pods"].set_string("110");
    *st->mutable_allocatable() = st->capacity();
    for (const auto& type : conditions_) {
      auto* c = st->add_conditions();
      c->set_type(type);
      c->set_status("True");
      c->set_reason("ProviderSaysSo");
    }
    configured_ = *node;
  }

  void SetPingResult(absl::Status s) {
    absl::MutexLock lock(&mu_);
    result_ = std::move(s);
  }
  void Block(bool ignore_cancel) {
    absl::MutexLock lock(&mu_);
    block_ = true;
    ignore_cancel_ = ignore_cancel;
  }
  void Unblock() {
    absl::MutexLock lock(&mu_);
    block_ = false;
  }
  int pings() const {
    absl::MutexLock lock(&mu_);
    return pings_;
  }
  void SetConditions(std::vector<std::string> types) {
    absl::MutexLock lock(&mu_);
    conditions_ = std::move(types);
  }
  corev1::Node configured() const {
    absl::MutexLock lock(&mu_);
    return configured_;
  }
  // Calls the registered callback (false if none yet).
  bool Notify(const corev1::Node& node) {
    std::function<void(std::shared_ptr<const corev1::Node>)> cb;
    {
      absl::MutexLock lock(&mu_);
      cb = callback_;
    }
    if (!cb) return false;
    cb(std::make_shared<const corev1::Node>(node));
    return true;
  }

 private:
  mutable absl::Mutex mu_;
  absl::Status result_;
  bool block_ = false;
  bool ignore_cancel_ = false;
  int pings_ = 0;
  std::vector<std::string> conditions_ = {"example.com/ProviderHealthy"};
  corev1::Node configured_;
  std::function<void(std::shared_ptr<const corev1::Node>)> callback_;
};

const corev1::NodeCondition* Find(const corev1::Node* node, const std::string& type) {
  if (node == nullptr) return nullptr;
  for (const auto& c : node->status().conditions()) {
    if (c.type() == type) return &c;
  }
  return nullptr;
}

bool HasCondition(const corev1::Node* node, const std::string& type, const std::string& status = "") {
  const auto* c = Find(node, type);
  return c != nullptr && (status.empty() || c->status() == status);
}

int ThreadCount() {
  int n = 0;
  if (DIR* d = opendir("/proc/self/task")) {
    while (dirent* e = readdir(d)) n += e->d_name[0] != '.';
    closedir(d);
  }
  return n;
}

class Fixture {
 public:
  Fixture() {
    auto server = FakeApiServer::Start({});
    REQUIRE_MESSAGE(server.ok(), server.status().ToString());
    server_ = *std::move(server);
    kube::ClientConfig cfg;
    cfg.server = server_->url();
    cfg.retry.initial_backoff = absl::Milliseconds(1);
    cfg.retry.max_backoff = absl::Milliseconds(10);
    auto client = kube::RestClient::Create(cfg);
    REQUIRE_MESSAGE(client.ok(), client.status().ToString());
    client_ = *client;
  }

  NodeControllerOptions Options() {
    NodeControllerOptions o;
    o.node_name = kNode;
    o.provider_name = "mock";
    o.internal_ip = "10.1.2.3";
    o.kubelet_port = 10250;
    o.clock = &clock_;
    return o;
  }

  std::unique_ptr<NodeController> Make(NodeControllerOptions o, NodeProvider* p = nullptr,
                                       NodeConfigurer* c = nullptr) {
    auto nc = NodeController::New(std::move(o), client_, p, c);
    REQUIRE_MESSAGE(nc.ok(), nc.status().ToString());
    return *std::move(nc);
  }
  std::unique_ptr<NodeController> StartWith(NodeControllerOptions o, bool pods_synced = true) {
    auto nc = Make(std::move(o), &provider_, &provider_);
    if (pods_synced) nc->SetPodsSynced(true);
    VK_REQUIRE_OK(nc->Start(Context::Background()));
    VK_REQUIRE_OK(nc->WaitRegistered(Context::Background().WithTimeout(kWait)));
    return nc;
  }

  std::shared_ptr<const corev1::Node> WaitNode(const std::function<bool(const corev1::Node*)>& pred) {
    auto n = server_->WaitFor<corev1::Node>("", kNode, pred, kWait);
    REQUIRE_MESSAGE(n.ok(), n.status().ToString());
    return *n;
  }
  std::shared_ptr<const coordinationv1::Lease> WaitLease(
      const std::function<bool(const coordinationv1::Lease*)>& pred) {
    auto l = server_->WaitFor<coordinationv1::Lease>(kNodeLeaseNamespace, kNode, pred, kWait);
    REQUIRE_MESSAGE(l.ok(), l.status().ToString());
    return *l;
  }
  // Waits (real time) until `pred` holds for the controller's metrics.
  static bool WaitMetrics(const NodeController& nc, const std::function<bool(const NodeControllerMetrics&)>& pred) {
    absl::Time until = absl::Now() + kWait;
    while (absl::Now() < until) {
      if (pred(nc.GetMetrics())) return true;
      absl::SleepFor(absl::Milliseconds(1));
    }
    return pred(nc.GetMetrics());
  }

  std::unique_ptr<FakeApiServer> server_;
  std::shared_ptr<kube::RestClient> client_;
  FakeClock clock_;
  FakeNodeProvider provider_;
};

TEST_CASE("options are checked") {
  Fixture f;
  auto bad = [&](const std::function<void(NodeControllerOptions*)>& edit) {
    NodeControllerOptions o = f.Options();
    edit(&o);
    return NodeController::New(o, f.client_).status();
  };
  CHECK(errdefs::IsInvalidInput(bad([](auto* o) { o->node_name.clear(); })));
  CHECK(errdefs::IsInvalidInput(bad([](auto* o) { o->node_name = "Upper_Case"; })));
  CHECK(errdefs::IsInvalidInput(bad([](auto* o) { o->taint.effect = "Sometimes"; })));
  CHECK(errdefs::IsInvalidInput(bad([](auto* o) { o->lease_renew_interval = absl::Seconds(40); })));
  CHECK(errdefs::IsInvalidInput(bad([](auto* o) { o->lease_duration_seconds = 0; })));
  CHECK(errdefs::IsInvalidInput(bad([](auto* o) { o->ping_interval = absl::ZeroDuration(); })));
  CHECK(errdefs::IsInvalidInput(bad([](auto* o) { o->kubelet_port = 70000; })));
  CHECK(errdefs::IsInvalidInput(NodeController::New(f.Options(), nullptr).status()));
  VK_CHECK_OK(NodeController::New(f.Options(), f.client_).status());
}

TEST_CASE("registers the node, turns Ready with the pods, and a restart adopts it") {
  Fixture f;
  auto nc = f.StartWith(f.Options(), /*pods_synced=*/false);

  auto node = f.WaitNode([](const corev1::Node* n) { return HasCondition(n, "Ready"); });
  const auto& labels = node->metadata().labels();
  CHECK(labels.at("type") == "virtual-kubelet");
  CHECK(labels.at("kubernetes.io/role") == "agent");
  CHECK(labels.at("kubernetes.io/hostname") == kNode);
  CHECK(labels.at("kubernetes.io/os") == "linux");
  CHECK(labels.at("kubernetes.io/arch") == std::string(internal::BuildArchitecture()));
  REQUIRE(node->spec().taints_size() == 1);
  CHECK(node->spec().taints(0).key() == "virtual-kubelet.io/provider");
  CHECK(node->spec().taints(0).value() == "mock");
  CHECK(node->spec().taints(0).effect() == "NoSchedule");
  REQUIRE(node->status().addresses_size() == 1);
  CHECK(node->status().addresses(0).type() == "InternalIP");
  CHECK(node->status().addresses(0).address() == "10.1.2.3");
  CHECK(node->status().daemonendpoints().kubeletendpoint().port() == 10250);
  CHECK(node->status().capacity().at("cpu").string() == "4");
  CHECK(absl::StartsWith(node->status().nodeinfo().kubeletversion(), "v1.31.4-vkubelet-"));
  CHECK(HasCondition(node.get(), "example.com/ProviderHealthy", "True"));
  // The provider saw the SDK's defaults before registration.
  CHECK(f.provider_.configured().metadata().labels().at("type") == "virtual-kubelet");

  // Not Ready until the pod controller has synced.
  CHECK(Find(node.get(), "Ready")->status() == "False");
  CHECK(Find(node.get(), "Ready")->reason() == kReasonKubeletNotReady);
  nc->SetPodsSynced(true);
  VK_REQUIRE_OK(nc->WaitReady(Context::Background().WithTimeout(kWait)));
  node = f.WaitNode([](const corev1::Node* n) { return HasCondition(n, "Ready", "True"); });
  CHECK(Find(node.get(), "Ready")->reason() == kReasonKubeletReady);
  const std::string uid = node->metadata().uid();
  CHECK(nc->node()->metadata().uid() == uid);
  VK_CHECK_OK(nc->Stop());

  // A second run (a restart) adopts the same Node.
  auto again = f.StartWith(f.Options());
  CHECK(again->node()->metadata().uid() == uid);
  VK_REQUIRE_OK(again->WaitReady(Context::Background().WithTimeout(kWait)));
  CHECK(f.server_->RequestCount("create", "nodes") == 1);
  CHECK(again->GetMetrics().node_creates == 0);
  auto n2 = f.server_->Get<corev1::Node>(kNode);
  VK_REQUIRE_OK(n2);
  CHECK((*n2)->metadata().uid() == uid);
  // Every write after the creation was a PATCH of the status subresource.
  CHECK(f.server_->RequestCount("update", "nodes", "status") == 0);
  CHECK(f.server_->RequestCount("update", "nodes") == 0);
  CHECK(f.server_->RequestCount("patch", "nodes", "status") >= 2);
}

TEST_CASE("lease: created with the owner, renewed on time, survives a conflict and a deletion") {
  Fixture f;
  auto nc = f.StartWith(f.Options());
  const std::string uid = nc->node()->metadata().uid();

  auto lease = f.WaitLease([](const coordinationv1::Lease* l) { return l != nullptr; });
  CHECK(lease->spec().holderidentity() == kNode);
  CHECK(lease->spec().leasedurationseconds() == 40);
  REQUIRE(lease->metadata().ownerreferences_size() == 1);
  const auto& ref = lease->metadata().ownerreferences(0);
  CHECK(ref.apiversion() == "v1");
  CHECK(ref.kind() == "Node");
  CHECK(ref.name() == kNode);
  CHECK(ref.uid() == uid);
  absl::Time last = internal::FromMicroTime(lease->spec().renewtime());
  CHECK(last == f.clock_.Now());

  // Renewed every 10 s with a strictly increasing renewTime.
  auto renew_and_check = [&] {
    uint64_t renewals = nc->GetMetrics().lease_renewals;
    f.clock_.Advance(absl::Seconds(10));
    const absl::Time want = f.clock_.Now();
    auto l = f.WaitLease([&](const coordinationv1::Lease* l) {
      return l != nullptr && internal::FromMicroTime(l->spec().renewtime()) == want;
    });
    CHECK(internal::FromMicroTime(l->spec().renewtime()) > last);
    last = want;
    REQUIRE(Fixture::WaitMetrics(*nc, [&](const auto& m) { return m.lease_renewals > renewals; }));
    return l;
  };
  REQUIRE(Fixture::WaitMetrics(*nc, [](const auto& m) { return m.lease_renewals >= 1; }));
  for (int i = 0; i < 3; ++i) renew_and_check();
  const int64_t gets_before = f.server_->RequestCount("get", "leases");
  CHECK(gets_before == 1);  // steady state: updates of the cached copy, no reads

  // A conflicting writer: the next update fails with 409; the controller
  // re-reads and renews within the same tick.
  f.server_->InjectFault(MakeFault("update", "leases", 409));
  renew_and_check();
  CHECK(f.server_->RequestCount("get", "leases") == gets_before + 1);
  CHECK(nc->GetMetrics().lease_failures == 0);

  // Someone deletes the Lease: it comes back, owned by the Node.
  VK_REQUIRE_OK(f.server_->Delete<coordinationv1::Lease>(kNodeLeaseNamespace, kNode));
  auto l = renew_and_check();
  REQUIRE(l->metadata().ownerreferences_size() == 1);
  CHECK(l->metadata().ownerreferences(0).uid() == uid);
  CHECK(nc->GetMetrics().lease_creates == 2);

  // A failing API server: backoff, then success.
  f.server_->InjectFault(MakeFault("update", "leases", 403));
  uint64_t failures = nc->GetMetrics().lease_failures;
  f.clock_.Advance(absl::Seconds(10));
  REQUIRE(Fixture::WaitMetrics(*nc, [&](const auto& m) { return m.lease_failures > failures; }));
  f.clock_.Advance(absl::Milliseconds(200));  // the first backoff step
  const absl::Time want = f.clock_.Now();
  f.WaitLease([&](const coordinationv1::Lease* l) {
    return l != nullptr && internal::FromMicroTime(l->spec().renewtime()) == want;
  });
  VK_CHECK_OK(nc->Stop());
}

TEST_CASE("conditions and annotations of others survive; dropped provider conditions go") {
  Fixture f;
  auto nc = f.StartWith(f.Options());
  f.WaitNode([](const corev1::Node* n) { return HasCondition(n, "example.com/ProviderHealthy"); });

  // Another controller writes a condition, a label and an annotation.
  auto modified = f.server_->Modify<corev1::Node>(
      "", kNode,
      [](corev1::Node* n) {
        auto* c = n->mutable_status()->add_conditions();
        c->set_type("example.com/Foreign");
        c->set_status("True");
        c->set_reason("SomeoneElse");
        (*n->mutable_metadata()->mutable_annotations())["example.com/note"] = "keep me";
        (*n->mutable_metadata()->mutable_labels())["example.com/team"] = "blue";
      },
      /*status=*/true);
  VK_REQUIRE_OK(modified);

  // The provider reports something new (and still its own condition).
  corev1::Node report = f.provider_.configured();
  auto* extra = report.mutable_status()->add_conditions();
  extra->set_type("example.com/Extra");
  extra->set_status("False");
  REQUIRE(f.provider_.Notify(report));
  auto node = f.WaitNode([](const corev1::Node* n) { return HasCondition(n, "example.com/Extra"); });
  CHECK(HasCondition(node.get(), "example.com/Foreign", "True"));
  CHECK(HasCondition(node.get(), "example.com/ProviderHealthy", "True"));
  CHECK(node->metadata().annotations().at("example.com/note") == "keep me");
  CHECK(node->metadata().labels().at("example.com/team") == "blue");

  // Then stops reporting both of its conditions.
  corev1::Node bare = f.provider_.configured();
  bare.mutable_status()->clear_conditions();
  REQUIRE(f.provider_.Notify(bare));
  node = f.WaitNode([](const corev1::Node* n) {
    return !HasCondition(n, "example.com/Extra") && !HasCondition(n, "example.com/ProviderHealthy");
  });
  CHECK(HasCondition(node.get(), "example.com/Foreign", "True"));
  CHECK(HasCondition(node.get(), "Ready", "True"));
  CHECK(node->metadata().annotations().at("example.com/note") == "keep me");
  CHECK(node->metadata().labels().at("example.com/team") == "blue");
  VK_CHECK_OK(nc->Stop());
}

TEST_CASE("a condition dropped between restarts is removed by the next run") {
  Fixture f;
  f.provider_.SetConditions({"example.com/Old", "example.com/Kept"});
  auto first = f.StartWith(f.Options());
  f.WaitNode([](const corev1::Node* n) { return HasCondition(n, "example.com/Old"); });
  VK_CHECK_OK(first->Stop());
  VK_REQUIRE_OK(f.server_->Modify<corev1::Node>(
      "", kNode,
      [](corev1::Node* n) {
        auto* c = n->mutable_status()->add_conditions();
        c->set_type("example.com/Foreign");
        c->set_status("True");
      },
      /*status=*/true));

  // The new version of the provider no longer knows example.com/Old.
  f.provider_.SetConditions({"example.com/Kept"});
  auto second = f.StartWith(f.Options());
  auto node = f.WaitNode([](const corev1::Node* n) {
    return !HasCondition(n, "example.com/Old") && HasCondition(n, "Ready", "True");
  });
  CHECK(HasCondition(node.get(), "example.com/Kept"));
  CHECK(HasCondition(node.get(), "example.com/Foreign"));
  VK_CHECK_OK(second->Stop());
}

TEST_CASE("a failing ping turns Ready False within one interval; recovery turns it back") {
  Fixture f;
  auto nc = f.StartWith(f.Options());
  VK_REQUIRE_OK(nc->WaitReady(Context::Background().WithTimeout(kWait)));
  REQUIRE(Fixture::WaitMetrics(*nc, [](const auto& m) { return m.lease_renewals >= 1; }));

  f.provider_.SetPingResult(errdefs::Unavailable("backend unreachable"));
  f.clock_.Advance(kDefaultPingInterval);
  const absl::Time failed_at = f.clock_.Now();
  auto node = f.WaitNode([](const corev1::Node* n) { return HasCondition(n, "Ready", "False"); });
  const auto* ready = Find(node.get(), "Ready");
  CHECK(ready->reason() == kReasonProviderPingFailed);
  CHECK(ready->message() == "backend unreachable");
  CHECK(ready->lasttransitiontime().seconds() == absl::ToUnixSeconds(failed_at));
  CHECK(nc->GetMetrics().ping_failures >= 1);
  // The process is alive: the Lease is still renewed.
  f.WaitLease([&](const coordinationv1::Lease* l) {
    return l != nullptr && internal::FromMicroTime(l->spec().renewtime()) == failed_at;
  });

  f.provider_.SetPingResult(absl::OkStatus());
  f.clock_.Advance(kDefaultPingInterval);
  node = f.WaitNode([](const corev1::Node* n) { return HasCondition(n, "Ready", "True"); });
  CHECK(Find(node.get(), "Ready")->reason() == kReasonKubeletReady);
  VK_CHECK_OK(nc->Stop());
}

// Unblocks the provider when a test ends early, so that shutdown can join
// the thread inside Ping (declare it after the controller).
struct Unblocker {
  FakeNodeProvider* provider;
  ~Unblocker() { provider->Unblock(); }
};

TEST_CASE("a stuck ping is never stacked and counts as failed after the timeout") {
  Fixture f;
  f.provider_.Block(/*ignore_cancel=*/true);
  auto nc = f.StartWith(f.Options());
  Unblocker unblock{&f.provider_};
  REQUIRE(Fixture::WaitMetrics(*nc, [&](const auto&) { return f.provider_.pings() == 1; }));

  f.clock_.Advance(absl::Seconds(5));  // ping_timeout
  auto node = f.WaitNode([](const corev1::Node* n) {
    const auto* r = Find(n, "Ready");
    return r != nullptr && r->reason() == kReasonProviderPingFailed;
  });
  CHECK(absl::StrContains(Find(node.get(), "Ready")->message(), "did not answer within 5s"));
  // Further ticks find the call still running and start no other.
  for (int i = 0; i < 3; ++i) {
    uint64_t timeouts = nc->GetMetrics().ping_timeouts;
    f.clock_.Advance(kDefaultPingInterval);
    REQUIRE(Fixture::WaitMetrics(*nc, [&](const auto& m) { return m.ping_timeouts > timeouts; }));
  }
  CHECK(f.provider_.pings() == 1);

  // The backend answers at last: Ready again, without waiting for a tick.
  f.provider_.Unblock();
  f.WaitNode([](const corev1::Node* n) { return HasCondition(n, "Ready", "True"); });
  CHECK(f.provider_.pings() == 1);
  f.clock_.Advance(kDefaultPingInterval);
  REQUIRE(Fixture::WaitMetrics(*nc, [&](const auto&) { return f.provider_.pings() == 2; }));
  VK_CHECK_OK(nc->Stop());
}

TEST_CASE("a timed-out ping that honours its Context is cancelled, and the next tick pings again") {
  Fixture f;
  f.provider_.Block(/*ignore_cancel=*/false);
  auto nc = f.StartWith(f.Options());
  REQUIRE(Fixture::WaitMetrics(*nc, [&](const auto&) { return f.provider_.pings() == 1; }));
  f.clock_.Advance(absl::Seconds(5));
  REQUIRE(Fixture::WaitMetrics(*nc, [](const auto& m) { return m.pings == 1 && m.ping_failures == 1; }));
  f.WaitNode([](const corev1::Node* n) {
    const auto* r = Find(n, "Ready");
    return r != nullptr && absl::StrContains(r->message(), "did not answer within 5s");
  });
  f.provider_.Unblock();
  f.clock_.Advance(absl::Seconds(5));  // the next tick
  f.WaitNode([](const corev1::Node* n) { return HasCondition(n, "Ready", "True"); });
  CHECK(f.provider_.pings() == 2);
  VK_CHECK_OK(nc->Stop());
}

TEST_CASE("1000 quick notifications never block the provider and the last one lands") {
  Fixture f;
  auto nc = f.StartWith(f.Options());
  VK_REQUIRE_OK(nc->WaitReady(Context::Background().WithTimeout(kWait)));
  // Every API request now takes a second: a callback that waited for a
  // write would take at least that long.
  const absl::Duration delay = absl::Seconds(1);
  f.server_->SetResponseDelay(delay);
  const uint64_t patches_before = nc->GetMetrics().status_patches;

  corev1::Node report = f.provider_.configured();
  auto* c = report.mutable_status()->add_conditions();
  c->set_type("example.com/Counter");
  c->set_status("True");
  absl::Duration slowest;
  const absl::Time start = absl::Now();
  for (int i = 1; i <= 1000; ++i) {
    c->set_message(absl::StrCat("update ", i));
    absl::Time t = absl::Now();
    REQUIRE(f.provider_.Notify(report));
    slowest = std::max(slowest, absl::Now() - t);
  }
  const absl::Duration total = absl::Now() - start;
  MESSAGE("1000 notifications took " << absl::FormatDuration(total) << ", the slowest "
                                     << absl::FormatDuration(slowest));
  CHECK(total < delay);  // all of them together took less than one API request

  auto node = f.WaitNode([](const corev1::Node* n) {
    const auto* c = Find(n, "example.com/Counter");
    return c != nullptr && c->message() == "update 1000";
  });
  CHECK(HasCondition(node.get(), "Ready", "True"));
  NodeControllerMetrics m = nc->GetMetrics();
  CHECK(m.notifications == 1000);
  CHECK(m.status_patches - patches_before < 50);  // coalesced
  f.server_->SetResponseDelay(absl::ZeroDuration());
  VK_CHECK_OK(nc->Stop());
}

TEST_CASE("shutdown joins every thread and may mark the node NotReady") {
  Fixture f;
  // A first run warms up the client's and the server's thread pools.
  {
    auto warm = f.StartWith(f.Options());
    VK_REQUIRE_OK(warm->WaitReady(Context::Background().WithTimeout(kWait)));
    VK_CHECK_OK(warm->Stop());
  }
  const int threads_before = ThreadCount();

  NodeControllerOptions o = f.Options();
  o.mark_not_ready_on_shutdown = true;
  auto nc = f.StartWith(o);
  VK_REQUIRE_OK(nc->WaitReady(Context::Background().WithTimeout(kWait)));
  CHECK(ThreadCount() > threads_before);
  VK_CHECK_OK(nc->Stop());
  CHECK(ThreadCount() == threads_before);

  auto node = f.server_->Get<corev1::Node>(kNode);
  VK_REQUIRE_OK(node);
  const auto* ready = Find(node->get(), "Ready");
  REQUIRE(ready != nullptr);
  CHECK(ready->status() == "False");
  CHECK(ready->message() == "node is shutting down");

  // Nothing runs any more: time passing changes nothing.
  const int pings = f.provider_.pings();
  const int64_t requests = f.server_->RequestCount("*", "*", "*");
  f.clock_.Advance(absl::Minutes(5));
  CHECK(f.provider_.pings() == pings);
  CHECK(f.server_->RequestCount("*", "*", "*") == requests);
  // Stop is idempotent; a stopped controller does not run again.
  VK_CHECK_OK(nc->Stop());
  CHECK(nc->Start(Context::Background()).code() == absl::StatusCode::kFailedPrecondition);
}

TEST_CASE("Run returns when its context ends") {
  Fixture f;
  auto nc = f.Make(f.Options(), &f.provider_, &f.provider_);
  auto [ctx, cancel] = Context::Background().WithCancel();
  absl::Status result = absl::UnknownError("not returned");
  std::thread runner([&] { result = nc->Run(ctx); });
  VK_REQUIRE_OK(nc->WaitRegistered(Context::Background().WithTimeout(kWait)));
  cancel();
  runner.join();
  VK_CHECK_OK(result);
  CHECK(nc->WaitReady(Context::Background().WithTimeout(kWait)).code() == absl::StatusCode::kFailedPrecondition);
}

TEST_CASE("a deleted node is recreated when asked to, and not otherwise") {
  Fixture f;
  SUBCASE("recreate_node") {
    NodeControllerOptions o = f.Options();
    o.recreate_node = true;
    auto nc = f.StartWith(o);
    VK_REQUIRE_OK(nc->WaitReady(Context::Background().WithTimeout(kWait)));
    const std::string uid = nc->node()->metadata().uid();
    REQUIRE(Fixture::WaitMetrics(*nc, [](const auto& m) { return m.lease_renewals >= 1; }));

    VK_REQUIRE_OK(f.server_->Delete<corev1::Node>("", kNode));
    auto node = f.WaitNode([&](const corev1::Node* n) { return n != nullptr && n->metadata().uid() != uid; });
    CHECK(node->metadata().labels().at("type") == "virtual-kubelet");
    CHECK(node->spec().taints_size() == 1);
    CHECK(Fixture::WaitMetrics(*nc, [](const auto& m) { return m.node_creates == 2; }));
    node = f.WaitNode([](const corev1::Node* n) { return HasCondition(n, "Ready", "True"); });
    const std::string new_uid = node->metadata().uid();
    // The Lease follows the new Node.
    f.clock_.Advance(absl::Seconds(10));
    f.WaitLease([&](const coordinationv1::Lease* l) {
      return l != nullptr && l->metadata().ownerreferences_size() == 1 &&
             l->metadata().ownerreferences(0).uid() == new_uid;
    });
    VK_CHECK_OK(nc->Stop());
  }
  SUBCASE("default: the node stays deleted") {
    auto nc = f.StartWith(f.Options());
    VK_REQUIRE_OK(nc->WaitReady(Context::Background().WithTimeout(kWait)));
    VK_REQUIRE_OK(f.server_->Delete<corev1::Node>("", kNode));
    uint64_t failures = nc->GetMetrics().status_failures;
    f.clock_.Advance(kDefaultStatusUpdateInterval);
    REQUIRE(Fixture::WaitMetrics(*nc, [&](const auto& m) { return m.status_failures > failures; }));
    CHECK(errdefs::IsNotFound(f.server_->Get<corev1::Node>(kNode).status()));
    CHECK(nc->GetMetrics().node_creates == 1);
    VK_CHECK_OK(nc->Stop());
  }
}

TEST_CASE("a provider without NodeProvider gets the naive one") {
  Fixture f;
  auto nc = f.Make(f.Options());
  nc->SetPodsSynced(true);
  VK_REQUIRE_OK(nc->Start(Context::Background()));
  VK_REQUIRE_OK(nc->WaitReady(Context::Background().WithTimeout(kWait)));
  NaiveNodeProvider naive;
  VK_CHECK_OK(naive.Ping(Context::Background()));
  auto [ctx, cancel] = Context::Background().WithCancel();
  cancel();
  CHECK(errdefs::IsCancelled(naive.Ping(ctx)));
  VK_CHECK_OK(nc->Stop());
}

TEST_CASE("registration failing with a permanent error ends Run") {
  Fixture f;
  f.server_->InjectFault(MakeFault("create", "nodes", 422, -1));
  auto nc = f.Make(f.Options(), &f.provider_, &f.provider_);
  absl::Status s = nc->Run(Context::Background().WithTimeout(kWait));
  CHECK(errdefs::IsInvalidInput(s));
  CHECK(nc->WaitRegistered(Context::Background().WithTimeout(kWait)).code() == s.code());
}

}  // namespace
}  // namespace vkubelet::node
