// Copyright 2026 The vkubelet Authors. Licensed under the Apache License 2.0.
//
// NodeController: keeps this virtual node registered and alive.
//
//  * Registration: the Node is created if absent and adopted if present (its
//    UID and spec are kept; taints are only written at creation, as the
//    kubelet and the reference do). Labels type=virtual-kubelet,
//    kubernetes.io/role=agent, kubernetes.io/hostname, kubernetes.io/os,
//    kubernetes.io/arch; the taint virtual-kubelet.io/provider=<provider>:
//    NoSchedule unless disabled; InternalIP address, kubelet port, OS/arch and
//    kubelet version from the options; capacity, conditions, … from the
//    provider's NodeConfigurer.
//  * Heartbeat: a coordination.k8s.io/v1 Lease in kube-node-lease (name and
//    holder = the node, owned by the Node so it is garbage-collected with it)
//    renewed every lease_renew_interval with optimistic updates of a cached
//    copy; a conflict re-reads it, a deleted Lease is created again, failures
//    back off 200 ms → 7 s. Renewal goes on while the provider's Ping fails:
//    the process is alive, and the node says what is wrong through Ready.
//  * Status: a strategic-merge PATCH of nodes/<name>/status (never a PUT)
//    every status_update_interval and whenever something changes (provider
//    notification, ping result, pods synced). Conditions, labels and
//    annotations written by others are kept; the ones this controller wrote
//    before and no longer reports are removed — it remembers which are its own
//    in the annotation kManagedFieldsAnnotation, so that also works across
//    restarts. lastHeartbeatTime advances on every patch, lastTransitionTime
//    only when a condition's status changes.
//  * Ready (owned by the SDK, whatever the provider reports): False/
//    KubeletNotReady until SetPodsSynced(true); False/ProviderPingFailed with
//    the error as message while Ping fails or times out; True/KubeletReady
//    otherwise.
//  * Ping: every ping_interval, single-flight (a Ping still running is never
//    stacked: the next tick just waits for it), judged failed after
//    ping_timeout, when its Context is also cancelled. Shutdown joins the
//    thread that calls Ping, so Ping must return once its Context is done.
//  * NotifyNodeStatus never blocks the provider: notifications are coalesced
//    (the latest node wins) and written by the controller's own thread.
//
// Threads: Run's own (registration and status), one for the Lease, two for
// Ping (a ticker and the call itself), and an informer's when recreate_node
// is set. All are joined before Run returns.

#ifndef VKUBELET_NODE_NODE_CONTROLLER_H_
#define VKUBELET_NODE_NODE_CONTROLLER_H_

#include <cstdint>
#include <memory>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "vkubelet/clock.h"
#include "vkubelet/context.h"
#include "vkubelet/kube/rest_client.h"
#include "vkubelet/provider.h"
#include "vkubelet/types.h"

namespace vkubelet::node {

// Reference defaults (virtual-kubelet node/node.go, lease_controller_v1.go).
inline constexpr absl::Duration kDefaultPingInterval = absl::Seconds(10);
inline constexpr absl::Duration kDefaultStatusUpdateInterval = absl::Minutes(1);
inline constexpr int32_t kDefaultLeaseDurationSeconds = 40;
inline constexpr double kDefaultRenewIntervalFraction = 0.25;
inline constexpr char kNodeLeaseNamespace[] = "kube-node-lease";

// Where the controller records which labels, annotations, conditions and
// capacity/allocatable entries of the Node are its own (a small JSON object).
inline constexpr char kManagedFieldsAnnotation[] = "vkubelet.io/managed-node-fields";

// Ready condition reasons.
inline constexpr char kReasonKubeletReady[] = "KubeletReady";
inline constexpr char kReasonKubeletNotReady[] = "KubeletNotReady";
inline constexpr char kReasonProviderPingFailed[] = "ProviderPingFailed";

// The provider taint (the reference CLI's --disable-taint and
// VKUBELET_TAINT_KEY / _VALUE / _EFFECT).
struct NodeTaintOptions {
  bool enabled = true;
  std::string key = "virtual-kubelet.io/provider";
  std::string value;                  // "": NodeControllerOptions::provider_name
  std::string effect = "NoSchedule";  // NoSchedule, PreferNoSchedule or NoExecute
};

struct NodeControllerOptions {
  // The Node's name (a DNS subdomain). Required.
  std::string node_name;
  // The provider's name: the default taint value.
  std::string provider_name;
  // The Node to start from (labels, annotations, spec, status). The
  // controller fills the name, the default labels and the fields below where
  // the template leaves them empty; the provider's NodeConfigurer then sees
  // the result and may change anything.
  corev1::Node node_template;
  NodeTaintOptions taint;
  // Reported as the node's InternalIP address (the reference: $VKUBELET_POD_IP).
  // No Hostname address is reported: the API server would prefer it when it
  // connects to the kubelet, and a virtual node's name rarely resolves.
  std::string internal_ip;
  // status.daemonEndpoints.kubeletEndpoint.Port (the reference: $KUBELET_PORT).
  int32_t kubelet_port = 10250;
  // status.nodeInfo and the kubernetes.io/os and kubernetes.io/arch labels.
  std::string operating_system = "linux";
  std::string architecture;     // "": the architecture the SDK was built for (amd64, arm64, …)
  std::string kubelet_version;  // "": "v1.31.4-vkubelet-<SDK version>"

  // Lease heartbeat (always on in the reference's nodeutil).
  bool enable_lease = true;
  int32_t lease_duration_seconds = kDefaultLeaseDurationSeconds;
  // Zero: kDefaultRenewIntervalFraction of the lease duration (10 s). Must be
  // shorter than the lease duration.
  absl::Duration lease_renew_interval = absl::ZeroDuration();

  // Periodic status patches. Zero: kDefaultStatusUpdateInterval with the
  // lease, ping_interval without (status patches are then the heartbeat).
  absl::Duration status_update_interval = absl::ZeroDuration();

  absl::Duration ping_interval = kDefaultPingInterval;
  // A Ping that has not answered after this long counts as failed (it goes on
  // running; no second one starts until it returns). The reference has no
  // timeout; half the interval reports a stuck backend within one interval.
  absl::Duration ping_timeout = absl::Seconds(5);

  // Time allowed to one API request.
  absl::Duration api_timeout = absl::Seconds(30);
  // Retry backoff for failed lease renewals, registration and status patches
  // (doubling; the reference's lease backoff, without its double sleep).
  absl::Duration backoff_initial = absl::Milliseconds(200);
  absl::Duration backoff_max = absl::Seconds(7);

  // Create the Node again when someone deletes it (off by default, as in the
  // reference). The controller watches its Node for this.
  bool recreate_node = false;
  // On shutdown, patch Ready=False ("node is shutting down") before returning
  // (bounded by shutdown_timeout).
  bool mark_not_ready_on_shutdown = false;
  absl::Duration shutdown_timeout = absl::Seconds(5);

  // Drives every interval, timeout, backoff and timestamp. nullptr: the real clock.
  const Clock* clock = nullptr;
};

// A snapshot of counters for the /metrics endpoint.
struct NodeControllerMetrics {
  uint64_t node_creates = 0;     // Node created (first registration or recreation)
  uint64_t status_patches = 0;   // successful PATCH nodes/status
  uint64_t status_failures = 0;  // failed ones
  uint64_t lease_renewals = 0;   // successful renewals (including creations)
  uint64_t lease_creates = 0;
  uint64_t lease_failures = 0;   // renewals that failed (and were retried with backoff)
  uint64_t pings = 0;            // finished Ping calls
  uint64_t ping_failures = 0;    // Ping calls that returned an error
  uint64_t ping_timeouts = 0;    // checks that found a Ping still running after ping_timeout
  absl::Duration ping_latency_total;  // over finished Ping calls
  absl::Duration ping_latency_max;
  absl::Duration ping_latency_last;
  uint64_t notifications = 0;    // NotifyNodeStatus callbacks received
  bool registered = false;
  bool ready = false;            // the last Ready status written was True
};

// Thread-safe. Not copyable.
class NodeController {
 public:
  // Checks the options (InvalidInput naming the bad one). `client` must not be
  // null. `provider` (nullptr: NaiveNodeProvider) and `configurer` (optional)
  // must outlive the controller. No request is sent before Run.
  static absl::StatusOr<std::unique_ptr<NodeController>> New(NodeControllerOptions options,
                                                             std::shared_ptr<kube::RestClient> client,
                                                             NodeProvider* provider = nullptr,
                                                             NodeConfigurer* configurer = nullptr);
  // Stops (and joins) what Start started. A controller driven by Run must
  // not be destroyed before Run returned.
  ~NodeController();
  NodeController(const NodeController&) = delete;
  NodeController& operator=(const NodeController&) = delete;

  // Registers the node, then keeps Lease, status and Ping going until `ctx`
  // is done; returns OK after a clean shutdown (every thread joined, the
  // optional NotReady patch sent). Errors: registration failed permanently
  // (Forbidden, Invalid, …; transient errors are retried), or Run/Start was
  // called before (FailedPrecondition). Call at most once.
  absl::Status Run(const Context& ctx);
  // Run on a thread of the controller's own; returns at once.
  absl::Status Start(const Context& ctx);
  // Cancels Start's run and joins it; Run's result. Idempotent; OK if never started.
  absl::Status Stop();

  // The Ready gate: the wiring calls SetPodsSynced(true) once the pod
  // controller has synced its cache and cleaned up. Never blocks; a change is
  // written at once.
  void SetPodsSynced(bool synced);

  // Block until the Node exists with this controller's UID (created or
  // adopted) / until a Ready=True status has been written. Errors: ctx's, or
  // Run's error if it ended first (FailedPrecondition if it ended cleanly).
  absl::Status WaitRegistered(const Context& ctx) const;
  absl::Status WaitReady(const Context& ctx) const;

  // The Node as the API server last returned it (nullptr before registration).
  std::shared_ptr<const corev1::Node> node() const;
  const std::string& node_name() const;
  NodeControllerMetrics GetMetrics() const;

  class Impl;

 private:
  explicit NodeController(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace vkubelet::node

#endif  // VKUBELET_NODE_NODE_CONTROLLER_H_
