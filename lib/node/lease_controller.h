// Copyright 2026 The vkubelet Authors. Licensed under the Apache License 2.0.
//
// LeaseController: the node's heartbeat Lease (coordination.k8s.io/v1) in
// kube-node-lease, as the kubelet and the reference keep it:
//
//   metadata: {name: <node>, namespace: kube-node-lease,
//              ownerReferences: [{apiVersion: v1, kind: Node, name, uid}]}
//   spec:     {holderIdentity: <node>, leaseDurationSeconds: 40, renewTime: now}
//
// A renewal PUTs the cached copy (from the last response) with a new
// renewTime — no GET in the steady state. A conflict drops the cache and
// re-reads (up to max_update_retries attempts per renewal); a Lease that is
// gone is created again; the owner reference follows the Node's current UID.
// A failed renewal is retried after a backoff that doubles from
// backoff_initial up to backoff_max (one wait per retry).

#ifndef VKUBELET_LIB_NODE_LEASE_CONTROLLER_H_
#define VKUBELET_LIB_NODE_LEASE_CONTROLLER_H_

#include <cstdint>
#include <functional>
#include <optional>
#include <string>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "vkubelet/clock.h"
#include "vkubelet/context.h"
#include "vkubelet/kube/resource_client.h"
#include "vkubelet/types.h"

namespace vkubelet::node::internal {

struct LeaseControllerOptions {
  std::string node_name;
  int32_t duration_seconds = 40;
  absl::Duration renew_interval = absl::Seconds(10);
  absl::Duration backoff_initial = absl::Milliseconds(200);
  absl::Duration backoff_max = absl::Seconds(7);
  absl::Duration api_timeout = absl::Seconds(30);
  int max_update_retries = 5;
  const Clock* clock = nullptr;  // required
};

struct LeaseMetrics {
  uint64_t renewals = 0;  // successful renewals, creations included
  uint64_t creates = 0;
  uint64_t failures = 0;  // renewals that failed (then retried after a backoff)
};

// Thread-safe (Run on one thread; metrics from any).
class LeaseController {
 public:
  // `owner_uid` returns the Node's current UID (read on every renewal).
  LeaseController(LeaseControllerOptions options, kube::ResourceClient<coordinationv1::Lease> leases,
                  std::function<std::string()> owner_uid);

  // Renews at once, then every renew_interval, until `ctx` is done.
  void Run(const Context& ctx);
  // One renewal (with its conflict retries). Errors: the last API error.
  absl::Status RenewOnce(const Context& ctx);

  LeaseMetrics metrics() const;

 private:
  coordinationv1::Lease NewLease(const std::string& uid, absl::Time now) const;
  // Sets holder, duration, renewTime and the owner reference.
  void Refresh(coordinationv1::Lease* lease, const std::string& uid, absl::Time now) const;

  const LeaseControllerOptions options_;
  const kube::ResourceClient<coordinationv1::Lease> leases_;
  const std::function<std::string()> owner_uid_;

  // Only the Run thread touches the cache.
  std::optional<coordinationv1::Lease> cached_;

  mutable absl::Mutex mu_;
  LeaseMetrics metrics_ ABSL_GUARDED_BY(mu_);
};

}  // namespace vkubelet::node::internal

#endif  // VKUBELET_LIB_NODE_LEASE_CONTROLLER_H_
