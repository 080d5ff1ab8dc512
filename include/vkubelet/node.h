// Copyright 2026 The vkubelet Authors. Licensed under the Apache License 2.0.
//
// vkubelet::Node: one virtual node, wired. Built from NodeOptions and a
// provider, it starts — in the reference's order — the kubelet HTTP API, the
// node-scoped pod cache, the pod controller (which waits for the cache and
// cleans up dangling provider pods), then the node controller (registration,
// Lease, status); the node turns Ready once the pods are in sync. Run()
// returns when its Context ends (every thread joined) or when a part fails
// for good (with a message naming the part).
//
//   vkubelet::NodeOptions options;
//   options.node_name = "vk-1";
//   VK_ASSIGN_OR_RETURN(auto node, vkubelet::Node::Create(options, [](const vkubelet::ProviderConfig& cfg) {
//     return MyProvider::Create(cfg);
//   }));
//   return node->Run(ctx);
//
// Most programs use vkubelet::cli::Main (cli/cli.h), which builds the options
// from the virtual-kubelet flags and environment variables.

#ifndef VKUBELET_NODE_H_
#define VKUBELET_NODE_H_

#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "vkubelet/api/auth.h"
#include "vkubelet/api/kubelet_server.h"
#include "vkubelet/clock.h"
#include "vkubelet/context.h"
#include "vkubelet/kube/config.h"
#include "vkubelet/node/node_controller.h"
#include "vkubelet/node/pod_controller.h"
#include "vkubelet/provider.h"
#include "vkubelet/resource_manager.h"

namespace vkubelet {

namespace kube {
class RestClient;
}  // namespace kube

// What a provider is told when it is created (the reference's InitConfig).
struct ProviderConfig {
  std::string node_name;
  std::string operating_system;  // "linux" or "windows"
  std::string internal_ip;       // the node's InternalIP ("" if unknown)
  int32_t daemon_port = 10250;   // the kubelet API port
  std::string config_path;       // --provider-config ("" if none)
  std::string cluster_domain;    // "cluster.local"
  // Secrets, ConfigMaps, Services and this node's pods, without API access.
  // Valid for the Node's lifetime.
  ResourceManager* resources = nullptr;
  const Clock* clock = nullptr;  // never null
};

using ProviderFactory =
    std::function<absl::StatusOr<std::shared_ptr<PodLifecycleHandler>>(const ProviderConfig& config)>;

struct NodeOptions {
  std::string node_name = "virtual-kubelet";
  // The provider's name: the default value of the node taint.
  std::string provider_name = "vkubelet";
  std::string provider_config_path;
  std::string operating_system = "linux";
  std::string internal_ip;  // $VKUBELET_POD_IP in the CLI
  std::string cluster_domain = "cluster.local";

  // --- API server -------------------------------------------------------------------
  // A client to share (several nodes in one process); when null one is built
  // from `client_config`.
  std::shared_ptr<kube::RestClient> client;
  kube::ClientConfig client_config;

  // --- Controllers --------------------------------------------------------------------
  // Node controller options. node_name, provider_name, operating_system,
  // internal_ip, kubelet_port and clock are filled in from the fields of
  // NodeOptions when left empty.
  node::NodeControllerOptions node_controller;
  // Pod controller options (workers = --pod-sync-workers). node_name and clock
  // are filled in.
  node::PodControllerOptions pod_controller;
  // Re-list period of the pod cache (--full-resync-period); zero: never.
  absl::Duration pod_resync_period = absl::Minutes(1);
  // Events: core/v1 Events with component "<node>/pod-controller".
  bool record_events = true;

  // --- Kubelet API (:10250) ---------------------------------------------------------
  bool serve_kubelet_api = true;
  // node_name is filled in; auth is built from `auth` over the API client
  // unless authenticator/authorizer are set or no_auth is true. Port 0 picks a
  // free port, which the Node then advertises (daemonEndpoints). The stream
  // timeouts are --stream-creation-timeout and --stream-idle-timeout.
  api::KubeletServerOptions kubelet_server;
  api::WebhookAuthOptions auth;

  // Run() fails if the node is not Ready within this long (--startup-timeout);
  // zero waits forever.
  absl::Duration startup_timeout = absl::ZeroDuration();
  // Time for every controller. nullptr: the real clock.
  const Clock* clock = nullptr;
};

// Counters of every part, for logs and benchmarks.
struct NodeMetrics {
  node::PodControllerMetrics pods;
  node::NodeControllerMetrics node;
  uint64_t api_requests = 0;  // requests sent to the API server
};

// Not copyable. Thread-safe except where noted.
class Node {
 public:
  // Validates the options, builds the API client (when not given), the
  // ResourceManager, the provider (through `factory`) and every part; sends no
  // request yet. Errors: InvalidInput naming the bad option, the factory's
  // error, TLS/kubeconfig file errors.
  static absl::StatusOr<std::unique_ptr<Node>> Create(NodeOptions options, ProviderFactory factory);
  // Same with a provider that needs no ProviderConfig.
  static absl::StatusOr<std::unique_ptr<Node>> Create(NodeOptions options,
                                                      std::shared_ptr<PodLifecycleHandler> provider);
  ~Node();
  Node(const Node&) = delete;
  Node& operator=(const Node&) = delete;

  // Runs the node until `ctx` ends (OK) or a part fails for good (its error,
  // annotated with the part's name); either way every part is stopped and
  // every thread joined before it returns. Call once.
  absl::Status Run(const Context& ctx);

  // Blocks until the node is registered and Ready, Run failed, or `timeout`.
  absl::Status WaitReady(absl::Duration timeout) const;

  const std::string& node_name() const;
  // The kubelet API's bound port (after Run started it; 0 before or when not served).
  int kubelet_port() const;
  // The kubelet API serving certificate (PEM), e.g. a self-signed one.
  std::string kubelet_serving_certificate() const;
  PodLifecycleHandler* provider() const;
  ResourceManager* resources() const;
  const std::shared_ptr<kube::RestClient>& client() const;
  NodeMetrics GetMetrics() const;

  class Impl;

 private:
  explicit Node(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace vkubelet

#endif  // VKUBELET_NODE_H_
