// Copyright 2026 The vkubelet Authors. Licensed under the Apache License 2.0.
//
// WorkQueue: a keyed, rate-limited queue of work with a pool of workers, the
// engine behind the pod controller.
//
//  * A key is queued at most once and is never processed by two workers at
//    the same time.
//  * Enqueuing a key that is being processed marks it dirty: it runs again
//    right after the current run ends (so no change is ever missed).
//  * Enqueuing a key that is already queued only ever moves it earlier.
//  * A failed run is retried with per-key exponential backoff (base_delay ·
//    2^failures, capped at max_delay) combined with an overall token bucket
//    (qps/burst) shared by all retries, up to max_retries; then the key is
//    dropped and the drop callback runs (the pod controller records an Event).
//    Errors that retrying cannot fix (errdefs::IsPermanent) are dropped at once.
//  * New work (Enqueue) is not rate limited: only retries are. (The Go
//    reference consults the rate limiter on every insert, which delays fresh
//    events behind retries.)
//
// Time comes from an injectable Clock.

#ifndef VKUBELET_NODE_WORK_QUEUE_H_
#define VKUBELET_NODE_WORK_QUEUE_H_

#include <cstdint>
#include <functional>
#include <set>
#include <string>
#include <utility>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "vkubelet/clock.h"
#include "vkubelet/context.h"

namespace vkubelet::node {

struct WorkQueueOptions {
  std::string name = "queue";          // for logs and metrics
  absl::Duration base_delay = absl::Milliseconds(5);  // first retry delay
  absl::Duration max_delay = absl::Seconds(1000);     // backoff cap
  double qps = 10;                     // overall retry rate (token bucket refill per second)
  int burst = 100;                     // token bucket size
  int max_retries = 20;                // failures before a key is dropped
  const Clock* clock = nullptr;        // nullptr: the real clock
};

// Thread-safe. Run() owns the worker threads; every other method may be called
// from any thread, including from inside the handler.
class WorkQueue {
 public:
  // Processes one key. The Context is cancelled when the queue stops.
  using Handler = std::function<absl::Status(const Context& ctx, const std::string& key)>;
  // Called (on a worker thread) when a key is dropped after its last attempt.
  using DropHandler = std::function<void(const std::string& key, const absl::Status& last_error, int attempts)>;

  WorkQueue(WorkQueueOptions options, Handler handler, DropHandler on_drop = nullptr);
  ~WorkQueue();
  WorkQueue(const WorkQueue&) = delete;
  WorkQueue& operator=(const WorkQueue&) = delete;

  // Queues `key` to run as soon as a worker is free.
  void Enqueue(const std::string& key);
  // Queues `key` to run after `delay` (or earlier if already queued earlier).
  void EnqueueAfter(const std::string& key, absl::Duration delay);
  // Queues `key` after its backoff delay, as if its last run had failed.
  void EnqueueRateLimited(const std::string& key);
  // Removes a queued `key` and resets its failure count. A run in progress
  // finishes, but it is not retried or re-run.
  void Forget(const std::string& key);

  // Runs `workers` threads until `ctx` is done, then waits for the runs in
  // progress to return and joins every thread. Call once.
  void Run(const Context& ctx, int workers);

  struct Stats {
    size_t queued = 0;       // waiting (ready or delayed)
    size_t processing = 0;   // being handled right now
    uint64_t processed = 0;  // runs completed (ok or not)
    uint64_t failures = 0;   // runs that returned an error
    uint64_t retries = 0;    // re-queues after a failure
    uint64_t dropped = 0;    // keys given up after max_retries or a permanent error
    absl::Duration total_latency;  // sum of queue wait (ready → start) of completed runs
  };
  Stats GetStats() const;
  const std::string& name() const { return options_.name; }

 private:
  struct Item {
    bool queued = false;
    absl::Time ready;            // when queued
    bool processing = false;
    bool dirty = false;          // enqueued again while processing
    absl::Time dirty_ready;
    bool forget = false;         // Forget() during processing
    int failures = 0;
  };

  void QueueLocked(const std::string& key, absl::Time when) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  absl::Duration BackoffLocked(int failures) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void Worker(const Context& ctx);
  void Finish(const std::string& key, const absl::Status& status, const Context& ctx);

  const WorkQueueOptions options_;
  const Clock* clock_;
  Handler handler_;
  DropHandler on_drop_;

  mutable absl::Mutex mu_;
  absl::CondVar cv_;
  absl::flat_hash_map<std::string, Item> items_ ABSL_GUARDED_BY(mu_);
  std::set<std::pair<absl::Time, std::string>> ready_ ABSL_GUARDED_BY(mu_);
  // Overall retry token bucket (reservations may drive it negative: the
  // deficit is the wait).
  double tokens_ ABSL_GUARDED_BY(mu_);
  absl::Time tokens_at_ ABSL_GUARDED_BY(mu_);
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  Stats stats_ ABSL_GUARDED_BY(mu_);
};

}  // namespace vkubelet::node

#endif  // VKUBELET_NODE_WORK_QUEUE_H_
