// Copyright 2026 The vkubelet Authors. Licensed under the Apache License 2.0.
//
// The kubelet server's route table (private to the library). A route is a
// method set, a path pattern with {variables} and a handler. The server
// authenticates and authorizes every request *before* routing (as the
// kubelet's filter chain does, so unknown paths need credentials too), then
// calls the matching handler on a handler thread with a RouteRequest.
//
// Extension point for streaming: the SPDY/WebSocket code registers its
// /exec, /attach, /portForward and /run handlers through StreamingRoutes()
// (streaming_routes.h). A handler gets the raw http::Request (Upgrade,
// X-Stream-Protocol-Version, Sec-WebSocket-Protocol headers) and the
// http::Response to Upgrade()/AcceptWebSocket()/Hijack() on; it may return at
// once and keep the connection on its own threads. It must honour
// RouteRequest::ctx (cancelled when the client leaves or the server stops)
// and keep RouteRequest::scope alive for as long as the session lasts, so
// request metrics (latency, in-flight) cover the whole session.

#ifndef VKUBELET_LIB_API_ROUTER_H_
#define VKUBELET_LIB_API_ROUTER_H_

#include <functional>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "internal/http/server.h"
#include "vkubelet/api/auth.h"
#include "vkubelet/context.h"

namespace vkubelet::api::internal {

namespace http = ::vkubelet::internal::http;

// One routed request. Handlers may copy it (everything is owned or shared).
struct RouteRequest {
  // The raw request: method, path, query, headers, body, peer certificate.
  std::shared_ptr<http::Request> http;
  // The reply; see server.h for Send/StartStream/Upgrade/AcceptWebSocket.
  std::shared_ptr<http::Response> response;
  // Path variables by name ("namespace", "pod", "uid", "container").
  std::map<std::string, std::string, std::less<>> vars;
  // Who sent the request (already authorized for it).
  UserInfo user;
  // Cancelled when the client disconnects or the server stops.
  Context ctx = Context::Background();
  // Keeps the request counted as in flight (and its latency open) while held.
  std::shared_ptr<void> scope;

  // The variable's value, "" if the pattern has none of that name.
  std::string Var(std::string_view name) const {
    auto it = vars.find(name);
    return it == vars.end() ? std::string() : it->second;
  }
};

using RouteHandler = std::function<void(RouteRequest& request)>;

struct Route {
  // Upper-case HTTP methods ("GET", "POST").
  std::vector<std::string> methods;
  // "/exec/{namespace}/{pod}/{container}": literal segments and {name}
  // segments, each matching one non-empty path segment. A trailing slash on
  // the request path is ignored.
  std::string pattern;
  RouteHandler handler;
};

class Router {
 public:
  enum class Result { kFound, kNotFound, kMethodNotAllowed };
  struct Match {
    Result result = Result::kNotFound;
    const Route* route = nullptr;
    std::map<std::string, std::string, std::less<>> vars;
    // For 405: the methods the path accepts ("GET, POST").
    std::string allow;
  };

  // Errors: a pattern that does not start with '/', an empty or duplicate
  // variable name, a method already registered for an equivalent pattern.
  absl::Status Add(Route route);
  // Not thread-safe against Add; Find may run concurrently with itself.
  Match Find(std::string_view method, std::string_view path) const;

 private:
  struct Entry {
    Route route;
    std::vector<std::string> segments;  // "{name}" for variables
  };
  std::vector<Entry> entries_;
};

}  // namespace vkubelet::api::internal

#endif  // VKUBELET_LIB_API_ROUTER_H_
