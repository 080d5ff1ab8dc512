// Copyright 2026 The vkubelet Authors. Licensed under the Apache License 2.0.
//
// The mock provider: a virtual node whose "containers" exist only in memory
// but look real from kubectl. Pods go Running with kubelet-like statuses (pod
// IPs from a CIDR, conditions with times, container IDs, restart counts),
// containers write log lines, `kubectl exec` runs a small built-in shell,
// `kubectl port-forward` reaches an echo service on every declared port (and a
// byte generator on kGeneratorPort), and /stats/summary reports deterministic
// usage derived from the pods' requests. Pod annotations inject failures,
// start delays and exit codes (see README.md).
//
// It is built from the public SDK headers only, as any provider would be.
//
//   vkubelet::mock::MockProviderConfig config;
//   config.node_name = "vk-mock";
//   config.config_path = "mock.json";  // optional capacity file
//   auto provider = vkubelet::mock::MockProvider::Create(config);
//   if (!provider.ok()) return provider.status();
//
// Thread-safety: every method may be called from any thread at any time.
// Results are immutable snapshots: a later change never alters an object the
// provider returned before.

#ifndef VKUBELET_PROVIDERS_MOCK_MOCK_PROVIDER_H_
#define VKUBELET_PROVIDERS_MOCK_MOCK_PROVIDER_H_

#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "vkubelet/clock.h"
#include "vkubelet/context.h"
#include "vkubelet/provider.h"
#include "vkubelet/resource_manager.h"
#include "vkubelet/stats/summary.h"
#include "vkubelet/types.h"

namespace vkubelet::mock {

// --- Pod annotations the mock reacts to ------------------------------------------------

// CreatePod fails with this message (errdefs::InvalidInput, so the SDK marks
// the pod ProviderFailed and does not retry).
inline constexpr char kAnnotationFailCreate[] = "mock.vkubelet.io/fail-create";
// The pod stays Pending/ContainerCreating this long before it runs (a Go
// duration: "2s", "1m30s"). Overrides MockProviderConfig::start_delay.
inline constexpr char kAnnotationStartDelay[] = "mock.vkubelet.io/start-delay";
// Every container exits with this code after running for `exit-after`; the
// pod's restartPolicy decides what happens next (CrashLoopBackOff restarts
// with a growing back-off, or a terminal Succeeded/Failed phase).
inline constexpr char kAnnotationExitCode[] = "mock.vkubelet.io/exit-code";
// How long containers run before `exit-code` applies (default
// MockProviderConfig::exit_after).
inline constexpr char kAnnotationExitAfter[] = "mock.vkubelet.io/exit-after";
// The exit code containers report when the pod is deleted (default
// MockProviderConfig::delete_exit_code, normally 0).
inline constexpr char kAnnotationDeleteExitCode[] = "mock.vkubelet.io/delete-exit-code";
// CPU and memory each container reports in /stats/summary (quantities such as
// "250m", "64Mi"). Without them usage follows the container's requests
// (or half its limits, or 10m / 16Mi). UpdatePod may change them.
inline constexpr char kAnnotationCpuUsage[] = "mock.vkubelet.io/cpu-usage";
inline constexpr char kAnnotationMemoryUsage[] = "mock.vkubelet.io/memory-usage";

// Port-forwarding to this port of any running pod streams an endless,
// deterministic byte sequence (GeneratorByte(0), GeneratorByte(1), ...) until
// the client closes. Every declared containerPort echoes what it receives.
inline constexpr int32_t kGeneratorPort = 9999;
// Byte `offset` of the generator's stream.
uint8_t GeneratorByte(uint64_t offset);

// --- Node capacity --------------------------------------------------------------------------

// One node's entry in the config file. Capacity and allocatable are the same.
struct NodeCapacity {
  std::string cpu = "20";
  std::string memory = "100Gi";
  std::string pods = "20";
  // Extended resources: "nvidia.com/gpu" -> "4".
  std::map<std::string, std::string> others;
  // Written to spec.providerID when not empty.
  std::string provider_id;
};

// Reads the capacity of `node_name` from a JSON file keyed by node name:
//
//   {"vk-mock": {"cpu": "2", "memory": "32Gi", "pods": "128",
//                "others": {"nvidia.com/gpu": "4"}, "providerID": "mock://vk-mock"}}
//
// Missing nodes and missing or empty fields take the defaults above (cpu 20,
// memory 100Gi, pods 20). Errors (errdefs::InvalidInput, naming the file and
// the field): unreadable file, malformed JSON, wrong value types, quantities
// that do not parse.
absl::StatusOr<NodeCapacity> LoadNodeCapacity(const std::string& path, const std::string& node_name);

// Checks that every quantity of `capacity` parses. `source` names where it
// came from in the error message.
absl::Status ValidateNodeCapacity(const NodeCapacity& capacity, std::string_view source);

// --- Configuration --------------------------------------------------------------------------

struct MockProviderConfig {
  // --- What every provider is told (the SDK's ProviderConfig) ---
  std::string node_name = "virtual-kubelet";
  std::string operating_system = "linux";
  // The node's InternalIP and the pods' hostIP. "" → 127.0.0.1.
  std::string internal_ip;
  int32_t daemon_port = 10250;
  // The JSON capacity file (LoadNodeCapacity); "" → defaults.
  std::string config_path;
  // Used to read configMap and secret volumes for `cat` in exec; may be null.
  ResourceManager* resources = nullptr;
  // All timing (start delays, log lines, exits, stats); null → Clock::Real().
  const Clock* clock = nullptr;

  // --- Mock behaviour ---
  // Used instead of reading config_path (in-process nodes, tests).
  std::optional<NodeCapacity> capacity;
  // Pod IPs come from this IPv4 range (the second address on), unique among
  // live pods, released on delete.
  std::string pod_cidr = "10.244.0.0/16";
  // How long new pods stay Pending (kAnnotationStartDelay overrides it).
  absl::Duration start_delay = absl::ZeroDuration();
  // Default for kAnnotationExitAfter.
  absl::Duration exit_after = absl::Seconds(5);
  // A running container writes a log line this often.
  absl::Duration log_interval = absl::Seconds(5);
  // Lines kept per container instance (older ones are dropped).
  size_t max_log_lines = 10000;
  // CrashLoopBackOff: first restart delay, doubled per restart up to the max.
  absl::Duration restart_backoff = absl::Seconds(10);
  absl::Duration max_restart_backoff = absl::Minutes(5);
  // Default for kAnnotationDeleteExitCode.
  int32_t delete_exit_code = 0;
};

// --- The provider ---------------------------------------------------------------------------

class MockProvider final : public PodLifecycleHandler,
                           public PodNotifier,
                           public NodeProvider,
                           public NodeConfigurer,
                           public PodMetricsProvider,
                           public ContainerLogsProvider,
                           public ContainerExecProvider,
                           public PortForwardProvider {
 public:
  // Validates the configuration (capacity file or struct, CIDR) and starts the
  // provider's background threads. Errors: errdefs::InvalidInput naming the
  // problem.
  static absl::StatusOr<std::unique_ptr<MockProvider>> Create(const MockProviderConfig& config);
  // Stops the background threads; no callback runs after it returns.
  ~MockProvider() override;
  MockProvider(const MockProvider&) = delete;
  MockProvider& operator=(const MockProvider&) = delete;

  // PodLifecycleHandler. Pods are keyed by namespace and name.
  absl::Status CreatePod(const Context& ctx, const corev1::Pod& pod) override;
  absl::Status UpdatePod(const Context& ctx, const corev1::Pod& pod) override;
  absl::Status DeletePod(const Context& ctx, const corev1::Pod& pod) override;
  absl::StatusOr<std::shared_ptr<const corev1::Pod>> GetPod(const Context& ctx, std::string_view ns,
                                                            std::string_view name) override;
  absl::StatusOr<std::shared_ptr<const corev1::PodStatus>> GetPodStatus(const Context& ctx,
                                                                        std::string_view ns,
                                                                        std::string_view name) override;
  absl::StatusOr<std::vector<std::shared_ptr<const corev1::Pod>>> GetPods(const Context& ctx) override;

  // PodNotifier: the callback runs on the provider's notification thread, in
  // the order the changes happened, never with a provider lock held.
  void NotifyPods(const Context& ctx,
                  std::function<void(std::shared_ptr<const corev1::Pod>)> callback) override;

  // NodeProvider.
  absl::Status Ping(const Context& ctx) override;
  void NotifyNodeStatus(const Context& ctx,
                        std::function<void(std::shared_ptr<const corev1::Node>)> callback) override;

  // NodeConfigurer: capacity/allocatable, providerID, conditions, nodeInfo,
  // addresses, daemon endpoint port, exclude-from-load-balancer labels.
  void ConfigureNode(const Context& ctx, corev1::Node* node) override;

  // PodMetricsProvider.
  absl::StatusOr<stats::Summary> GetStatsSummary(const Context& ctx) override;

  // ContainerLogsProvider.
  absl::Status GetContainerLogs(const Context& ctx, const ContainerLogsRequest& request,
                                ByteWriter& out) override;

  // ContainerExecProvider: see README.md for the built-in commands.
  absl::Status RunInContainer(const Context& ctx, const ExecRequest& request, AttachIO& io) override;
  absl::Status AttachToContainer(const Context& ctx, const AttachRequest& request, AttachIO& io) override;

  // PortForwardProvider.
  absl::Status PortForward(const Context& ctx, const PortForwardRequest& request,
                           DuplexStream& stream) override;

  // --- Controls for tests and demos ---

  // Ping returns `error` from now on (OkStatus() heals the node).
  void SetPingError(absl::Status error);
  // Applies `mutate` to the node as last configured or updated and pushes the
  // result through the NotifyNodeStatus callback. FailedPrecondition before
  // ConfigureNode ran.
  absl::Status UpdateNode(const std::function<void(corev1::Node*)>& mutate);
  // The capacity in effect (from the file, the struct or the defaults).
  const NodeCapacity& capacity() const;

 private:
  class Impl;
  explicit MockProvider(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace vkubelet::mock

#endif  // VKUBELET_PROVIDERS_MOCK_MOCK_PROVIDER_H_
