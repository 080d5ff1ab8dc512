// Copyright 2026 The vkubelet Authors. Licensed under the Apache License 2.0.
//
// An HTTP/1.1 server (plain or TLS) on Boost.Beast, private to the library. It
// carries the kubelet API (:10250) and the test API server: ordinary
// request/response, long-lived chunked streams (watches, `logs -f`), and
// connections taken over after `101 Switching Protocols` (SPDY/3.1, WebSocket).
//
// Design
// ------
// Threading. `io_threads` threads run one io_context. Each connection has its
// own strand, so its parsing, timers and writes never run concurrently, while
// different connections proceed in parallel. Handlers run on a pool of
// `handler_threads` threads (0: inline on the connection's strand, in which
// case they must not block). A Response, Connection or WebSocketConnection may
// be used from any thread: writes are appended under a mutex to the
// connection's ordered queue and flushed by its strand.
//
// Request sequencing. A connection reads one request, dispatches it, and reads
// the next only after the response is complete (Send, or Finish of a stream),
// so pipelined requests are answered in order. While a handler runs the
// server keeps one read pending (unless pipelined bytes are already
// buffered) only to notice a client that went away: that cancels the
// request's context() and makes further writes fail.
//
// Lifetimes. The server owns every open connection. Responses and upgraded
// connections handed to user code hold weak references: they stay safe to call
// after the client left or the server stopped (writes return false). A
// Response dropped without a reply answers 500; one dropped mid-stream
// finishes the stream.
//
// Stop(grace): stops accepting, closes idle keep-alive connections, lets
// in-flight requests finish (their connections close after the response),
// cancels at once the contexts of open streams and upgraded connections (so
// watches, `logs -f` and exec sessions wind down), waits up to `grace` for
// connections to finish, then cancels every context, aborts what is left,
// stops the I/O threads and joins them and the handler pool. Handlers must
// honour their context: Stop joins the handler threads.
//
// Long-lived streams should not occupy a handler thread for their whole
// life when there may be many of them (watches): keep the shared_ptr to the
// Response and write to it from wherever events come from; Write never
// blocks. Use WaitWritable for backpressure where a slow reader matters.

#ifndef VKUBELET_INTERNAL_HTTP_SERVER_H_
#define VKUBELET_INTERNAL_HTTP_SERVER_H_

#include <cstddef>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "internal/http/types.h"
#include "vkubelet/context.h"

namespace vkubelet::internal::http {

namespace detail {
class Channel;
class ServerSession;
class ServerImpl;
}  // namespace detail

struct ServerOptions {
  std::string address = "127.0.0.1";
  // 0 picks a free port; Server::port() tells which.
  int port = 0;
  int io_threads = 2;
  // 0: handlers run inline on the I/O strand and must not block.
  int handler_threads = 8;
  std::optional<ServerTlsOptions> tls;
  // Connections beyond this are answered 503 (plain) or closed (TLS).
  size_t max_connections = 10000;
  // Request line + headers; larger requests get 431.
  size_t max_header_bytes = 1 << 20;
  // Larger request bodies get 413.
  size_t max_body_bytes = 8 << 20;
  // Time allowed for a request's headers to arrive (and the TLS handshake on a
  // new connection); also the longest pause allowed while a body arrives.
  absl::Duration header_read_timeout = absl::Seconds(30);
  // How long a keep-alive connection may wait for its next request.
  absl::Duration idle_timeout = absl::Seconds(120);
};

// One incoming request. A value type (handlers may keep or move it).
struct Request {
  std::string method;
  // As sent: "/api/v1/pods?watch=true".
  std::string target;
  // Percent-decoded path ("/containerLogs/ns/pod/c").
  std::string path;
  // Query string as sent, without '?'.
  std::string raw_query;
  // Decoded query parameters in order (repeated names kept).
  QueryParams query;
  Headers headers;
  std::string body;
  // 11 for HTTP/1.1, 10 for HTTP/1.0.
  int version = 11;
  std::string remote_address;
  bool tls = false;
  // The client certificate, when the client presented one over TLS.
  std::optional<PeerCertificate> peer_certificate;

  // First value of query parameter `name` ("" if absent).
  std::string Query(std::string_view name) const;
  std::vector<std::string> QueryValues(std::string_view name) const;
  bool HasQuery(std::string_view name) const;
  std::string Header(std::string_view name) const { return headers.Get(name); }
  // True for `Connection: upgrade` with `Upgrade: <token>` (case-insensitive;
  // an empty token matches any upgrade).
  bool IsUpgrade(std::string_view token) const;
};

// The reply to one Request. Thread-safe; usable after the handler returned.
// Exactly one of Send, StartStream(+Write…+Finish), Upgrade, Hijack or
// AcceptWebSocket may be used; later attempts fail (false or
// FailedPrecondition).
class Response {
 public:
  ~Response();
  Response(const Response&) = delete;
  Response& operator=(const Response&) = delete;

  // A complete response with Content-Length. False if a response was already
  // begun or the client is gone.
  bool Send(int status, const Headers& headers, std::string body);
  // Begins a streamed (chunked) response. False as for Send.
  bool StartStream(int status, const Headers& headers);
  // Appends one chunk to the stream and flushes it promptly. Never blocks.
  // False once the client is gone, the stream finished, or none was started.
  bool Write(std::string data);
  // Bytes accepted by Write (or Send) not yet handed to the kernel.
  size_t QueuedBytes() const;
  // Blocks until QueuedBytes() < below_bytes (OK), the client left
  // (Unavailable) or ctx ended (ctx.Err()).
  absl::Status WaitWritable(const Context& ctx, size_t below_bytes);
  // Ends the stream (last chunk); the connection then serves its next
  // request. False if no stream was open.
  bool Finish();
  // True once Send/StartStream/Upgrade/Hijack/AcceptWebSocket was used.
  bool started() const;
  // True between StartStream and Finish.
  bool streaming() const;

  // Cancelled when the client disconnects, the response completes, or the
  // server stops (at once for a stream, at the end of the grace otherwise).
  const Context& context() const { return ctx_; }

  // Writes `101 Switching Protocols` with `headers` (Connection/Upgrade are
  // added from the request if missing) and returns the raw connection.
  absl::StatusOr<std::shared_ptr<Connection>> Upgrade(const Headers& headers);
  // Returns the raw connection without writing anything (for proxies that
  // forward the upstream's own response).
  absl::StatusOr<std::shared_ptr<Connection>> Hijack();
  // Completes a WebSocket handshake, echoing `subprotocol` (empty: none) as
  // Sec-WebSocket-Protocol. InvalidArgument if the request is not a
  // WebSocket upgrade (nothing is sent then: answer it yourself).
  absl::StatusOr<std::shared_ptr<WebSocketConnection>> AcceptWebSocket(std::string subprotocol,
                                                                       const WebSocketOptions& options = {});

 private:
  friend class detail::ServerSession;
  enum class State { kNone, kSent, kStreaming, kFinished, kTakenOver };
  Response() = default;
  bool Complete(bool keep_alive) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  std::shared_ptr<detail::Channel> TakeOver() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  mutable absl::Mutex mu_;
  State state_ ABSL_GUARDED_BY(mu_) = State::kNone;
  bool keep_alive_ ABSL_GUARDED_BY(mu_) = true;
  bool chunked_ ABSL_GUARDED_BY(mu_) = true;
  std::weak_ptr<detail::ServerSession> session_;
  std::weak_ptr<detail::Channel> channel_;
  uint64_t seq_ = 0;
  Context ctx_ = Context::Background();
  bool head_request_ = false;
  int version_ = 11;
  bool client_keep_alive_ = true;
  std::string upgrade_token_;
  bool websocket_request_ = false;
};

using Handler = std::function<void(Request& request, std::shared_ptr<Response> response)>;

// The server. Create, Start, Stop (or destroy).
class Server {
 public:
  // Validates options (and loads TLS material); does not bind yet.
  static absl::StatusOr<std::unique_ptr<Server>> Create(ServerOptions options, Handler handler);
  ~Server();  // Stop(absl::ZeroDuration()) if still running
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  // Binds and starts serving. Errors: address in use, bad address.
  absl::Status Start();
  // See the design note. Safe to call twice; must not be called from a
  // handler or connection callback.
  void Stop(absl::Duration grace = absl::Seconds(5));
  // The bound port (after Start).
  int port() const;
  // Open connections (including upgraded ones), for tests and metrics.
  size_t open_connections() const;

 private:
  explicit Server(std::unique_ptr<detail::ServerImpl> impl);
  std::unique_ptr<detail::ServerImpl> impl_;
};

}  // namespace vkubelet::internal::http

#endif  // VKUBELET_INTERNAL_HTTP_SERVER_H_
