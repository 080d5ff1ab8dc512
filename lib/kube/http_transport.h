// Copyright 2026 The vkubelet Authors. Licensed under the Apache License 2.0.
//
// The HTTP exchange under RestClient: one request out, one response (or a
// streamed body) back, nothing else. RestClient keeps everything that does
// not depend on how bytes move — credentials, rate limiting, retries, error
// decoding, metrics — and hands each attempt to an HttpTransport:
//
//  * NativeTransport (http_transport_native.cc): blocking sockets driven on
//    the calling thread, OpenSSL on memory BIOs, Beast's HTTP/1.1 parser, a
//    pool of keep-alive connections. No thread hand-offs per request.
//  * CppRestTransport (http_transport_cpprest.cc): cpprestsdk's http_client.
//
// Private to lib/kube.

#ifndef VKUBELET_LIB_KUBE_HTTP_TRANSPORT_H_
#define VKUBELET_LIB_KUBE_HTTP_TRANSPORT_H_

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "vkubelet/context.h"
#include "vkubelet/kube/config.h"
#include "vkubelet/kube/rest_client.h"

namespace vkubelet::kube::internal {

// True for methods whose repetition has the effect of one request (RFC 9110):
// the ones sent again after a failure that may have reached the server.
inline bool IsIdempotent(std::string_view method) {
  return method == "GET" || method == "HEAD" || method == "PUT" || method == "DELETE" || method == "OPTIONS";
}

// One attempt, fully prepared by RestClient.
struct WireRequest {
  std::string method;
  // Percent-encoded path and query, without the server URL's path prefix
  // (the transport adds it).
  std::string target;
  // Every header but Host, Content-Length and Connection.
  HeaderList headers;
  std::string_view body;
  bool has_body = false;  // send Content-Length even when `body` is empty
  // Return after the response headers of a 2xx, the body as a stream.
  bool streaming = false;
  // A client certificate from the exec plugin (PEM); empty: the configured one.
  std::string_view cert_pem;
  std::string_view key_pem;
};

// What came back. `error` is set when no complete response arrived; then
// `not_sent` tells whether the server can be sure to have seen nothing (the
// connection was refused), which makes any request safe to send again.
struct WireResult {
  absl::Status error;
  bool not_sent = false;
  int status_code = 0;
  std::string content_type;
  HeaderList headers;
  std::string body;  // the whole body, unless `stream` is set
  // Streaming 2xx responses only: the body still to be read. Lives until its
  // Context ends, Close() or destruction.
  std::unique_ptr<ResponseStream> stream;
};

// Settings shared by both transports, resolved by RestClient.
struct TransportConfig {
  std::string server;  // ClientConfig::server
  std::string ca_pem;  // "" = system roots
  std::string cert_pem, key_pem;
  bool insecure = false;
  std::string server_name;
  absl::Duration timeout;             // idle timeout of ordinary requests
  absl::Duration watch_idle_timeout;  // idle timeout of streams
  // Watches currently open (shared with streams, which may outlive the client).
  std::shared_ptr<std::atomic<int64_t>> open_streams;
};

class HttpTransport {
 public:
  virtual ~HttpTransport() = default;
  // Thread-safe; blocks until the response (headers, for streams) arrived,
  // the connection failed or `ctx` ended (then `error` is ctx.Err()).
  virtual WireResult RoundTrip(const Context& ctx, const WireRequest& request) = 0;
  // Connections opened so far (keep-alive reuse is observable in tests).
  virtual uint64_t connections_opened() const = 0;
};

// Errors: InvalidInput for a server URL or TLS material that cannot be used.
absl::StatusOr<std::unique_ptr<HttpTransport>> NewNativeTransport(const TransportConfig& config);
absl::StatusOr<std::unique_ptr<HttpTransport>> NewCppRestTransport(const TransportConfig& config);

}  // namespace vkubelet::kube::internal

#endif  // VKUBELET_LIB_KUBE_HTTP_TRANSPORT_H_
