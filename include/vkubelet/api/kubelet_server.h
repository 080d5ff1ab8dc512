// Copyright 2026 The vkubelet Authors. Licensed under the Apache License 2.0.
//
// KubeletServer: the kubelet HTTP API on :10250 that the API server (kubectl
// logs/exec/attach/port-forward, nodes/proxy), metrics-server and
// Prometheus reach.
//
//   GET  /containerLogs/{namespace}/{pod}/{container}   container logs (follow streams)
//   GET  /pods                                          v1 PodList: this node's pods as Kubernetes sees them
//   GET  /runningpods/                                  v1 PodList: the provider's GetPods
//   GET  /stats/summary (POST too)                      stats/v1alpha1 Summary JSON
//   GET  /metrics/resource                              resource metrics (metrics-server)
//   GET  /metrics                                       the SDK's own metrics (MetricsSource)
//   GET  /healthz, /healthz/ping, /healthz/log, /healthz/<check>
//   GET/POST /exec, /attach, /portForward, POST /run    streaming (see below)
//
// Every route, including /healthz and unknown paths, is behind
// authentication and authorization exactly as in the kubelet (auth.h): 401
// "Unauthorized", 403 "Forbidden (user=…, verb=…, resource=nodes,
// subresource(s)=[…])", 500 when the authorizer fails. Unknown paths answer
// 404, wrong methods 405, routes whose provider ability is missing 501, and
// provider errors map through errdefs (NotFound 404, InvalidInput 400, ...).
//
// Streaming (exec/attach/port-forward/run): the routes are authorized
// (subresource proxy) like any other; their handlers are mounted through
// StreamingRoutes() (lib/api/streaming_routes.cc) on the server's private
// route table (lib/api/router.h), and answer 501 when the provider lacks
// ContainerExecProvider / PortForwardProvider.
//
// Threading: Start/Stop from one thread; everything else is thread-safe.
// Requests are served by `handler_threads` threads; each container log stream
// gets a thread of its own (at most `max_log_streams`), so `logs -f` clients
// never starve short requests.

#ifndef VKUBELET_API_KUBELET_SERVER_H_
#define VKUBELET_API_KUBELET_SERVER_H_

#include <cstddef>
#include <functional>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "vkubelet/api/auth.h"
#include "vkubelet/clock.h"
#include "vkubelet/context.h"
#include "vkubelet/provider.h"
#include "vkubelet/stats/prometheus.h"
#include "vkubelet/types.h"

namespace vkubelet::api {

// A named health check served at /healthz/<name> and included in /healthz.
struct HealthCheck {
  std::string name;
  std::function<absl::Status()> check;  // must be quick; OK = healthy
};

struct KubeletServerOptions {
  // The node's name: the `name` of every nodes/<subresource> authorization
  // check. Required.
  std::string node_name;

  // Where to listen. 0 picks a free port (port() tells which).
  std::string address = "0.0.0.0";
  int port = 10250;

  // --- Serving certificate ------------------------------------------------------
  // PEM certificate chain and key. Re-read for new connections whenever the
  // files change (rotation without restart).
  std::string tls_cert_file;
  std::string tls_key_file;
  // Without files: generate a self-signed certificate in memory (CN = node
  // name) for `self_signed_hosts` (DNS names or IP addresses; default: the
  // node name, "localhost", "127.0.0.1" and `address` when it is an IP).
  bool self_signed = false;
  std::vector<std::string> self_signed_hosts;
  // Plain HTTP, no TLS. Development only: client certificates cannot work and
  // bearer tokens travel in the clear; a warning is logged.
  bool insecure_plain_http = false;

  // --- Client certificates ------------------------------------------------------
  // CA bundle (file or PEM) that client certificates must chain to; the API
  // server presents one signed by the cluster CA (--kubelet-client-certificate).
  std::string client_ca_file;
  std::string client_ca_pem;
  // Refuse TLS connections without a verified client certificate (mTLS).
  bool require_client_certificate = false;

  // --- Authentication and authorization -------------------------------------------
  // Both required unless `no_auth` (see NewWebhookAuth for the kubelet's default).
  std::shared_ptr<Authenticator> authenticator;
  std::shared_ptr<Authorizer> authorizer;
  // Development only: every request is system:anonymous and allowed; a
  // warning is logged at start.
  bool no_auth = false;
  // KubeletFineGrainedAuthz: pods/healthz/configz subresources (then proxy).
  bool fine_grained_authorization = true;

  // --- Limits and timeouts --------------------------------------------------------
  size_t max_connections = 1000;
  // Request line plus headers (the kubelet's MaxHeaderBytes); larger: 431.
  size_t max_header_bytes = 1 << 20;
  // Request bodies (only /stats/summary and /run take one); larger: 413.
  size_t max_body_bytes = 1 << 20;
  // For a request's headers (and a new connection's TLS handshake) to arrive:
  // slow clients are disconnected after it.
  absl::Duration header_read_timeout = absl::Seconds(30);
  // A keep-alive connection waiting for its next request (kubelet: 90 s).
  absl::Duration idle_timeout = absl::Seconds(90);
  // Deadline of non-streaming provider calls (stats, GetPods, the pod list).
  absl::Duration provider_timeout = absl::Seconds(60);
  // exec/attach/port-forward: how long a client has to open the streams of a
  // session, and how long a session may stay silent before it is closed.
  absl::Duration stream_creation_timeout = absl::Seconds(30);
  absl::Duration stream_idle_timeout = absl::Seconds(30);
  // Concurrent container log streams; more answer 503.
  size_t max_log_streams = 256;
  // Bytes a log stream may have queued for a slow client before the
  // provider's ByteWriter::Write blocks.
  size_t log_stream_buffer_bytes = 256 << 10;
  int io_threads = 2;
  int handler_threads = 16;

  // Extra checks for /healthz (ping and log are built in).
  std::vector<HealthCheck> health_checks;
  // Sources for /metrics, besides the server's own request metrics.
  std::vector<std::shared_ptr<stats::MetricsSource>> metrics_sources;
  // Time for request latency metrics.
  const Clock* clock = Clock::Real();
};

// Pods bound to this node as Kubernetes sees them (the pod informer's cache).
using PodListFunc =
    std::function<absl::StatusOr<std::vector<std::shared_ptr<const corev1::Pod>>>(const Context& ctx)>;

// What the server serves from.
struct KubeletServerHandlers {
  // The provider. Its optional abilities (ContainerLogsProvider,
  // PodMetricsProvider, ContainerExecProvider, PortForwardProvider) are found
  // with dynamic_cast; GetPods serves /runningpods/. May be null (every
  // provider route then answers 501).
  std::shared_ptr<PodLifecycleHandler> provider;
  // Serves /pods and lets /containerLogs answer 404 for pods and containers
  // Kubernetes does not know before asking the provider. Unset: /pods answers
  // 501 and unknown pods are left to the provider's NotFound.
  PodListFunc list_pods;
};

class KubeletServer {
 public:
  // Validates the options, loads or generates the TLS material; does not
  // listen yet. Errors: InvalidArgument (no node name, no authenticator or
  // authorizer without no_auth, neither TLS files nor self_signed nor
  // insecure_plain_http, unreadable files, bad PEM).
  static absl::StatusOr<std::unique_ptr<KubeletServer>> Create(KubeletServerOptions options,
                                                               KubeletServerHandlers handlers);
  ~KubeletServer();  // Stop() if still running
  KubeletServer(const KubeletServer&) = delete;
  KubeletServer& operator=(const KubeletServer&) = delete;

  // Binds and serves. Errors: address in use, bad address.
  absl::Status Start();
  // Stops accepting; log streams end at once (their provider Contexts are
  // cancelled), other requests get up to `grace` to finish; then every
  // connection closes and every thread is joined. Idempotent.
  void Stop(absl::Duration grace = absl::Seconds(5));
  // The bound port (after Start).
  int port() const;
  // The serving certificate (PEM) in use at start, e.g. to trust a
  // self-signed one; empty with insecure_plain_http.
  std::string serving_certificate_pem() const;

  // Adds a /metrics source at any time (duplicates are ignored).
  void AddMetricsSource(std::shared_ptr<stats::MetricsSource> source);
  void RemoveMetricsSource(const std::shared_ptr<stats::MetricsSource>& source);

  // The server's own metrics (kubelet_http_requests_total,
  // kubelet_http_requests_duration_seconds, kubelet_http_inflight_requests,
  // kubelet log streams), also served on /metrics.
  std::shared_ptr<stats::MetricsSource> own_metrics() const;

  class Impl;
  // For the library's own factories; use Create.
  explicit KubeletServer(std::unique_ptr<Impl> impl);

 private:
  std::unique_ptr<Impl> impl_;
};

}  // namespace vkubelet::api

#endif  // VKUBELET_API_KUBELET_SERVER_H_
