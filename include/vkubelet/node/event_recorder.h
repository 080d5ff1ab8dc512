// Copyright 2026 The vkubelet Authors. Licensed under the Apache License 2.0.
//
// EventRecorder: how the controllers tell users what happened to their pods,
// as core/v1 Events (what `kubectl describe pod` shows).
//
// The API-backed recorder behaves like client-go's tools/record:
//  * Events go to the involved object's namespace ("default" for cluster-scoped
//    objects), named "<object name>.<hex nanoseconds>", with source and
//    reportingComponent/reportingInstance set.
//  * The same object + type + reason + message seen again is not a new Event:
//    the existing one gets a PATCH of count and lastTimestamp. Repeats that
//    pile up before they are sent are folded into one request.
//  * A spam filter (a token bucket per object: burst 25, one token per 5 min)
//    drops floods about one object.
//  * Record() never blocks: events wait in a bounded queue that a single sender
//    thread drains; when the queue is full the oldest waiting event is dropped
//    and counted. Memory is bounded by the queue, the de-duplication cache and
//    the spam-filter table sizes.
//  * Transient failures are retried (12 attempts, 10 s apart by default);
//    permanent ones are dropped and counted.

#ifndef VKUBELET_NODE_EVENT_RECORDER_H_
#define VKUBELET_NODE_EVENT_RECORDER_H_

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "vkubelet/clock.h"
#include "vkubelet/context.h"
#include "vkubelet/node/event_reasons.h"
#include "vkubelet/types.h"

namespace vkubelet::node {

// A reference to `pod` for the involvedObject of an Event.
corev1::ObjectReference PodReference(const corev1::Pod& pod);

// Records Events. Implementations are thread-safe and never block the caller.
class EventRecorder {
 public:
  virtual ~EventRecorder() = default;
  // `type` is kEventTypeNormal or kEventTypeWarning.
  virtual void Record(const corev1::ObjectReference& object, std::string_view type, std::string_view reason,
                      std::string_view message) = 0;
  // Shorthand for Record(PodReference(pod), ...).
  void RecordPod(const corev1::Pod& pod, std::string_view type, std::string_view reason, std::string_view message) {
    Record(PodReference(pod), type, reason, message);
  }
};

// Discards everything.
class NopEventRecorder final : public EventRecorder {
 public:
  void Record(const corev1::ObjectReference&, std::string_view, std::string_view, std::string_view) override {}
};

// Keeps every event in memory, in order; for tests. Thread-safe.
class MemoryEventRecorder final : public EventRecorder {
 public:
  struct Recorded {
    corev1::ObjectReference object;
    std::string type;
    std::string reason;
    std::string message;
  };

  void Record(const corev1::ObjectReference& object, std::string_view type, std::string_view reason,
              std::string_view message) override;

  std::vector<Recorded> events() const;
  // Events with this reason (about any object when `object_name` is empty).
  std::vector<Recorded> WithReason(std::string_view reason, std::string_view object_name = "") const;
  size_t Count(std::string_view reason) const;
  // Blocks (real time) until at least `n` events with `reason` were recorded.
  bool WaitFor(std::string_view reason, size_t n = 1, absl::Duration timeout = absl::Seconds(10)) const;
  void Clear();

 private:
  mutable absl::Mutex mu_;
  std::vector<Recorded> events_ ABSL_GUARDED_BY(mu_);
};

// Where an API-backed recorder writes. NewKubeEventSink (kube_event_sink.h)
// talks to the API server; tests may plug in their own.
class EventSink {
 public:
  virtual ~EventSink() = default;
  // POST the Event to its namespace.
  virtual absl::Status Create(const Context& ctx, const corev1::Event& event) = 0;
  // Strategic-merge PATCH of an existing Event (count, lastTimestamp, message).
  // NotFound when the Event is gone (then the recorder creates a new one).
  virtual absl::Status Patch(const Context& ctx, std::string_view ns, std::string_view name,
                             std::string_view patch_json) = 0;
};

struct EventRecorderOptions {
  // source.component and reportingComponent ("<node>/pod-controller" in Go).
  std::string component = "vkubelet";
  // source.host and reportingInstance: the node name.
  std::string instance;
  // Events waiting to be sent; when full, the oldest is dropped.
  size_t max_queued = 1000;
  // Distinct events remembered for de-duplication (LRU), and objects tracked by
  // the spam filter.
  size_t max_cached = 4096;
  // Spam filter: per involved object, `spam_burst` events at once, then one per
  // `spam_refill`. spam_burst <= 0 disables the filter.
  int spam_burst = 25;
  absl::Duration spam_refill = absl::Minutes(5);
  // Attempts per event for transient errors, and the wait between attempts.
  int max_attempts = 12;
  absl::Duration retry_interval = absl::Seconds(10);
  // Time per API request.
  absl::Duration request_timeout = absl::Seconds(10);
  const Clock* clock = nullptr;  // nullptr: the real clock
};

// Counters of an API-backed recorder (for /metrics).
struct EventRecorderStats {
  uint64_t recorded = 0;         // Record() calls
  uint64_t created = 0;          // Events POSTed
  uint64_t patched = 0;          // Events PATCHed (repeats)
  uint64_t folded = 0;           // repeats folded into a request already waiting
  uint64_t dropped_full = 0;     // dropped because the queue was full (oldest first)
  uint64_t dropped_spam = 0;     // dropped by the spam filter
  uint64_t failed = 0;           // given up after a permanent error or the last attempt
  size_t queued = 0;             // waiting right now
};

// An EventRecorder that writes to an EventSink from its own sender thread.
class ApiEventRecorder : public EventRecorder {
 public:
  // Sends events until `ctx` is done, then tries once more to send what is
  // queued within `drain_timeout`, and returns. Call once, on a thread of its own.
  virtual void Run(const Context& ctx, absl::Duration drain_timeout = absl::Seconds(2)) = 0;
  virtual EventRecorderStats GetStats() const = 0;
};

std::unique_ptr<ApiEventRecorder> NewApiEventRecorder(std::shared_ptr<EventSink> sink,
                                                      EventRecorderOptions options = {});

}  // namespace vkubelet::node

#endif  // VKUBELET_NODE_EVENT_RECORDER_H_
