// Copyright 2026 The vkubelet Authors. Licensed under the Apache License 2.0.
//
// The byte pipe a server-side SPDY session runs on: either the raw
// connection left after "101 Switching Protocols" (Upgrade: SPDY/3.1), or a
// WebSocket whose binary messages carry the SPDY bytes
// (Sec-WebSocket-Protocol: SPDY/3.1+portforward.k8s.io, see
// api/wsstream/tunnel.h). Private to the library.

#ifndef VKUBELET_LIB_API_STREAMING_TRANSPORT_H_
#define VKUBELET_LIB_API_STREAMING_TRANSPORT_H_

#include <cstddef>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "internal/http/types.h"
#include "vkubelet/context.h"

namespace vkubelet::api::internal {

// Same threading rules as http::Connection: methods callable from any
// thread; callbacks run one at a time on the connection's I/O strand and
// must not block.
class ByteTransport {
 public:
  using DataFn = std::function<void(std::string_view data)>;
  // Exactly once: OK for an orderly end, an error otherwise.
  using CloseFn = std::function<void(const absl::Status& status)>;

  virtual ~ByteTransport() = default;
  virtual void Start(DataFn on_data, CloseFn on_close) = 0;
  virtual void PauseReading() = 0;
  virtual void ResumeReading() = 0;
  // Never blocks; false once closed.
  virtual bool Write(std::string data) = 0;
  virtual size_t QueuedBytes() const = 0;
  virtual absl::Status WaitWritable(const Context& ctx, size_t below_bytes) = 0;
  // Flushes, then closes.
  virtual void Close() = 0;
  virtual void Abort() = 0;
  // Cancelled when the connection closes.
  virtual const Context& context() const = 0;
};

std::unique_ptr<ByteTransport> NewRawTransport(std::shared_ptr<::vkubelet::internal::http::Connection> conn);
// Each Write becomes binary messages of at most `max_message_bytes`. A text
// message from the peer is a protocol error: the WebSocket is closed (1003)
// and on_close reports InvalidArgument. A close other than 1000 reports
// Unavailable.
std::unique_ptr<ByteTransport> NewWebSocketTunnelTransport(
    std::shared_ptr<::vkubelet::internal::http::WebSocketConnection> ws,
    size_t max_message_bytes = 32 * 1024);

}  // namespace vkubelet::api::internal

#endif  // VKUBELET_LIB_API_STREAMING_TRANSPORT_H_
