// Copyright 2026 The vkubelet Authors. Licensed under the Apache License 2.0.
//
// The EventSink of the API server: POST /api/v1/namespaces/{ns}/events and
// strategic-merge PATCH of an existing Event, through a shared RestClient.

#ifndef VKUBELET_NODE_KUBE_EVENT_SINK_H_
#define VKUBELET_NODE_KUBE_EVENT_SINK_H_

#include <memory>

#include "vkubelet/node/event_recorder.h"

namespace vkubelet::kube {
class RestClient;
}  // namespace vkubelet::kube

namespace vkubelet::node {

// Thread-safe.
std::shared_ptr<EventSink> NewKubeEventSink(std::shared_ptr<kube::RestClient> client);

}  // namespace vkubelet::node

#endif  // VKUBELET_NODE_KUBE_EVENT_SINK_H_
