// Copyright 2026 The vkubelet Authors. Licensed under the Apache License 2.0.
//
// exec and attach on the kubelet API: the upgrade (SPDY/3.1 with
// X-Stream-Protocol-Version v5..v1, or a WebSocket channel protocol), the
// remote-command streams (stdin, stdout, stderr, error, resize), the
// provider call on a thread of its own, and the Status written on the error
// stream when it returns. Private to the library.
//
// SPDY: the client opens an error stream plus one stream per requested
// standard stream (and resize with a TTY from v3) within
// stream_creation_timeout, or the connection is closed. Each stream gets an
// empty SYN_REPLY at once (client-go waits for it). When the provider
// returns, stdout/stderr are half-closed, the error stream carries the
// result (v4/v5: meta/v1 Status JSON; v1-v3: the message, nothing on
// success) and is half-closed, then GOAWAY and the connection closes.
//
// WebSocket: the server writes an empty message on the lowest channel it
// writes (stdout, else stderr, else error), runs the provider, writes the
// result on channel 3 and closes with 1000. Stdin ends with v5's CLOSE
// [255, 0]; with older protocols only when the connection ends.

#ifndef VKUBELET_LIB_API_STREAMING_REMOTE_COMMAND_H_
#define VKUBELET_LIB_API_STREAMING_REMOTE_COMMAND_H_

#include <memory>

#include "api/router.h"
#include "api/streaming/runtime_state.h"

namespace vkubelet::api::internal {

// Serves /exec (exec = true) or /attach. Answers 400 for bad parameters or
// a request that is no upgrade, 403 when no protocol is shared, and 501
// when the provider cannot exec. Returns once the session runs.
void ServeRemoteCommand(const std::shared_ptr<StreamingRuntime>& rt, RouteRequest& request, bool exec);

}  // namespace vkubelet::api::internal

#endif  // VKUBELET_LIB_API_STREAMING_REMOTE_COMMAND_H_
