// Copyright 2026 The vkubelet Authors. Licensed under the Apache License 2.0.
//
// Environment resolution: what the kubelet does to a container's env and
// envFrom before it starts the container, done by the SDK before CreatePod /
// UpdatePod so that a provider receives plain name/value pairs.
//
//  * envFrom (configMapRef / secretRef, with prefix) in declaration order;
//    keys that are not valid variable names are skipped with one
//    InvalidEnvironmentVariableNames event per source.
//  * env in declaration order: `value` with $(VAR) expansion (Kubernetes rules:
//    $$ is a literal $, an unknown $(VAR) stays as written), valueFrom
//    configMapKeyRef / secretKeyRef (optional or mandatory), fieldRef (downward
//    API: metadata.name/namespace/uid/labels/annotations and
//    ['key'] subscripts, spec.nodeName, spec.serviceAccountName,
//    status.podIP(s), status.hostIP(s)), resourceFieldRef (limits/requests
//    with divisor; limits default to the node's allocatable).
//  * service-link variables (<SVC>_SERVICE_HOST, docker-link style <SVC>_PORT…)
//    for the `kubernetes` service of `default` always and for the pod's
//    namespace when spec.enableServiceLinks is not false; explicit variables win.
//  * The result replaces env (envFrom is cleared). Order is deterministic:
//    envFrom keys (per source in declaration order, keys sorted within a
//    source), then env in declaration order (a name defined twice keeps its
//    first position and takes the last value), then service variables sorted by
//    service name.
//
// Events (Warning, on the pod) use the reasons of event_reasons.h with the Go
// virtual-kubelet's messages. A mandatory reference that cannot be resolved
// fails the whole call: the pod must not reach the provider, and the caller
// retries later.

#ifndef VKUBELET_NODE_ENV_H_
#define VKUBELET_NODE_ENV_H_

#include <functional>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "vkubelet/context.h"
#include "vkubelet/node/event_recorder.h"
#include "vkubelet/resource_manager.h"
#include "vkubelet/types.h"

namespace vkubelet::node {

struct EnvResolutionOptions {
  // The node's allocatable resources ("cpu" -> "4", "memory" -> "16Gi"):
  // resourceFieldRef limits.* fall back to them when a container has no limit.
  std::map<std::string, std::string> node_allocatable;
  // The node's IPs, for status.hostIP(s) while the pod's status has none yet.
  std::vector<std::string> host_ips;
  // Namespace of the master services ("kubernetes") whose variables every pod gets.
  std::string master_service_namespace = "default";
};

// Resolves every container (init, regular, ephemeral) of `pod` in place.
// Errors: NotFound / the ResourceManager's error for a mandatory
// ConfigMap/Secret (or key); InvalidInput for an unsupported fieldRef or
// resourceFieldRef. Events are recorded either way. Thread-safe (no state).
absl::Status ResolvePodEnvironment(const Context& ctx, corev1::Pod* pod, ResourceManager& resources,
                                   EventRecorder& recorder, const EnvResolutionOptions& options = {});

// --- Building blocks, exposed for providers and tests ---------------------------------

// Kubernetes $(VAR) expansion. `lookup` returns nullptr for unknown names.
std::string ExpandEnvReferences(std::string_view input,
                                const std::function<const std::string*(std::string_view)>& lookup);

// The kubelet's IsEnvVarName: [-._a-zA-Z][-._a-zA-Z0-9]*, and not ".", ".."
// or starting with "..".
bool IsValidEnvVarName(std::string_view name);

// The downward-API value of `field_path` (apiVersion "v1" or empty).
// `host_ips` is used for status.hostIP(s) when the pod's status has none.
// InvalidInput for unsupported paths or API versions.
absl::StatusOr<std::string> ResolveFieldRef(const corev1::Pod& pod, std::string_view api_version,
                                            std::string_view field_path,
                                            const std::vector<std::string>& host_ips = {});

// The value of a resourceFieldRef (limits.cpu, requests.memory,
// limits.ephemeral-storage, requests.hugepages-<size>, ...) of container
// `selector.containerName` (or `default_container` when empty), divided by the
// divisor (default 1) and rounded up, as the kubelet does. InvalidInput for
// unknown resources, containers, or bad quantities.
absl::StatusOr<std::string> ResolveResourceFieldRef(const corev1::Pod& pod,
                                                    const corev1::ResourceFieldSelector& selector,
                                                    std::string_view default_container,
                                                    const std::map<std::string, std::string>& node_allocatable = {});

// The service-link variables of `services`, in the kubelet's per-service
// order; services without a cluster IP (or headless) are skipped.
std::vector<corev1::EnvVar> ServiceLinkEnvVars(const std::vector<std::shared_ptr<const corev1::Service>>& services);

}  // namespace vkubelet::node

#endif  // VKUBELET_NODE_ENV_H_
