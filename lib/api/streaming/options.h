// Copyright 2026 The vkubelet Authors. Licensed under the Apache License 2.0.
//
// Tunables of the exec/attach/port-forward sessions of the kubelet API.
// Private to the library.

#ifndef VKUBELET_LIB_API_STREAMING_OPTIONS_H_
#define VKUBELET_LIB_API_STREAMING_OPTIONS_H_

#include <cstddef>
#include <cstdint>

#include "absl/time/time.h"
#include "vkubelet/clock.h"

namespace vkubelet::api::internal {

struct StreamingOptions {
  // SPDY exec/attach: time the client has to open every stream it asked for
  // (error, stdin/stdout/stderr, resize) after the upgrade; SPDY
  // port-forward: time for the second stream of a data/error pair. The
  // kubelet's and virtual-kubelet's default.
  absl::Duration stream_creation_timeout = absl::Seconds(30);
  // A session without traffic for this long is closed. SPDY: no frame in
  // either direction (client-go pings every 5 s, so kubectl sessions stay
  // up). WebSocket, the port-forward SPDY tunnel included: the peer
  // stopped answering the server's pings for this long.
  // virtual-kubelet's default (the kubelet's is 4 h).
  absl::Duration stream_idle_timeout = absl::Seconds(30);
  // Timeouts are measured on this clock.
  const Clock* clock = Clock::Real();
  // Bytes queued towards a client before a provider's Write blocks.
  size_t write_buffer_bytes = 1 << 20;
  // Bytes received on one stream and not yet read by the provider before
  // the connection stops reading (a SPDY peer that does flow control is held
  // back by this stream window instead; Go's spdystream does none).
  size_t read_buffer_bytes = 1 << 20;
  // Concurrent forwarded connections per SPDY port-forward session; streams
  // beyond are refused.
  size_t max_port_forward_connections = 256;
  // Terminal size changes kept for a provider that does not call
  // AttachIO::NextResize (older ones are dropped: only the latest matters).
  size_t max_pending_resizes = 16;
  // Largest output of a /run command; more fails the request (500).
  size_t max_run_output_bytes = 16 << 20;
  // WebSocket messages received larger than this close the connection.
  size_t max_websocket_message_bytes = 16 << 20;
  // When the streaming routes are destroyed: how long to wait for provider
  // calls to return after their Contexts were cancelled.
  absl::Duration shutdown_grace = absl::Seconds(5);
};

}  // namespace vkubelet::api::internal

#endif  // VKUBELET_LIB_API_STREAMING_OPTIONS_H_
