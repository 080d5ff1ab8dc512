// Copyright 2026 The vkubelet Authors. Licensed under the Apache License 2.0.
//
// SPDY tunnelled through a WebSocket: port-forward of kubectl >= 1.31
// (KEP-4006; client-go tools/portforward tunneling_connection.go and
// tunneling_dialer.go, apiserver pkg/util/proxy/streamtunnel.go).
//
// How the bytes map:
// * The client asks for Sec-WebSocket-Protocol "SPDY/3.1+portforward.k8s.io"
//   (prefix "SPDY/3.1+" + the SPDY protocol it would have put in
//   X-Stream-Protocol-Version); the server answers with the same string.
// * After the WebSocket handshake the connection carries exactly the bytes
//   of a SPDY/3.1 connection after its "101 Switching Protocols" (no HTTP
//   response inside the tunnel): the client's SYN_STREAMs, PINGs etc. and the
//   server's replies, as the payload of BINARY WebSocket messages.
// * Message boundaries carry no meaning: client-go reads consecutive
//   messages as one byte stream and sends each Write() of the SPDY framer as
//   one message, so a frame may span messages and a message may hold several
//   frames. A text message is an error ("invalid message type received"); a
//   close with status 1000 (normal closure) is EOF.
// So a SpdySession (role server for a kubelet) runs unchanged over the
// tunnel: SpdyWebSocketTunnel feeds it message payloads and cuts its output
// into binary messages. Internal; not thread-safe.

#ifndef VKUBELET_LIB_API_WSSTREAM_TUNNEL_H_
#define VKUBELET_LIB_API_WSSTREAM_TUNNEL_H_

#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "api/spdy/session.h"

namespace vkubelet::internal::wsstream {

// The tunnel subprotocol to answer with: the first client offer (client
// order) that is "SPDY/3.1+" followed by one of `spdy_protocols`
// (e.g. "portforward.k8s.io"); nullopt when there is none.
std::optional<std::string> SelectTunnelProtocol(std::span<const std::string> client_offers,
                                                std::span<const std::string_view> spdy_protocols);

// Adapter between WebSocket messages and a SpdySession.
class SpdyWebSocketTunnel {
 public:
  // `session` must outlive the tunnel. Outgoing messages carry at most
  // `max_message_size` bytes (0: no limit).
  explicit SpdyWebSocketTunnel(spdy::SpdySession* session, size_t max_message_size = 32 * 1024);

  // A message arrived. Binary payloads go to SpdySession::Feed() (its error
  // is returned); a text message is InvalidArgument and the tunnel should be
  // closed.
  absl::Status OnMessage(bool binary, std::string_view payload);
  // The WebSocket ended: SpdySession::FinishInput(), plus Unavailable when the
  // close was not a normal closure.
  absl::Status OnClose(bool normal_closure);
  // Binary messages to send for everything the session has queued.
  std::vector<std::string> TakeMessages();

 private:
  spdy::SpdySession* session_;
  size_t max_message_size_;
};

}  // namespace vkubelet::internal::wsstream

#endif  // VKUBELET_LIB_API_WSSTREAM_TUNNEL_H_
