// Copyright 2026 The vkubelet Authors. Licensed under the Apache License 2.0.
//
// KubePodApi: the PodApi of a real (or fake) API server — a node-scoped pod
// cache fed by list+watch (fieldSelector spec.nodeName=<node>; re-list on 410
// Expired, on a broken stream and after a server restart, with backoff) and
// the three pod writes the PodController makes (status PATCH, DELETE with a
// UID precondition, live GET), all over a shared kube::RestClient.

#ifndef VKUBELET_NODE_KUBE_POD_API_H_
#define VKUBELET_NODE_KUBE_POD_API_H_

#include <functional>
#include <memory>
#include <string>

#include "absl/time/time.h"
#include "vkubelet/clock.h"
#include "vkubelet/context.h"
#include "vkubelet/node/pod_controller.h"

namespace vkubelet::kube {
class RestClient;
}  // namespace vkubelet::kube

namespace vkubelet::node {

struct KubePodApiOptions {
  std::string node_name;  // required
  // A watch asks the server to end after this long (then it is re-opened).
  absl::Duration watch_timeout = absl::Minutes(5);
  // Wait between failed list/watch attempts: doubles from initial to max.
  absl::Duration backoff_initial = absl::Milliseconds(100);
  absl::Duration backoff_max = absl::Seconds(30);
  absl::Duration request_timeout = absl::Seconds(30);
  const Clock* clock = nullptr;  // nullptr: the real clock
};

// Pod events from the cache, delivered on the watch thread.
struct PodEventHandlers {
  std::function<void(const std::shared_ptr<const corev1::Pod>&)> on_add;
  std::function<void(const std::shared_ptr<const corev1::Pod>&, const std::shared_ptr<const corev1::Pod>&)>
      on_update;
  std::function<void(const std::shared_ptr<const corev1::Pod>&)> on_delete;
};

class KubePodApi : public PodApi {
 public:
  // Handlers that forward to `controller`.
  static PodEventHandlers HandlersFor(PodController* controller);

  // Set before Run.
  virtual void SetHandlers(PodEventHandlers handlers) = 0;
  // Lists and watches until `ctx` is done. Call once, on a thread of its own.
  virtual void Run(const Context& ctx) = 0;
  // Blocks (real time) until the first list completed.
  virtual bool WaitSynced(absl::Duration timeout) const = 0;
  // Number of (re-)lists so far.
  virtual int lists() const = 0;
};

std::unique_ptr<KubePodApi> NewKubePodApi(std::shared_ptr<kube::RestClient> client, KubePodApiOptions options);

}  // namespace vkubelet::node

#endif  // VKUBELET_NODE_KUBE_POD_API_H_
