// Copyright 2026 The vkubelet Authors. Licensed under the Apache License 2.0.
//
// A provider that runs each container's command as a local process: the
// shape of any provider whose backend starts, watches and stops real work.
//
//  * command + args are spawned (the image is ignored; the command is looked
//    up on the provider's PATH) in their own process group, with the
//    container's resolved environment and working directory. A missing or
//    relative workingDir is created under a per-pod directory.
//  * stdout and stderr are captured line by line into per-container log files
//    in the kubelet's CRI format ("<RFC 3339 time> stdout F <line>"), which
//    `kubectl logs` (tail, since, timestamps, follow, previous) is served from.
//  * Init containers run one after the other, then the containers together.
//    Exit codes become terminated container statuses (Completed / Error);
//    restartPolicy Always/OnFailure restarts with a doubling back-off.
//  * DeletePod sends SIGTERM to every process group and SIGKILL once the
//    grace period is over; the pod then reports its terminal status and is
//    forgotten.
//  * `kubectl exec` starts a new process in the container's directory and
//    environment (no PTY: with a TTY, stderr is merged into stdout).
//  * One supervisor thread per pod polls its processes and reports every
//    state change through PodNotifier.
//
// POSIX only (posix_spawn, process groups). Thread-safe.

#ifndef VKUBELET_EXAMPLES_PROCESS_PROCESS_PROVIDER_H_
#define VKUBELET_EXAMPLES_PROCESS_PROCESS_PROVIDER_H_

#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "vkubelet/clock.h"
#include "vkubelet/provider.h"

namespace vkubelet::examples {

struct ProcessProviderConfig {
  std::string node_name = "virtual-kubelet";
  // The pods' hostIP and podIP (processes share the host's network).
  std::string internal_ip = "127.0.0.1";
  // Per-pod directories (working directories, logs) go here; "" → a new
  // directory under $TMPDIR (or /tmp).
  std::string root_dir;
  // Timestamps (statuses, log lines). Waiting for processes is real time.
  const Clock* clock = nullptr;
  // First restart delay; doubled per restart up to the maximum.
  absl::Duration restart_backoff = absl::Seconds(1);
  absl::Duration max_restart_backoff = absl::Seconds(30);
  // SIGTERM→SIGKILL delay when the pod sets none (its
  // metadata.deletionGracePeriodSeconds, else spec.terminationGracePeriodSeconds).
  absl::Duration default_grace_period = absl::Seconds(30);
};

class ProcessProvider : public PodLifecycleHandler,
                        public PodNotifier,
                        public ContainerLogsProvider,
                        public ContainerExecProvider {
 public:
  // Errors: InvalidInput when the root directory cannot be created.
  static absl::StatusOr<std::unique_ptr<ProcessProvider>> Create(const ProcessProviderConfig& config);
  // Kills every process still running and joins the supervisor threads.
  ~ProcessProvider() override;
  ProcessProvider(const ProcessProvider&) = delete;
  ProcessProvider& operator=(const ProcessProvider&) = delete;

  // InvalidInput for a container without a command. Returns at once; the
  // processes start on the pod's supervisor thread.
  absl::Status CreatePod(const Context& ctx, const corev1::Pod& pod) override;
  // Takes the new metadata (the running processes are left alone).
  absl::Status UpdatePod(const Context& ctx, const corev1::Pod& pod) override;
  // Starts the graceful stop; OK while it is in progress, NotFound after.
  absl::Status DeletePod(const Context& ctx, const corev1::Pod& pod) override;
  absl::StatusOr<std::shared_ptr<const corev1::Pod>> GetPod(const Context& ctx, std::string_view ns,
                                                            std::string_view name) override;
  absl::StatusOr<std::shared_ptr<const corev1::PodStatus>> GetPodStatus(const Context& ctx,
                                                                        std::string_view ns,
                                                                        std::string_view name) override;
  absl::StatusOr<std::vector<std::shared_ptr<const corev1::Pod>>> GetPods(const Context& ctx) override;
  // The callback runs on the pods' supervisor threads, without locks held.
  void NotifyPods(const Context& ctx,
                  std::function<void(std::shared_ptr<const corev1::Pod>)> callback) override;

  absl::Status GetContainerLogs(const Context& ctx, const ContainerLogsRequest& request,
                                ByteWriter& out) override;
  // With stdin attached, returns once the process exited and the client
  // closed its input (the SDK's AttachIO cannot interrupt a blocked read).
  absl::Status RunInContainer(const Context& ctx, const ExecRequest& request, AttachIO& io) override;

  // The root of the per-pod directories.
  const std::string& root_dir() const;

 private:
  class Impl;
  explicit ProcessProvider(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace vkubelet::examples

#endif  // VKUBELET_EXAMPLES_PROCESS_PROCESS_PROVIDER_H_
