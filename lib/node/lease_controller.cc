// Copyright 2026 The vkubelet Authors. Licensed under the Apache License 2.0.

#include "node/lease_controller.h"

#include <algorithm>
#include <utility>

#include "absl/strings/str_cat.h"
#include "node/node_status.h"
#include "vkubelet/errdefs.h"
#include "vkubelet/log.h"
#include "vkubelet/node/node_controller.h"

namespace vkubelet::node::internal {

LeaseController::LeaseController(LeaseControllerOptions options, kube::ResourceClient<coordinationv1::Lease> leases,
                                 std::function<std::string()> owner_uid)
    : options_(std::move(options)), leases_(std::move(leases)), owner_uid_(std::move(owner_uid)) {}

LeaseMetrics LeaseController::metrics() const {
  absl::MutexLock lock(&mu_);
  return metrics_;
}

void LeaseController::Refresh(coordinationv1::Lease* lease, const std::string& uid, absl::Time now) const {
  auto* spec = lease->mutable_spec();
  spec->set_holderidentity(options_.node_name);
  spec->set_leasedurationseconds(options_.duration_seconds);
  SetMicroTime(now, spec->mutable_renewtime());
  if (uid.empty()) return;
  auto* refs = lease->mutable_metadata()->mutable_ownerreferences();
  for (auto& ref : *refs) {
    if (ref.apiversion() == "v1" && ref.kind() == "Node" && ref.name() == options_.node_name) {
      if (ref.uid() != uid) ref.set_uid(uid);
      return;
    }
  }
  auto* ref = refs->Add();
  ref->set_apiversion("v1");
  ref->set_kind("Node");
  ref->set_name(options_.node_name);
  ref->set_uid(uid);
}

coordinationv1::Lease LeaseController::NewLease(const std::string& uid, absl::Time now) const {
  coordinationv1::Lease lease;
  lease.mutable_metadata()->set_name(options_.node_name);
  lease.mutable_metadata()->set_namespace_(kNodeLeaseNamespace);
  Refresh(&lease, uid, now);
  SetMicroTime(now, lease.mutable_spec()->mutable_acquiretime());
  return lease;
}

absl::Status LeaseController::RenewOnce(const Context& ctx) {
  // One renewTime for every attempt of this renewal.
  const absl::Time now = options_.clock->Now();
  absl::Status last = absl::OkStatus();
  for (int attempt = 0; attempt < std::max(1, options_.max_update_retries); ++attempt) {
    if (ctx.Done()) return ctx.Err();
    const std::string uid = owner_uid_ ? owner_uid_() : std::string();
    const Context call = ctx.WithTimeout(options_.api_timeout);
    if (!cached_.has_value()) {
      auto got = leases_.Get(call, kNodeLeaseNamespace, options_.node_name);
      if (errdefs::IsNotFound(got.status())) {
        // Without the owner the Lease would outlive a deleted Node; the
        // reference does not create it either.
        if (uid.empty()) return errdefs::Unavailable("the Node's UID is not known yet");
        auto created = leases_.Create(call, NewLease(uid, now));
        if (created.ok()) {
          cached_ = *std::move(created);
          absl::MutexLock lock(&mu_);
          ++metrics_.creates;
          return absl::OkStatus();
        }
        last = created.status();
        if (errdefs::IsAlreadyExists(last)) continue;  // someone was faster: read it
        return last;
      }
      if (!got.ok()) return got.status();
      cached_ = *std::move(got);
    }
    coordinationv1::Lease lease = *cached_;
    Refresh(&lease, uid, now);
    auto updated = leases_.Update(call, lease);
    if (updated.ok()) {
      cached_ = *std::move(updated);
      return absl::OkStatus();
    }
    last = updated.status();
    // Whatever went wrong, the cached copy may be stale: read it again.
    cached_.reset();
    if (!errdefs::IsConflict(last) && !errdefs::IsNotFound(last)) return last;
  }
  return errdefs::Annotate(last, absl::StrCat("renewing lease after ", options_.max_update_retries, " attempts"));
}

void LeaseController::Run(const Context& ctx) {
  const Clock* clock = options_.clock;
  absl::Time next = clock->Now();
  absl::Duration backoff = options_.backoff_initial;
  while (clock->SleepUntil(ctx, next).ok()) {
    // The schedule counts from the start of a renewal, not from its end.
    const absl::Time started = clock->Now();
    absl::Status s = RenewOnce(ctx);
    if (ctx.Done()) return;
    if (s.ok()) {
      {
        absl::MutexLock lock(&mu_);
        ++metrics_.renewals;
      }
      backoff = options_.backoff_initial;
      next = started + options_.renew_interval;
      continue;
    }
    {
      absl::MutexLock lock(&mu_);
      ++metrics_.failures;
    }
    log::Warning(ctx, "Failed to renew node lease", {{"error", s}, {"retry_in", backoff}});
    next = started + backoff;
    backoff = std::min(backoff * 2, options_.backoff_max);
  }
}

}  // namespace vkubelet::node::internal
