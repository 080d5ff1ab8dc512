// Copyright 2026 The vkubelet Authors. Licensed under the Apache License 2.0.
//
// A blocking HTTP/1.1 client on Boost.Beast for tests and proxies: one
// host:port (plain or TLS), keep-alive connection reuse, incremental reads of
// long responses (watches, `logs -f`), upgrades to raw connections and
// WebSockets. Every call takes a Context: cancelling it (or its deadline)
// aborts the exchange at once and closes the connection it used.
//
// Thread-safety: all methods may be called concurrently; each call uses its
// own connection (idle ones are reused). Connections returned by Upgrade,
// WebSocket and DialRaw stay usable after the Client is destroyed only as dead
// handles: destroying the Client closes them.

#ifndef VKUBELET_INTERNAL_HTTP_CLIENT_H_
#define VKUBELET_INTERNAL_HTTP_CLIENT_H_

#include <atomic>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "internal/http/types.h"
#include "vkubelet/context.h"

namespace vkubelet::internal::http {

namespace detail {
class ClientImpl;
}  // namespace detail

struct ClientOptions {
  std::string host = "127.0.0.1";
  int port = 0;
  std::optional<ClientTlsOptions> tls;
  // Time allowed for TCP connect plus the TLS handshake.
  absl::Duration connect_timeout = absl::Seconds(10);
  // Responses read by Do() larger than this fail (Stream is not limited).
  size_t max_response_body_bytes = 64 << 20;
  size_t max_response_header_bytes = 1 << 20;
  // Idle keep-alive connections kept for reuse.
  int max_idle_connections = 8;
};

struct ClientRequest {
  std::string method = "GET";
  // Path and query as sent ("/api/v1/pods?watch=true").
  std::string target = "/";
  Headers headers;  // Host and Content-Length are added when missing
  std::string body;
};

struct ClientResponse {
  int status = 0;
  Headers headers;
  std::string body;
};

struct UpgradeResult {
  int status = 0;
  Headers headers;
  // The body when the server did not switch protocols.
  std::string body;
  // Set only for 101 Switching Protocols; bytes that followed the response
  // header are delivered first.
  std::shared_ptr<Connection> connection;
};

class Client {
 public:
  // Called with the status line and headers of a streamed response.
  using HeadersFn = std::function<void(int status, const Headers& headers)>;
  // Called with body bytes as they arrive (chunk framing removed); return
  // false to stop reading (the connection is then closed).
  using DataFn = std::function<bool(std::string_view data)>;

  // Validates options and TLS material; connects lazily.
  static absl::StatusOr<std::unique_ptr<Client>> Create(ClientOptions options);
  ~Client();
  Client(const Client&) = delete;
  Client& operator=(const Client&) = delete;

  // Sends `request` and reads the whole response. Transport errors are
  // Unavailable; any HTTP status is a successful exchange.
  absl::StatusOr<ClientResponse> Do(const Context& ctx, const ClientRequest& request);

  // Sends `request` and reads its response incrementally on this thread:
  // on_headers once, then on_data per piece as it arrives. Returns OK when the
  // body ended or on_data returned false, ctx.Err() when ctx ended.
  absl::Status Stream(const Context& ctx, const ClientRequest& request, HeadersFn on_headers, DataFn on_data);

  // Sends an upgrade request (the caller sets Connection/Upgrade and protocol
  // headers) on a new connection.
  absl::StatusOr<UpgradeResult> Upgrade(const Context& ctx, const ClientRequest& request);

  // Opens a WebSocket to `target`, offering `subprotocols` (in preference
  // order). Errors: rejected handshake (Unavailable, with the HTTP status),
  // a subprotocol that was not offered.
  absl::StatusOr<std::shared_ptr<WebSocketConnection>> WebSocket(const Context& ctx, const std::string& target,
                                                                 const std::vector<std::string>& subprotocols,
                                                                 const Headers& headers = {},
                                                                 const WebSocketOptions& options = {});

  // A new raw connection (after TCP connect and, with TLS, the handshake).
  absl::StatusOr<std::shared_ptr<Connection>> DialRaw(const Context& ctx);

  // Connections opened so far (to observe keep-alive reuse).
  uint64_t connections_opened() const;

 private:
  explicit Client(std::unique_ptr<detail::ClientImpl> impl);
  std::unique_ptr<detail::ClientImpl> impl_;
};

}  // namespace vkubelet::internal::http

#endif  // VKUBELET_INTERNAL_HTTP_CLIENT_H_
