// Copyright 2026 The vkubelet Authors. Licensed under the Apache License 2.0.
//
// The pod controller against FakeApiServer (real HTTP, real client) with a
// test provider, in notifier mode and in polling mode.

#include "vkubelet/node/pod_controller.h"

#include <doctest/doctest.h>

#include <thread>

#include "absl/strings/ascii.h"

#include "node/fake_resources.h"
#include "node/test_provider.h"
#include "vkubelet/errdefs.h"
#include "vkubelet/kube/rest_client.h"
#include "vkubelet/node/kube_event_sink.h"
#include "vkubelet/node/kube_pod_api.h"
#include "vkubelet/testing/assertions.h"
#include "vkubelet/testing/fake_api_server.h"
#include "vkubelet/testing/fake_clock.h"

namespace vkubelet::node {
namespace {

using testing::FakeApiServer;
using testing::FakeClock;
using PodPtr = std::shared_ptr<const corev1::Pod>;

constexpr char kNode[] = "vk";

corev1::Pod MakePod(const std::string& name, const std::string& ns = "default") {
  corev1::Pod pod;
  pod.mutable_metadata()->set_namespace_(ns);
  pod.mutable_metadata()->set_name(name);
  (*pod.mutable_metadata()->mutable_labels())["app"] = name;
  pod.mutable_spec()->set_nodename(kNode);
  auto* c = pod.mutable_spec()->add_containers();
  c->set_name("app");
  c->set_image("nginx:1.25");
  return pod;
}

// Everything a test needs, started in the constructor and stopped in the destructor.
class Harness {
 public:
  struct Options {
    bool notifier = true;
    bool start = true;
  };
  explicit Harness(Options opts) : opts_(opts) {
    auto server = FakeApiServer::Start({});
    REQUIRE_MESSAGE(server.ok(), server.status().ToString());
    server_ = *std::move(server);
    if (opts.notifier) {
      provider_ = std::make_unique<test::NotifyingTestProvider>();
    } else {
      provider_ = std::make_unique<test::TestProvider>();
    }
    if (opts.start) Start();
  }
  ~Harness() { Stop(); }

  void Start() {
    kube::ClientConfig cfg;
    cfg.server = server_->url();
    cfg.qps = 0;
    cfg.retry.max_retries = 0;
    auto client = kube::RestClient::Create(cfg);
    REQUIRE_MESSAGE(client.ok(), client.status().ToString());
    api_ = NewKubePodApi(*client, {.node_name = kNode, .backoff_initial = absl::Milliseconds(20),
                                   .backoff_max = absl::Milliseconds(200)});
    PodControllerOptions o;
    o.node_name = kNode;
    o.workers = 4;
    o.clock = &clock_;
    o.queue.base_delay = absl::Milliseconds(5);
    o.queue.max_delay = absl::Seconds(1);
    o.queue.qps = 1000;
    o.queue.burst = 1000;
    controller_ = std::make_unique<PodController>(o, provider_.get(), api_.get(), &resources_, &events_);
    api_->SetHandlers(KubePodApi::HandlersFor(controller_.get()));
    auto [ctx, cancel] = Context::Background().WithCancel();
    cancel_ = cancel;
    api_thread_ = std::thread([this, ctx] { api_->Run(ctx); });
    REQUIRE(api_->WaitSynced(absl::Seconds(10)));
    controller_thread_ = std::thread([this, ctx] { VK_CHECK_OK(controller_->Run(ctx)); });
    REQUIRE(controller_->WaitReady(absl::Seconds(10)));
  }

  void Stop() {
    if (cancel_) cancel_();
    if (api_thread_.joinable()) api_thread_.join();
    if (controller_thread_.joinable()) controller_thread_.join();
    cancel_ = nullptr;
  }

  // Stops and destroys the controller; the provider lives on.
  void DestroyController() {
    Stop();
    controller_.reset();
    api_.reset();
  }

  // Waits for `pred`, moving the fake clock in polling mode so polls happen.
  // With `step` > 0 the clock also moves in notifier mode (retries back off on it).
  bool Eventually(const std::function<bool()>& pred, absl::Duration timeout = absl::Seconds(20),
                  absl::Duration step = absl::ZeroDuration()) {
    absl::Time deadline = absl::Now() + timeout;
    if (step == absl::ZeroDuration() && !opts_.notifier) step = absl::Seconds(5);
    int round = 0;
    while (absl::Now() < deadline) {
      if (pred()) return true;
      absl::SleepFor(absl::Milliseconds(5));
      if (step > absl::ZeroDuration() && ++round % 4 == 0) clock_.Advance(step);
    }
    return pred();
  }

  PodPtr ApiPod(const std::string& name, const std::string& ns = "default") {
    auto p = server_->Get<corev1::Pod>(ns, name);
    return p.ok() ? *p : nullptr;
  }

  bool WaitRunning(const std::string& name) {
    return Eventually([&] {
      auto p = ApiPod(name);
      return p && p->status().phase() == "Running" && p->status().podip() == "5.6.7.8";
    });
  }

  FakeApiServer& server() { return *server_; }
  KubePodApi& api() { return *api_; }
  test::TestProvider& provider() { return *provider_; }
  PodController& controller() { return *controller_; }
  MemoryEventRecorder& events() { return events_; }
  test::FakeResources& resources() { return resources_; }
  FakeClock& clock() { return clock_; }

 private:
  Options opts_;
  FakeClock clock_;
  std::unique_ptr<FakeApiServer> server_;
  std::unique_ptr<test::TestProvider> provider_;
  test::FakeResources resources_;
  MemoryEventRecorder events_;
  std::unique_ptr<KubePodApi> api_;
  std::unique_ptr<PodController> controller_;
  CancelFn cancel_;
  std::thread api_thread_;
  std::thread controller_thread_;
};

#define FOR_BOTH_MODES(opts)                                  \
  Harness::Options opts;                                      \
  SUBCASE("notifier mode") { opts.notifier = true; }          \
  SUBCASE("polling mode") { opts.notifier = false; }          \
  CAPTURE(opts.notifier)

TEST_CASE("create reaches Running; a label change reaches UpdatePod, a status-only change does not") {
  FOR_BOTH_MODES(opts);
  Harness h(opts);
  CHECK(h.controller().polling() == !opts.notifier);
  VK_REQUIRE_OK(h.server().Create(MakePod("web")));
  REQUIRE(h.WaitRunning("web"));
  CHECK(h.provider().creates("default/web") == 1);
  CHECK(h.events().WaitFor(kReasonProviderCreateSuccess));
  auto api_pod = h.ApiPod("web");
  CHECK(api_pod->status().hostip() == "1.2.3.4");

  // Someone else adds a condition: status only, the provider is not called.
  VK_REQUIRE_OK(h.server().Modify<corev1::Pod>(
      "default", "web",
      [](corev1::Pod* p) {
        auto* c = p->mutable_status()->add_conditions();
        c->set_type("example.com/Foreign");
        c->set_status("True");
      },
      /*status=*/true));
  // A label added by a user while the pod runs reaches UpdatePod.
  VK_REQUIRE_OK(h.server().Modify<corev1::Pod>("default", "web", [](corev1::Pod* p) {
    (*p->mutable_metadata()->mutable_labels())["team"] = "blue";
  }));
  REQUIRE(h.Eventually([&] { return h.provider().updates("default/web") == 1; }));
  CHECK(h.provider().Pod("default/web")->metadata().labels().at("team") == "blue");

  // The provider changes the status: the write keeps the foreign condition and the user's label.
  h.provider().Mutate("default/web", [](corev1::Pod* p) { p->mutable_status()->set_podip("5.6.7.9"); });
  REQUIRE(h.Eventually([&] { return h.ApiPod("web")->status().podip() == "5.6.7.9"; }));
  api_pod = h.ApiPod("web");
  bool foreign = false;
  for (const auto& c : api_pod->status().conditions()) foreign |= c.type() == "example.com/Foreign";
  CHECK(foreign);
  CHECK(api_pod->metadata().labels().at("team") == "blue");
  CHECK(h.provider().updates("default/web") == 1);
  CHECK(h.provider().creates("default/web") == 1);
}

TEST_CASE("each field UpdatePod covers reaches the provider once: image, annotation, toleration, deadline") {
  Harness h({.notifier = true});
  VK_REQUIRE_OK(h.server().Create(MakePod("web")));
  REQUIRE(h.WaitRunning("web"));
  const std::vector<std::function<void(corev1::Pod*)>> changes = {
      [](corev1::Pod* p) { p->mutable_spec()->mutable_containers(0)->set_image("nginx:1.27"); },
      [](corev1::Pod* p) { (*p->mutable_metadata()->mutable_annotations())["note"] = "x"; },
      [](corev1::Pod* p) {
        auto* t = p->mutable_spec()->add_tolerations();
        t->set_key("dedicated");
        t->set_operator_("Exists");
      },
      [](corev1::Pod* p) { p->mutable_spec()->set_activedeadlineseconds(600); },
      [](corev1::Pod* p) { (*p->mutable_metadata()->mutable_annotations())["note"] = "y"; },
  };
  int want = 0;
  for (const auto& change : changes) {
    CAPTURE(want);
    VK_REQUIRE_OK(h.server().Modify<corev1::Pod>("default", "web", change));
    ++want;
    REQUIRE(h.Eventually([&] { return h.provider().updates("default/web") == want; }));
  }
  auto in_provider = h.provider().Pod("default/web");
  CHECK(in_provider->spec().containers(0).image() == "nginx:1.27");
  CHECK(in_provider->metadata().annotations().at("note") == "y");
  CHECK(in_provider->spec().activedeadlineseconds() == 600);
  // A status-only change afterwards does not reach the provider.
  const auto status_syncs = h.controller().GetMetrics().status_queue.processed;
  VK_REQUIRE_OK(h.server().Modify<corev1::Pod>(
      "default", "web", [](corev1::Pod* p) { p->mutable_status()->set_message("hello"); }, /*status=*/true));
  REQUIRE(h.Eventually([&] { return h.controller().GetMetrics().status_queue.processed > status_syncs; }));
  CHECK(h.provider().updates("default/web") == want);
}

TEST_CASE("an identical status is not written twice") {
  Harness h({.notifier = true});
  VK_REQUIRE_OK(h.server().Create(MakePod("web")));
  REQUIRE(h.WaitRunning("web"));
  REQUIRE(h.Eventually([&] { return h.controller().GetMetrics().status_patch.calls >= 1; }));
  absl::SleepFor(absl::Milliseconds(100));
  const auto patches = h.server().RequestCount("patch", "pods", "status");
  // Notifications coalesce: send them one at a time.
  for (int i = 0; i < 5; ++i) {
    const auto before = h.controller().GetMetrics().status_unchanged;
    h.provider().Mutate("default/web", [](corev1::Pod*) {});
    REQUIRE(h.Eventually([&] { return h.controller().GetMetrics().status_unchanged > before; }));
  }
  CHECK(h.server().RequestCount("patch", "pods", "status") == patches);
}

bool HasCondition(const corev1::Pod& pod, const std::string& type) {
  for (const auto& c : pod.status().conditions()) {
    if (c.type() == type) return true;
  }
  return false;
}

TEST_CASE("a condition the provider wrote and then dropped is removed; a foreign one stays") {
  FOR_BOTH_MODES(opts);
  Harness h(opts);
  VK_REQUIRE_OK(h.server().Create(MakePod("web")));
  REQUIRE(h.WaitRunning("web"));
  h.provider().Mutate("default/web", [](corev1::Pod* p) {
    auto* c = p->mutable_status()->add_conditions();
    c->set_type("example.com/Mine");
    c->set_status("True");
  });
  REQUIRE(h.Eventually([&] { return HasCondition(*h.ApiPod("web"), "example.com/Mine"); }));
  VK_REQUIRE_OK(h.server().Modify<corev1::Pod>(
      "default", "web",
      [](corev1::Pod* p) {
        auto* c = p->mutable_status()->add_conditions();
        c->set_type("example.com/Foreign");
        c->set_status("True");
      },
      /*status=*/true));
  // The provider stops reporting its condition (and changes a field, so that
  // the write is visible).
  h.provider().Mutate("default/web", [](corev1::Pod* p) {
    auto* conditions = p->mutable_status()->mutable_conditions();
    for (int i = 0; i < conditions->size(); ++i) {
      if (conditions->Get(i).type() == "example.com/Mine") conditions->DeleteSubrange(i--, 1);
    }
    p->mutable_status()->set_podip("5.6.7.9");
  });
  // A write built against a cache that had not yet seen the condition cannot
  // remove it; the next sync does. So wait for both.
  REQUIRE(h.Eventually([&] {
    auto p = h.ApiPod("web");
    return p->status().podip() == "5.6.7.9" && !HasCondition(*p, "example.com/Mine");
  }));
  auto pod = h.ApiPod("web");
  CHECK_FALSE(HasCondition(*pod, "example.com/Mine"));
  CHECK(HasCondition(*pod, "example.com/Foreign"));
  CHECK(HasCondition(*pod, "Ready"));
}

TEST_CASE("a notification about another incarnation of the pod (other UID) is not written") {
  Harness h({.notifier = true});
  VK_REQUIRE_OK(h.server().Create(MakePod("web")));
  REQUIRE(h.WaitRunning("web"));
  REQUIRE(h.Eventually([&] { return h.controller().GetMetrics().status_patch.calls >= 1; }));
  const auto patches = h.server().RequestCount("patch", "pods", "status");
  const auto processed = h.controller().GetMetrics().status_queue.processed;
  h.provider().Mutate("default/web", [](corev1::Pod* p) {
    p->mutable_metadata()->set_uid("uid-of-an-older-pod");
    p->mutable_status()->set_podip("9.9.9.9");
  });
  REQUIRE(h.Eventually([&] { return h.controller().GetMetrics().status_queue.processed > processed; }));
  CHECK(h.server().RequestCount("patch", "pods", "status") == patches);
  CHECK(h.ApiPod("web")->status().podip() == "5.6.7.8");
}

TEST_CASE("the node's pod cache holds pods without managedFields") {
  Harness h({.notifier = true});
  corev1::Pod pod = MakePod("web");
  auto* mf = pod.mutable_metadata()->add_managedfields();
  mf->set_manager("kubectl");
  mf->set_operation("Update");
  mf->set_fieldstype("FieldsV1");
  mf->mutable_fieldsv1()->set_raw(R"({"f:metadata":{"f:labels":{"f:app":{}}}})");
  VK_REQUIRE_OK(h.server().Create(pod));
  REQUIRE(h.WaitRunning("web"));
  auto cached = h.api().GetCached("default", "web");
  REQUIRE(cached != nullptr);
  CHECK(cached->metadata().managedfields_size() == 0);
  CHECK(cached->metadata().labels().at("app") == "web");
  CHECK(h.ApiPod("web")->metadata().managedfields_size() == 1);
  // The provider got the pod as the cache holds it.
  CHECK(h.provider().Pod("default/web")->metadata().managedfields_size() == 0);
}

TEST_CASE("graceful delete: provider DeletePod, then the pod is gone from the API") {
  FOR_BOTH_MODES(opts);
  Harness h(opts);
  VK_REQUIRE_OK(h.server().Create(MakePod("web")));
  REQUIRE(h.WaitRunning("web"));
  VK_REQUIRE_OK(h.server().Delete<corev1::Pod>("default", "web", 10));
  VK_CHECK_OK(h.server().WaitForDeletion<corev1::Pod>("default", "web", absl::Seconds(20)));
  CHECK(h.provider().deletes("default/web") >= 1);
  CHECK_FALSE(h.provider().Has("default/web"));
  CHECK(h.events().WaitFor(kReasonProviderDeleteSuccess));
}

TEST_CASE("graceful delete: the grace period ends a pod whose provider never reports it stopped") {
  Harness h({.notifier = true});
  VK_REQUIRE_OK(h.server().Create(MakePod("web")));
  REQUIRE(h.WaitRunning("web"));
  // The provider forgets the pod without telling: DeletePod answers NotFound and no terminal status comes.
  h.provider().Forget("default/web");
  VK_REQUIRE_OK(h.server().Delete<corev1::Pod>("default", "web", 10));
  REQUIRE(h.Eventually([&] { return h.provider().deletes("default/web") >= 1; }));
  absl::SleepFor(absl::Milliseconds(200));
  CHECK(h.ApiPod("web") != nullptr);  // still within its grace period
  h.clock().Advance(absl::Seconds(11));
  VK_CHECK_OK(h.server().WaitForDeletion<corev1::Pod>("default", "web", absl::Seconds(20)));
}

TEST_CASE("provider DeletePod answering NotFound counts as deleted") {
  FOR_BOTH_MODES(opts);
  Harness h(opts);
  corev1::Pod pod = MakePod("never-ran");
  VK_REQUIRE_OK(h.server().Create(pod));
  REQUIRE(h.WaitRunning("never-ran"));
  h.provider().Forget("default/never-ran");
  // Containers reported terminated: the API pod can go as soon as DeletePod returns.
  VK_REQUIRE_OK(h.server().Modify<corev1::Pod>(
      "default", "never-ran",
      [](corev1::Pod* p) {
        for (auto& cs : *p->mutable_status()->mutable_containerstatuses()) {
          cs.mutable_state()->Clear();
          cs.mutable_state()->mutable_terminated()->set_exitcode(0);
        }
      },
      true));
  VK_REQUIRE_OK(h.server().Delete<corev1::Pod>("default", "never-ran", 10));
  VK_CHECK_OK(h.server().WaitForDeletion<corev1::Pod>("default", "never-ran", absl::Seconds(20)));
  CHECK(h.provider().deletes("default/never-ran") >= 1);
}

TEST_CASE("provider DeletePod failing: retried, the pod stays with its deletionTimestamp") {
  FOR_BOTH_MODES(opts);
  Harness h(opts);
  VK_REQUIRE_OK(h.server().Create(MakePod("web")));
  REQUIRE(h.WaitRunning("web"));
  h.provider().SetDeleteError(errdefs::Unavailable("backend down"));
  VK_REQUIRE_OK(h.server().Delete<corev1::Pod>("default", "web", 10));
  REQUIRE(h.Eventually([&] { return h.provider().deletes("default/web") >= 3; }, absl::Seconds(20), absl::Seconds(1)));
  h.clock().Advance(absl::Seconds(30));  // well past the grace period
  absl::SleepFor(absl::Milliseconds(200));
  auto pod = h.ApiPod("web");
  REQUIRE(pod != nullptr);
  CHECK(pod->metadata().has_deletiontimestamp());
  CHECK(h.events().Count(kReasonProviderDeleteFailed) >= 1);
  // Once the provider recovers, the deletion completes.
  h.provider().SetDeleteError(absl::OkStatus());
  CHECK(h.Eventually([&] { return h.ApiPod("web") == nullptr; }, absl::Seconds(20), absl::Seconds(1)));
}

TEST_CASE("a pod deleted from the API server is removed from the provider") {
  FOR_BOTH_MODES(opts);
  Harness h(opts);
  VK_REQUIRE_OK(h.server().Create(MakePod("web")));
  REQUIRE(h.WaitRunning("web"));
  VK_REQUIRE_OK(h.server().Delete<corev1::Pod>("default", "web", 0));
  REQUIRE(h.Eventually([&] { return !h.provider().Has("default/web"); }));
}

TEST_CASE("provider errors: events and ProviderFailed status, then retried") {
  FOR_BOTH_MODES(opts);
  Harness h(opts);
  h.provider().SetCreateError(errdefs::Unavailable("quota exceeded"));
  corev1::Pod pod = MakePod("web");
  pod.mutable_spec()->set_restartpolicy("Never");
  VK_REQUIRE_OK(h.server().Create(pod));
  REQUIRE(h.events().WaitFor(kReasonProviderCreateFailed));
  REQUIRE(h.Eventually([&] {
    auto p = h.ApiPod("web");
    return p && p->status().reason() == "ProviderFailed";
  }));
  CHECK(h.ApiPod("web")->status().phase() == "Failed");
  CHECK(h.ApiPod("web")->status().message().find("quota exceeded") != std::string::npos);
}

TEST_CASE("pods already Succeeded or Failed at start are left alone") {
  FOR_BOTH_MODES(opts);
  opts.start = false;
  Harness h(opts);
  for (const char* phase : {"Succeeded", "Failed"}) {
    corev1::Pod pod = MakePod(absl::AsciiStrToLower(phase));
    VK_REQUIRE_OK(h.server().Create(pod));
    VK_REQUIRE_OK(h.server().Modify<corev1::Pod>(
        "default", pod.metadata().name(), [&](corev1::Pod* p) { p->mutable_status()->set_phase(phase); }, true));
  }
  VK_REQUIRE_OK(h.server().Create(MakePod("live")));
  h.Start();
  REQUIRE(h.WaitRunning("live"));
  CHECK(h.provider().creates("default/succeeded") == 0);
  CHECK(h.provider().creates("default/failed") == 0);
  CHECK(h.ApiPod("succeeded")->status().phase() == "Succeeded");
  CHECK(h.ApiPod("failed")->status().phase() == "Failed");
}

TEST_CASE("start-up: a dangling provider pod is deleted, one whose API pod exists is kept") {
  FOR_BOTH_MODES(opts);
  opts.start = false;
  Harness h(opts);
  auto kept = h.server().Create(MakePod("kept"));
  VK_REQUIRE_OK(kept);
  // The provider still runs both from before a restart.
  corev1::Pod kept_copy = **kept;
  kept_copy.mutable_status()->set_phase("Running");
  kept_copy.mutable_status()->set_podip("5.6.7.8");
  h.provider().Put(kept_copy);
  corev1::Pod dangling = MakePod("dangling");
  dangling.mutable_metadata()->set_uid("uid-of-a-deleted-pod");
  h.provider().Put(dangling);
  // Same name as an API pod, but another incarnation (UID): replaced.
  auto reborn = h.server().Create(MakePod("reborn"));
  VK_REQUIRE_OK(reborn);
  corev1::Pod old_incarnation = MakePod("reborn");
  old_incarnation.mutable_metadata()->set_uid("old-uid");
  h.provider().Put(old_incarnation);

  h.Start();
  REQUIRE(h.Eventually([&] { return !h.provider().Has("default/dangling"); }));
  REQUIRE(h.Eventually([&] {
    auto p = h.provider().Pod("default/reborn");
    return p && p->metadata().uid() == (*reborn)->metadata().uid();
  }));
  CHECK(h.provider().Has("default/kept"));
  CHECK(h.provider().creates("default/kept") == 0);
  CHECK(h.provider().deletes("default/kept") == 0);
}

TEST_CASE("200 pods through an API server restart and a 410: right end state, no duplicates, none lost") {
  FOR_BOTH_MODES(opts);
  Harness h(opts);
  constexpr int kPods = 200;
  for (int i = 0; i < kPods / 2; ++i) VK_REQUIRE_OK(h.server().Create(MakePod("p" + std::to_string(i))));
  // Restart the API server mid-run; the client re-lists.
  VK_REQUIRE_OK(h.server().Restart());
  for (int i = kPods / 2; i < 3 * kPods / 4; ++i) VK_REQUIRE_OK(h.server().Create(MakePod("p" + std::to_string(i))));
  // History compacted: watches get 410 Expired and re-list.
  h.server().CompactHistory();
  h.server().DropWatches();
  for (int i = 3 * kPods / 4; i < kPods; ++i) VK_REQUIRE_OK(h.server().Create(MakePod("p" + std::to_string(i))));
  // Some are deleted along the way.
  for (int i = 0; i < kPods; i += 10) VK_REQUIRE_OK(h.server().Delete<corev1::Pod>("default", "p" + std::to_string(i), 0));

  auto done = [&] {
    for (int i = 0; i < kPods; ++i) {
      const std::string name = "p" + std::to_string(i);
      const bool deleted = i % 10 == 0;
      if (deleted) {
        if (h.provider().Has("default/" + name)) return false;
        continue;
      }
      auto p = h.ApiPod(name);
      if (!p || p->status().phase() != "Running" || !h.provider().Has("default/" + name)) return false;
    }
    return true;
  };
  REQUIRE(h.Eventually(done, absl::Seconds(60), absl::Seconds(1)));
  for (const auto& [key, n] : h.provider().all_creates()) {
    CAPTURE(key);
    CHECK(n <= 1);
  }
  CHECK(h.provider().size() == kPods - kPods / 10);
}

TEST_CASE("a mandatory ConfigMap that is missing keeps the pod from the provider until it appears") {
  FOR_BOTH_MODES(opts);
  Harness h(opts);
  corev1::Pod pod = MakePod("web");
  auto* v = pod.mutable_spec()->mutable_containers(0)->add_env();
  v->set_name("LEVEL");
  v->mutable_valuefrom()->mutable_configmapkeyref()->mutable_localobjectreference()->set_name("settings");
  v->mutable_valuefrom()->mutable_configmapkeyref()->set_key("level");
  VK_REQUIRE_OK(h.server().Create(pod));
  REQUIRE(h.events().WaitFor(kReasonMandatoryConfigMapNotFound));
  // Retried (the clock moves the backoff along), still never handed over.
  REQUIRE(h.Eventually([&] { return h.events().Count(kReasonMandatoryConfigMapNotFound) >= 3; }, absl::Seconds(20),
                       absl::Seconds(1)));
  CHECK(h.provider().creates("default/web") == 0);
  CHECK(h.ApiPod("web")->status().phase() == "Pending");
  h.resources().AddConfigMap("default", "settings", {{"level", "debug"}});
  REQUIRE(h.Eventually([&] { return h.provider().Has("default/web"); }, absl::Seconds(20), absl::Seconds(1)));
  auto env = h.provider().Pod("default/web")->spec().containers(0).env();
  bool found = false;
  for (const auto& e : env) found |= e.name() == "LEVEL" && e.value() == "debug";
  CHECK(found);
  CHECK(h.provider().creates("default/web") == 1);
}

TEST_CASE("metrics snapshot") {
  Harness h({.notifier = true});
  VK_REQUIRE_OK(h.server().Create(MakePod("web")));
  REQUIRE(h.WaitRunning("web"));
  REQUIRE(h.Eventually([&] { return h.controller().GetMetrics().status_patch.calls >= 1; }));
  auto m = h.controller().GetMetrics();
  CHECK(m.create_pod.calls == 1);
  CHECK(m.create_pod.errors == 0);
  CHECK(m.get_pods.calls == 1);
  CHECK(m.sync.calls >= 1);
  CHECK(m.sync_queue.processed >= 1);
  CHECK(m.notifications >= 1);
  CHECK(m.tracked_pods == 1);
}

TEST_CASE("events reach the API server, repeats as a count") {
  auto server = FakeApiServer::Start({});
  VK_REQUIRE_OK(server);
  kube::ClientConfig cfg;
  cfg.server = (*server)->url();
  auto client = kube::RestClient::Create(cfg);
  VK_REQUIRE_OK(client);
  auto recorder = NewApiEventRecorder(NewKubeEventSink(*client), {.component = "vk/pod-controller", .instance = "vk"});
  auto [ctx, cancel] = Context::Background().WithCancel();
  std::thread t([&, ctx = ctx] { recorder->Run(ctx); });
  corev1::Pod pod = MakePod("web");
  pod.mutable_metadata()->set_uid("uid-web");
  recorder->RecordPod(pod, kEventTypeWarning, kReasonProviderCreateFailed, "quota exceeded");
  auto created = [&] { return recorder->GetStats().created == 1; };
  for (int i = 0; i < 2000 && !created(); ++i) absl::SleepFor(absl::Milliseconds(5));
  REQUIRE(created());
  recorder->RecordPod(pod, kEventTypeWarning, kReasonProviderCreateFailed, "quota exceeded");
  auto patched = [&] { return recorder->GetStats().patched == 1; };
  for (int i = 0; i < 2000 && !patched(); ++i) absl::SleepFor(absl::Milliseconds(5));
  REQUIRE(patched());
  cancel();
  t.join();
  auto events = (*server)->List<corev1::Event>("default");
  VK_REQUIRE_OK(events);
  REQUIRE(events->size() == 1);
  const auto& ev = *events->front();
  CHECK(ev.count() == 2);
  CHECK(ev.reason() == "ProviderCreateFailed");
  CHECK(ev.involvedobject().name() == "web");
  CHECK(ev.source().component() == "vk/pod-controller");
  CHECK(ev.reportinginstance() == "vk");
}

TEST_CASE("a provider that notifies after the controller stopped (and was destroyed) is ignored") {
  Harness h({});
  h.DestroyController();
  // The provider still holds the callback; calling it must not reach the
  // destroyed controller (under ASan a use after free would abort here).
  corev1::Pod pod = MakePod("late");
  VK_CHECK_OK(h.provider().CreatePod(Context::Background(), pod));
  VK_CHECK_OK(h.provider().DeletePod(Context::Background(), pod));
}

}  // namespace
}  // namespace vkubelet::node
