// Copyright 2026 The vkubelet Authors. Licensed under the Apache License 2.0.

#include "vkubelet/clock.h"

namespace vkubelet {
namespace {

class RealClock : public Clock {
 public:
  absl::Time Now() const override { return absl::Now(); }

  bool WaitWithDeadline(absl::Mutex* mu, absl::CondVar* cv, absl::Time deadline) const override {
    return cv->WaitWithDeadline(mu, deadline);
  }

  absl::Status SleepUntil(const Context& ctx, absl::Time deadline) const override {
    absl::Duration left = deadline - absl::Now();
    if (left > absl::ZeroDuration() && ctx.WaitFor(left)) return ctx.Err();
    return ctx.Done() ? ctx.Err() : absl::OkStatus();
  }
};

}  // namespace

const Clock* Clock::Real() {
  static const RealClock* clock = new RealClock();
  return clock;
}

}  // namespace vkubelet
