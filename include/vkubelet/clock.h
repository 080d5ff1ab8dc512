// Copyright 2026 The vkubelet Authors. Licensed under the Apache License 2.0.
//
// Clock: the one place timing logic reads the time, so tests can drive time
// with testing::FakeClock instead of sleeping.

#ifndef VKUBELET_CLOCK_H_
#define VKUBELET_CLOCK_H_

#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "vkubelet/context.h"

namespace vkubelet {

// Thread-safe.
class Clock {
 public:
  virtual ~Clock() = default;

  virtual absl::Time Now() const = 0;

  // Waits on `cv` (with `mu` held, as absl::CondVar::Wait) until it is
  // signalled or this clock reaches `deadline`. Returns true if the deadline
  // was reached. Spurious wake-ups are possible: callers re-check their state.
  virtual bool WaitWithDeadline(absl::Mutex* mu, absl::CondVar* cv, absl::Time deadline) const = 0;

  // Sleeps until this clock reaches `deadline` or `ctx` is done. Returns
  // ctx.Err() if the context ended first, OkStatus otherwise.
  virtual absl::Status SleepUntil(const Context& ctx, absl::Time deadline) const = 0;

  absl::Status SleepFor(const Context& ctx, absl::Duration d) const { return SleepUntil(ctx, Now() + d); }

  // The process-wide real clock (absl::Now). Never null, never destroyed.
  static const Clock* Real();
};

}  // namespace vkubelet

#endif  // VKUBELET_CLOCK_H_
