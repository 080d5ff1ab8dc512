// Copyright 2026 The vkubelet Authors. Licensed under the Apache License 2.0.
//
// KubePodApi: the PodApi of a real (or fake) API server — the node-scoped pod
// cache of a kube::Informer<corev1::Pod> (fieldSelector spec.nodeName=<node>;
// resume, re-list on 410, backoff are the informer's) and the pod writes the
// PodController makes (status PATCH, DELETE with a UID precondition, live
// GET) through kube::ResourceClient<corev1::Pod>, over a shared RestClient.

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
  absl::Duration backoff_initial = absl::Milliseconds(800);
  absl::Duration backoff_max = absl::Seconds(30);
  absl::Duration request_timeout = absl::Seconds(30);
  // Every cached pod is handed to on_update(pod, pod) this often, so the pod
  // controller compares it with the provider again (--full-resync-period);
  // zero: never.
  absl::Duration resync_period = absl::ZeroDuration();
  const Clock* clock = nullptr;  // the informer's clock; nullptr: the real clock
};

// Pod events from the cache, delivered on the informer's dispatch thread.
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

  // Set before Run (may be called more than once: every set gets every event).
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
