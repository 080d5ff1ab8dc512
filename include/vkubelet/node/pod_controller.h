// Copyright 2026 The vkubelet Authors. Licensed under the Apache License 2.0.
//
// PodController: keeps the provider in step with the pods bound to this node
// and writes their status back to the API server.
//
//  * A pod that appears is created in the provider (after environment
//    resolution); a change of its mutable fields (containers, init/ephemeral
//    containers, activeDeadlineSeconds, tolerations, labels, annotations)
//    reaches UpdatePod; status-only changes never call the provider. Pods
//    already Succeeded/Failed are left alone.
//  * Graceful deletion: deletionTimestamp → provider DeletePod (NotFound counts
//    as done; other errors retry and the pod stays) → once no container runs,
//    or the grace period has passed, DELETE with gracePeriodSeconds=0 and a UID
//    precondition. A pod removed from the API is removed from the provider.
//  * Provider failures: Events (ProviderCreateFailed, …) and status
//    Failed (restartPolicy Never) / Pending with reason ProviderFailed; retried
//    with backoff.
//  * Status: from PodNotifier callbacks (coalesced per pod, latest wins, never
//    blocking the provider) or by polling GetPodStatus every
//    status_poll_interval; written as a strategic-merge PATCH of pods/status
//    with a metadata.uid precondition, only when something changed, keeping
//    conditions others own.
//  * Start: provider pods the API server does not have (matched by UID) are
//    deleted from the provider; a provider pod whose API pod exists is kept.
//
// Three keyed work queues (sync, delete, status), each with `workers`
// threads; one key is never processed by two workers at once.

#ifndef VKUBELET_NODE_POD_CONTROLLER_H_
#define VKUBELET_NODE_POD_CONTROLLER_H_

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "vkubelet/clock.h"
#include "vkubelet/context.h"
#include "vkubelet/node/env.h"
#include "vkubelet/node/event_recorder.h"
#include "vkubelet/node/work_queue.h"
#include "vkubelet/provider.h"
#include "vkubelet/resource_manager.h"
#include "vkubelet/types.h"

namespace vkubelet::node {

// What the controller needs of the API server for pods: the node's pod cache
// (fed by the node-scoped informer) and three writes. The SDK's
// implementation is NewKubePodApi (kube_pod_api.h); tests may plug in others.
// Thread-safe.
class PodApi {
 public:
  virtual ~PodApi() = default;
  // The cached pod, or nullptr.
  virtual std::shared_ptr<const corev1::Pod> GetCached(std::string_view ns, std::string_view name) = 0;
  // Every cached pod.
  virtual std::vector<std::shared_ptr<const corev1::Pod>> ListCached() = 0;
  // A live read (bypasses the cache). NotFound when the pod does not exist.
  virtual absl::StatusOr<std::shared_ptr<const corev1::Pod>> Get(const Context& ctx, std::string_view ns,
                                                                 std::string_view name) = 0;
  // PATCH pods/{name}/status with a strategic-merge patch; the updated pod
  // (KubePodApi decodes only its metadata: the controller needs the new
  // resourceVersion, the cache gets the whole pod by watch).
  virtual absl::StatusOr<std::shared_ptr<const corev1::Pod>> PatchStatus(const Context& ctx, std::string_view ns,
                                                                         std::string_view name,
                                                                         std::string_view patch) = 0;
  // DELETE with gracePeriodSeconds and preconditions.uid.
  virtual absl::Status Delete(const Context& ctx, std::string_view ns, std::string_view name,
                              std::string_view uid, int64_t grace_period_seconds) = 0;
};

struct PodControllerOptions {
  // The node's name: only pods with spec.nodeName == node_name are handled.
  std::string node_name;
  // Workers per queue (the reference's --pod-sync-workers, default 10).
  int workers = 10;
  // Polling mode (provider without PodNotifier): how often GetPodStatus runs
  // for every pod (the reference: 5 s).
  absl::Duration status_poll_interval = absl::Seconds(5);
  // Polling mode: a pod the provider does not know, younger than this and
  // not running, is not yet reported lost (the reference: 1 min).
  absl::Duration lost_pod_grace = absl::Minutes(1);
  // Hand pods to the provider with env/envFrom as written (no Secret/ConfigMap reads).
  bool skip_env_resolution = false;
  EnvResolutionOptions env;
  // Time allowed to one provider call and to one API request.
  absl::Duration provider_timeout = absl::Minutes(1);
  absl::Duration api_timeout = absl::Seconds(30);
  // Retry policy of the queues (name and clock are set by the controller).
  WorkQueueOptions queue;
  // An extra filter (the reference's PodEventFilterFunc): false = ignore the pod.
  std::function<bool(const corev1::Pod&)> filter;
  const Clock* clock = nullptr;  // nullptr: the real clock
};

// Counters and latencies of one kind of provider call.
struct CallMetrics {
  uint64_t calls = 0;
  uint64_t errors = 0;
  absl::Duration total_latency;
  absl::Duration max_latency;
};

// A snapshot for the /metrics endpoint.
struct PodControllerMetrics {
  WorkQueue::Stats sync_queue;
  WorkQueue::Stats delete_queue;
  WorkQueue::Stats status_queue;
  CallMetrics create_pod, update_pod, delete_pod, get_pod, get_pod_status, get_pods;
  CallMetrics sync;           // sync-queue runs (latency of a whole sync)
  CallMetrics status_patch;   // PATCH pods/status
  CallMetrics api_delete;     // final DELETE of pods
  uint64_t status_unchanged = 0;       // status syncs that found nothing to write
  uint64_t notifications = 0;          // PodNotifier callbacks
  uint64_t dangling_deleted = 0;       // provider pods removed at start / after API deletion
  size_t tracked_pods = 0;
};

class PodController {
 public:
  // `provider`, `api`, `resources` and `recorder` must outlive the controller.
  // If `provider` also implements PodNotifier, status comes from its callbacks,
  // otherwise from polling.
  PodController(PodControllerOptions options, PodLifecycleHandler* provider, PodApi* api,
                ResourceManager* resources, EventRecorder* recorder);
  ~PodController();
  PodController(const PodController&) = delete;
  PodController& operator=(const PodController&) = delete;

  // Informer callbacks: call them for every pod event of the node's informer
  // (before or after Run starts). Thread-safe, never block.
  void OnAdd(const std::shared_ptr<const corev1::Pod>& pod);
  void OnUpdate(const std::shared_ptr<const corev1::Pod>& old_pod, const std::shared_ptr<const corev1::Pod>& pod);
  void OnDelete(const std::shared_ptr<const corev1::Pod>& pod);

  // Runs until `ctx` is done: registers the notifier (or starts polling),
  // cleans up dangling provider pods, then processes the queues. Call once,
  // after the pod cache has synced. Returns OK after a clean shutdown (every
  // thread joined).
  absl::Status Run(const Context& ctx);
  // True once Run has done its start-up work.
  bool Ready() const;
  // Blocks (real time) until Ready or `timeout`.
  bool WaitReady(absl::Duration timeout) const;

  PodControllerMetrics GetMetrics() const;
  // True when the provider is polled for status.
  bool polling() const { return notifier_ == nullptr; }

  class Impl;

 private:
  std::unique_ptr<Impl> impl_;
  PodNotifier* notifier_ = nullptr;
};

}  // namespace vkubelet::node

#endif  // VKUBELET_NODE_POD_CONTROLLER_H_
