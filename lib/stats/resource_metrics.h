// Copyright 2026 The vkubelet Authors. Licensed under the Apache License 2.0.
//
// The kubelet's /metrics/resource collector (pkg/kubelet/metrics/collectors/
// resource_metrics.go) over a stats Summary, and the CPU-and-memory view of a
// Summary that /stats/summary?only_cpu_and_memory=true serves. Private to the
// library.

#ifndef VKUBELET_LIB_STATS_RESOURCE_METRICS_H_
#define VKUBELET_LIB_STATS_RESOURCE_METRICS_H_

#include "absl/status/statusor.h"
#include "vkubelet/stats/prometheus.h"
#include "vkubelet/stats/summary.h"

namespace vkubelet::stats::internal {

// Writes the resource metric families as a kubelet does: families sorted by
// name, samples sorted by label values, labels container/namespace/pod, CPU
// in core-seconds, sample timestamps in milliseconds from the stats' times
// (left out when the provider gave no time, so the scraper uses the scrape
// time), container_start_time_seconds without timestamp, families without
// samples left out, and resource_scrape_error = 1 when `summary` is an error.
// (The deprecated scrape_error is hidden on kubelets ≥ 1.30 and is not
// written.)
void WriteResourceMetrics(const absl::StatusOr<Summary>& summary, PrometheusWriter& writer);

// What the kubelet's GetCPUAndMemoryStats returns: node and pods with only
// their names, references, start times, CPU and memory (containers and
// system containers likewise).
Summary CpuAndMemoryOnly(const Summary& summary);

}  // namespace vkubelet::stats::internal

#endif  // VKUBELET_LIB_STATS_RESOURCE_METRICS_H_
