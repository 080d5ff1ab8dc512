// Copyright 2026 The vkubelet Authors. Licensed under the Apache License 2.0.
//
// The kubelet server's own request metrics, named and labelled like the
// kubelet's (pkg/kubelet/server/metrics): kubelet_http_requests_total,
// kubelet_http_requests_duration_seconds, kubelet_http_inflight_requests,
// labelled {long_running, method, path, server_type}, with `path` the
// request's root ("pods", "metrics/resource", ...) or "other". Private to the
// library.

#ifndef VKUBELET_LIB_API_SERVER_METRICS_H_
#define VKUBELET_LIB_API_SERVER_METRICS_H_

#include <array>
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <tuple>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "vkubelet/clock.h"
#include "vkubelet/stats/prometheus.h"

namespace vkubelet::api::internal {

// Create with std::make_shared (Begin's scopes hold a weak reference).
class ServerMetrics : public stats::MetricsSource, public std::enable_shared_from_this<ServerMetrics> {
 public:
  explicit ServerMetrics(const Clock* clock) : clock_(clock) {}

  // Counts a request in flight until the returned object is destroyed, then
  // records its latency. Thread-safe.
  std::shared_ptr<void> Begin(std::string_view method, std::string_view path);
  void LogStreamStarted();
  void LogStreamEnded();
  int64_t active_log_streams() const;

  void Collect(stats::PrometheusWriter& writer) override;

  // The kubelet's getURLRootPath + bucket set; exposed for tests.
  static std::string PathBucket(std::string_view path);
  static std::string MethodBucket(std::string_view method);

 private:
  static constexpr std::array<double, 11> kBuckets = {0.005, 0.01, 0.025, 0.05, 0.1, 0.25,
                                                      0.5,   1,    2.5,   5,    10};
  using Key = std::tuple<std::string, std::string, std::string>;  // long_running, method, path
  struct Series {
    uint64_t count = 0;
    int64_t inflight = 0;
    double sum = 0;
    std::array<uint64_t, kBuckets.size() + 1> buckets{};
  };
  void End(const Key& key, absl::Time start);

  const Clock* clock_;
  mutable absl::Mutex mu_;
  std::map<Key, Series> series_ ABSL_GUARDED_BY(mu_);
  int64_t log_streams_ ABSL_GUARDED_BY(mu_) = 0;
  uint64_t log_streams_total_ ABSL_GUARDED_BY(mu_) = 0;
};

}  // namespace vkubelet::api::internal

#endif  // VKUBELET_LIB_API_SERVER_METRICS_H_
