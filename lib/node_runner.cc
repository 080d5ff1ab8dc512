// Copyright 2026 The vkubelet Authors. Licensed under the Apache License 2.0.
//
// vkubelet::Node: the wiring of the API client, pod cache, ResourceManager,
// provider, event recorder, pod controller, node controller and kubelet API.

#include <atomic>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "vkubelet/errdefs.h"
#include "vkubelet/kube/rest_client.h"
#include "vkubelet/log.h"
#include "vkubelet/node.h"
#include "vkubelet/node/event_recorder.h"
#include "vkubelet/node/kube_event_sink.h"
#include "vkubelet/node/kube_pod_api.h"
#include "vkubelet/node/kube_resource_manager.h"
#include "vkubelet/stats/prometheus.h"

namespace vkubelet {
namespace {

double Seconds(absl::Duration d) { return absl::ToDoubleSeconds(d); }

// The controllers' and client's counters on the kubelet's /metrics.
class NodeMetricsSource : public stats::MetricsSource {
 public:
  explicit NodeMetricsSource(const Node* node) : node_(node) {}

  void Collect(stats::PrometheusWriter& w) override {
    NodeMetrics m = node_->GetMetrics();
    using stats::MetricType;
    struct Q {
      std::string_view name;
      const node::WorkQueue::Stats* s;
    };
    const Q queues[] = {{"sync_pods", &m.pods.sync_queue},
                        {"delete_pods", &m.pods.delete_queue},
                        {"pod_status", &m.pods.status_queue}};
    // A family's samples must be contiguous: one loop per family.
    auto per_queue = [&](std::string_view family, std::string_view help, MetricType type,
                         double (*value)(const node::WorkQueue::Stats&)) {
      w.Family(family, help, type);
      for (const Q& q : queues) w.Sample(family, {{"name", q.name}}, value(*q.s));
    };
    per_queue("vkubelet_workqueue_depth", "Keys waiting in a pod controller work queue.", MetricType::kGauge,
              [](const node::WorkQueue::Stats& s) { return static_cast<double>(s.queued); });
    per_queue("vkubelet_workqueue_in_flight", "Keys being processed by a work queue.", MetricType::kGauge,
              [](const node::WorkQueue::Stats& s) { return static_cast<double>(s.processing); });
    per_queue("vkubelet_workqueue_processed_total", "Work items processed by a work queue.", MetricType::kCounter,
              [](const node::WorkQueue::Stats& s) { return static_cast<double>(s.processed); });
    per_queue("vkubelet_workqueue_retries_total", "Work items re-queued after a failure.", MetricType::kCounter,
              [](const node::WorkQueue::Stats& s) { return static_cast<double>(s.retries); });
    per_queue("vkubelet_workqueue_dropped_total", "Work items given up after their last attempt.",
              MetricType::kCounter, [](const node::WorkQueue::Stats& s) { return static_cast<double>(s.dropped); });
    per_queue("vkubelet_workqueue_wait_seconds_total", "Time work items waited between ready and start.",
              MetricType::kCounter, [](const node::WorkQueue::Stats& s) { return Seconds(s.total_latency); });

    struct C {
      std::string_view op;
      const node::CallMetrics* c;
    };
    const C calls[] = {{"CreatePod", &m.pods.create_pod}, {"UpdatePod", &m.pods.update_pod},
                       {"DeletePod", &m.pods.delete_pod}, {"GetPod", &m.pods.get_pod},
                       {"GetPodStatus", &m.pods.get_pod_status}, {"GetPods", &m.pods.get_pods}};
    auto per_call = [&](std::string_view family, std::string_view help, MetricType type,
                        double (*value)(const node::CallMetrics&)) {
      w.Family(family, help, type);
      for (const C& c : calls) w.Sample(family, {{"operation", c.op}}, value(*c.c));
    };
    per_call("vkubelet_provider_calls_total", "Calls of the provider by operation.", MetricType::kCounter,
             [](const node::CallMetrics& c) { return static_cast<double>(c.calls); });
    per_call("vkubelet_provider_errors_total", "Provider calls that returned an error.", MetricType::kCounter,
             [](const node::CallMetrics& c) { return static_cast<double>(c.errors); });
    per_call("vkubelet_provider_call_seconds_total", "Time spent in provider calls.", MetricType::kCounter,
             [](const node::CallMetrics& c) { return Seconds(c.total_latency); });
    per_call("vkubelet_provider_call_max_seconds", "Longest provider call so far.", MetricType::kGauge,
             [](const node::CallMetrics& c) { return Seconds(c.max_latency); });
    w.Family("vkubelet_pod_sync_seconds_total", "Time spent syncing pods to the provider.", MetricType::kCounter);
    w.Sample("vkubelet_pod_sync_seconds_total", {}, Seconds(m.pods.sync.total_latency));
    w.Family("vkubelet_pod_syncs_total", "Pod syncs (create/update/delete decisions).", MetricType::kCounter);
    w.Sample("vkubelet_pod_syncs_total", {}, static_cast<double>(m.pods.sync.calls));
    w.Family("vkubelet_pod_status_patches_total", "PATCH pods/status requests sent.", MetricType::kCounter);
    w.Sample("vkubelet_pod_status_patches_total", {}, static_cast<double>(m.pods.status_patch.calls));
    w.Family("vkubelet_pod_status_unchanged_total", "Status syncs that found nothing new to write.",
             MetricType::kCounter);
    w.Sample("vkubelet_pod_status_unchanged_total", {}, static_cast<double>(m.pods.status_unchanged));
    w.Family("vkubelet_pods_tracked", "Pods bound to this node that the controller tracks.", MetricType::kGauge);
    w.Sample("vkubelet_pods_tracked", {}, static_cast<double>(m.pods.tracked_pods));

    w.Family("vkubelet_node_status_patches_total", "PATCH nodes/status requests by result.", MetricType::kCounter);
    w.Sample("vkubelet_node_status_patches_total", {{"result", "success"}},
             static_cast<double>(m.node.status_patches));
    w.Sample("vkubelet_node_status_patches_total", {{"result", "error"}},
             static_cast<double>(m.node.status_failures));
    w.Family("vkubelet_node_lease_renewals_total", "Lease renewals by result.", MetricType::kCounter);
    w.Sample("vkubelet_node_lease_renewals_total", {{"result", "success"}},
             static_cast<double>(m.node.lease_renewals));
    w.Sample("vkubelet_node_lease_renewals_total", {{"result", "error"}},
             static_cast<double>(m.node.lease_failures));
    w.Family("vkubelet_node_pings_total", "Provider pings by result.", MetricType::kCounter);
    w.Sample("vkubelet_node_pings_total", {{"result", "success"}},
             static_cast<double>(m.node.pings - m.node.ping_failures));
    w.Sample("vkubelet_node_pings_total", {{"result", "error"}}, static_cast<double>(m.node.ping_failures));
    w.Sample("vkubelet_node_pings_total", {{"result", "timeout"}}, static_cast<double>(m.node.ping_timeouts));
    w.Family("vkubelet_node_ready", "1 when the node last reported Ready=True.", MetricType::kGauge);
    w.Sample("vkubelet_node_ready", {}, m.node.ready ? 1 : 0);

    if (const auto& client = node_->client()) {
      kube::RequestMetrics rm = client->Metrics();
      w.Family("vkubelet_api_requests_total", "Requests to the API server by method and HTTP code.",
               MetricType::kCounter);
      for (const auto& s : rm.requests) {
        std::string code = absl::StrCat(s.code);
        w.Sample("vkubelet_api_requests_total", {{"method", s.method}, {"code", code}},
                 static_cast<double>(s.count));
      }
      w.Family("vkubelet_api_request_duration_seconds", "Latency of requests to the API server.",
               MetricType::kHistogram);
      for (const auto& s : rm.requests) {
        std::string code = absl::StrCat(s.code);
        stats::LabelPair labels[] = {{"method", s.method}, {"code", code}};
        w.Histogram("vkubelet_api_request_duration_seconds", labels, rm.latency_buckets, s.latency_counts,
                    s.latency_sum_seconds);
      }
      w.Family("vkubelet_api_retries_total", "Requests sent again after a retryable failure.",
               MetricType::kCounter);
      w.Sample("vkubelet_api_retries_total", {}, static_cast<double>(rm.retries));
      w.Family("vkubelet_api_rate_limited_total", "Requests that waited for the client rate limiter.",
               MetricType::kCounter);
      w.Sample("vkubelet_api_rate_limited_total", {}, static_cast<double>(rm.rate_limited));
      w.Family("vkubelet_api_open_watches", "Watch streams currently open.", MetricType::kGauge);
      w.Sample("vkubelet_api_open_watches", {}, static_cast<double>(rm.open_streams));
    }
  }

 private:
  const Node* node_;
};

}  // namespace

class Node::Impl {
 public:
  NodeOptions options;
  const Clock* clock = nullptr;
  std::shared_ptr<kube::RestClient> client;
  std::unique_ptr<node::KubePodApi> pod_api;
  std::unique_ptr<node::KubeResourceManager> resources;
  std::shared_ptr<PodLifecycleHandler> provider;
  std::unique_ptr<node::ApiEventRecorder> api_recorder;
  node::NopEventRecorder nop_recorder;
  std::unique_ptr<node::PodController> pod_controller;
  // Replaced once in Run when the kubelet API port was 0 (the bound port is
  // advertised); GetMetrics reads it under `mu`.
  std::unique_ptr<node::NodeController> node_controller;
  node::NodeControllerOptions node_controller_options;
  std::unique_ptr<api::KubeletServer> server;
  std::atomic<int> kubelet_port{0};

  mutable absl::Mutex mu;
  bool ready ABSL_GUARDED_BY(mu) = false;
  bool finished ABSL_GUARDED_BY(mu) = false;
  absl::Status failure ABSL_GUARDED_BY(mu);
  bool ran = false;

  // Records the first failure (annotated with the part) and stops the node.
  void Fail(std::string_view part, const absl::Status& s, const CancelFn& cancel) {
    {
      absl::MutexLock lock(&mu);
      if (failure.ok()) failure = errdefs::Annotate(s, part);
    }
    cancel();
  }
};

Node::Node(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Node::~Node() = default;

absl::StatusOr<std::unique_ptr<Node>> Node::Create(NodeOptions options,
                                                   std::shared_ptr<PodLifecycleHandler> provider) {
  if (!provider) return errdefs::InvalidInput("node: no provider given");
  return Create(std::move(options), [provider](const ProviderConfig&) { return provider; });
}

absl::StatusOr<std::unique_ptr<Node>> Node::Create(NodeOptions options, ProviderFactory factory) {
  if (options.node_name.empty()) return errdefs::InvalidInput("node: the node name is empty");
  if (!factory) return errdefs::InvalidInput("node: no provider factory given");
  if (options.operating_system != "linux" && options.operating_system != "windows") {
    return errdefs::InvalidInput(absl::StrCat("node: operating system \"", options.operating_system,
                                              "\" is not supported (linux or windows)"));
  }
  auto impl = std::make_unique<Impl>();
  impl->clock = options.clock ? options.clock : Clock::Real();

  // API client.
  impl->client = options.client;
  if (!impl->client) {
    auto client = kube::RestClient::Create(options.client_config, impl->clock);
    if (!client.ok()) return errdefs::Annotate(client.status(), "API client");
    impl->client = *std::move(client);
  }

  // Pod cache and ResourceManager.
  node::KubePodApiOptions pod_api_options;
  pod_api_options.node_name = options.node_name;
  pod_api_options.clock = impl->clock;
  pod_api_options.resync_period = options.pod_resync_period;
  impl->pod_api = node::NewKubePodApi(impl->client, pod_api_options);
  node::KubeResourceManagerOptions rm_options;
  rm_options.clock = impl->clock;
  impl->resources = node::NewKubeResourceManager(impl->client, impl->pod_api.get(), rm_options);

  // Provider.
  const int32_t port = options.serve_kubelet_api ? options.kubelet_server.port : 0;
  ProviderConfig pc;
  pc.node_name = options.node_name;
  pc.operating_system = options.operating_system;
  pc.internal_ip = options.internal_ip;
  pc.daemon_port = port;
  pc.config_path = options.provider_config_path;
  pc.cluster_domain = options.cluster_domain;
  pc.resources = impl->resources.get();
  pc.clock = impl->clock;
  auto provider = factory(pc);
  if (!provider.ok()) return errdefs::Annotate(provider.status(), "provider");
  if (!*provider) return errdefs::InvalidInput("provider: the factory returned no provider");
  impl->provider = *std::move(provider);

  // Events.
  node::EventRecorder* recorder = &impl->nop_recorder;
  if (options.record_events) {
    node::EventRecorderOptions ro;
    ro.component = absl::StrCat(options.node_name, "/pod-controller");
    ro.instance = options.node_name;
    ro.clock = impl->clock;
    impl->api_recorder = node::NewApiEventRecorder(node::NewKubeEventSink(impl->client), ro);
    recorder = impl->api_recorder.get();
  }

  // Pod controller.
  node::PodControllerOptions pco = options.pod_controller;
  pco.node_name = options.node_name;
  if (!pco.clock) pco.clock = impl->clock;
  impl->pod_controller = std::make_unique<node::PodController>(pco, impl->provider.get(), impl->pod_api.get(),
                                                               impl->resources.get(), recorder);
  impl->pod_api->SetHandlers(node::KubePodApi::HandlersFor(impl->pod_controller.get()));

  // Node controller.
  node::NodeControllerOptions nco = options.node_controller;
  if (nco.node_name.empty()) nco.node_name = options.node_name;
  if (nco.provider_name.empty()) nco.provider_name = options.provider_name;
  if (nco.operating_system.empty() || nco.operating_system == "linux") nco.operating_system = options.operating_system;
  if (nco.internal_ip.empty()) nco.internal_ip = options.internal_ip;
  if (options.serve_kubelet_api) nco.kubelet_port = port;
  if (!nco.clock) nco.clock = impl->clock;
  auto nc = node::NodeController::New(nco, impl->client, dynamic_cast<NodeProvider*>(impl->provider.get()),
                                       dynamic_cast<NodeConfigurer*>(impl->provider.get()));
  if (!nc.ok()) return errdefs::Annotate(nc.status(), "node controller");
  impl->node_controller = *std::move(nc);
  impl->node_controller_options = nco;

  impl->options = std::move(options);
  auto node = std::unique_ptr<Node>(new Node(std::move(impl)));
  Impl& im = *node->impl_;

  // Kubelet API.
  if (im.options.serve_kubelet_api) {
    api::KubeletServerOptions so = im.options.kubelet_server;
    so.node_name = im.options.node_name;
    if (!so.no_auth && (!so.authenticator || !so.authorizer)) {
      api::KubeletAuth auth = api::NewWebhookAuth(api::NewKubeReviewClient(im.client), im.options.auth);
      if (!so.authenticator) so.authenticator = auth.authenticator;
      if (!so.authorizer) so.authorizer = auth.authorizer;
    }
    so.metrics_sources.push_back(std::make_shared<NodeMetricsSource>(node.get()));
    api::KubeletServerHandlers handlers;
    handlers.provider = im.provider;
    node::KubePodApi* pods = im.pod_api.get();
    handlers.list_pods = [pods](const Context&) -> absl::StatusOr<std::vector<std::shared_ptr<const corev1::Pod>>> {
      return pods->ListCached();
    };
    auto server = api::KubeletServer::Create(std::move(so), std::move(handlers));
    if (!server.ok()) return errdefs::Annotate(server.status(), "kubelet API");
    im.server = *std::move(server);
  }
  return node;
}

absl::Status Node::Run(const Context& parent) {
  Impl& im = *impl_;
  if (im.ran) return absl::FailedPreconditionError("node: Run called twice");
  im.ran = true;
  auto [ctx, cancel] = parent.WithCancel();
  Context log_ctx = ctx.WithField("node", im.options.node_name);
  std::vector<std::thread> threads;

  auto finish = [&]() -> absl::Status {
    cancel();
    for (auto& t : threads) t.join();
    threads.clear();
    if (im.server) im.server->Stop(absl::Seconds(5));
    absl::MutexLock lock(&im.mu);
    im.finished = true;
    if (!im.failure.ok()) {
      log::Error(log_ctx, "Node stopped with an error", {{"error", im.failure}});
      return im.failure;
    }
    log::Info(log_ctx, "Node stopped");
    return absl::OkStatus();
  };

  // 1. The kubelet API first: the API server may call it as soon as the node exists.
  if (im.server) {
    absl::Status s = im.server->Start();
    if (!s.ok()) {
      im.Fail("kubelet API", s, cancel);
      return finish();
    }
    im.kubelet_port = im.server->port();
    if (im.node_controller_options.kubelet_port == 0) {
      // A free port was asked for: advertise the one bound.
      im.node_controller_options.kubelet_port = im.server->port();
      auto nc = node::NodeController::New(im.node_controller_options, im.client,
                                          dynamic_cast<NodeProvider*>(im.provider.get()),
                                          dynamic_cast<NodeConfigurer*>(im.provider.get()));
      if (!nc.ok()) {
        im.Fail("node controller", nc.status(), cancel);
        return finish();
      }
      absl::MutexLock lock(&im.mu);
      im.node_controller = *std::move(nc);
    }
    log::Info(log_ctx, "Kubelet API listening", {{"port", im.server->port()}});
  }

  // 2. Events and the pod cache.
  if (im.api_recorder) threads.emplace_back([&, c = ctx] { im.api_recorder->Run(c); });
  threads.emplace_back([&, c = ctx] { im.pod_api->Run(c); });

  absl::Time started = absl::Now();
  auto startup_expired = [&] {
    return im.options.startup_timeout > absl::ZeroDuration() && absl::Now() - started > im.options.startup_timeout;
  };
  while (!im.pod_api->WaitSynced(absl::Milliseconds(100))) {
    if (ctx.Done()) return finish();
    if (startup_expired()) {
      im.Fail("pod cache", absl::DeadlineExceededError("pods were not listed within the startup timeout"), cancel);
      return finish();
    }
  }

  // 3. Pod controller: start-up clean-up, then the queues.
  threads.emplace_back([&, c = ctx, cancel_fn = cancel] {
    absl::Status s = im.pod_controller->Run(c);
    if (!s.ok() && !c.Done()) im.Fail("pod controller", s, cancel_fn);
  });
  while (!im.pod_controller->WaitReady(absl::Milliseconds(100))) {
    if (ctx.Done()) return finish();
    if (startup_expired()) {
      im.Fail("pod controller", absl::DeadlineExceededError("not ready within the startup timeout"), cancel);
      return finish();
    }
  }

  // 4. Node controller: registration, Lease, status; Ready once pods are in sync.
  threads.emplace_back([&, c = ctx, cancel_fn = cancel] {
    absl::Status s = im.node_controller->Run(c);
    if (!s.ok() && !c.Done()) im.Fail("node controller", s, cancel_fn);
  });
  im.node_controller->SetPodsSynced(true);
  {
    Context wait_ctx = im.options.startup_timeout > absl::ZeroDuration()
                           ? ctx.WithDeadline(started + im.options.startup_timeout)
                           : ctx;
    absl::Status s = im.node_controller->WaitReady(wait_ctx);
    if (!s.ok()) {
      if (ctx.Done()) return finish();
      im.Fail("node controller", absl::IsDeadlineExceeded(s)
                                     ? absl::DeadlineExceededError("the node was not Ready within the startup timeout")
                                     : s,
              cancel);
      return finish();
    }
  }
  {
    absl::MutexLock lock(&im.mu);
    im.ready = true;
  }
  log::Info(log_ctx, "Node is ready", {{"pod_workers", im.options.pod_controller.workers}});

  ctx.Wait();
  return finish();
}

absl::Status Node::WaitReady(absl::Duration timeout) const {
  absl::MutexLock lock(&impl_->mu);
  auto cond = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(impl_->mu) { return impl_->ready || impl_->finished; };
  if (!impl_->mu.AwaitWithTimeout(absl::Condition(&cond), timeout)) {
    return absl::DeadlineExceededError("the node is not ready yet");
  }
  if (!impl_->failure.ok()) return impl_->failure;
  if (!impl_->ready) return absl::FailedPreconditionError("the node stopped before it was ready");
  return absl::OkStatus();
}

const std::string& Node::node_name() const { return impl_->options.node_name; }
int Node::kubelet_port() const { return impl_->kubelet_port; }
std::string Node::kubelet_serving_certificate() const {
  return impl_->server ? impl_->server->serving_certificate_pem() : "";
}
PodLifecycleHandler* Node::provider() const { return impl_->provider.get(); }
ResourceManager* Node::resources() const { return impl_->resources.get(); }
const std::shared_ptr<kube::RestClient>& Node::client() const { return impl_->client; }

NodeMetrics Node::GetMetrics() const {
  NodeMetrics m;
  m.pods = impl_->pod_controller->GetMetrics();
  {
    absl::MutexLock lock(&impl_->mu);
    m.node = impl_->node_controller->GetMetrics();
  }
  if (impl_->client) {
    for (const auto& s : impl_->client->Metrics().requests) m.api_requests += s.count;
  }
  return m;
}

}  // namespace vkubelet
