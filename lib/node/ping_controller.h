// Copyright 2026 The vkubelet Authors. Licensed under the Apache License 2.0.
//
// PingController: calls NodeProvider::Ping every interval and keeps the last
// result for the node's Ready condition.
//
//  * Single flight: one Ping at a time. A tick that finds the previous call
//    still running starts nothing; the call is judged failed
//    (DeadlineExceeded) once it has run for `timeout`, and its Context is
//    cancelled then. A call that still returns OK afterwards counts.
//  * `on_change` runs (on a controller thread, without locks held) whenever
//    the result changes between OK and an error, or to another error.
//  * Ticks, timeouts and latencies are read from the injected Clock.

#ifndef VKUBELET_LIB_NODE_PING_CONTROLLER_H_
#define VKUBELET_LIB_NODE_PING_CONTROLLER_H_

#include <cstdint>
#include <functional>
#include <optional>
#include <thread>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "vkubelet/clock.h"
#include "vkubelet/context.h"
#include "vkubelet/provider.h"

namespace vkubelet::node::internal {

struct PingMetrics {
  uint64_t pings = 0;     // finished calls
  uint64_t failures = 0;  // finished calls that returned an error
  uint64_t timeouts = 0;  // checks that found a call running for `timeout`
  absl::Duration latency_total;
  absl::Duration latency_max;
  absl::Duration latency_last;
};

// Thread-safe.
class PingController {
 public:
  PingController(NodeProvider* provider, absl::Duration interval, absl::Duration timeout, const Clock* clock,
                 std::function<void()> on_change);
  ~PingController();
  PingController(const PingController&) = delete;
  PingController& operator=(const PingController&) = delete;

  // Starts the ticker and the calling thread; the first Ping starts at once.
  // They run until Stop() or until `ctx` is done. Call once.
  void Start(const Context& ctx);
  // Cancels the running Ping's Context and joins both threads (a provider's
  // Ping must return once its Context is cancelled). Idempotent.
  void Stop();

  // The latest result; nullopt until the first call finished or timed out.
  std::optional<absl::Status> Result() const;
  PingMetrics metrics() const;

 private:
  void TickerLoop();
  void CallerLoop();
  // Stores `s` as the result; true if that changed it.
  bool Record(const absl::Status& s) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  NodeProvider* const provider_;
  const absl::Duration interval_;
  const absl::Duration timeout_;
  const Clock* const clock_;
  const std::function<void()> on_change_;

  Context ctx_ = Context::Background();
  CancelFn cancel_;
  CancelRegistration on_cancel_;
  std::thread ticker_;
  std::thread caller_;

  mutable absl::Mutex mu_;
  absl::CondVar cv_;
  bool started_ ABSL_GUARDED_BY(mu_) = false;
  bool stop_ ABSL_GUARDED_BY(mu_) = false;
  bool in_flight_ ABSL_GUARDED_BY(mu_) = false;
  uint64_t requested_ ABSL_GUARDED_BY(mu_) = 0;  // calls asked for by the ticker
  uint64_t timed_out_ ABSL_GUARDED_BY(mu_) = 0;  // the last call judged failed for taking too long
  absl::Time call_started_ ABSL_GUARDED_BY(mu_);
  CancelFn call_cancel_ ABSL_GUARDED_BY(mu_);
  std::optional<absl::Status> result_ ABSL_GUARDED_BY(mu_);
  PingMetrics metrics_ ABSL_GUARDED_BY(mu_);
};

}  // namespace vkubelet::node::internal

#endif  // VKUBELET_LIB_NODE_PING_CONTROLLER_H_
