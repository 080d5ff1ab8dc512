// Copyright 2026 The vkubelet Authors. Licensed under the Apache License 2.0.

#include "node/ping_controller.h"

#include <algorithm>
#include <string>
#include <utility>

#include "absl/strings/str_cat.h"
#include "vkubelet/log.h"

namespace vkubelet::node::internal {

PingController::PingController(NodeProvider* provider, absl::Duration interval, absl::Duration timeout,
                               const Clock* clock, std::function<void()> on_change)
    : provider_(provider), interval_(interval), timeout_(timeout), clock_(clock), on_change_(std::move(on_change)) {}

PingController::~PingController() { Stop(); }

void PingController::Start(const Context& ctx) {
  {
    absl::MutexLock lock(&mu_);
    if (started_) return;
    started_ = true;
  }
  auto [c, cancel] = ctx.WithCancel();
  ctx_ = c;
  cancel_ = std::move(cancel);
  // The parent ending stops the loops like Stop() does (minus the join).
  on_cancel_ = ctx_.OnCancel([this] {
    absl::MutexLock lock(&mu_);
    stop_ = true;
    cv_.SignalAll();
  });
  ticker_ = std::thread([this] { TickerLoop(); });
  caller_ = std::thread([this] { CallerLoop(); });
}

void PingController::Stop() {
  CancelFn call_cancel;
  {
    absl::MutexLock lock(&mu_);
    stop_ = true;
    call_cancel = call_cancel_;
    cv_.SignalAll();
  }
  if (cancel_) cancel_();
  if (call_cancel) call_cancel();
  if (ticker_.joinable()) ticker_.join();
  if (caller_.joinable()) caller_.join();
  on_cancel_.Reset();
}

std::optional<absl::Status> PingController::Result() const {
  absl::MutexLock lock(&mu_);
  return result_;
}

PingMetrics PingController::metrics() const {
  absl::MutexLock lock(&mu_);
  return metrics_;
}

bool PingController::Record(const absl::Status& s) {
  bool changed = !result_.has_value() || result_->code() != s.code() || result_->message() != s.message();
  result_ = s;
  return changed;
}

void PingController::TickerLoop() {
  absl::Time next = clock_->Now();
  mu_.Lock();
  while (!stop_) {
    while (!stop_ && !clock_->WaitWithDeadline(&mu_, &cv_, next)) {
    }
    if (stop_) break;
    const absl::Time tick = clock_->Now();
    if (!in_flight_) {
      in_flight_ = true;
      ++requested_;
      call_started_ = tick;
      cv_.SignalAll();
    }
    const uint64_t call = requested_;
    const absl::Time deadline = call_started_ + timeout_;
    while (!stop_ && in_flight_ && !clock_->WaitWithDeadline(&mu_, &cv_, deadline)) {
    }
    if (stop_) break;
    bool changed = false;
    CancelFn cancel_call;
    if (in_flight_) {
      ++metrics_.timeouts;
      if (timed_out_ != call) {
        timed_out_ = call;
        cancel_call = call_cancel_;
      }
      changed = Record(absl::DeadlineExceededError(
          absl::StrCat("provider Ping did not answer within ", absl::FormatDuration(timeout_))));
    }
    next = tick + interval_;
    if (changed || cancel_call) {
      mu_.Unlock();
      if (cancel_call) cancel_call();
      if (changed && on_change_) on_change_();
      mu_.Lock();
    }
  }
  mu_.Unlock();
}

void PingController::CallerLoop() {
  uint64_t done = 0;
  mu_.Lock();
  while (true) {
    while (!stop_ && requested_ == done) cv_.Wait(&mu_);
    if (stop_) break;
    const uint64_t call = requested_;
    done = call;
    auto [call_ctx, call_cancel] = ctx_.WithCancel();
    call_cancel_ = call_cancel;
    const absl::Time start = clock_->Now();
    mu_.Unlock();

    absl::Status s = provider_->Ping(call_ctx);
    call_cancel();
    if (!s.ok()) log::Debug(ctx_, "Provider ping failed", {{"error", s}});

    mu_.Lock();
    call_cancel_ = nullptr;
    in_flight_ = false;
    if (stop_) break;
    const absl::Duration latency = clock_->Now() - start;
    ++metrics_.pings;
    if (!s.ok()) ++metrics_.failures;
    metrics_.latency_total += latency;
    metrics_.latency_last = latency;
    metrics_.latency_max = std::max(metrics_.latency_max, latency);
    // The error of a call we cancelled for taking too long says less than
    // the timeout already recorded; its success still counts.
    bool changed = false;
    if (s.ok() || timed_out_ != call) changed = Record(s);
    cv_.SignalAll();
    if (changed) {
      mu_.Unlock();
      if (on_change_) on_change_();
      mu_.Lock();
    }
  }
  mu_.Unlock();
}

}  // namespace vkubelet::node::internal
