// Copyright 2026 The vkubelet Authors. Licensed under the Apache License 2.0.
//
// The kubelet's stats/v1alpha1 Summary (what GET /stats/summary returns and what
// /metrics/resource is derived from) as plain C++ types. Optional values are
// omitted from JSON when unset, as the kubelet does with its pointer fields.

#ifndef VKUBELET_STATS_SUMMARY_H_
#define VKUBELET_STATS_SUMMARY_H_

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"

namespace vkubelet::stats {

struct PSIData {
  uint64_t total = 0;  // microseconds
  double avg10 = 0, avg60 = 0, avg300 = 0;
};
struct PSIStats {
  PSIData full, some;
};

struct CPUStats {
  absl::Time time;
  std::optional<uint64_t> usage_nano_cores;        // usageNanoCores
  std::optional<uint64_t> usage_core_nano_seconds;  // usageCoreNanoSeconds (cumulative)
  std::optional<PSIStats> psi;
};

struct MemoryStats {
  absl::Time time;
  std::optional<uint64_t> available_bytes, usage_bytes, working_set_bytes, rss_bytes, page_faults,
      major_page_faults;
  std::optional<PSIStats> psi;
};

struct IOStats {
  absl::Time time;
  std::optional<PSIStats> psi;
};

struct SwapStats {
  absl::Time time;
  std::optional<uint64_t> swap_available_bytes, swap_usage_bytes;
};

struct InterfaceStats {
  std::string name;
  std::optional<uint64_t> rx_bytes, rx_errors, tx_bytes, tx_errors;
};

struct NetworkStats {
  absl::Time time;
  InterfaceStats default_interface;  // inlined into the JSON object
  std::vector<InterfaceStats> interfaces;
};

struct FsStats {
  absl::Time time;
  std::optional<uint64_t> available_bytes, capacity_bytes, used_bytes, inodes_free, inodes, inodes_used;
};

struct RuntimeStats {
  std::optional<FsStats> image_fs, container_fs;
};

struct RlimitStats {
  absl::Time time;
  std::optional<int64_t> max_pid, num_of_running_processes;  // maxpid, curproc
};

struct AcceleratorStats {
  std::string make, model, id;
  uint64_t memory_total = 0, memory_used = 0, duty_cycle = 0;
};

struct UserDefinedMetric {
  std::string name, type, units;  // type: "gauge", "cumulative", "delta"
  std::map<std::string, std::string> labels;
  absl::Time time;
  double value = 0;
};

struct ContainerStats {
  std::string name;
  absl::Time start_time;
  std::optional<CPUStats> cpu;
  std::optional<MemoryStats> memory;
  std::optional<IOStats> io;
  std::vector<AcceleratorStats> accelerators;
  std::optional<FsStats> rootfs, logs;
  std::vector<UserDefinedMetric> user_defined_metrics;
  std::optional<SwapStats> swap;
};

struct PodReference {
  std::string name, namespace_, uid;
};

struct PVCReference {
  std::string name, namespace_;
};

struct VolumeStats {
  FsStats fs;  // inlined
  std::string name;
  std::optional<PVCReference> pvc_ref;
};

struct ProcessStats {
  std::optional<uint64_t> process_count;
};

struct PodStats {
  PodReference pod_ref;
  absl::Time start_time;
  std::vector<ContainerStats> containers;
  std::optional<CPUStats> cpu;
  std::optional<MemoryStats> memory;
  std::optional<IOStats> io;
  std::optional<NetworkStats> network;
  std::vector<VolumeStats> volume;
  std::optional<FsStats> ephemeral_storage;
  std::optional<ProcessStats> process_stats;
  std::optional<SwapStats> swap;
};

struct NodeStats {
  std::string node_name;
  std::vector<ContainerStats> system_containers;
  absl::Time start_time;
  std::optional<CPUStats> cpu;
  std::optional<MemoryStats> memory;
  std::optional<IOStats> io;
  std::optional<NetworkStats> network;
  std::optional<FsStats> fs;
  std::optional<RuntimeStats> runtime;
  std::optional<RlimitStats> rlimit;
  std::optional<SwapStats> swap;
};

struct Summary {
  NodeStats node;
  std::vector<PodStats> pods;
};

// JSON exactly as the kubelet writes it (camelCase names, times as RFC 3339
// strings in UTC, zero times as null, unset optionals omitted).
std::string ToJson(const Summary& summary);
// Parses a Summary (e.g. fetched from a node through the API server proxy).
// Unknown fields are ignored. Errors: InvalidArgument with the offending path.
absl::StatusOr<Summary> SummaryFromJson(std::string_view json);

}  // namespace vkubelet::stats

#endif  // VKUBELET_STATS_SUMMARY_H_
