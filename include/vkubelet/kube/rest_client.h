// Copyright 2026 The vkubelet Authors. Licensed under the Apache License 2.0.
//
// RestClient: HTTP to the Kubernetes API server. One RestClient is meant to be
// shared (std::shared_ptr) by every ResourceClient and Informer of a process,
// including several virtual nodes: it keeps connections alive and reuses
// them, applies one client-side rate limit (token bucket, QPS/burst) and
// counts requests for /metrics.
//
// Every request:
//  * waits for the rate limiter (the wait respects the Context),
//  * carries User-Agent, Accept (protobuf first unless configured for JSON),
//    and the credentials (bearer token — re-read when its file rotates —,
//    basic auth, exec plugin, client certificate),
//  * ends when the Context is cancelled or its deadline passes (the
//    connection is closed; the result is the Context's error),
//  * is retried by the rule documented at RetryPolicy (config.h): 429 always,
//    5xx/connection resets only for idempotent requests or when the server
//    sent Retry-After; a 401 is retried once after refreshing credentials.
//
// Non-2xx answers become absl::Status via errdefs::FromKubernetesStatus: the
// meta/v1 Status body (protobuf or JSON) is decoded and kept as a payload
// (errdefs::GetKubernetesStatus), so reason, code, causes and retry-after are
// all available. A body that is not a Status still yields a Status payload
// with the HTTP code.
//
// Transport (ClientConfig::transport): by default a request runs entirely on
// the calling thread — blocking sockets, OpenSSL, Beast's HTTP/1.1 parser,
// a pool of up to 64 idle keep-alive connections (idle ones the server closed
// are noticed before reuse). HttpTransportKind::kCppRest selects cpprestsdk's
// http_client instead.
//
// Threading: every method is thread-safe; a call blocks its thread until the
// answer (or the Context's end). With kCppRest, blocking calls must not be
// made from cpprestsdk's own thread pool (no library code does).

#ifndef VKUBELET_KUBE_REST_CLIENT_H_
#define VKUBELET_KUBE_REST_CLIENT_H_

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "vkubelet/clock.h"
#include "vkubelet/context.h"
#include "vkubelet/kube/codec.h"
#include "vkubelet/kube/config.h"

namespace vkubelet::kube {

using HeaderList = std::vector<std::pair<std::string, std::string>>;

// One request. `path` is the API path ("/api/v1/namespaces/default/pods"); a
// path prefix of ClientConfig::server is prepended. Query values are given
// unencoded and percent-encoded by the client.
struct RestRequest {
  std::string method = "GET";
  std::string path;
  std::vector<std::pair<std::string, std::string>> query;
  std::string body;
  std::string content_type;  // media type of `body` ("" when there is none)
  std::string accept;        // "" = the client's default (see RestClient::DefaultAccept)
  HeaderList headers;        // extra headers
};

struct RestResponse {
  int status_code = 0;
  std::string content_type;  // the Content-Type header, as sent
  std::string body;
  HeaderList headers;
  // First value of a header (case-insensitive), "" when absent.
  std::string Header(std::string_view name) const;
};

// The body of a streamed response (a watch), read as it arrives. Read and
// Close may be called from different threads; Read from one thread at a time.
class ResponseStream {
 public:
  virtual ~ResponseStream() = default;
  virtual int status_code() const = 0;
  virtual const std::string& content_type() const = 0;
  // Blocks until more bytes arrive and appends them to *out (at most
  // `max_bytes`). Returns false at the end of the body. Errors: the connection
  // broke (Unavailable), the stream's Context ended (its error), Close() was
  // called (Cancelled).
  virtual absl::StatusOr<bool> Read(std::string* out, size_t max_bytes = 256 << 10) = 0;
  // Ends the stream; a blocked Read returns promptly. Idempotent.
  virtual void Close() = 0;
};

// Request counts and latencies by HTTP method and status code (0 when no
// response arrived), for the /metrics endpoint. A plain value.
struct RequestMetrics {
  // Upper bounds of the latency histogram buckets, in seconds (the last
  // bucket, +Inf, is implicit).
  std::vector<double> latency_buckets;
  struct Series {
    std::string method;
    int code = 0;
    uint64_t count = 0;
    double latency_sum_seconds = 0;
    std::vector<uint64_t> latency_counts;  // per bucket, not cumulative; size latency_buckets + 1
  };
  std::vector<Series> requests;  // sorted by method, code
  uint64_t retries = 0;          // requests sent again after a retryable failure
  uint64_t rate_limited = 0;     // requests that had to wait for the rate limiter
  double rate_limiter_wait_seconds = 0;
  uint64_t open_streams = 0;  // watches currently open
};

class RestClient {
 public:
  // Reads the TLS files and the token file and checks them (errors name the
  // file or field). `clock` drives the rate limiter, retry waits and exec
  // credential expiry; it must outlive the client.
  static absl::StatusOr<std::shared_ptr<RestClient>> Create(ClientConfig config,
                                                            const Clock* clock = Clock::Real());
  ~RestClient();
  RestClient(const RestClient&) = delete;
  RestClient& operator=(const RestClient&) = delete;

  // Sends `request` and reads the whole response. Non-2xx → error (see the
  // file comment).
  absl::StatusOr<RestResponse> Do(const Context& ctx, const RestRequest& request);

  // Sends `request` and returns once the response headers arrived (2xx), the
  // body to be read incrementally. The stream lives until `ctx` ends, Close()
  // or destruction. Retries like Do() until the headers arrived; never after.
  absl::StatusOr<std::unique_ptr<ResponseStream>> Stream(const Context& ctx, const RestRequest& request);

  const ClientConfig& config() const;
  // "application/vnd.kubernetes.protobuf, application/json" or "application/json".
  std::string DefaultAccept() const;
  RequestMetrics Metrics() const;

  class Impl;

 private:
  explicit RestClient(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

// The HTTP status code an error from RestClient carries (0 when it has none,
// e.g. a connection error).
int HttpStatusOf(const absl::Status& status);

}  // namespace vkubelet::kube

#endif  // VKUBELET_KUBE_REST_CLIENT_H_
