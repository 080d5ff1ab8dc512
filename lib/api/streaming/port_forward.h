// Copyright 2026 The vkubelet Authors. Licensed under the Apache License 2.0.
//
// port-forward on the kubelet API (private to the library):
// * SPDY/3.1 (X-Stream-Protocol-Version: portforward.k8s.io), and the same
//   SPDY session tunnelled through a WebSocket
//   (Sec-WebSocket-Protocol: SPDY/3.1+portforward.k8s.io, kubectl >= 1.31):
//   every forwarded connection is a data stream and an error stream sharing
//   a requestid header and a port header. Each complete pair becomes one
//   PortForwardProvider::PortForward call on a thread of its own with the
//   data stream as its DuplexStream; any number run at once (up to
//   options.max_port_forward_connections). A pair whose second stream does
//   not come within stream_creation_timeout is dropped with "timed out
//   waiting for streams" on its error stream. When the call returns, its
//   error (if any) is written on the error stream as the kubelet words it and
//   both streams are half-closed. A client reset of the data stream cancels
//   the call's Context.
// * WebSocket v4.channel.k8s.io / v4.base64.channel.k8s.io / "" with
//   ?port=p1&port=p2...: port i uses channels 2i (data) and 2i+1 (error),
//   each opened by the server with the port as little-endian uint16; one
//   provider call per port; the connection closes when all have returned.

#ifndef VKUBELET_LIB_API_STREAMING_PORT_FORWARD_H_
#define VKUBELET_LIB_API_STREAMING_PORT_FORWARD_H_

#include <memory>

#include "api/router.h"
#include "api/streaming/runtime_state.h"

namespace vkubelet::api::internal {

// Serves /portForward. Answers 400 (no upgrade, bad ports), 403 (no shared
// protocol) or 501 (the provider cannot forward ports) itself.
void ServePortForward(const std::shared_ptr<StreamingRuntime>& rt, RouteRequest& request);

}  // namespace vkubelet::api::internal

#endif  // VKUBELET_LIB_API_STREAMING_PORT_FORWARD_H_
