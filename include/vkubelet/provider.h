// Copyright 2026 The vkubelet Authors. Licensed under the Apache License 2.0.
//
// The provider contract. A provider implements PodLifecycleHandler and, where
// its backend can, any of the optional ability interfaces below; the SDK finds
// them with dynamic_cast when it wires the node. A missing ability is answered
// "501 Not Implemented" on its kubelet API route, never a crash.
//
// Threading: the SDK calls a provider from several worker threads at once,
// never for the same pod concurrently. Calls may block up to the Context's
// deadline; a provider with an asynchronous backend returns early and reports
// progress through PodNotifier. Errors use the categories of errdefs.h
// (NotFound above all: the controllers branch on it).

#ifndef VKUBELET_PROVIDER_H_
#define VKUBELET_PROVIDER_H_

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "vkubelet/context.h"
#include "vkubelet/io.h"
#include "vkubelet/stats/summary.h"
#include "vkubelet/types.h"

namespace vkubelet {

// The mandatory part: pod lifecycle. Results are immutable snapshots
// (shared_ptr<const T>): the SDK may keep and share them across threads, so a
// provider must never modify an object after returning it.
class PodLifecycleHandler {
 public:
  virtual ~PodLifecycleHandler() = default;

  // Starts the pod in the backend. `pod` has its environment already resolved
  // (unless the node was told to skip that). AlreadyExists if it is running.
  virtual absl::Status CreatePod(const Context& ctx, const corev1::Pod& pod) = 0;
  // Applies a change of the pod's mutable fields (containers' images,
  // activeDeadlineSeconds, tolerations, labels, annotations). NotFound if unknown.
  virtual absl::Status UpdatePod(const Context& ctx, const corev1::Pod& pod) = 0;
  // Stops the pod and releases it. May be called more than once for the same
  // pod: NotFound once the provider no longer knows it (the SDK treats that as
  // success). A provider with PodNotifier should then report a terminal status.
  virtual absl::Status DeletePod(const Context& ctx, const corev1::Pod& pod) = 0;
  // The pod as the provider knows it, with a current status. NotFound if unknown.
  virtual absl::StatusOr<std::shared_ptr<const corev1::Pod>> GetPod(const Context& ctx, std::string_view ns,
                                                                    std::string_view name) = 0;
  // The pod's current status. NotFound if unknown.
  virtual absl::StatusOr<std::shared_ptr<const corev1::PodStatus>> GetPodStatus(const Context& ctx,
                                                                                std::string_view ns,
                                                                                std::string_view name) = 0;
  // Every pod the provider runs for this node.
  virtual absl::StatusOr<std::vector<std::shared_ptr<const corev1::Pod>>> GetPods(const Context& ctx) = 0;
};

// Optional: push status changes instead of being polled.
class PodNotifier {
 public:
  virtual ~PodNotifier() = default;
  // Registers the callback the provider calls, from any thread, whenever a
  // pod's status changes and after every CreatePod, UpdatePod and DeletePod it
  // accepted (with the whole pod and an up-to-date status; never with a
  // provider lock held). Called once at start; must not block. The callback
  // never blocks for long: the SDK coalesces notifications per pod (the latest
  // wins) and writes them to the API server on its own threads. After `ctx`
  // ends the provider should stop calling it; calls that still come are
  // ignored.
  virtual void NotifyPods(const Context& ctx,
                          std::function<void(std::shared_ptr<const corev1::Pod>)> callback) = 0;
};

// Optional: a heartbeat for the backend and node status pushes.
class NodeProvider {
 public:
  virtual ~NodeProvider() = default;
  // A cheap health check of the backend, called every ping interval with a
  // deadline. While it fails the node reports Ready=False (ProviderPingFailed).
  virtual absl::Status Ping(const Context& ctx) = 0;
  // Registers a callback the provider calls when the node's status, labels or
  // annotations change. Called once at start; must not block; the callback
  // never blocks (the latest node wins).
  virtual void NotifyNodeStatus(const Context& ctx,
                                std::function<void(std::shared_ptr<const corev1::Node>)> callback) = 0;
};

// Optional: fill in the Node before it is registered: capacity, allocatable,
// conditions, nodeInfo, addresses, daemon endpoints, labels, taints.
class NodeConfigurer {
 public:
  virtual ~NodeConfigurer() = default;
  // `node` arrives with the SDK's defaults (name, labels, taint, port, OS);
  // the provider adds to or overrides them.
  virtual void ConfigureNode(const Context& ctx, corev1::Node* node) = 0;
};

// Optional: resource usage for /stats/summary and /metrics/resource (and thus
// metrics-server, `kubectl top` and the HorizontalPodAutoscaler).
class PodMetricsProvider {
 public:
  virtual ~PodMetricsProvider() = default;
  // Usage of the node and of every running pod. Counters (usageCoreNanoSeconds)
  // must be monotonic; every sample carries its time.
  virtual absl::StatusOr<stats::Summary> GetStatsSummary(const Context& ctx) = 0;
};

// What `kubectl logs` asked for (the kubelet's PodLogOptions).
struct ContainerLogOptions {
  std::optional<int64_t> tail_lines;     // last N lines only
  std::optional<int64_t> limit_bytes;    // stop after N bytes (the SDK enforces it too)
  std::optional<int64_t> since_seconds;  // only lines newer than now - N s
  std::optional<absl::Time> since_time;  // only lines at or after this time
  bool timestamps = false;               // prefix lines with an RFC 3339 timestamp
  bool follow = false;                   // keep streaming until the Context ends
  bool previous = false;                 // the previous instance of the container
  std::string stream = "All";            // "All", "Stdout" or "Stderr"
};

struct ContainerLogsRequest {
  std::string namespace_;
  std::string pod;
  std::string container;
  ContainerLogOptions options;
};

// Optional: container logs.
class ContainerLogsProvider {
 public:
  virtual ~ContainerLogsProvider() = default;
  // Writes the requested log bytes to `out` and returns when done; with
  // `follow`, keeps writing as lines appear until ctx is done (the client left)
  // or the container ended. NotFound for an unknown pod or container.
  virtual absl::Status GetContainerLogs(const Context& ctx, const ContainerLogsRequest& request,
                                        ByteWriter& out) = 0;
};

// A terminal size change from an interactive client.
struct TermSize {
  uint16_t width = 0;
  uint16_t height = 0;
};

// The standard streams of an exec or attach session. Streams the client did
// not ask for are null.
class AttachIO {
 public:
  virtual ~AttachIO() = default;
  virtual ByteReader* Stdin() = 0;
  virtual ByteWriter* Stdout() = 0;
  virtual ByteWriter* Stderr() = 0;  // always null with a TTY (stderr goes to stdout)
  virtual bool Tty() const = 0;
  // Blocks until the client resizes its terminal; nullopt once the session or
  // `ctx` ended. Only meaningful with a TTY.
  virtual std::optional<TermSize> NextResize(const Context& ctx) = 0;
};

struct ExecRequest {
  std::string namespace_;
  std::string pod;
  std::string container;
  std::vector<std::string> command;
};

struct AttachRequest {
  std::string namespace_;
  std::string pod;
  std::string container;
};

// Optional: `kubectl exec` and `kubectl attach`.
class ContainerExecProvider {
 public:
  virtual ~ContainerExecProvider() = default;
  // Runs `request.command` in the container wired to `io`, returning when the
  // command ends. A non-zero exit code is reported as errdefs::ExitCode(code)
  // (kubectl then exits with it). ctx is cancelled when the client goes away.
  virtual absl::Status RunInContainer(const Context& ctx, const ExecRequest& request, AttachIO& io) = 0;
  // Attaches `io` to the container's main process. Unimplemented by default.
  virtual absl::Status AttachToContainer(const Context& ctx, const AttachRequest& request, AttachIO& io);
};

struct PortForwardRequest {
  std::string namespace_;
  std::string pod;
  int32_t port = 0;
};

// Optional: `kubectl port-forward`.
class PortForwardProvider {
 public:
  virtual ~PortForwardProvider() = default;
  // Connects `stream` to `request.port` of the pod and copies bytes both ways
  // until either side closes or ctx ends. Called once per client connection,
  // possibly many times concurrently.
  virtual absl::Status PortForward(const Context& ctx, const PortForwardRequest& request, DuplexStream& stream) = 0;
};

}  // namespace vkubelet

#endif  // VKUBELET_PROVIDER_H_
