// Copyright 2026 The vkubelet Authors. Licensed under the Apache License 2.0.

#include "vkubelet/node/kube_event_sink.h"

#include <utility>

#include "vkubelet/kube/resource_client.h"
#include "vkubelet/kube/rest_client.h"

namespace vkubelet::node {
namespace {

class KubeEventSink final : public EventSink {
 public:
  explicit KubeEventSink(std::shared_ptr<kube::RestClient> client) : events_(std::move(client)) {}

  absl::Status Create(const Context& ctx, const corev1::Event& event) override {
    // The recorder needs no part of the answer: decode only its metadata.
    return events_.CreatePartial(ctx, event).status();
  }

  absl::Status Patch(const Context& ctx, std::string_view ns, std::string_view name,
                     std::string_view patch_json) override {
    return events_.PatchPartial(ctx, ns, name, kube::PatchType::kStrategicMerge, patch_json).status();
  }

 private:
  kube::ResourceClient<corev1::Event> events_;
};

}  // namespace

std::shared_ptr<EventSink> NewKubeEventSink(std::shared_ptr<kube::RestClient> client) {
  return std::make_shared<KubeEventSink>(std::move(client));
}

}  // namespace vkubelet::node
