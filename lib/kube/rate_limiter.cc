// Copyright 2026 The vkubelet Authors. Licensed under the Apache License 2.0.

#include "kube/rate_limiter.h"

#include <algorithm>

namespace vkubelet::kube::internal {

TokenBucket::TokenBucket(double qps, int burst, const Clock* clock)
    : qps_(qps), burst_(std::max(1, burst)), clock_(clock), tokens_(std::max(1, burst)), last_(clock->Now()) {}

void TokenBucket::RefillLocked(absl::Time now) {
  if (now > last_) {
    tokens_ = std::min(burst_, tokens_ + absl::ToDoubleSeconds(now - last_) * qps_);
    last_ = now;
  }
}

bool TokenBucket::TryAccept() {
  if (qps_ <= 0) return true;
  absl::MutexLock lock(&mu_);
  RefillLocked(clock_->Now());
  if (tokens_ < 1) return false;
  tokens_ -= 1;
  return true;
}

absl::Status TokenBucket::Wait(const Context& ctx, absl::Duration* waited) {
  if (waited) *waited = absl::ZeroDuration();
  if (qps_ <= 0) return ctx.Err();
  absl::Time now = clock_->Now();
  absl::Time ready;
  {
    absl::MutexLock lock(&mu_);
    RefillLocked(now);
    // Reserve: the balance may go negative; the debt says how long to wait.
    tokens_ -= 1;
    if (tokens_ >= 0) return absl::OkStatus();
    ready = now + absl::Seconds(-tokens_ / qps_);
    // Deadlines are real time; compare the remaining time, not clock values.
    if (ready - now > ctx.Remaining()) {
      tokens_ += 1;
      return absl::DeadlineExceededError("client rate limiter: waiting for a token would pass the deadline");
    }
  }
  absl::Status s = clock_->SleepUntil(ctx, ready);
  if (waited) *waited = ready - now;
  if (!s.ok()) {
    absl::MutexLock lock(&mu_);
    tokens_ += 1;  // give the reservation back
    return s;
  }
  return absl::OkStatus();
}

}  // namespace vkubelet::kube::internal
