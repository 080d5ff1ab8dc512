// Copyright 2026 The vkubelet Authors. Licensed under the Apache License 2.0.
//
// RecordingNotifier: a NotifyPods callback that remembers every pod a
// provider reported, so a test can assert on what was notified and wait for
// a notification without sleeping.
//
//   testing::RecordingNotifier notifier;
//   provider->NotifyPods(ctx, notifier.Callback());
//   VK_REQUIRE_OK(provider->CreatePod(ctx, pod));
//   auto running = notifier.WaitFor("default", "web",
//       [](const corev1::Pod& p) { return p.status().phase() == "Running"; }, absl::Seconds(10));
//
// Thread-safe: the callback may be called from any number of threads at
// once, and never blocks for long. The callback shares the recorder's state,
// so a provider may keep calling it after the RecordingNotifier is gone.

#ifndef VKUBELET_TESTING_RECORDING_NOTIFIER_H_
#define VKUBELET_TESTING_RECORDING_NOTIFIER_H_

#include <cstddef>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "vkubelet/types.h"

namespace vkubelet::testing {

using PodCallback = std::function<void(std::shared_ptr<const corev1::Pod>)>;

class RecordingNotifier {
 public:
  RecordingNotifier();
  ~RecordingNotifier();
  RecordingNotifier(const RecordingNotifier&) = delete;
  RecordingNotifier& operator=(const RecordingNotifier&) = delete;

  // The callback to hand to PodNotifier::NotifyPods. Every call appends the
  // pod (null pods are counted separately: NullCount()). When a hook is set
  // (SetHook), it runs on the calling thread after the pod was recorded.
  PodCallback Callback();

  // Every notification so far, in arrival order.
  std::vector<std::shared_ptr<const corev1::Pod>> Pods() const;
  // The notifications for one pod, in arrival order.
  std::vector<std::shared_ptr<const corev1::Pod>> PodsFor(std::string_view ns, std::string_view name) const;
  // The latest notification for one pod (null if none).
  std::shared_ptr<const corev1::Pod> Last(std::string_view ns, std::string_view name) const;
  size_t Count() const;
  size_t CountFor(std::string_view ns, std::string_view name) const;
  // Callback invocations with a null pod (always a provider bug).
  size_t NullCount() const;
  // Distinct threads the callback was called from.
  size_t ThreadCount() const;

  // Blocks until a notification for ns/name that satisfies `pred` has
  // arrived (also one that arrived before the call) and returns it; woken by
  // each notification. DeadlineExceeded after `timeout`.
  absl::StatusOr<std::shared_ptr<const corev1::Pod>> WaitFor(
      std::string_view ns, std::string_view name, const std::function<bool(const corev1::Pod&)>& pred,
      absl::Duration timeout) const;
  // Blocks until at least `n` notifications arrived in total.
  absl::Status WaitForCount(size_t n, absl::Duration timeout) const;

  // Runs `hook` for every notification, after it was recorded, on the
  // notifying thread (e.g. to probe the provider from inside its callback).
  // Pass nullptr to remove it.
  void SetHook(std::function<void(const std::shared_ptr<const corev1::Pod>&)> hook);

  // Forgets what was recorded.
  void Clear();

 private:
  struct State;
  std::shared_ptr<State> state_;
};

}  // namespace vkubelet::testing

#endif  // VKUBELET_TESTING_RECORDING_NOTIFIER_H_
