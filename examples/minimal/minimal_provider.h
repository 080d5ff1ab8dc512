// Copyright 2026 The vkubelet Authors. Licensed under the Apache License 2.0.
//
// The smallest correct provider: pods live in a map and "run" the moment
// they are created. It implements the mandatory PodLifecycleHandler and
// PodNotifier (so the SDK never has to poll it); everything else (logs,
// exec, stats, ...) answers 501 Not Implemented. Start a real provider by
// copying these two files and replacing the map with calls to your backend.

#ifndef VKUBELET_EXAMPLES_MINIMAL_MINIMAL_PROVIDER_H_
#define VKUBELET_EXAMPLES_MINIMAL_MINIMAL_PROVIDER_H_

#include <functional>
#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "vkubelet/clock.h"
#include "vkubelet/provider.h"

namespace vkubelet::examples {

struct MinimalProviderConfig {
  std::string internal_ip = "127.0.0.1";  // reported as the pods' hostIP and podIP
  const Clock* clock = nullptr;           // null: the real clock
};

// Thread-safe: the SDK calls it from several workers at once.
class MinimalProvider : public PodLifecycleHandler, public PodNotifier {
 public:
  static std::unique_ptr<MinimalProvider> Create(const MinimalProviderConfig& config);

  absl::Status CreatePod(const Context& ctx, const corev1::Pod& pod) override;
  absl::Status UpdatePod(const Context& ctx, const corev1::Pod& pod) override;
  absl::Status DeletePod(const Context& ctx, const corev1::Pod& pod) override;
  absl::StatusOr<std::shared_ptr<const corev1::Pod>> GetPod(const Context& ctx, std::string_view ns,
                                                            std::string_view name) override;
  absl::StatusOr<std::shared_ptr<const corev1::PodStatus>> GetPodStatus(const Context& ctx,
                                                                        std::string_view ns,
                                                                        std::string_view name) override;
  absl::StatusOr<std::vector<std::shared_ptr<const corev1::Pod>>> GetPods(const Context& ctx) override;
  void NotifyPods(const Context& ctx,
                  std::function<void(std::shared_ptr<const corev1::Pod>)> callback) override;

 private:
  explicit MinimalProvider(const MinimalProviderConfig& config);
  using Key = std::pair<std::string, std::string>;  // namespace, name: "a-b"/"c" and "a"/"b-c" differ
  using Callback = std::function<void(std::shared_ptr<const corev1::Pod>)>;

  const std::string ip_;
  const Clock* const clock_;
  absl::Mutex mu_;
  // Immutable snapshots: a change stores a new object, so a pod the SDK holds never changes under it.
  std::map<Key, std::shared_ptr<const corev1::Pod>> pods_ ABSL_GUARDED_BY(mu_);
  Callback notify_ ABSL_GUARDED_BY(mu_);
};

}  // namespace vkubelet::examples

#endif  // VKUBELET_EXAMPLES_MINIMAL_MINIMAL_PROVIDER_H_
