// Copyright 2026 The vkubelet Authors. Licensed under the Apache License 2.0.
//
// FakeClock: a Clock whose time moves only when a test says so, so timing
// logic (lease renewals, status intervals, backoffs) is tested without sleeps.

#ifndef VKUBELET_TESTING_FAKE_CLOCK_H_
#define VKUBELET_TESTING_FAKE_CLOCK_H_

#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "vkubelet/clock.h"

namespace vkubelet::testing {

// Thread-safe. Waiters (WaitWithDeadline, SleepUntil) wake up when Advance or
// SetTime moves the time past their deadline; they re-check at least every
// millisecond of real time, so a signal is never lost.
class FakeClock : public Clock {
 public:
  explicit FakeClock(absl::Time start = absl::FromUnixSeconds(1'700'000'000));

  absl::Time Now() const override;
  bool WaitWithDeadline(absl::Mutex* mu, absl::CondVar* cv, absl::Time deadline) const override;
  absl::Status SleepUntil(const Context& ctx, absl::Time deadline) const override;

  void Advance(absl::Duration d);
  void SetTime(absl::Time t);
  // Number of threads currently sleeping or waiting on this clock (lets a test
  // wait until a component has parked before advancing time).
  int Waiters() const;
  // Blocks (real time, up to `timeout`) until at least `n` threads wait on the
  // clock. Returns false on timeout.
  bool AwaitWaiters(int n, absl::Duration timeout = absl::Seconds(10)) const;

 private:
  mutable absl::Mutex mu_;
  absl::Time now_ ABSL_GUARDED_BY(mu_);
  mutable int waiters_ ABSL_GUARDED_BY(mu_) = 0;
};

}  // namespace vkubelet::testing

#endif  // VKUBELET_TESTING_FAKE_CLOCK_H_
