// Copyright 2026 The vkubelet Authors. Licensed under the Apache License 2.0.

#include "vkubelet/node/work_queue.h"

#include <algorithm>
#include <cmath>
#include <thread>
#include <vector>

#include "vkubelet/errdefs.h"
#include "vkubelet/log.h"

namespace vkubelet::node {

WorkQueue::WorkQueue(WorkQueueOptions options, Handler handler, DropHandler on_drop)
    : options_(std::move(options)),
      clock_(options_.clock ? options_.clock : Clock::Real()),
      handler_(std::move(handler)),
      on_drop_(std::move(on_drop)) {
  absl::MutexLock lock(&mu_);
  tokens_ = std::max(1, options_.burst);
  tokens_at_ = clock_->Now();
}

WorkQueue::~WorkQueue() = default;

void WorkQueue::QueueLocked(const std::string& key, absl::Time when) {
  Item& item = items_[key];
  if (item.processing) {
    if (!item.dirty || when < item.dirty_ready) item.dirty_ready = when;
    item.dirty = true;
    item.forget = false;
    return;
  }
  if (item.queued) {
    if (when >= item.ready) return;  // only ever earlier
    ready_.erase({item.ready, key});
  }
  item.queued = true;
  item.ready = when;
  ready_.emplace(when, key);
  cv_.Signal();
}

void WorkQueue::Enqueue(const std::string& key) {
  absl::MutexLock lock(&mu_);
  QueueLocked(key, clock_->Now());
}

void WorkQueue::EnqueueAfter(const std::string& key, absl::Duration delay) {
  absl::MutexLock lock(&mu_);
  QueueLocked(key, clock_->Now() + std::max(delay, absl::ZeroDuration()));
}

absl::Duration WorkQueue::BackoffLocked(int failures) {
  // Per-key exponential backoff.
  double factor = std::ldexp(1.0, std::min(failures, 60));
  absl::Duration per_item = options_.base_delay * factor;
  if (per_item > options_.max_delay || per_item < absl::ZeroDuration()) per_item = options_.max_delay;
  // Overall token bucket shared by every retry of this queue.
  absl::Duration overall = absl::ZeroDuration();
  if (options_.qps > 0) {
    absl::Time now = clock_->Now();
    double elapsed = absl::ToDoubleSeconds(now - tokens_at_);
    if (elapsed > 0) tokens_ = std::min<double>(options_.burst, tokens_ + elapsed * options_.qps);
    tokens_at_ = std::max(tokens_at_, now);
    tokens_ -= 1;
    if (tokens_ < 0) overall = absl::Seconds(-tokens_ / options_.qps);
  }
  return std::max(per_item, overall);
}

void WorkQueue::EnqueueRateLimited(const std::string& key) {
  absl::MutexLock lock(&mu_);
  int failures = items_[key].failures;
  QueueLocked(key, clock_->Now() + BackoffLocked(failures));
}

void WorkQueue::Forget(const std::string& key) {
  absl::MutexLock lock(&mu_);
  auto it = items_.find(key);
  if (it == items_.end()) return;
  Item& item = it->second;
  if (item.queued) ready_.erase({item.ready, key});
  if (item.processing) {
    item.queued = false;
    item.dirty = false;
    item.forget = true;
    return;
  }
  items_.erase(it);
}

void WorkQueue::Run(const Context& ctx, int workers) {
  workers = std::max(1, workers);
  auto reg = ctx.OnCancel([this] {
    absl::MutexLock lock(&mu_);
    stopping_ = true;
    cv_.SignalAll();
  });
  std::vector<std::thread> threads;
  threads.reserve(workers);
  for (int i = 0; i < workers; ++i) threads.emplace_back([this, &ctx] { Worker(ctx); });
  for (auto& t : threads) t.join();
}

void WorkQueue::Worker(const Context& ctx) {
  for (;;) {
    std::string key;
    absl::Time ready;
    {
      absl::MutexLock lock(&mu_);
      for (;;) {
        if (stopping_ || ctx.Done()) return;
        if (!ready_.empty()) {
          absl::Time now = clock_->Now();
          auto first = ready_.begin();
          if (first->first <= now) {
            ready = first->first;
            key = first->second;
            ready_.erase(first);
            break;
          }
          clock_->WaitWithDeadline(&mu_, &cv_, first->first);
        } else {
          cv_.Wait(&mu_);
        }
      }
      Item& item = items_[key];
      item.queued = false;
      item.processing = true;
      stats_.processing++;
      stats_.total_latency += std::max(absl::ZeroDuration(), clock_->Now() - ready);
    }
    absl::Status status;
    try {
      status = handler_(ctx, key);
    } catch (const std::exception& e) {
      status = errdefs::Internal(std::string("handler threw: ") + e.what());
    } catch (...) {
      status = errdefs::Internal("handler threw");
    }
    Finish(key, status, ctx);
  }
}

void WorkQueue::Finish(const std::string& key, const absl::Status& status, const Context& ctx) {
  bool drop = false;
  int attempts = 0;
  {
    absl::MutexLock lock(&mu_);
    stats_.processing--;
    stats_.processed++;
    auto it = items_.find(key);
    if (it == items_.end()) return;
    Item& item = it->second;
    item.processing = false;
    if (item.forget) {
      items_.erase(it);
      return;
    }
    absl::Time now = clock_->Now();
    if (status.ok()) {
      item.failures = 0;
      if (item.dirty) {
        item.dirty = false;
        QueueLocked(key, item.dirty_ready);
      } else {
        items_.erase(it);
      }
      return;
    }
    stats_.failures++;
    item.failures++;
    attempts = item.failures;
    bool cancelled = ctx.Done() && errdefs::IsCancelled(status);
    if (!cancelled && (errdefs::IsPermanent(status) || item.failures >= options_.max_retries)) {
      drop = true;
      stats_.dropped++;
      if (item.dirty) {
        // New information arrived while it ran: give it a fresh start.
        item.dirty = false;
        item.failures = 0;
        QueueLocked(key, item.dirty_ready);
      } else {
        items_.erase(it);
      }
    } else {
      stats_.retries++;
      absl::Time when = now + BackoffLocked(item.failures - 1);
      if (item.dirty) {
        item.dirty = false;
        when = std::min(when, item.dirty_ready);
      }
      QueueLocked(key, when);
    }
  }
  if (drop) {
    log::Warning(ctx, "Dropping work item", {{"queue", options_.name}, {"key", key}, {"attempts", attempts},
                                             {"error", status}});
    if (on_drop_) on_drop_(key, status, attempts);
  }
}

WorkQueue::Stats WorkQueue::GetStats() const {
  absl::MutexLock lock(&mu_);
  Stats s = stats_;
  s.queued = ready_.size();
  return s;
}

}  // namespace vkubelet::node
