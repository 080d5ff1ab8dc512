// Copyright 2026 The vkubelet Authors. Licensed under the Apache License 2.0.
//
// The streaming routes of the kubelet API — the one place where exec, attach,
// port-forward and run are mounted on the server (private to the library):
//
//   GET/POST /exec/{namespace}/{pod}/{container}          (+ /{uid}/ variant)
//   GET/POST /attach/{namespace}/{pod}/{container}        (+ /{uid}/ variant)
//   GET/POST /portForward/{namespace}/{pod}               (+ /{uid} variant)
//   POST     /run/{namespace}/{pod}/{container}           (+ /{uid}/ variant)
//
// They are authorized like every other route (nodes/proxy) before their
// handler runs. The handlers are the SPDY/3.1 and WebSocket sessions of
// lib/api/streaming (service.h); they answer 501 when the provider lacks the
// ability the route needs. See router.h for what a handler receives and must
// honour.

#ifndef VKUBELET_LIB_API_STREAMING_ROUTES_H_
#define VKUBELET_LIB_API_STREAMING_ROUTES_H_

#include <memory>
#include <vector>

#include "absl/time/time.h"
#include "api/router.h"
#include "vkubelet/provider.h"

namespace vkubelet::api::internal {

struct StreamingDeps {
  // Null when the provider lacks the ability.
  ContainerExecProvider* exec = nullptr;
  PortForwardProvider* port_forward = nullptr;
  // The provider itself (pod lookups); may be null.
  std::shared_ptr<PodLifecycleHandler> provider;
  // Virtual-kubelet's defaults for SPDY stream negotiation.
  absl::Duration stream_creation_timeout = absl::Seconds(30);
  absl::Duration stream_idle_timeout = absl::Seconds(30);
};

// The routes to register for exec/attach/portForward/run.
std::vector<Route> StreamingRoutes(const StreamingDeps& deps);

}  // namespace vkubelet::api::internal

#endif  // VKUBELET_LIB_API_STREAMING_ROUTES_H_
