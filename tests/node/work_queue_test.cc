// Copyright 2026 The vkubelet Authors. Licensed under the Apache License 2.0.

#include "vkubelet/node/work_queue.h"

#include <doctest/doctest.h>

#include <atomic>
#include <map>
#include <thread>
#include <vector>

#include "absl/synchronization/mutex.h"
#include "absl/synchronization/notification.h"
#include "vkubelet/errdefs.h"
#include "vkubelet/testing/fake_clock.h"

namespace vkubelet::node {
namespace {

using testing::FakeClock;

// Runs a queue on a background thread for the duration of a test.
class Runner {
 public:
  Runner(WorkQueue* q, int workers) {
    auto [ctx, cancel] = Context::Background().WithCancel();
    ctx_ = ctx;
    cancel_ = cancel;
    thread_ = std::thread([q, workers, this] { q->Run(ctx_, workers); });
  }
  ~Runner() { Stop(); }
  void Stop() {
    if (thread_.joinable()) {
      cancel_();
      thread_.join();
    }
  }

 private:
  Context ctx_ = Context::Background();
  CancelFn cancel_;
  std::thread thread_;
};

// Records handler calls and lets a test wait for them.
struct Recorder {
  absl::Mutex mu;
  std::vector<std::string> calls ABSL_GUARDED_BY(mu);
  void Add(const std::string& key) {
    absl::MutexLock lock(&mu);
    calls.push_back(key);
  }
  size_t Count(const std::string& key) {
    absl::MutexLock lock(&mu);
    return std::count(calls.begin(), calls.end(), key);
  }
  bool WaitCount(const std::string& key, size_t n, absl::Duration timeout = absl::Seconds(10)) {
    absl::MutexLock lock(&mu);
    auto cond = [&]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu) {
      return static_cast<size_t>(std::count(calls.begin(), calls.end(), key)) >= n;
    };
    return mu.AwaitWithTimeout(absl::Condition(&cond), timeout);
  }
};

TEST_CASE("enqueued keys run; duplicates while queued collapse") {
  FakeClock clock;
  Recorder rec;
  absl::Notification gate;
  WorkQueue q({.clock = &clock}, [&](const Context&, const std::string& key) {
    if (key == "block") gate.WaitForNotification();
    rec.Add(key);
    return absl::OkStatus();
  });
  // One worker busy on "block" so the duplicates pile up while queued.
  Runner runner(&q, 1);
  q.Enqueue("block");
  for (int i = 0; i < 100; ++i) q.Enqueue("a");
  gate.Notify();
  CHECK(rec.WaitCount("a", 1));
  CHECK(rec.WaitCount("block", 1));
  runner.Stop();
  CHECK(rec.Count("a") == 1);
}

TEST_CASE("a key is never processed concurrently and re-runs when enqueued during processing") {
  FakeClock clock;
  std::atomic<int> in_flight{0};
  std::atomic<int> max_in_flight{0};
  std::atomic<int> runs{0};
  absl::Notification started, release;
  WorkQueue q({.clock = &clock}, [&](const Context&, const std::string&) {
    int now = ++in_flight;
    max_in_flight = std::max(max_in_flight.load(), now);
    if (runs++ == 0) {
      started.Notify();
      release.WaitForNotification();
    }
    --in_flight;
    return absl::OkStatus();
  });
  Runner runner(&q, 4);
  q.Enqueue("k");
  REQUIRE(started.WaitForNotificationWithTimeout(absl::Seconds(10)));
  q.Enqueue("k");  // dirty: must run again after the first run
  q.Enqueue("k");
  release.Notify();
  for (int i = 0; i < 1000 && runs < 2; ++i) absl::SleepFor(absl::Milliseconds(5));
  runner.Stop();
  CHECK(runs == 2);
  CHECK(max_in_flight == 1);
}

TEST_CASE("failures are retried with exponential backoff on the clock") {
  FakeClock clock;
  absl::Mutex mu;
  std::vector<absl::Time> attempts;
  WorkQueue q({.base_delay = absl::Milliseconds(5), .clock = &clock}, [&](const Context&, const std::string&) {
    absl::MutexLock lock(&mu);
    attempts.push_back(clock.Now());
    return attempts.size() < 4 ? errdefs::Unavailable("backend busy") : absl::OkStatus();
  });
  Runner runner(&q, 1);
  absl::Time start = clock.Now();
  q.Enqueue("k");
  auto wait_attempts = [&](size_t n) {
    absl::MutexLock lock(&mu);
    auto cond = [&]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu) { return attempts.size() >= n; };
    return mu.AwaitWithTimeout(absl::Condition(&cond), absl::Seconds(10));
  };
  // A retry is scheduled when the failed run finishes; advance time only after that.
  auto wait_requeued = [&] {
    for (int i = 0; i < 10000; ++i) {
      auto st = q.GetStats();
      if (st.processing == 0 && st.queued == 1) return true;
      absl::SleepFor(absl::Milliseconds(1));
    }
    return false;
  };
  REQUIRE(wait_attempts(1));
  REQUIRE(wait_requeued());
  // The retry is not due before 5 ms of clock time pass.
  clock.Advance(absl::Milliseconds(4));
  absl::SleepFor(absl::Milliseconds(20));
  {
    absl::MutexLock lock(&mu);
    CHECK(attempts.size() == 1);
  }
  clock.Advance(absl::Milliseconds(1));
  REQUIRE(wait_attempts(2));
  REQUIRE(wait_requeued());
  clock.Advance(absl::Milliseconds(10));  // second retry: 10 ms
  REQUIRE(wait_attempts(3));
  REQUIRE(wait_requeued());
  clock.Advance(absl::Milliseconds(20));  // third retry: 20 ms
  REQUIRE(wait_attempts(4));
  runner.Stop();
  absl::MutexLock lock(&mu);
  CHECK(attempts[1] - start == absl::Milliseconds(5));
  CHECK(attempts[2] - start == absl::Milliseconds(15));
  CHECK(attempts[3] - start == absl::Milliseconds(35));
  CHECK(q.GetStats().retries == 3);
}

TEST_CASE("a key that keeps failing is dropped after max_retries with a callback") {
  FakeClock clock;
  std::atomic<int> runs{0};
  absl::Notification dropped;
  int dropped_attempts = 0;
  WorkQueue q(
      {.base_delay = absl::Milliseconds(1), .max_delay = absl::Milliseconds(1), .max_retries = 5, .clock = &clock},
      [&](const Context&, const std::string&) {
        runs++;
        return errdefs::Internal("boom");
      },
      [&](const std::string& key, const absl::Status& err, int attempts) {
        CHECK(key == "k");
        CHECK(errdefs::Reason(err) == "InternalError");
        dropped_attempts = attempts;
        dropped.Notify();
      });
  Runner runner(&q, 2);
  q.Enqueue("k");
  while (!dropped.HasBeenNotified()) {
    clock.Advance(absl::Milliseconds(1));
    absl::SleepFor(absl::Milliseconds(1));
  }
  runner.Stop();
  CHECK(runs == 5);
  CHECK(dropped_attempts == 5);
  CHECK(q.GetStats().dropped == 1);
}

TEST_CASE("permanent errors are dropped at once") {
  FakeClock clock;
  std::atomic<int> runs{0};
  absl::Notification dropped;
  WorkQueue q(
      {.clock = &clock},
      [&](const Context&, const std::string&) {
        runs++;
        return errdefs::InvalidInput("bad pod");
      },
      [&](const std::string&, const absl::Status&, int) { dropped.Notify(); });
  Runner runner(&q, 1);
  q.Enqueue("k");
  CHECK(dropped.WaitForNotificationWithTimeout(absl::Seconds(10)));
  runner.Stop();
  CHECK(runs == 1);
}

TEST_CASE("delayed enqueue and Forget") {
  FakeClock clock;
  Recorder rec;
  WorkQueue q({.clock = &clock}, [&](const Context&, const std::string& key) {
    rec.Add(key);
    return absl::OkStatus();
  });
  Runner runner(&q, 1);
  q.EnqueueAfter("later", absl::Seconds(30));
  q.EnqueueAfter("forgotten", absl::Seconds(10));
  q.Forget("forgotten");
  q.EnqueueAfter("later", absl::Seconds(60));  // never moves later
  CHECK(q.GetStats().queued == 1);
  clock.Advance(absl::Seconds(29));
  absl::SleepFor(absl::Milliseconds(20));
  CHECK(rec.Count("later") == 0);
  clock.Advance(absl::Seconds(1));
  CHECK(rec.WaitCount("later", 1));
  clock.Advance(absl::Seconds(60));
  absl::SleepFor(absl::Milliseconds(20));
  runner.Stop();
  CHECK(rec.Count("later") == 1);
  CHECK(rec.Count("forgotten") == 0);
}

TEST_CASE("Run returns after cancellation and waits for the run in progress") {
  std::atomic<bool> finished{false};
  absl::Notification started;
  WorkQueue q({}, [&](const Context& ctx, const std::string&) {
    started.Notify();
    ctx.Wait();  // a handler that honours cancellation
    finished = true;
    return ctx.Err();
  });
  auto [ctx, cancel] = Context::Background().WithCancel();
  std::thread t([&, c = ctx] { q.Run(c, 3); });
  q.Enqueue("k");
  REQUIRE(started.WaitForNotificationWithTimeout(absl::Seconds(10)));
  cancel();
  t.join();
  CHECK(finished);
}

}  // namespace
}  // namespace vkubelet::node
