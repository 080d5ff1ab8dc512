// Copyright 2026 The vkubelet Authors. Licensed under the Apache License 2.0.
//
// ResourceManager: how a provider reads the Secrets, ConfigMaps, Services and
// pods of its node without talking to the API server itself. The SDK fetches
// Secrets and ConfigMaps on demand for the pods bound to this node (so it
// works with a node's own identity, which may not list Secrets cluster-wide),
// keeps them fresh while a pod references them, and releases them after.

#ifndef VKUBELET_RESOURCE_MANAGER_H_
#define VKUBELET_RESOURCE_MANAGER_H_

#include <memory>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "vkubelet/context.h"
#include "vkubelet/types.h"

namespace vkubelet {

// Thread-safe. Returned objects are immutable snapshots.
class ResourceManager {
 public:
  virtual ~ResourceManager() = default;
  // NotFound if the Secret does not exist; Forbidden if the node may not read it.
  virtual absl::StatusOr<std::shared_ptr<const corev1::Secret>> GetSecret(const Context& ctx, std::string_view ns,
                                                                          std::string_view name) = 0;
  virtual absl::StatusOr<std::shared_ptr<const corev1::ConfigMap>> GetConfigMap(const Context& ctx,
                                                                                std::string_view ns,
                                                                                std::string_view name) = 0;
  // Services visible to pods in `ns` for service-link environment variables
  // (those of `ns` plus the `kubernetes` service of `default`).
  virtual absl::StatusOr<std::vector<std::shared_ptr<const corev1::Service>>> ListServices(const Context& ctx,
                                                                                          std::string_view ns) = 0;
  // The pods bound to this node, from the SDK's cache.
  virtual std::vector<std::shared_ptr<const corev1::Pod>> GetPods() = 0;
};

}  // namespace vkubelet

#endif  // VKUBELET_RESOURCE_MANAGER_H_
