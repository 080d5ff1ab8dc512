// Copyright 2026 The vkubelet Authors. Licensed under the Apache License 2.0.
//
// Placeholder handlers for the streaming routes: correct routing, methods and
// authorization today; the SPDY/WebSocket sessions are mounted here later.

#include "api/streaming_routes.h"

#include <string>

namespace vkubelet::api::internal {
namespace {

void NotImplemented(RouteRequest& r, std::string what) {
  http::Headers h{{"Content-Type", "text/plain; charset=utf-8"}, {"X-Content-Type-Options", "nosniff"}};
  r.response->Send(501, h, std::move(what) + "\n");
}

}  // namespace

std::vector<Route> StreamingRoutes(const StreamingDeps& deps) {
  std::vector<Route> routes;
  const bool has_exec = deps.exec != nullptr;
  const bool has_pf = deps.port_forward != nullptr;
  auto exec_like = [has_exec](std::string name) {
    return [has_exec, name](RouteRequest& r) {
      NotImplemented(r, has_exec
                            ? name + " is not available: streaming sessions are not enabled in this build"
                            : name + " is not implemented by the provider");
    };
  };
  for (const char* path : {"/exec", "/attach"}) {
    std::string base = path;
    routes.push_back({{"GET", "POST"}, base + "/{namespace}/{pod}/{container}", exec_like(base.substr(1))});
    routes.push_back(
        {{"GET", "POST"}, base + "/{namespace}/{pod}/{uid}/{container}", exec_like(base.substr(1))});
  }
  routes.push_back({{"POST"}, "/run/{namespace}/{pod}/{container}", exec_like("run")});
  routes.push_back({{"POST"}, "/run/{namespace}/{pod}/{uid}/{container}", exec_like("run")});
  auto pf = [has_pf](RouteRequest& r) {
    NotImplemented(r, has_pf
                          ? "portForward is not available: streaming sessions are not enabled in this build"
                          : "portForward is not implemented by the provider");
  };
  routes.push_back({{"GET", "POST"}, "/portForward/{namespace}/{pod}", pf});
  routes.push_back({{"GET", "POST"}, "/portForward/{namespace}/{pod}/{uid}", pf});
  return routes;
}

}  // namespace vkubelet::api::internal
