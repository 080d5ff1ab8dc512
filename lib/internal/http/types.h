// Copyright 2026 The vkubelet Authors. Licensed under the Apache License 2.0.
//
// Plain types shared by the HTTP server and client: header lists, the raw
// duplex Connection left after an HTTP upgrade, WebSocket connections, and
// small helpers (percent-decoding, query parsing, reason phrases). No Beast or
// Asio type appears here.

#ifndef VKUBELET_INTERNAL_HTTP_TYPES_H_
#define VKUBELET_INTERNAL_HTTP_TYPES_H_

#include <cstddef>
#include <cstdint>
#include <functional>
#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "vkubelet/context.h"

namespace vkubelet::internal::http {

// An ordered, multi-valued header list with case-insensitive names. Not
// thread-safe (a value type).
class Headers {
 public:
  using Entry = std::pair<std::string, std::string>;

  Headers() = default;
  Headers(std::initializer_list<Entry> entries) : entries_(entries) {}

  // Appends a value (keeps existing ones with the same name).
  void Add(std::string name, std::string value);
  // Replaces every value of `name` with `value`.
  void Set(std::string name, std::string value);
  void Remove(std::string_view name);
  bool Has(std::string_view name) const;
  // The first value of `name`, or "" when absent.
  std::string Get(std::string_view name) const;
  // Every value of `name`, in order.
  std::vector<std::string> GetAll(std::string_view name) const;
  // True if any comma-separated element of any `name` value equals `token`
  // (case-insensitive), e.g. HasToken("Connection", "upgrade").
  bool HasToken(std::string_view name, std::string_view token) const;

  const std::vector<Entry>& entries() const { return entries_; }
  std::vector<Entry>::const_iterator begin() const { return entries_.begin(); }
  std::vector<Entry>::const_iterator end() const { return entries_.end(); }
  size_t size() const { return entries_.size(); }
  bool empty() const { return entries_.empty(); }

 private:
  std::vector<Entry> entries_;
};

// Case-insensitive ASCII comparison.
bool EqualsIgnoreCase(std::string_view a, std::string_view b);

// Decodes %XX escapes (and '+' as space when `plus_as_space`). Errors on a
// malformed escape.
absl::StatusOr<std::string> PercentDecode(std::string_view in, bool plus_as_space = false);
// Escapes everything except RFC 3986 unreserved characters.
std::string PercentEncode(std::string_view in);

// A decoded, multi-valued query string ("a=1&a=2&b" → a:[1,2], b:[""]).
using QueryParams = std::vector<std::pair<std::string, std::string>>;
absl::StatusOr<QueryParams> ParseQuery(std::string_view raw_query);

// The standard reason phrase for a status code ("Not Found"), or "Unknown".
std::string_view StatusReason(int status);

// TLS for a server (TLS 1.2 or newer).
struct ServerTlsOptions {
  // Certificate chain and key files; re-read for new connections once their
  // modification time (or size) changes, so rotated certificates are picked
  // up without a restart. When both are empty, cert_pem/key_pem are used.
  std::string cert_file;
  std::string key_file;
  std::string cert_pem;
  std::string key_pem;
  // When set, clients are asked for a certificate, which is verified against
  // these CA certificates (PEM, one or more).
  std::string client_ca_pem;
  // With a client CA: reject connections without a verified client
  // certificate. Otherwise such connections are accepted and
  // PeerCertificate::verified tells the handler.
  bool require_client_cert = false;
};

// TLS for a client.
struct ClientTlsOptions {
  // Trusted CA certificates (PEM). Empty: the system's default paths.
  std::string ca_pem;
  // Client certificate and key (PEM), optional.
  std::string cert_pem;
  std::string key_pem;
  // SNI and the name checked against the server certificate (defaults to the
  // host); an IP address is checked against IP SANs.
  std::string server_name;
  bool insecure_skip_verify = false;
};

// The client certificate presented on a TLS connection.
struct PeerCertificate {
  std::string common_name;
  std::vector<std::string> organizations;
  // True when the chain verified against the server's client CA.
  bool verified = false;
};

// A raw duplex byte stream: what is left of an HTTP connection after
// `101 Switching Protocols` (plain TCP or TLS behind the same interface).
//
// Thread-safety: every method may be called from any thread. Callbacks run on
// the connection's I/O strand, one at a time, and must not block (hand work
// to another thread; use PauseReading for backpressure).
//
// Lifetime: the connection stays open until Close/Abort, the peer leaves or
// the owning server/client stops — dropping the last reference after Start()
// does not close it; dropping it before Start() aborts it. After the owner
// stopped every method is a harmless no-op (Write returns false).
class Connection {
 public:
  // Bytes received, in order.
  using DataFn = std::function<void(std::string_view data)>;
  // Called exactly once, after the last on_data: OK for an orderly end (peer
  // EOF, local Close), an error status otherwise.
  using CloseFn = std::function<void(const absl::Status& status)>;

  virtual ~Connection() = default;

  // Starts delivering data. Bytes that arrived with the HTTP request (read
  // ahead by the parser) come first. Call once.
  virtual void Start(DataFn on_data, CloseFn on_close) = 0;
  // Stops/restarts reading from the socket (backpressure). Idempotent.
  virtual void PauseReading() = 0;
  virtual void ResumeReading() = 0;
  // Enqueues bytes (never blocks). Returns false once the connection is closed
  // or closing; bytes accepted before a Close are still flushed.
  virtual bool Write(std::string data) = 0;
  // Bytes accepted by Write and not yet handed to the kernel.
  virtual size_t QueuedBytes() const = 0;
  // Blocks until QueuedBytes() < below_bytes (OK), or the connection closed
  // (Unavailable), or ctx ended (its error).
  virtual absl::Status WaitWritable(const Context& ctx, size_t below_bytes) = 0;
  // Flushes queued bytes, then shuts the connection down.
  virtual void Close() = 0;
  // Closes at once, dropping queued bytes.
  virtual void Abort() = 0;
  // Cancelled when the connection closes (for whatever reason).
  virtual const Context& context() const = 0;
  // "ip:port" of the peer.
  virtual std::string RemoteAddress() const = 0;
};

struct WebSocketOptions {
  // Larger incoming messages close the connection with 1009.
  size_t max_message_bytes = 16 << 20;
  // Without traffic for this long the connection is closed; a ping is sent
  // after half of it when `keep_alive_pings`. InfiniteDuration disables.
  absl::Duration idle_timeout = absl::Seconds(60);
  bool keep_alive_pings = true;
  absl::Duration handshake_timeout = absl::Seconds(30);
};

// A WebSocket connection (RFC 6455): whole messages, automatic ping/pong.
// Same threading and lifetime rules as Connection.
class WebSocketConnection {
 public:
  using MessageFn = std::function<void(std::string data, bool binary)>;
  // Called exactly once: the close code the peer (or we) sent and its reason;
  // 1006 when the connection dropped without a close frame.
  using CloseFn = std::function<void(int code, const std::string& reason)>;

  virtual ~WebSocketConnection() = default;

  virtual void Start(MessageFn on_message, CloseFn on_close) = 0;
  virtual void PauseReading() = 0;
  virtual void ResumeReading() = 0;
  // Enqueues one message. Returns false once closed or closing.
  virtual bool Send(std::string data, bool binary = true) = 0;
  virtual size_t QueuedBytes() const = 0;
  virtual absl::Status WaitWritable(const Context& ctx, size_t below_bytes) = 0;
  // Sends queued messages, then a close frame, and waits for the peer's.
  virtual void Close(int code = 1000, std::string reason = "") = 0;
  virtual void Abort() = 0;
  // The negotiated Sec-WebSocket-Protocol ("" if none).
  virtual const std::string& subprotocol() const = 0;
  virtual const Context& context() const = 0;
  virtual std::string RemoteAddress() const = 0;
};

}  // namespace vkubelet::internal::http

#endif  // VKUBELET_INTERNAL_HTTP_TYPES_H_
