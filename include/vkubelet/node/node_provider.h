// Copyright 2026 The vkubelet Authors. Licensed under the Apache License 2.0.
//
// NaiveNodeProvider: the NodeProvider the SDK uses for a provider that does
// not implement one (the reference's NaiveNodeProvider). Its Ping succeeds
// while the Context is live and it never pushes node status, so the node's
// status is what NodeConfigurer (or the node template) set at start, with the
// Ready condition driven by the SDK.

#ifndef VKUBELET_NODE_NODE_PROVIDER_H_
#define VKUBELET_NODE_NODE_PROVIDER_H_

#include <functional>
#include <memory>

#include "absl/status/status.h"
#include "vkubelet/context.h"
#include "vkubelet/provider.h"
#include "vkubelet/types.h"

namespace vkubelet::node {

// Stateless; thread-safe.
class NaiveNodeProvider final : public NodeProvider {
 public:
  // OK unless `ctx` is already done (then its error).
  absl::Status Ping(const Context& ctx) override { return ctx.Err(); }
  // Keeps nothing: this provider never notifies.
  void NotifyNodeStatus(const Context& /*ctx*/,
                        std::function<void(std::shared_ptr<const corev1::Node>)> /*callback*/) override {}
};

}  // namespace vkubelet::node

#endif  // VKUBELET_NODE_NODE_PROVIDER_H_
