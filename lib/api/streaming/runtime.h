// Copyright 2026 The vkubelet Authors. Licensed under the Apache License 2.0.
//
// Threads and timers behind the streaming sessions (private to the library).
//
// Provider calls (RunInContainer, AttachToContainer, PortForward, /run) block
// for as long as the command or connection lasts, so each runs on a thread of
// its own, never on the HTTP server's I/O or handler threads. ThreadGroup
// keeps track of them so that shutting the streaming routes down can wait
// for them. One TimerQueue thread serves every session's creation and idle
// timeout, on the injectable Clock.

#ifndef VKUBELET_LIB_API_STREAMING_RUNTIME_H_
#define VKUBELET_LIB_API_STREAMING_RUNTIME_H_

#include <cstddef>
#include <cstdint>
#include <map>
#include <memory>
#include <thread>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/functional/any_invocable.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "vkubelet/clock.h"

namespace vkubelet::api::internal {

// Runs callbacks at given times on one thread of its own. Thread-safe.
// Callbacks run without any lock held and may call Schedule/Cancel.
class TimerQueue {
 public:
  explicit TimerQueue(const Clock* clock);
  // Stops the thread (pending callbacks never run) and joins it, unless
  // called from a callback, in which case the thread ends on its own.
  ~TimerQueue();
  TimerQueue(const TimerQueue&) = delete;
  TimerQueue& operator=(const TimerQueue&) = delete;

  // Runs `fn` once the clock reaches `when`; returns an id for Cancel.
  uint64_t Schedule(absl::Time when, absl::AnyInvocable<void()> fn);
  // Drops a pending callback; no effect once it started or ran.
  void Cancel(uint64_t id);
  const Clock* clock() const;

 private:
  struct State;
  static void Run(std::shared_ptr<State> state);
  std::shared_ptr<State> state_;
  std::thread thread_;
};

// Threads that run provider calls. Thread-safe.
class ThreadGroup {
 public:
  ThreadGroup();
  // Waits for nothing: threads still running are detached (they keep what
  // they captured alive). Call WaitAll first for an orderly end.
  ~ThreadGroup();
  ThreadGroup(const ThreadGroup&) = delete;
  ThreadGroup& operator=(const ThreadGroup&) = delete;

  // Runs `fn` on a new thread.
  void Spawn(absl::AnyInvocable<void()> fn);
  // Waits until every thread returned (true) or `timeout` passed (false),
  // and joins those that returned.
  bool WaitAll(absl::Duration timeout);
  size_t running() const;

  struct State;

 private:
  void Reap();
  std::shared_ptr<State> state_;
};

}  // namespace vkubelet::api::internal

#endif  // VKUBELET_LIB_API_STREAMING_RUNTIME_H_
