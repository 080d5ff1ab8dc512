// Copyright 2026 The vkubelet Authors. Licensed under the Apache License 2.0.
//
// WebSocket connections on a Channel (Beast's websocket::stream over
// AnyStream). Private to lib/internal/http.

#ifndef VKUBELET_INTERNAL_HTTP_WEBSOCKET_H_
#define VKUBELET_INTERNAL_HTTP_WEBSOCKET_H_

#include <memory>
#include <string>
#include <vector>

#include <boost/beast/http/message.hpp>
#include <boost/beast/http/string_body.hpp>

#include "absl/functional/any_invocable.h"
#include "absl/status/statusor.h"
#include "internal/http/transport.h"
#include "internal/http/types.h"
#include "vkubelet/context.h"

namespace vkubelet::internal::http::detail {

using BeastRequest = beast::http::request<beast::http::string_body>;

// A server-side WebSocket whose handshake has not run yet.
struct PendingWebSocket {
  std::shared_ptr<WebSocketConnection> handle;
  // Runs the handshake for `req`. Call on the strand once the channel's write
  // queue is drained and no read is in flight. The handle queues messages
  // until the handshake is done; a failed handshake closes it (1006).
  absl::AnyInvocable<void(BeastRequest req)> accept;
};
PendingWebSocket PrepareServerWebSocket(const std::shared_ptr<Channel>& ch, std::string subprotocol,
                                        const WebSocketOptions& options);

// Performs the client handshake on a fresh `ch`; blocks until it finished or
// ctx ended.
absl::StatusOr<std::shared_ptr<WebSocketConnection>> ClientWebSocketHandshake(
    const Context& ctx, const std::shared_ptr<Channel>& ch, const std::string& host, const std::string& target,
    const Headers& headers, const std::vector<std::string>& subprotocols, const WebSocketOptions& options);

}  // namespace vkubelet::internal::http::detail

#endif  // VKUBELET_INTERNAL_HTTP_WEBSOCKET_H_
