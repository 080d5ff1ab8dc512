// Copyright 2026 The vkubelet Authors. Licensed under the Apache License 2.0.

#include "api/server_metrics.h"

#include <set>
#include <vector>

namespace vkubelet::api::internal {
namespace {

const std::set<std::string, std::less<>>& Buckets() {
  static const auto* const kSet = new std::set<std::string, std::less<>>{
      "attach", "containerLogs", "exec", "healthz",     "metrics", "metrics/resource",
      "pods",   "portForward",   "run",  "runningpods", "stats"};
  return *kSet;
}

// The kubelet's isLongRunningRequest keys (note: "portforward" in lower case,
// so its portForward bucket is not counted as long-running either).
bool IsLongRunning(std::string_view bucket) {
  return bucket == "exec" || bucket == "attach" || bucket == "portforward" || bucket == "debug";
}

}  // namespace

std::string ServerMetrics::PathBucket(std::string_view path) {
  if (!path.empty() && path.front() == '/') path.remove_prefix(1);
  size_t slash = path.find('/');
  std::string_view first = path.substr(0, slash);
  std::string root(first);
  if (first == "metrics" && slash != std::string_view::npos) {
    std::string_view rest = path.substr(slash + 1);
    rest = rest.substr(0, rest.find('/'));
    root = "metrics/" + std::string(rest);
  }
  return Buckets().count(root) ? root : "other";
}

std::string ServerMetrics::MethodBucket(std::string_view method) {
  static const std::set<std::string_view> kMethods = {"OPTIONS", "GET",    "HEAD",  "POST",
                                                      "PUT",     "DELETE", "TRACE", "CONNECT"};
  return kMethods.count(method) ? std::string(method) : "other";
}

std::shared_ptr<void> ServerMetrics::Begin(std::string_view method, std::string_view path) {
  std::string bucket = PathBucket(path);
  Key key{IsLongRunning(bucket) ? "true" : "false", MethodBucket(method), bucket};
  {
    absl::MutexLock lock(&mu_);
    Series& s = series_[key];
    ++s.count;
    ++s.inflight;
  }
  absl::Time start = clock_->Now();
  // The deleter records the end; the pointee is never used.
  std::weak_ptr<ServerMetrics> weak = weak_from_this();
  return std::shared_ptr<void>(static_cast<void*>(this), [weak, key, start](void*) {
    if (auto self = weak.lock()) self->End(key, start);
  });
}

void ServerMetrics::End(const Key& key, absl::Time start) {
  double seconds = absl::ToDoubleSeconds(clock_->Now() - start);
  absl::MutexLock lock(&mu_);
  Series& s = series_[key];
  --s.inflight;
  s.sum += seconds;
  size_t i = 0;
  while (i < kBuckets.size() && seconds > kBuckets[i]) ++i;
  ++s.buckets[i];
}

void ServerMetrics::LogStreamStarted() {
  absl::MutexLock lock(&mu_);
  ++log_streams_;
  ++log_streams_total_;
}

void ServerMetrics::LogStreamEnded() {
  absl::MutexLock lock(&mu_);
  --log_streams_;
}

int64_t ServerMetrics::active_log_streams() const {
  absl::MutexLock lock(&mu_);
  return log_streams_;
}

void ServerMetrics::Collect(stats::PrometheusWriter& w) {
  absl::MutexLock lock(&mu_);
  auto labels = [](const Key& k) {
    return std::array<stats::LabelPair, 4>{
        stats::LabelPair{"long_running", std::get<0>(k)}, stats::LabelPair{"method", std::get<1>(k)},
        stats::LabelPair{"path", std::get<2>(k)}, stats::LabelPair{"server_type", "readwrite"}};
  };
  if (!series_.empty()) {
    w.Family("kubelet_http_inflight_requests", "[ALPHA] Number of the inflight http requests",
             stats::MetricType::kGauge);
    for (const auto& [k, s] : series_)
      w.Sample("kubelet_http_inflight_requests", labels(k), double(s.inflight));
    w.Family("kubelet_http_requests_duration_seconds", "[ALPHA] Duration in seconds to serve http requests",
             stats::MetricType::kHistogram);
    for (const auto& [k, s] : series_) {
      if (s.count == static_cast<uint64_t>(s.inflight)) continue;  // nothing finished yet
      w.Histogram("kubelet_http_requests_duration_seconds", labels(k), kBuckets, s.buckets, s.sum);
    }
    w.Family("kubelet_http_requests_total",
             "[ALPHA] Number of the http requests received since the server started",
             stats::MetricType::kCounter);
    for (const auto& [k, s] : series_) w.Sample("kubelet_http_requests_total", labels(k), double(s.count));
  }
  w.Family("vkubelet_container_log_streams", "Container log streams being served", stats::MetricType::kGauge);
  w.Sample("vkubelet_container_log_streams", {}, double(log_streams_));
  w.Family("vkubelet_container_log_streams_total", "Container log streams started since the server started",
           stats::MetricType::kCounter);
  w.Sample("vkubelet_container_log_streams_total", {}, double(log_streams_total_));
}

}  // namespace vkubelet::api::internal
