// Copyright 2026 The vkubelet Authors. Licensed under the Apache License 2.0.
//
// The /metrics/resource writer as it was before it rendered its samples
// itself (one PrometheusWriter::Sample call per sample), kept as the
// reference the new writer's output is compared against. Test-only.

#ifndef VKUBELET_TESTS_API_RESOURCE_METRICS_REFERENCE_H_
#define VKUBELET_TESTS_API_RESOURCE_METRICS_REFERENCE_H_

#include <algorithm>
#include <optional>
#include <string_view>
#include <tuple>
#include <vector>

#include "absl/status/statusor.h"
#include "stats/json_format.h"
#include "vkubelet/stats/prometheus.h"
#include "vkubelet/stats/summary.h"

namespace vkubelet::stats::reference {

using internal::IsZeroTime;

namespace detail {

// Help texts and stability levels as the kubelet registers them; the
// component-base registry prefixes "[STABLE] " / "[ALPHA] ".
constexpr std::string_view kContainerCpuHelp =
    "[STABLE] Cumulative cpu time consumed by the container in core-seconds";
constexpr std::string_view kContainerMemoryHelp = "[STABLE] Current working set of the container in bytes";
constexpr std::string_view kContainerStartHelp =
    "[STABLE] Start time of the container since unix epoch in seconds";
constexpr std::string_view kContainerSwapLimitHelp =
    "[ALPHA] Current amount of the container swap limit in bytes. Reported only on non-windows systems";
constexpr std::string_view kContainerSwapUsageHelp =
    "[ALPHA] Current amount of the container swap usage in bytes. Reported only on non-windows systems";
constexpr std::string_view kNodeCpuHelp = "[STABLE] Cumulative cpu time consumed by the node in core-seconds";
constexpr std::string_view kNodeMemoryHelp = "[STABLE] Current working set of the node in bytes";
constexpr std::string_view kNodeSwapHelp =
    "[ALPHA] Current swap usage of the node in bytes. Reported only on non-windows systems";
constexpr std::string_view kPodCpuHelp = "[STABLE] Cumulative cpu time consumed by the pod in core-seconds";
constexpr std::string_view kPodMemoryHelp = "[STABLE] Current working set of the pod in bytes";
constexpr std::string_view kPodSwapHelp =
    "[ALPHA] Current amount of the pod swap usage in bytes. Reported only on non-windows systems";
constexpr std::string_view kScrapeErrorHelp =
    "[STABLE] 1 if there was an error while getting container metrics, 0 otherwise";

inline std::optional<int64_t> Millis(absl::Time t) {
  if (IsZeroTime(t)) return std::nullopt;
  return absl::ToUnixMillis(t);
}

inline double CoreSeconds(uint64_t nanos) { return static_cast<double>(nanos) / 1e9; }

struct ContainerRef {
  const PodStats* pod;
  const ContainerStats* c;
};

}  // namespace detail
using namespace detail;

inline void ReferenceWriteResourceMetrics(const absl::StatusOr<Summary>& summary, PrometheusWriter& w) {
  if (!summary.ok()) {
    w.Family("resource_scrape_error", kScrapeErrorHelp, MetricType::kGauge);
    w.Sample("resource_scrape_error", {}, 1);
    return;
  }
  const Summary& s = *summary;

  // Containers sorted by (container, namespace, pod): the label names in
  // sorted order, compared by value, as Go's registry sorts a family.
  std::vector<ContainerRef> containers;
  for (const PodStats& p : s.pods) {
    for (const ContainerStats& c : p.containers) containers.push_back({&p, &c});
  }
  std::sort(containers.begin(), containers.end(), [](const ContainerRef& a, const ContainerRef& b) {
    return std::tie(a.c->name, a.pod->pod_ref.namespace_, a.pod->pod_ref.name) <
           std::tie(b.c->name, b.pod->pod_ref.namespace_, b.pod->pod_ref.name);
  });
  std::vector<const PodStats*> pods;
  pods.reserve(s.pods.size());
  for (const PodStats& p : s.pods) pods.push_back(&p);
  std::sort(pods.begin(), pods.end(), [](const PodStats* a, const PodStats* b) {
    return std::tie(a->pod_ref.namespace_, a->pod_ref.name) <
           std::tie(b->pod_ref.namespace_, b->pod_ref.name);
  });

  auto container_family = [&](std::string_view name, std::string_view help, MetricType type, auto&& sample) {
    bool announced = false;
    for (const ContainerRef& r : containers) {
      std::optional<std::pair<double, std::optional<int64_t>>> v = sample(*r.c);
      if (!v.has_value()) continue;
      if (!announced) {
        w.Family(name, help, type);
        announced = true;
      }
      LabelPair labels[] = {
          {"container", r.c->name}, {"namespace", r.pod->pod_ref.namespace_}, {"pod", r.pod->pod_ref.name}};
      w.Sample(name, labels, v->first, v->second);
    }
  };
  auto pod_family = [&](std::string_view name, std::string_view help, MetricType type, auto&& sample) {
    bool announced = false;
    for (const PodStats* p : pods) {
      std::optional<std::pair<double, std::optional<int64_t>>> v = sample(*p);
      if (!v.has_value()) continue;
      if (!announced) {
        w.Family(name, help, type);
        announced = true;
      }
      LabelPair labels[] = {{"namespace", p->pod_ref.namespace_}, {"pod", p->pod_ref.name}};
      w.Sample(name, labels, v->first, v->second);
    }
  };
  using Value = std::optional<std::pair<double, std::optional<int64_t>>>;

  container_family("container_cpu_usage_seconds_total", kContainerCpuHelp, MetricType::kCounter,
                   [](const ContainerStats& c) -> Value {
                     if (!c.cpu || !c.cpu->usage_core_nano_seconds) return std::nullopt;
                     return std::make_pair(CoreSeconds(*c.cpu->usage_core_nano_seconds), Millis(c.cpu->time));
                   });
  container_family("container_memory_working_set_bytes", kContainerMemoryHelp, MetricType::kGauge,
                   [](const ContainerStats& c) -> Value {
                     if (!c.memory || !c.memory->working_set_bytes) return std::nullopt;
                     return std::make_pair(static_cast<double>(*c.memory->working_set_bytes),
                                           Millis(c.memory->time));
                   });
  container_family("container_start_time_seconds", kContainerStartHelp, MetricType::kGauge,
                   [](const ContainerStats& c) -> Value {
                     if (IsZeroTime(c.start_time) || absl::ToUnixSeconds(c.start_time) <= 0)
                       return std::nullopt;
                     return std::make_pair(static_cast<double>(absl::ToUnixNanos(c.start_time)) / 1e9,
                                           std::optional<int64_t>());
                   });
  container_family("container_swap_limit_bytes", kContainerSwapLimitHelp, MetricType::kGauge,
                   [](const ContainerStats& c) -> Value {
                     if (!c.swap || !c.swap->swap_available_bytes) return std::nullopt;
                     double usage =
                         c.swap->swap_usage_bytes ? static_cast<double>(*c.swap->swap_usage_bytes) : 0;
                     return std::make_pair(static_cast<double>(*c.swap->swap_available_bytes) + usage,
                                           Millis(c.swap->time));
                   });
  container_family("container_swap_usage_bytes", kContainerSwapUsageHelp, MetricType::kGauge,
                   [](const ContainerStats& c) -> Value {
                     if (!c.swap || !c.swap->swap_usage_bytes) return std::nullopt;
                     return std::make_pair(static_cast<double>(*c.swap->swap_usage_bytes),
                                           Millis(c.swap->time));
                   });

  const NodeStats& n = s.node;
  if (n.cpu && n.cpu->usage_core_nano_seconds) {
    w.Family("node_cpu_usage_seconds_total", kNodeCpuHelp, MetricType::kCounter);
    w.Sample("node_cpu_usage_seconds_total", {}, CoreSeconds(*n.cpu->usage_core_nano_seconds),
             Millis(n.cpu->time));
  }
  if (n.memory && n.memory->working_set_bytes) {
    w.Family("node_memory_working_set_bytes", kNodeMemoryHelp, MetricType::kGauge);
    w.Sample("node_memory_working_set_bytes", {}, static_cast<double>(*n.memory->working_set_bytes),
             Millis(n.memory->time));
  }
  if (n.swap && n.swap->swap_usage_bytes) {
    // The kubelet stamps node swap with the memory sample's time.
    absl::Time t = n.memory ? n.memory->time : n.swap->time;
    w.Family("node_swap_usage_bytes", kNodeSwapHelp, MetricType::kGauge);
    w.Sample("node_swap_usage_bytes", {}, static_cast<double>(*n.swap->swap_usage_bytes), Millis(t));
  }

  pod_family("pod_cpu_usage_seconds_total", kPodCpuHelp, MetricType::kCounter,
             [](const PodStats& p) -> Value {
               if (!p.cpu || !p.cpu->usage_core_nano_seconds) return std::nullopt;
               return std::make_pair(CoreSeconds(*p.cpu->usage_core_nano_seconds), Millis(p.cpu->time));
             });
  pod_family(
      "pod_memory_working_set_bytes", kPodMemoryHelp, MetricType::kGauge, [](const PodStats& p) -> Value {
        if (!p.memory || !p.memory->working_set_bytes) return std::nullopt;
        return std::make_pair(static_cast<double>(*p.memory->working_set_bytes), Millis(p.memory->time));
      });
  pod_family("pod_swap_usage_bytes", kPodSwapHelp, MetricType::kGauge, [](const PodStats& p) -> Value {
    if (!p.swap || !p.swap->swap_usage_bytes) return std::nullopt;
    return std::make_pair(static_cast<double>(*p.swap->swap_usage_bytes), Millis(p.swap->time));
  });

  w.Family("resource_scrape_error", kScrapeErrorHelp, MetricType::kGauge);
  w.Sample("resource_scrape_error", {}, 0);
}

}  // namespace vkubelet::stats::reference

#endif  // VKUBELET_TESTS_API_RESOURCE_METRICS_REFERENCE_H_
