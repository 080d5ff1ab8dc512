// Copyright 2026 The vkubelet Authors. Licensed under the Apache License 2.0.
//
// What every streaming session shares: options, the provider, the timer
// thread, the provider threads, a root Context cancelled when the streaming
// routes go away, and counters the tests read. Private to the library.

#ifndef VKUBELET_LIB_API_STREAMING_RUNTIME_STATE_H_
#define VKUBELET_LIB_API_STREAMING_RUNTIME_STATE_H_

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>

#include "api/streaming/options.h"
#include "api/streaming/runtime.h"
#include "vkubelet/context.h"
#include "vkubelet/provider.h"

namespace vkubelet::api::internal {

// Counters of what the sessions did (monotonic unless noted).
struct StreamingCounters {
  std::atomic<uint64_t> spdy_exec_sessions{0};
  std::atomic<uint64_t> websocket_exec_sessions{0};
  std::atomic<uint64_t> spdy_port_forward_sessions{0};
  std::atomic<uint64_t> tunnel_port_forward_sessions{0};
  std::atomic<uint64_t> websocket_port_forward_sessions{0};
  std::atomic<uint64_t> port_forward_connections{0};
  // Sessions open now (gauge).
  std::atomic<int64_t> active_sessions{0};
  // Times a connection stopped reading because a provider did not keep up.
  std::atomic<uint64_t> read_pauses{0};
  // Times a provider Write waited for the client (SPDY window or queue).
  std::atomic<uint64_t> write_waits{0};
  // Largest number of client bytes buffered for one stream.
  std::atomic<uint64_t> max_buffered_bytes{0};
  // Largest number of bytes queued towards a client right after a Write.
  std::atomic<uint64_t> max_queued_bytes{0};
  std::atomic<uint64_t> creation_timeouts{0};
  std::atomic<uint64_t> idle_timeouts{0};
  // Idle timer checks of SPDY sessions (expired or re-armed).
  std::atomic<uint64_t> idle_checks{0};

  static void RaiseTo(std::atomic<uint64_t>& a, uint64_t v) {
    uint64_t cur = a.load();
    while (v > cur && !a.compare_exchange_weak(cur, v)) {
    }
  }
};

struct StreamingRuntime {
  StreamingRuntime(StreamingOptions o, std::shared_ptr<PodLifecycleHandler> p, ContainerExecProvider* e,
                   PortForwardProvider* pf)
      : options(std::move(o)), provider(std::move(p)), exec(e), port_forward(pf), timers(options.clock) {
    auto [ctx, cancel] = Context::Background().WithCancel();
    root = ctx;
    cancel_root = cancel;
  }

  const StreamingOptions options;
  // Keeps the provider alive while a call runs.
  const std::shared_ptr<PodLifecycleHandler> provider;
  ContainerExecProvider* const exec;
  PortForwardProvider* const port_forward;
  TimerQueue timers;
  ThreadGroup threads;
  Context root = Context::Background();
  CancelFn cancel_root;
  StreamingCounters counters;
};

}  // namespace vkubelet::api::internal

#endif  // VKUBELET_LIB_API_STREAMING_RUNTIME_STATE_H_
