// Copyright 2026 The vkubelet Authors. Licensed under the Apache License 2.0.
//
// A token bucket (client-go's flowcontrol.NewTokenBucketRateLimiter): `burst`
// tokens, refilled at `qps` per second. Private to lib/kube.

#ifndef VKUBELET_LIB_KUBE_RATE_LIMITER_H_
#define VKUBELET_LIB_KUBE_RATE_LIMITER_H_

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "vkubelet/clock.h"
#include "vkubelet/context.h"

namespace vkubelet::kube::internal {

// Thread-safe. Waiters are served in the order they reserved a token.
class TokenBucket {
 public:
  // qps <= 0 disables limiting.
  TokenBucket(double qps, int burst, const Clock* clock);

  // Takes a token, sleeping (on the clock) until one is available. Fails
  // without taking a token when ctx ends first or when the wait would pass
  // ctx's deadline (DeadlineExceeded, returned at once). `waited` (optional)
  // receives the time spent waiting.
  absl::Status Wait(const Context& ctx, absl::Duration* waited = nullptr);

  // Takes a token if one is available now.
  bool TryAccept();

 private:
  void RefillLocked(absl::Time now) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  const double qps_;
  const double burst_;
  const Clock* clock_;
  absl::Mutex mu_;
  double tokens_ ABSL_GUARDED_BY(mu_);
  absl::Time last_ ABSL_GUARDED_BY(mu_);
};

}  // namespace vkubelet::kube::internal

#endif  // VKUBELET_LIB_KUBE_RATE_LIMITER_H_
