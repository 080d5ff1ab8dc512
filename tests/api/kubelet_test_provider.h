// Copyright 2026 The vkubelet Authors. Licensed under the Apache License 2.0.
//
// A provider for the kubelet API tests: pods in memory, container logs as
// lines that tests append to (followers see them as they are appended), and
// a settable stats Summary. Thread-safe.

#ifndef VKUBELET_TESTS_API_KUBELET_TEST_PROVIDER_H_
#define VKUBELET_TESTS_API_KUBELET_TEST_PROVIDER_H_

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <tuple>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "vkubelet/errdefs.h"
#include "vkubelet/provider.h"

namespace vkubelet::test {

inline std::shared_ptr<const corev1::Pod> MakePod(const std::string& ns, const std::string& name,
                                                  std::vector<std::string> containers,
                                                  const std::string& node = "") {
  auto p = std::make_shared<corev1::Pod>();
  p->mutable_metadata()->set_namespace_(ns);
  p->mutable_metadata()->set_name(name);
  p->mutable_metadata()->set_uid(ns + "-" + name + "-uid");
  if (!node.empty()) p->mutable_spec()->set_nodename(node);
  for (const auto& c : containers) {
    auto* ct = p->mutable_spec()->add_containers();
    ct->set_name(c);
    ct->set_image("busybox");
  }
  return p;
}

// Only the mandatory interface: every optional route answers 501.
class BareProvider : public PodLifecycleHandler {
 public:
  absl::Status CreatePod(const Context&, const corev1::Pod&) override { return absl::OkStatus(); }
  absl::Status UpdatePod(const Context&, const corev1::Pod&) override { return absl::OkStatus(); }
  absl::Status DeletePod(const Context&, const corev1::Pod&) override { return absl::OkStatus(); }
  absl::StatusOr<std::shared_ptr<const corev1::Pod>> GetPod(const Context&, std::string_view ns,
                                                            std::string_view name) override {
    return errdefs::NotFound(absl::StrCat(std::string(ns), "/", std::string(name)));
  }
  absl::StatusOr<std::shared_ptr<const corev1::PodStatus>> GetPodStatus(const Context&, std::string_view ns,
                                                                        std::string_view name) override {
    return errdefs::NotFound(absl::StrCat(std::string(ns), "/", std::string(name)));
  }
  absl::StatusOr<std::vector<std::shared_ptr<const corev1::Pod>>> GetPods(const Context&) override {
    return std::vector<std::shared_ptr<const corev1::Pod>>{};
  }
};

class KubeletTestProvider : public PodLifecycleHandler,
                            public ContainerLogsProvider,
                            public PodMetricsProvider {
 public:
  struct Line {
    absl::Time time;
    std::string stream;  // "stdout" / "stderr"
    std::string text;    // without the newline
  };

  // --- lifecycle ------------------------------------------------------------------
  void AddPod(std::shared_ptr<const corev1::Pod> pod) {
    absl::MutexLock lock(&mu_);
    pods_.push_back(std::move(pod));
  }
  absl::Status CreatePod(const Context&, const corev1::Pod& pod) override {
    AddPod(std::make_shared<corev1::Pod>(pod));
    return absl::OkStatus();
  }
  absl::Status UpdatePod(const Context&, const corev1::Pod&) override { return absl::OkStatus(); }
  absl::Status DeletePod(const Context&, const corev1::Pod&) override { return absl::OkStatus(); }
  absl::StatusOr<std::shared_ptr<const corev1::Pod>> GetPod(const Context&, std::string_view ns,
                                                            std::string_view name) override {
    absl::MutexLock lock(&mu_);
    for (const auto& p : pods_) {
      if (p->metadata().namespace_() == ns && p->metadata().name() == name) return p;
    }
    return errdefs::NotFound(absl::StrCat(std::string(ns), "/", std::string(name)));
  }
  absl::StatusOr<std::shared_ptr<const corev1::PodStatus>> GetPodStatus(const Context& ctx,
                                                                        std::string_view ns,
                                                                        std::string_view name) override {
    auto p = GetPod(ctx, ns, name);
    if (!p.ok()) return p.status();
    return std::make_shared<corev1::PodStatus>((*p)->status());
  }
  absl::StatusOr<std::vector<std::shared_ptr<const corev1::Pod>>> GetPods(const Context&) override {
    absl::MutexLock lock(&mu_);
    if (!pods_error_.ok()) return pods_error_;
    return pods_;
  }
  void SetPodsError(absl::Status s) {
    absl::MutexLock lock(&mu_);
    pods_error_ = std::move(s);
  }

  // --- logs -------------------------------------------------------------------------
  void AppendLog(const std::string& ns, const std::string& pod, const std::string& container,
                 std::string text, std::string stream = "stdout",
                 std::optional<absl::Time> time = std::nullopt) {
    absl::MutexLock lock(&mu_);
    logs_[{ns, pod, container}].push_back(
        Line{time.value_or(absl::Now()), std::move(stream), std::move(text)});
    cv_.SignalAll();
  }
  // The next GetContainerLogs fails with `s` before writing anything.
  void FailLogs(absl::Status s) {
    absl::MutexLock lock(&mu_);
    logs_error_ = std::move(s);
  }
  // GetContainerLogs writes `chunk` over and over until a write fails.
  void FloodLogs(std::string chunk) {
    absl::MutexLock lock(&mu_);
    flood_ = std::move(chunk);
  }

  absl::Status GetContainerLogs(const Context& ctx, const ContainerLogsRequest& req,
                                ByteWriter& out) override {
    std::string flood;
    {
      absl::MutexLock lock(&mu_);
      requests_.push_back(req);
      ++active_;
      if (!logs_error_.ok()) {
        --active_;
        return std::exchange(logs_error_, absl::OkStatus());
      }
      flood = flood_;
    }
    absl::Status result = flood.empty() ? ServeLines(ctx, req, out) : Flood(out, flood);
    absl::MutexLock lock(&mu_);
    --active_;
    ++finished_;
    last_result_ = result;
    last_ctx_done_ = ctx.Done();
    return result;
  }

  std::vector<ContainerLogsRequest> requests() const {
    absl::MutexLock lock(&mu_);
    return requests_;
  }
  int active() const {
    absl::MutexLock lock(&mu_);
    return active_;
  }
  int finished() const {
    absl::MutexLock lock(&mu_);
    return finished_;
  }
  bool last_ctx_done() const {
    absl::MutexLock lock(&mu_);
    return last_ctx_done_;
  }
  int64_t flooded_bytes() const {
    absl::MutexLock lock(&mu_);
    return flooded_;
  }
  bool in_write() const {
    absl::MutexLock lock(&mu_);
    return in_write_;
  }
  // Blocks until `pred` holds (real time, up to `timeout`).
  bool Await(const std::function<bool()>& pred, absl::Duration timeout = absl::Seconds(10)) const {
    absl::Time deadline = absl::Now() + timeout;
    while (!pred()) {
      if (absl::Now() > deadline) return false;
      absl::SleepFor(absl::Milliseconds(2));
    }
    return true;
  }

  // --- stats --------------------------------------------------------------------------
  void SetSummary(absl::StatusOr<stats::Summary> s) {
    absl::MutexLock lock(&mu_);
    summary_ = std::move(s);
  }
  absl::StatusOr<stats::Summary> GetStatsSummary(const Context&) override {
    absl::MutexLock lock(&mu_);
    ++summary_calls_;
    return summary_;
  }
  int summary_calls() const {
    absl::MutexLock lock(&mu_);
    return summary_calls_;
  }

 private:
  using Key = std::tuple<std::string, std::string, std::string>;

  static bool Selected(const Line& l, const ContainerLogOptions& o, absl::Time now) {
    if (o.stream == "Stdout" && l.stream != "stdout") return false;
    if (o.stream == "Stderr" && l.stream != "stderr") return false;
    if (o.since_time && l.time < *o.since_time) return false;
    if (o.since_seconds && l.time < now - absl::Seconds(*o.since_seconds)) return false;
    return true;
  }

  static std::string Render(const Line& l, const ContainerLogOptions& o) {
    std::string s;
    if (o.timestamps) s = absl::FormatTime("%Y-%m-%dT%H:%M:%E9SZ ", l.time, absl::UTCTimeZone());
    return s + l.text + "\n";
  }

  absl::Status ServeLines(const Context& ctx, const ContainerLogsRequest& req, ByteWriter& out) {
    Key key{req.namespace_, req.pod, req.container};
    std::vector<Line> lines;
    {
      absl::MutexLock lock(&mu_);
      auto it = logs_.find(key);
      if (it == logs_.end()) {
        return errdefs::NotFound(
            absl::StrCat("container ", req.container, " of ", req.namespace_, "/", req.pod, " has no logs"));
      }
      lines = it->second;
    }
    const ContainerLogOptions& o = req.options;
    absl::Time now = absl::Now();
    std::vector<const Line*> picked;
    for (const Line& l : lines) {
      if (Selected(l, o, now)) picked.push_back(&l);
    }
    size_t first = 0;
    if (o.tail_lines && picked.size() > static_cast<size_t>(*o.tail_lines)) {
      first = picked.size() - static_cast<size_t>(*o.tail_lines);
    }
    for (size_t i = first; i < picked.size(); ++i) {
      absl::Status s = out.Write(Render(*picked[i], o));
      if (!s.ok()) return s;
    }
    if (!o.follow) return absl::OkStatus();
    // Follow: wait for lines appended after the ones already seen.
    size_t seen = lines.size();
    absl::CondVar* cv = &cv_;
    CancelRegistration reg = ctx.OnCancel([this, cv] {
      absl::MutexLock lock(&mu_);
      cv->SignalAll();
    });
    while (true) {
      std::vector<Line> fresh;
      {
        absl::MutexLock lock(&mu_);
        while (!ctx.Done() && logs_[key].size() == seen) cv_.WaitWithTimeout(&mu_, absl::Milliseconds(50));
        if (ctx.Done()) return ctx.Err();
        const auto& all = logs_[key];
        fresh.assign(all.begin() + static_cast<ptrdiff_t>(seen), all.end());
        seen = all.size();
      }
      for (const Line& l : fresh) {
        absl::Status s = out.Write(Render(l, o));
        if (!s.ok()) return s;
      }
    }
  }

  absl::Status Flood(ByteWriter& out, const std::string& chunk) {
    while (true) {
      {
        absl::MutexLock lock(&mu_);
        in_write_ = true;
      }
      absl::Status s = out.Write(chunk);
      absl::MutexLock lock(&mu_);
      in_write_ = false;
      if (!s.ok()) return s;
      flooded_ += static_cast<int64_t>(chunk.size());
    }
  }

  mutable absl::Mutex mu_;
  absl::CondVar cv_;
  std::vector<std::shared_ptr<const corev1::Pod>> pods_ ABSL_GUARDED_BY(mu_);
  absl::Status pods_error_ ABSL_GUARDED_BY(mu_);
  std::map<Key, std::vector<Line>> logs_ ABSL_GUARDED_BY(mu_);
  std::vector<ContainerLogsRequest> requests_ ABSL_GUARDED_BY(mu_);
  absl::Status logs_error_ ABSL_GUARDED_BY(mu_);
  std::string flood_ ABSL_GUARDED_BY(mu_);
  int64_t flooded_ ABSL_GUARDED_BY(mu_) = 0;
  bool in_write_ ABSL_GUARDED_BY(mu_) = false;
  int active_ ABSL_GUARDED_BY(mu_) = 0;
  int finished_ ABSL_GUARDED_BY(mu_) = 0;
  absl::Status last_result_ ABSL_GUARDED_BY(mu_);
  bool last_ctx_done_ ABSL_GUARDED_BY(mu_) = false;
  absl::StatusOr<stats::Summary> summary_ ABSL_GUARDED_BY(mu_) = stats::Summary{};
  int summary_calls_ ABSL_GUARDED_BY(mu_) = 0;
};

}  // namespace vkubelet::test

#endif  // VKUBELET_TESTS_API_KUBELET_TEST_PROVIDER_H_
