// Copyright 2026 The vkubelet Authors. Licensed under the Apache License 2.0.
//
// The mock provider under the SDK's pod controller, against FakeApiServer:
// what the API server ends up showing for mock pods.

#include <doctest/doctest.h>

#include <thread>

#include "absl/strings/match.h"
#include "providers/mock/mock_provider.h"
#include "tests/providers/provider_test_util.h"
#include "vkubelet/errdefs.h"
#include "vkubelet/kube/rest_client.h"
#include "vkubelet/node/event_recorder.h"
#include "vkubelet/node/kube_pod_api.h"
#include "vkubelet/node/pod_controller.h"
#include "vkubelet/testing/assertions.h"
#include "vkubelet/testing/fake_api_server.h"
#include "vkubelet/testing/fake_clock.h"

namespace vkubelet::mock {
namespace {

using testing::FakeApiServer;
using PodPtr = std::shared_ptr<const corev1::Pod>;

constexpr char kNode[] = "vk-mock";

class NoResources : public ResourceManager {
 public:
  absl::StatusOr<std::shared_ptr<const corev1::Secret>> GetSecret(const Context&, std::string_view,
                                                                  std::string_view) override {
    return errdefs::NotFound("secret");
  }
  absl::StatusOr<std::shared_ptr<const corev1::ConfigMap>> GetConfigMap(const Context&, std::string_view,
                                                                        std::string_view) override {
    return errdefs::NotFound("configmap");
  }
  absl::StatusOr<std::vector<std::shared_ptr<const corev1::Service>>> ListServices(
      const Context&, std::string_view) override {
    return std::vector<std::shared_ptr<const corev1::Service>>{};
  }
  std::vector<std::shared_ptr<const corev1::Pod>> GetPods() override { return {}; }
};

class Harness {
 public:
  Harness() {
    auto server = FakeApiServer::Start({});
    REQUIRE_MESSAGE(server.ok(), server.status().ToString());
    server_ = *std::move(server);
    MockProviderConfig mc;
    mc.node_name = kNode;
    mc.internal_ip = "10.0.0.5";
    mc.clock = &clock_;
    mc.start_delay = absl::Seconds(2);
    auto provider = MockProvider::Create(mc);
    REQUIRE_MESSAGE(provider.ok(), provider.status().ToString());
    provider_ = *std::move(provider);

    kube::ClientConfig cfg;
    cfg.server = server_->url();
    cfg.qps = 0;
    cfg.retry.max_retries = 0;
    auto client = kube::RestClient::Create(cfg);
    REQUIRE_MESSAGE(client.ok(), client.status().ToString());
    api_ = node::NewKubePodApi(*client, {.node_name = kNode,
                                         .backoff_initial = absl::Milliseconds(20),
                                         .backoff_max = absl::Milliseconds(200)});
    node::PodControllerOptions o;
    o.node_name = kNode;
    o.workers = 4;
    o.clock = &clock_;
    o.queue.base_delay = absl::Milliseconds(5);
    o.queue.max_delay = absl::Seconds(1);
    o.queue.qps = 1000;
    o.queue.burst = 1000;
    controller_ =
        std::make_unique<node::PodController>(o, provider_.get(), api_.get(), &resources_, &events_);
    api_->SetHandlers(node::KubePodApi::HandlersFor(controller_.get()));
    auto [ctx, cancel] = Context::Background().WithCancel();
    cancel_ = cancel;
    api_thread_ = std::thread([this, ctx] { api_->Run(ctx); });
    REQUIRE(api_->WaitSynced(absl::Seconds(10)));
    controller_thread_ = std::thread([this, ctx] { VK_CHECK_OK(controller_->Run(ctx)); });
    REQUIRE(controller_->WaitReady(absl::Seconds(10)));
  }
  ~Harness() {
    if (cancel_) cancel_();
    if (api_thread_.joinable()) api_thread_.join();
    if (controller_thread_.joinable()) controller_thread_.join();
  }

  PodPtr ApiPod(const std::string& name) {
    auto p = server_->Get<corev1::Pod>("default", name);
    return p.ok() ? *p : nullptr;
  }

  testing::FakeClock clock_;
  std::unique_ptr<FakeApiServer> server_;
  std::unique_ptr<MockProvider> provider_;
  NoResources resources_;
  node::MemoryEventRecorder events_;
  std::unique_ptr<node::KubePodApi> api_;
  std::unique_ptr<node::PodController> controller_;
  CancelFn cancel_;
  std::thread api_thread_, controller_thread_;
};

TEST_CASE("mock pods through the pod controller: Pending, Running, exit, deletion") {
  Harness h;
  corev1::Pod pod = test::MakePod("default", "web");
  pod.mutable_metadata()->clear_uid();
  pod.mutable_spec()->set_nodename(kNode);
  VK_REQUIRE_OK(h.server_->Create(pod));

  // Pending while the start delay runs, with the mock's status.
  REQUIRE(test::Await([&] {
    auto p = h.ApiPod("web");
    return p && p->status().containerstatuses_size() == 1 &&
           p->status().containerstatuses(0).state().waiting().reason() == "ContainerCreating";
  }));
  CHECK(h.ApiPod("web")->status().phase() == "Pending");
  CHECK(h.ApiPod("web")->status().hostip() == "10.0.0.5");

  h.clock_.Advance(absl::Seconds(2));
  REQUIRE(test::Await([&] {
    auto p = h.ApiPod("web");
    return p && p->status().phase() == "Running";
  }));
  PodPtr running = h.ApiPod("web");
  CHECK(absl::StartsWith(running->status().podip(), "10.244."));
  CHECK(absl::StartsWith(running->status().containerstatuses(0).containerid(), "mock://"));
  CHECK(running->status().containerstatuses(0).ready());
  bool ready = false;
  for (const auto& c : running->status().conditions()) ready |= c.type() == "Ready" && c.status() == "True";
  CHECK(ready);

  VK_REQUIRE_OK(h.server_->Delete<corev1::Pod>("default", "web", 30));
  VK_CHECK_OK(h.server_->WaitForDeletion<corev1::Pod>("default", "web", absl::Seconds(20)));
  CHECK(errdefs::IsNotFound(h.provider_->GetPod(Context::Background(), "default", "web").status()));
}

TEST_CASE("a fail-create annotation surfaces as ProviderFailed") {
  Harness h;
  corev1::Pod pod = test::MakePod("default", "doomed");
  pod.mutable_metadata()->clear_uid();
  pod.mutable_spec()->set_nodename(kNode);
  pod.mutable_spec()->set_restartpolicy("Never");
  (*pod.mutable_metadata()->mutable_annotations())[kAnnotationFailCreate] = "no capacity in the backend";
  VK_REQUIRE_OK(h.server_->Create(pod));
  REQUIRE(test::Await([&] {
    auto p = h.ApiPod("doomed");
    return p && p->status().phase() == "Failed";
  }));
  PodPtr failed = h.ApiPod("doomed");
  CHECK(failed->status().reason() == "ProviderFailed");
  CHECK(absl::StrContains(failed->status().message(), "no capacity in the backend"));
}

}  // namespace
}  // namespace vkubelet::mock
