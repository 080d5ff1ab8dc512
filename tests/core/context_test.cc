// Copyright 2026 The vkubelet Authors. Licensed under the Apache License 2.0.

#include "vkubelet/context.h"

#include <doctest/doctest.h>

#include <atomic>
#include <thread>

#include "absl/synchronization/notification.h"
#include "vkubelet/clock.h"

namespace vkubelet {
namespace {

TEST_CASE("Background is never done") {
  Context ctx = Context::Background();
  CHECK_FALSE(ctx.Done());
  CHECK(ctx.Err().ok());
  CHECK(ctx.Deadline() == absl::InfiniteFuture());
  CHECK(ctx.Remaining() == absl::InfiniteDuration());
  CHECK_FALSE(ctx.WaitFor(absl::Milliseconds(1)));
}

TEST_CASE("cancel propagates to children but not to parents") {
  auto [parent, cancel_parent] = Context::Background().WithCancel();
  auto [child, cancel_child] = parent.WithCancel();
  auto [grandchild, cancel_grandchild] = child.WithCancel();
  (void)cancel_grandchild;

  cancel_child();
  CHECK(child.Done());
  CHECK(grandchild.Done());
  CHECK_FALSE(parent.Done());
  CHECK(absl::IsCancelled(grandchild.Err()));

  auto [other, cancel_other] = parent.WithCancel();
  (void)cancel_other;
  cancel_parent();
  CHECK(other.Done());
  cancel_parent();  // idempotent
}

TEST_CASE("deadline fires OnCancel and Err is DeadlineExceeded") {
  Context ctx = Context::Background().WithTimeout(absl::Milliseconds(20));
  absl::Notification fired;
  auto reg = ctx.OnCancel([&] { fired.Notify(); });
  CHECK(fired.WaitForNotificationWithTimeout(absl::Seconds(5)));
  CHECK(ctx.Done());
  CHECK(absl::IsDeadlineExceeded(ctx.Err()));
  CHECK(ctx.Remaining() == absl::ZeroDuration());
}

TEST_CASE("child deadline never extends the parent's") {
  Context parent = Context::Background().WithTimeout(absl::Milliseconds(50));
  Context child = parent.WithTimeout(absl::Hours(1));
  CHECK(child.Deadline() == parent.Deadline());
  CHECK(child.WaitFor(absl::Seconds(5)));
}

TEST_CASE("OnCancel on a done context runs at once; reset registrations never run") {
  auto [ctx, cancel] = Context::Background().WithCancel();
  std::atomic<int> runs{0};
  {
    auto reg = ctx.OnCancel([&] { runs++; });
  }  // dropped before cancel
  auto kept = ctx.OnCancel([&] { runs += 10; });
  cancel();
  CHECK(runs == 10);
  auto late = ctx.OnCancel([&] { runs += 100; });
  CHECK(runs == 110);
}

TEST_CASE("WaitFor wakes when another thread cancels") {
  auto [ctx, cancel] = Context::Background().WithCancel();
  std::thread t([c = cancel] {
    absl::SleepFor(absl::Milliseconds(10));
    c();
  });
  CHECK(ctx.WaitFor(absl::Seconds(10)));
  t.join();
}

TEST_CASE("log fields accumulate") {
  Context ctx = Context::Background().WithField("node", "vk").WithFields({{"pod", "a/b"}});
  REQUIRE(ctx.fields().size() == 2);
  CHECK(ctx.fields()[0].key == "node");
  CHECK(ctx.fields()[1].value == "a/b");
  CHECK(Context::Background().fields().empty());
}

TEST_CASE("real clock sleeps are cut short by cancellation") {
  auto [ctx, cancel] = Context::Background().WithCancel();
  cancel();
  absl::Time start = absl::Now();
  CHECK(absl::IsCancelled(Clock::Real()->SleepFor(ctx, absl::Seconds(30))));
  CHECK(absl::Now() - start < absl::Seconds(5));
  CHECK(Clock::Real()->SleepFor(Context::Background(), absl::Milliseconds(1)).ok());
}

}  // namespace
}  // namespace vkubelet
