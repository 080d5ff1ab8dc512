// Copyright 2026 The vkubelet Authors. Licensed under the Apache License 2.0.
//
// The streaming routes are served by the SPDY/WebSocket sessions of
// lib/api/streaming (StreamingService); routes whose provider ability is
// missing answer 501 there.

#include "api/streaming_routes.h"

#include "api/streaming/service.h"

namespace vkubelet::api::internal {

std::vector<Route> StreamingRoutes(const StreamingDeps& deps) { return NewStreamingRoutes(deps); }

}  // namespace vkubelet::api::internal
