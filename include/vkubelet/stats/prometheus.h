// Copyright 2026 The vkubelet Authors. Licensed under the Apache License 2.0.
//
// The Prometheus text exposition format (version 0.0.4), as the kubelet serves
// it on /metrics and /metrics/resource, and the small interface through which
// parts of the SDK (pod controller, node controller, API client, the kubelet
// server itself) contribute to /metrics.
//
//   std::string text;
//   stats::PrometheusWriter w(&text);
//   w.Family("vkubelet_pods", "Pods known to the controller", stats::MetricType::kGauge);
//   w.Sample("vkubelet_pods", {{"phase", "Running"}}, 12);
//
// Values are written the way Go's Prometheus client writes them (shortest
// round-trip form, exponent from 1e6 on: 1.2345e+07), so output can be compared
// with a real kubelet's byte for byte.

#ifndef VKUBELET_STATS_PROMETHEUS_H_
#define VKUBELET_STATS_PROMETHEUS_H_

#include <cstdint>
#include <initializer_list>
#include <optional>
#include <set>
#include <span>
#include <string>
#include <string_view>

namespace vkubelet::stats {

// The Content-Type of the text format.
inline constexpr std::string_view kPrometheusTextContentType = "text/plain; version=0.0.4; charset=utf-8";

enum class MetricType { kCounter, kGauge, kHistogram, kSummary, kUntyped };

// "counter", "gauge", "histogram", "summary", "untyped".
std::string_view MetricTypeName(MetricType type);

// One label of a sample. The views must stay valid for the call only.
struct LabelPair {
  std::string_view name;
  std::string_view value;
};

// Appends the text format to a string. Not thread-safe (one writer per
// exposition). Never fails: characters not allowed in metric or label names
// are replaced with '_', label values and HELP texts are escaped, and a family
// announced twice (two sources using the same name) gets its HELP/TYPE lines
// only once.
class PrometheusWriter {
 public:
  explicit PrometheusWriter(std::string* out) : out_(out) {}

  // "# HELP name help" and "# TYPE name type". Call before the family's
  // samples; samples of one family must be written together.
  void Family(std::string_view name, std::string_view help, MetricType type);

  // One sample line: name{labels} value [timestamp_ms]. `name` may carry a
  // suffix of the family (_bucket, _sum, _count, _total).
  void Sample(std::string_view name, std::span<const LabelPair> labels, double value,
              std::optional<int64_t> timestamp_ms = std::nullopt);
  void Sample(std::string_view name, std::initializer_list<LabelPair> labels, double value,
              std::optional<int64_t> timestamp_ms = std::nullopt) {
    Sample(name, std::span<const LabelPair>(labels.begin(), labels.size()), value, timestamp_ms);
  }

  // The samples of one histogram series: name_bucket{...,le="b"} (cumulative),
  // the +Inf bucket, name_sum and name_count. `bucket_counts` holds the count
  // per bucket, not cumulative, with one extra entry for +Inf
  // (size = upper_bounds.size() + 1; missing entries count as 0).
  void Histogram(std::string_view name, std::span<const LabelPair> labels,
                 std::span<const double> upper_bounds, std::span<const uint64_t> bucket_counts, double sum);

  std::string* out() const { return out_; }

 private:
  std::string* out_;
  std::set<std::string, std::less<>> families_;
};

// Go's strconv.FormatFloat(v, 'g', -1, 64) with Prometheus' spellings of the
// special values: "NaN", "+Inf", "-Inf"; 0 and -0 as "0".
std::string FormatPrometheusValue(double v);
// A label value with \ " and newline escaped.
std::string EscapePrometheusLabelValue(std::string_view value);
// A HELP text with \ and newline escaped.
std::string EscapePrometheusHelp(std::string_view help);
// [a-zA-Z_:][a-zA-Z0-9_:]*
bool IsValidPrometheusMetricName(std::string_view name);
// [a-zA-Z_][a-zA-Z0-9_]*
bool IsValidPrometheusLabelName(std::string_view name);

// Something that contributes metric families to /metrics. Collect is called
// once per scrape, from the server's handler threads (possibly concurrently
// with the source's own work, never concurrently with itself for one
// exposition); it must be quick and must not block on I/O. Each source owns
// its family names: two sources must not write samples of the same family.
class MetricsSource {
 public:
  virtual ~MetricsSource() = default;
  virtual void Collect(PrometheusWriter& writer) = 0;
};

}  // namespace vkubelet::stats

#endif  // VKUBELET_STATS_PROMETHEUS_H_
