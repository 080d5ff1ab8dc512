// Copyright 2026 The vkubelet Authors. Licensed under the Apache License 2.0.

#include "vkubelet/testing/fake_clock.h"

namespace vkubelet::testing {
namespace {
// How often a waiter re-reads the fake time (real time).
constexpr absl::Duration kPoll = absl::Milliseconds(1);
}  // namespace

FakeClock::FakeClock(absl::Time start) : now_(start) {}

absl::Time FakeClock::Now() const {
  absl::MutexLock lock(&mu_);
  return now_;
}

bool FakeClock::WaitWithDeadline(absl::Mutex* mu, absl::CondVar* cv, absl::Time deadline) const {
  {
    absl::MutexLock lock(&mu_);
    if (now_ >= deadline) return true;
    ++waiters_;
  }
  // One bounded real-time wait: the caller loops on its own condition, so a
  // wake-up after kPoll is just a spurious wake-up to it.
  cv->WaitWithTimeout(mu, kPoll);
  absl::MutexLock lock(&mu_);
  --waiters_;
  return now_ >= deadline;
}

absl::Status FakeClock::SleepUntil(const Context& ctx, absl::Time deadline) const {
  {
    absl::MutexLock lock(&mu_);
    ++waiters_;
  }
  absl::Status result = absl::OkStatus();
  for (;;) {
    {
      absl::MutexLock lock(&mu_);
      if (now_ >= deadline) break;
    }
    if (ctx.WaitFor(kPoll)) {
      result = ctx.Err();
      break;
    }
  }
  absl::MutexLock lock(&mu_);
  --waiters_;
  return result;
}

void FakeClock::Advance(absl::Duration d) {
  absl::MutexLock lock(&mu_);
  now_ += d;
}

void FakeClock::SetTime(absl::Time t) {
  absl::MutexLock lock(&mu_);
  now_ = t;
}

int FakeClock::Waiters() const {
  absl::MutexLock lock(&mu_);
  return waiters_;
}

bool FakeClock::AwaitWaiters(int n, absl::Duration timeout) const {
  absl::Time until = absl::Now() + timeout;
  while (absl::Now() < until) {
    if (Waiters() >= n) return true;
    absl::SleepFor(kPoll);
  }
  return Waiters() >= n;
}

}  // namespace vkubelet::testing
