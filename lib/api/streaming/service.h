// Copyright 2026 The vkubelet Authors. Licensed under the Apache License 2.0.
//
// StreamingService: the exec, attach, port-forward and run endpoints of the
// kubelet API (private to the library). It owns what the sessions share
// (StreamingRuntime: provider threads, the timer thread, counters) and hands
// out the routes that streaming_routes.cc mounts. Destroying the service
// (with the route table) cancels every session and waits up to
// options.shutdown_grace for provider calls to return; calls that ignore
// their Context beyond that are left to finish on their own.
//
// Routes (authorized as nodes/proxy before they run):
//   GET/POST /exec/{namespace}/{pod}[/{uid}]/{container}     remote_command.h
//   GET/POST /attach/{namespace}/{pod}[/{uid}]/{container}   remote_command.h
//   GET/POST /portForward/{namespace}/{pod}[/{uid}]          port_forward.h
//   POST     /run/{namespace}/{pod}[/{uid}]/{container}?cmd= combined output

#ifndef VKUBELET_LIB_API_STREAMING_SERVICE_H_
#define VKUBELET_LIB_API_STREAMING_SERVICE_H_

#include <memory>
#include <vector>

#include "api/router.h"
#include "api/streaming/options.h"
#include "api/streaming/runtime_state.h"
#include "api/streaming_routes.h"

namespace vkubelet::api::internal {

class StreamingService : public std::enable_shared_from_this<StreamingService> {
 public:
  StreamingService(const StreamingDeps& deps, StreamingOptions options);
  ~StreamingService();
  StreamingService(const StreamingService&) = delete;
  StreamingService& operator=(const StreamingService&) = delete;

  // The routes; each keeps the service alive.
  std::vector<Route> Routes();

  void ServeExec(RouteRequest& request);
  void ServeAttach(RouteRequest& request);
  void ServePortForward(RouteRequest& request);
  // Legacy /run: cmd= split on spaces, no stdin, stdout and stderr combined
  // into the 200 body. Provider errors map through errdefs (404, 400, ...);
  // a non-zero exit code answers 500.
  void ServeRun(RouteRequest& request);

  const StreamingCounters& counters() const { return runtime_->counters; }
  const std::shared_ptr<StreamingRuntime>& runtime() const { return runtime_; }

 private:
  std::shared_ptr<StreamingRuntime> runtime_;
};

// The routes for `deps`, with deps' timeouts applied to `options`.
std::vector<Route> NewStreamingRoutes(const StreamingDeps& deps, StreamingOptions options = {});

}  // namespace vkubelet::api::internal

#endif  // VKUBELET_LIB_API_STREAMING_SERVICE_H_
