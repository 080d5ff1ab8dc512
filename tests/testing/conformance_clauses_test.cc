// Copyright 2026 The vkubelet Authors. Licensed under the Apache License 2.0.
//
// Every conformance check can fail: a small in-memory provider passes them
// all, and for each clause a copy of it that breaks exactly that clause fails
// exactly that check, with a message naming the clause.

#include <doctest/doctest.h>

#include <map>
#include <set>
#include <string>
#include <thread>
#include <utility>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "vkubelet/errdefs.h"
#include "vkubelet/testing/conformance.h"

namespace vkubelet::testing {
namespace {

using PodPtr = std::shared_ptr<const corev1::Pod>;

// A correct provider with every ability the suite checks, and one switch
// per clause that makes it violate that clause (and, as far as possible,
// nothing else).
class ClauseProvider : public PodLifecycleHandler,
                       public PodNotifier,
                       public PodMetricsProvider,
                       public ContainerLogsProvider,
                       public ContainerExecProvider {
 public:
  explicit ClauseProvider(std::string broken) : broken_(std::move(broken)) {}

  absl::Status CreatePod(const Context& ctx, const corev1::Pod& pod) override {
    if (auto s = ContextBreak(ctx); !s.ok()) return s;
    PodPtr created;
    {
      absl::MutexLock lock(&mu_);
      Key key = KeyOf(pod.metadata().namespace_(), pod.metadata().name());
      if (Is("concurrency.create-delete")) {
        // Lost updates: copy, change and write back the whole table with a
        // window in between (each step locked, so no data race, just wrong).
        auto copy = pods_;
        mu_.Unlock();
        absl::SleepFor(absl::Microseconds(200));
        mu_.Lock();
        if (copy.count(key) && !Is("lifecycle.create-existing")) return errdefs::AlreadyExists("pod exists");
        auto p = std::make_shared<corev1::Pod>(Running(pod));
        copy[key] = p;
        pods_ = std::move(copy);
        seen_.insert(key);
        created = p;
      } else {
        if (pods_.count(key) && !Is("lifecycle.create-existing")) return errdefs::AlreadyExists("pod exists");
        auto p = std::make_shared<corev1::Pod>(Running(pod));
        pods_[key] = p;
        seen_.insert(key);
        created = p;
      }
      if (!Is("notify.create")) NotifyLocked(created);
    }
    Flush();
    return absl::OkStatus();
  }

  absl::Status UpdatePod(const Context& ctx, const corev1::Pod& pod) override {
    if (auto s = ContextBreak(ctx); !s.ok()) return s;
    {
      absl::MutexLock lock(&mu_);
      Key key = KeyOf(pod.metadata().namespace_(), pod.metadata().name());
      auto it = pods_.find(key);
      if (it == pods_.end()) {
        if (!Is("lifecycle.update-unknown")) return errdefs::NotFound("pod unknown");
        it = pods_.emplace(key, std::make_shared<corev1::Pod>(Running(pod))).first;  // an upsert
        return absl::OkStatus();
      }
      std::shared_ptr<corev1::Pod> next;
      if (Is("lifecycle.snapshots")) {
        next = it->second;  // modified in place: earlier results change
        *next->mutable_metadata() = pod.metadata();
        *next->mutable_spec() = pod.spec();
      } else {
        next = std::make_shared<corev1::Pod>(pod);
        *next->mutable_status() = it->second->status();
        if (Is("lifecycle.update")) *next->mutable_spec() = it->second->spec();  // images not applied
        it->second = next;
      }
      if (!Is("notify.update")) NotifyLocked(next);
    }
    Flush();
    return absl::OkStatus();
  }

  absl::Status DeletePod(const Context& ctx, const corev1::Pod& pod) override {
    if (auto s = ContextBreak(ctx); !s.ok()) return s;
    {
      absl::MutexLock lock(&mu_);
      Key key = KeyOf(pod.metadata().namespace_(), pod.metadata().name());
      auto it = pods_.find(key);
      if (it == pods_.end()) {
        if (!seen_.count(key) && Is("lifecycle.delete-unknown")) return absl::OkStatus();
        if (seen_.count(key) && Is("lifecycle.delete-idempotent")) return absl::InternalError("already deleted");
        return errdefs::NotFound("pod unknown");
      }
      auto stopped = std::make_shared<corev1::Pod>(*it->second);
      if (!Is("notify.delete")) {
        stopped->mutable_status()->set_phase("Succeeded");
        for (auto& cs : *stopped->mutable_status()->mutable_containerstatuses()) {
          cs.mutable_state()->clear_running();
          cs.mutable_state()->mutable_terminated()->set_exitcode(0);
        }
      }
      if (Is("lifecycle.delete")) stale_status_[key] = std::make_shared<corev1::PodStatus>(stopped->status());
      pods_.erase(it);
      NotifyLocked(stopped);
    }
    Flush();
    return absl::OkStatus();
  }

  absl::StatusOr<PodPtr> GetPod(const Context& ctx, std::string_view ns, std::string_view name) override {
    if (auto s = ContextBreak(ctx); !s.ok()) return s;
    absl::MutexLock lock(&mu_);
    Key key = KeyOf(ns, name);
    auto it = pods_.find(key);
    if (it == pods_.end()) {
      if (!seen_.count(key) && Is("lifecycle.get-unknown")) return absl::UnknownError("backend lookup failed");
      return errdefs::NotFound("pod unknown");
    }
    if (Is("lifecycle.create-get")) {
      auto copy = std::make_shared<corev1::Pod>(*it->second);
      copy->mutable_spec()->clear_nodename();
      return PodPtr(copy);
    }
    return PodPtr(it->second);
  }

  absl::StatusOr<std::shared_ptr<const corev1::PodStatus>> GetPodStatus(const Context& ctx, std::string_view ns,
                                                                        std::string_view name) override {
    if (auto s = ContextBreak(ctx); !s.ok()) return s;
    absl::MutexLock lock(&mu_);
    Key key = KeyOf(ns, name);
    auto it = pods_.find(key);
    if (it == pods_.end()) {
      if (auto stale = stale_status_.find(key); stale != stale_status_.end()) return stale->second;
      if (!seen_.count(key) && Is("lifecycle.status-unknown")) return std::make_shared<const corev1::PodStatus>();
      return errdefs::NotFound("pod unknown");
    }
    return std::shared_ptr<const corev1::PodStatus>(it->second, &it->second->status());
  }

  absl::StatusOr<std::vector<PodPtr>> GetPods(const Context& ctx) override {
    if (auto s = ContextBreak(ctx); !s.ok()) return s;
    absl::MutexLock lock(&mu_);
    std::vector<PodPtr> out;
    for (const auto& [k, p] : pods_) {
      out.push_back(p);
      if (Is("lifecycle.create-list")) out.push_back(p);
    }
    return out;
  }

  void NotifyPods(const Context&, std::function<void(PodPtr)> callback) override {
    absl::MutexLock lock(&mu_);
    callback_ = std::move(callback);
  }

  absl::StatusOr<stats::Summary> GetStatsSummary(const Context&) override {
    absl::MutexLock lock(&mu_);
    stats::Summary s;
    s.node.node_name = "vk";
    for (const auto& [k, p] : pods_) {
      if (Is("stats.running-pods") && !s.pods.empty()) break;  // only the first pod
      stats::PodStats ps;
      ps.pod_ref = {p->metadata().name(), p->metadata().namespace_(), p->metadata().uid()};
      s.pods.push_back(ps);
    }
    return s;
  }

  absl::Status GetContainerLogs(const Context&, const ContainerLogsRequest& r, ByteWriter& out) override {
    if (!HasContainer(r.namespace_, r.pod, r.container)) {
      if (Is("logs.unknown-container")) return absl::OkStatus();  // empty logs instead of NotFound
      return errdefs::NotFound("no such container");
    }
    return out.Write("a log line\n");
  }

  absl::Status RunInContainer(const Context&, const ExecRequest& r, AttachIO&) override {
    if (!HasContainer(r.namespace_, r.pod, r.container)) {
      if (Is("exec.unknown-container")) return errdefs::ExitCode(127);  // "command not found"
      return errdefs::NotFound("no such container");
    }
    return absl::OkStatus();
  }

 private:
  using Key = std::pair<std::string, std::string>;

  bool Is(std::string_view clause) const { return broken_ == clause; }

  Key KeyOf(std::string_view ns, std::string_view name) const {
    if (Is("lifecycle.namespace-keys")) return {std::string(ns) + "-" + std::string(name), ""};  // the reference mock's key
    return {std::string(ns), std::string(name)};
  }

  absl::Status ContextBreak(const Context& ctx) {
    absl::Status err = ctx.Err();
    if (absl::IsCancelled(err) && Is("context.cancelled")) return errdefs::InvalidInput("request aborted");
    if (absl::IsDeadlineExceeded(err) && Is("context.deadline")) {
      absl::SleepFor(absl::Milliseconds(300));  // waits for the backend regardless of the deadline
    }
    return absl::OkStatus();
  }

  static corev1::Pod Running(const corev1::Pod& pod) {
    corev1::Pod p = pod;
    p.mutable_status()->set_phase("Running");
    for (const auto& c : pod.spec().containers()) {
      auto* cs = p.mutable_status()->add_containerstatuses();
      cs->set_name(c.name());
      cs->set_ready(true);
      cs->mutable_state()->mutable_running();
    }
    return p;
  }

  bool HasContainer(const std::string& ns, const std::string& name, const std::string& container) {
    absl::MutexLock lock(&mu_);
    auto it = pods_.find(KeyOf(ns, name));
    if (it == pods_.end()) return false;
    for (const auto& c : it->second->spec().containers()) {
      if (c.name() == container) return true;
    }
    return false;
  }

  // Queues a notification; the correct provider delivers it after unlocking.
  void NotifyLocked(PodPtr pod) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    if (!callback_) return;
    if (Is("notify.unlocked")) {
      callback_(std::move(pod));  // with the provider's lock held
      return;
    }
    pending_.emplace_back(callback_, std::move(pod));
  }
  void Flush() ABSL_LOCKS_EXCLUDED(mu_) {
    std::vector<std::pair<std::function<void(PodPtr)>, PodPtr>> pending;
    {
      absl::MutexLock lock(&mu_);
      pending.swap(pending_);
    }
    for (auto& [cb, pod] : pending) cb(pod);
  }

  const std::string broken_;
  absl::Mutex mu_;
  std::map<Key, std::shared_ptr<corev1::Pod>> pods_ ABSL_GUARDED_BY(mu_);
  std::set<Key> seen_ ABSL_GUARDED_BY(mu_);
  std::map<Key, std::shared_ptr<const corev1::PodStatus>> stale_status_ ABSL_GUARDED_BY(mu_);
  std::function<void(PodPtr)> callback_ ABSL_GUARDED_BY(mu_);
  std::vector<std::pair<std::function<void(PodPtr)>, PodPtr>> pending_ ABSL_GUARDED_BY(mu_);
};

ConformanceOptions FastOptions() {
  ConformanceOptions o;
  // A broken provider makes its own check wait this long for what never happens.
  o.timeout = absl::Seconds(1);
  o.context_grace = absl::Milliseconds(100);
  return o;
}

ProviderConformance SuiteFor(const std::string& broken) {
  return ProviderConformance([broken]() -> absl::StatusOr<std::shared_ptr<PodLifecycleHandler>> {
    return std::make_shared<ClauseProvider>(broken);
  }, FastOptions());
}

TEST_CASE("the correct provider passes every clause, none skipped") {
  ConformanceReport report = SuiteFor("").RunAll();
  CHECK_MESSAGE(report.ok(), report.ToString());
  REQUIRE(report.results.size() == ConformanceClauses().size());
  for (const auto& r : report.results) CHECK_MESSAGE(r.passed(), r.clause);
}

TEST_CASE("a provider that breaks one clause fails exactly that clause's check, named in the message") {
  for (const ConformanceClause& clause : ConformanceClauses()) {
    const std::string id(clause.id);
    CAPTURE(id);
    ConformanceReport report = SuiteFor(id).RunAll();
    const CheckResult* own = report.Find(id);
    REQUIRE(own != nullptr);
    CHECK_MESSAGE(own->failed(), report.ToString());
    REQUIRE_FALSE(own->failures.empty());
    for (const std::string& f : own->failures) {
      CHECK(absl::StartsWith(f, absl::StrCat("[", id, "] ")));
      CHECK(absl::StrContains(f, std::string(clause.contract)));
    }
    for (const auto& r : report.results) {
      if (r.clause != id) CHECK_MESSAGE(r.passed(), "broken for ", id, ", also failed: ", report.ToString());
    }
  }
}

TEST_CASE("Run reports unknown clauses, skips by option, and a factory error") {
  ProviderConformance suite = SuiteFor("");
  CheckResult unknown = suite.Run("lifecycle.no-such-clause");
  CHECK(unknown.failed());
  REQUIRE(unknown.failures.size() == 1);
  CHECK(absl::StrContains(unknown.failures[0], "[lifecycle.no-such-clause]"));

  ConformanceOptions o = FastOptions();
  o.skip = {"notify.", "lifecycle.update"};
  ProviderConformance skipping([] { return absl::StatusOr<std::shared_ptr<PodLifecycleHandler>>(
                                        std::make_shared<ClauseProvider>("notify.create")); },
                               o);
  CHECK(skipping.Run("notify.create").skipped());
  CHECK(skipping.Run("notify.delete").skipped());
  CHECK(skipping.Run("lifecycle.update").skipped());
  CHECK(skipping.Run("lifecycle.update-unknown").passed());

  ProviderConformance failing(
      [] { return absl::StatusOr<std::shared_ptr<PodLifecycleHandler>>(absl::UnavailableError("no backend")); });
  CheckResult r = failing.Run("lifecycle.get-unknown");
  CHECK(r.failed());
  REQUIRE(r.failures.size() == 1);
  CHECK(absl::StrContains(r.failures[0], "no backend"));

  auto null_factory = MakeConformanceFactory([] { return std::unique_ptr<ClauseProvider>(); });
  CHECK(ProviderConformance(null_factory).Run("lifecycle.get-unknown").failed());
}

// A provider with only the mandatory interface: the optional clauses are
// skipped, not failed.
class LifecycleOnly : public PodLifecycleHandler {
 public:
  absl::Status CreatePod(const Context& ctx, const corev1::Pod& pod) override { return inner_.CreatePod(ctx, pod); }
  absl::Status UpdatePod(const Context& ctx, const corev1::Pod& pod) override { return inner_.UpdatePod(ctx, pod); }
  absl::Status DeletePod(const Context& ctx, const corev1::Pod& pod) override { return inner_.DeletePod(ctx, pod); }
  absl::StatusOr<PodPtr> GetPod(const Context& ctx, std::string_view ns, std::string_view name) override {
    return inner_.GetPod(ctx, ns, name);
  }
  absl::StatusOr<std::shared_ptr<const corev1::PodStatus>> GetPodStatus(const Context& ctx, std::string_view ns,
                                                                        std::string_view name) override {
    return inner_.GetPodStatus(ctx, ns, name);
  }
  absl::StatusOr<std::vector<PodPtr>> GetPods(const Context& ctx) override { return inner_.GetPods(ctx); }

 private:
  ClauseProvider inner_{""};
};

TEST_CASE("optional abilities a provider lacks are skipped") {
  ProviderConformance suite(MakeConformanceFactory([] { return std::make_unique<LifecycleOnly>(); }), FastOptions());
  ConformanceReport report = suite.RunAll();
  CHECK_MESSAGE(report.ok(), report.ToString());
  for (const auto& clause : ConformanceClauses()) {
    const CheckResult* r = report.Find(clause.id);
    REQUIRE(r != nullptr);
    CHECK_MESSAGE(r->skipped() == !clause.ability.empty(), r->clause);
  }
}

// The doctest layer itself, over the correct provider.
VK_PROVIDER_CONFORMANCE_WITH_OPTIONS("in-memory reference", [] { return std::make_shared<ClauseProvider>(""); },
                                     FastOptions());

}  // namespace
}  // namespace vkubelet::testing
