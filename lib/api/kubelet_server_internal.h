// Copyright 2026 The vkubelet Authors. Licensed under the Apache License 2.0.
//
// Library-internal entry to KubeletServer: create it with additional routes
// on its private route table (router.h). KubeletServer::Create uses it with
// the streaming routes; tests use it to mount routes of their own behind the
// same authentication and authorization.

#ifndef VKUBELET_LIB_API_KUBELET_SERVER_INTERNAL_H_
#define VKUBELET_LIB_API_KUBELET_SERVER_INTERNAL_H_

#include <memory>
#include <vector>

#include "absl/status/statusor.h"
#include "api/router.h"
#include "vkubelet/api/kubelet_server.h"

namespace vkubelet::api::internal {

// Like KubeletServer::Create, with `routes` registered in place of the
// streaming placeholders when `replace_streaming` is true, or in addition to
// them otherwise. Errors: as Create, and a route clashing with another.
absl::StatusOr<std::unique_ptr<KubeletServer>> CreateKubeletServer(KubeletServerOptions options,
                                                                   KubeletServerHandlers handlers,
                                                                   std::vector<Route> routes,
                                                                   bool replace_streaming = false);

}  // namespace vkubelet::api::internal

#endif  // VKUBELET_LIB_API_KUBELET_SERVER_INTERNAL_H_
