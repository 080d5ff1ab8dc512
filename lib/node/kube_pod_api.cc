// Copyright 2026 The vkubelet Authors. Licensed under the Apache License 2.0.

#include "vkubelet/node/kube_pod_api.h"

#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "vkubelet/errdefs.h"
#include "vkubelet/internal/status_macros.h"
#include "vkubelet/kube/informer.h"
#include "vkubelet/kube/resource_client.h"
#include "vkubelet/kube/rest_client.h"

namespace vkubelet::node {

using PodPtr = std::shared_ptr<const corev1::Pod>;

PodEventHandlers KubePodApi::HandlersFor(PodController* controller) {
  return {
      [controller](const PodPtr& p) { controller->OnAdd(p); },
      [controller](const PodPtr& o, const PodPtr& n) { controller->OnUpdate(o, n); },
      [controller](const PodPtr& p) { controller->OnDelete(p); },
  };
}

namespace {

class KubePodApiImpl final : public KubePodApi {
 public:
  KubePodApiImpl(std::shared_ptr<kube::RestClient> client, KubePodApiOptions options)
      : options_(std::move(options)), pods_(client), informer_(pods_, InformerOptionsFor(options_)) {}

  static kube::InformerOptions InformerOptionsFor(const KubePodApiOptions& o) {
    kube::InformerOptions io;
    io.field_selector = absl::StrCat("spec.nodeName=", o.node_name);
    io.min_watch_timeout = o.watch_timeout;
    io.initial_backoff = o.backoff_initial;
    io.max_backoff = o.backoff_max;
    io.resync_period = o.resync_period;
    if (o.clock != nullptr) io.clock = o.clock;
    io.name = "node-pods";
    io.transform = kube::StripManagedFields();  // the node never reads them; saves memory per cached pod
    return io;
  }

  // --- PodApi ---------------------------------------------------------------------------

  PodPtr GetCached(std::string_view ns, std::string_view name) override { return informer_.lister().Get(ns, name); }

  std::vector<PodPtr> ListCached() override { return informer_.lister().List(); }

  absl::StatusOr<PodPtr> Get(const Context& ctx, std::string_view ns, std::string_view name) override {
    VK_ASSIGN_OR_RETURN(corev1::Pod pod, pods_.Get(ctx.WithTimeout(options_.request_timeout), ns, name));
    return PodPtr(std::make_shared<corev1::Pod>(std::move(pod)));
  }

  absl::StatusOr<PodPtr> PatchStatus(const Context& ctx, std::string_view ns, std::string_view name,
                                     std::string_view patch) override {
    // Only the metadata of the answer is decoded (the controller needs the
    // new resourceVersion; the cache receives the whole pod by watch).
    kube::PatchOptions opts;
    opts.subresource = "status";
    VK_ASSIGN_OR_RETURN(metav1::PartialObjectMetadata meta,
                        pods_.PatchPartial(ctx.WithTimeout(options_.request_timeout), ns, name,
                                           kube::PatchType::kStrategicMerge, patch, opts));
    auto pod = std::make_shared<corev1::Pod>();
    pod->mutable_metadata()->Swap(meta.mutable_metadata());
    return PodPtr(std::move(pod));
  }

  absl::Status Delete(const Context& ctx, std::string_view ns, std::string_view name, std::string_view uid,
                      int64_t grace_period_seconds) override {
    kube::DeleteOptions opts;
    opts.grace_period_seconds = grace_period_seconds;
    opts.precondition_uid = std::string(uid);
    return pods_.DeletePartial(ctx.WithTimeout(options_.request_timeout), ns, name, opts).status();
  }

  // --- Informer ---------------------------------------------------------------------------

  void SetHandlers(PodEventHandlers handlers) override {
    informer_.AddEventHandler({std::move(handlers.on_add), std::move(handlers.on_update),
                               std::move(handlers.on_delete)});
  }

  void Run(const Context& ctx) override {
    absl::Status s = informer_.Start(ctx);
    if (!s.ok()) return;
    ctx.Wait();
    informer_.Stop();
  }

  bool WaitSynced(absl::Duration timeout) const override { return informer_.WaitForSync(timeout); }

  int lists() const override { return static_cast<int>(informer_.stats().lists); }

 private:
  KubePodApiOptions options_;
  kube::ResourceClient<corev1::Pod> pods_;
  kube::Informer<corev1::Pod> informer_;
};

}  // namespace

std::unique_ptr<KubePodApi> NewKubePodApi(std::shared_ptr<kube::RestClient> client, KubePodApiOptions options) {
  return std::make_unique<KubePodApiImpl>(std::move(client), std::move(options));
}

}  // namespace vkubelet::node
