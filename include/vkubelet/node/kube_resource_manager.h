// Copyright 2026 The vkubelet Authors. Licensed under the Apache License 2.0.
//
// The SDK's ResourceManager over the API server, built for a node identity
// (system:node:<name> under the Node authorizer), which may GET only the
// Secrets and ConfigMaps its pods reference and never list them:
//
//  * Secrets and ConfigMaps are fetched on demand with a GET of the single
//    object and cached for `ttl` (the kubelet's "cache" change-detection
//    strategy): memory follows the node's pods, not the cluster. A miss
//    (NotFound) is not cached, so an object created after its pod is seen at
//    the next retry. Entries no cached pod references any more are released.
//  * Services (for service-link variables) are listed per namespace — a node
//    identity may — and cached for `ttl` too.
//  * GetPods answers from the node's pod cache.

#ifndef VKUBELET_NODE_KUBE_RESOURCE_MANAGER_H_
#define VKUBELET_NODE_KUBE_RESOURCE_MANAGER_H_

#include <memory>

#include "absl/time/time.h"
#include "vkubelet/clock.h"
#include "vkubelet/node/pod_controller.h"
#include "vkubelet/resource_manager.h"

namespace vkubelet::kube {
class RestClient;
}  // namespace vkubelet::kube

namespace vkubelet::node {

struct KubeResourceManagerOptions {
  // How long a fetched object is served from the cache.
  absl::Duration ttl = absl::Minutes(1);
  absl::Duration request_timeout = absl::Seconds(30);
  // Namespace and name of the service every pod gets variables for.
  std::string master_service_namespace = "default";
  const Clock* clock = nullptr;  // nullptr: the real clock
};

struct ResourceManagerStats {
  uint64_t gets = 0;      // API GETs of Secrets/ConfigMaps
  uint64_t hits = 0;      // answered from the cache
  uint64_t lists = 0;     // service lists
  size_t cached = 0;      // Secrets + ConfigMaps held now
  uint64_t released = 0;  // entries dropped because no pod references them
};

class KubeResourceManager : public ResourceManager {
 public:
  // Drops cached Secrets/ConfigMaps that no cached pod references (also done
  // on its own at most once per ttl).
  virtual void Release() = 0;
  virtual ResourceManagerStats GetStats() const = 0;
};

// `pods` (the node's pod cache) must outlive the manager.
std::unique_ptr<KubeResourceManager> NewKubeResourceManager(std::shared_ptr<kube::RestClient> client, PodApi* pods,
                                                            KubeResourceManagerOptions options = {});

}  // namespace vkubelet::node

#endif  // VKUBELET_NODE_KUBE_RESOURCE_MANAGER_H_
