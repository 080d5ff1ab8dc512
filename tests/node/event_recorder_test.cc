// Copyright 2026 The vkubelet Authors. Licensed under the Apache License 2.0.

#include "vkubelet/node/event_recorder.h"

#include <doctest/doctest.h>

#include <deque>
#include <thread>

#include <nlohmann/json.hpp>

#include "absl/synchronization/mutex.h"
#include "vkubelet/errdefs.h"
#include "vkubelet/testing/fake_clock.h"

namespace vkubelet::node {
namespace {

using testing::FakeClock;

// An EventSink that records requests; it can be paused and told to fail.
class FakeSink : public EventSink {
 public:
  struct Call {
    std::string verb;  // "create" / "patch"
    corev1::Event event;
    std::string ns, name;
    nlohmann::json patch;
  };

  absl::Status Create(const Context&, const corev1::Event& event) override {
    absl::MutexLock lock(&mu_);
    mu_.Await(absl::Condition(+[](bool* p) { return !*p; }, &paused_));
    calls_.push_back({"create", event, event.metadata().namespace_(), event.metadata().name(), {}});
    return NextResult();
  }
  absl::Status Patch(const Context&, std::string_view ns, std::string_view name,
                     std::string_view patch_json) override {
    absl::MutexLock lock(&mu_);
    mu_.Await(absl::Condition(+[](bool* p) { return !*p; }, &paused_));
    calls_.push_back({"patch", {}, std::string(ns), std::string(name), nlohmann::json::parse(patch_json)});
    return NextResult();
  }

  void Pause(bool p) {
    absl::MutexLock lock(&mu_);
    paused_ = p;
  }
  void FailNext(absl::Status s) {
    absl::MutexLock lock(&mu_);
    results_.push_back(std::move(s));
  }
  std::vector<Call> calls() {
    absl::MutexLock lock(&mu_);
    return calls_;
  }
  bool WaitCalls(size_t n, absl::Duration timeout = absl::Seconds(10)) {
    absl::MutexLock lock(&mu_);
    auto cond = [&]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { return calls_.size() >= n; };
    return mu_.AwaitWithTimeout(absl::Condition(&cond), timeout);
  }

 private:
  absl::Status NextResult() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    if (results_.empty()) return absl::OkStatus();
    absl::Status s = results_.front();
    results_.pop_front();
    return s;
  }
  absl::Mutex mu_;
  bool paused_ ABSL_GUARDED_BY(mu_) = false;
  std::vector<Call> calls_ ABSL_GUARDED_BY(mu_);
  std::deque<absl::Status> results_ ABSL_GUARDED_BY(mu_);
};

corev1::Pod MakePod(const std::string& name) {
  corev1::Pod pod;
  pod.mutable_metadata()->set_namespace_("team-a");
  pod.mutable_metadata()->set_name(name);
  pod.mutable_metadata()->set_uid("uid-" + name);
  return pod;
}

struct Harness {
  explicit Harness(EventRecorderOptions opts = {}) {
    opts.clock = &clock;
    if (opts.instance.empty()) opts.instance = "vk-node";
    recorder = NewApiEventRecorder(sink, opts);
    auto [c, cancel_fn] = Context::Background().WithCancel();
    ctx = c;
    cancel = cancel_fn;
    thread = std::thread([this] { recorder->Run(ctx, absl::Milliseconds(200)); });
  }
  ~Harness() { Stop(); }
  void Stop() {
    if (thread.joinable()) {
      sink->Pause(false);
      cancel();
      thread.join();
    }
  }
  FakeClock clock;
  std::shared_ptr<FakeSink> sink = std::make_shared<FakeSink>();
  std::unique_ptr<ApiEventRecorder> recorder;
  Context ctx = Context::Background();
  CancelFn cancel;
  std::thread thread;
};

TEST_CASE("an event is created in the object's namespace with source and reporting fields") {
  EventRecorderOptions opts;
  opts.component = "vk-node/pod-controller";
  Harness h(opts);
  h.recorder->RecordPod(MakePod("web"), kEventTypeWarning, "ProviderCreateFailed", "boom");
  REQUIRE(h.sink->WaitCalls(1));
  auto call = h.sink->calls()[0];
  CHECK(call.verb == "create");
  const corev1::Event& ev = call.event;
  CHECK(ev.metadata().namespace_() == "team-a");
  CHECK(ev.metadata().name().rfind("web.", 0) == 0);
  CHECK(ev.involvedobject().kind() == "Pod");
  CHECK(ev.involvedobject().name() == "web");
  CHECK(ev.involvedobject().uid() == "uid-web");
  CHECK(ev.reason() == "ProviderCreateFailed");
  CHECK(ev.message() == "boom");
  CHECK(ev.type() == "Warning");
  CHECK(ev.count() == 1);
  CHECK(ev.source().component() == "vk-node/pod-controller");
  CHECK(ev.source().host() == "vk-node");
  CHECK(ev.reportingcomponent() == "vk-node/pod-controller");
  CHECK(ev.reportinginstance() == "vk-node");
  CHECK(ev.firsttimestamp().seconds() == absl::ToUnixSeconds(h.clock.Now()));
  CHECK(ev.lasttimestamp().seconds() == absl::ToUnixSeconds(h.clock.Now()));

  // Cluster-scoped objects (a Node) go to "default".
  corev1::ObjectReference node;
  node.set_kind("Node");
  node.set_name("vk-node");
  h.recorder->Record(node, kEventTypeNormal, "NodeReady", "ready");
  REQUIRE(h.sink->WaitCalls(2));
  CHECK(h.sink->calls()[1].ns == "default");
}

TEST_CASE("a repeat patches count and lastTimestamp of the existing event") {
  Harness h;
  auto pod = MakePod("web");
  h.recorder->RecordPod(pod, kEventTypeWarning, "R", "same");
  REQUIRE(h.sink->WaitCalls(1));
  std::string name = h.sink->calls()[0].name;
  h.clock.Advance(absl::Seconds(30));
  h.recorder->RecordPod(pod, kEventTypeWarning, "R", "same");
  REQUIRE(h.sink->WaitCalls(2));
  auto patch = h.sink->calls()[1];
  CHECK(patch.verb == "patch");
  CHECK(patch.ns == "team-a");
  CHECK(patch.name == name);
  CHECK(patch.patch["count"] == 2);
  CHECK(patch.patch["lastTimestamp"] == "2023-11-14T22:13:50Z");
  // A different message is a different event.
  h.recorder->RecordPod(pod, kEventTypeWarning, "R", "other");
  REQUIRE(h.sink->WaitCalls(3));
  CHECK(h.sink->calls()[2].verb == "create");
  h.Stop();
  auto stats = h.recorder->GetStats();
  CHECK(stats.created == 2);
  CHECK(stats.patched == 1);
}

TEST_CASE("repeats waiting in the queue fold into one request") {
  Harness h;
  h.sink->Pause(true);
  auto pod = MakePod("web");
  h.recorder->RecordPod(MakePod("blocker"), kEventTypeNormal, "X", "x");  // occupies the sender
  for (int i = 0; i < 10; ++i) h.recorder->RecordPod(pod, kEventTypeWarning, "R", "again");
  h.sink->Pause(false);
  REQUIRE(h.sink->WaitCalls(2));
  h.Stop();
  auto calls = h.sink->calls();
  REQUIRE(calls.size() == 2);
  CHECK(calls[1].verb == "create");
  CHECK(calls[1].event.count() == 10);
  CHECK(h.recorder->GetStats().folded == 9);
}

TEST_CASE("the spam filter limits events per object and refills slowly") {
  Harness h;
  auto pod = MakePod("noisy");
  for (int i = 0; i < 30; ++i) h.recorder->RecordPod(pod, kEventTypeWarning, "R", "msg " + std::to_string(i));
  REQUIRE(h.sink->WaitCalls(25));
  CHECK(h.recorder->GetStats().dropped_spam == 5);
  // Another object is not affected.
  h.recorder->RecordPod(MakePod("quiet"), kEventTypeWarning, "R", "hello");
  REQUIRE(h.sink->WaitCalls(26));
  // One token comes back every 5 minutes.
  h.recorder->RecordPod(pod, kEventTypeWarning, "R", "still dropped");
  CHECK(h.recorder->GetStats().dropped_spam == 6);
  h.clock.Advance(absl::Minutes(5));
  h.recorder->RecordPod(pod, kEventTypeWarning, "R", "allowed again");
  REQUIRE(h.sink->WaitCalls(27));
  CHECK(h.sink->calls().back().event.message() == "allowed again");
}

TEST_CASE("Record never blocks: a full queue drops the oldest event") {
  EventRecorderOptions opts;
  opts.max_queued = 3;
  opts.spam_burst = 0;
  Harness h(opts);
  h.sink->Pause(true);
  h.recorder->RecordPod(MakePod("p0"), kEventTypeNormal, "R", "in flight");
  // Wait until the sender took p0 (the queue is then empty).
  for (int i = 0; i < 1000 && h.recorder->GetStats().queued != 0; ++i) absl::SleepFor(absl::Milliseconds(1));
  for (int i = 1; i <= 1000; ++i) h.recorder->RecordPod(MakePod("p" + std::to_string(i)), kEventTypeNormal, "R", "m");
  auto stats = h.recorder->GetStats();
  CHECK(stats.queued == 3);
  CHECK(stats.dropped_full == 997);
  h.sink->Pause(false);
  REQUIRE(h.sink->WaitCalls(4));
  h.Stop();
  auto calls = h.sink->calls();
  REQUIRE(calls.size() == 4);
  CHECK(calls[1].event.involvedobject().name() == "p998");
  CHECK(calls[3].event.involvedobject().name() == "p1000");
}

TEST_CASE("transient failures are retried later, permanent ones dropped") {
  Harness h;
  h.sink->FailNext(errdefs::Unavailable("apiserver restarting"));
  h.recorder->RecordPod(MakePod("web"), kEventTypeWarning, "R", "m");
  REQUIRE(h.sink->WaitCalls(1));
  // Not retried before the retry interval.
  REQUIRE(h.clock.AwaitWaiters(1));
  CHECK(h.sink->calls().size() == 1);
  h.clock.Advance(absl::Seconds(10));
  REQUIRE(h.sink->WaitCalls(2));
  CHECK(h.sink->calls()[1].verb == "create");

  h.sink->FailNext(errdefs::Forbidden("no"));
  h.recorder->RecordPod(MakePod("db"), kEventTypeWarning, "R", "m");
  REQUIRE(h.sink->WaitCalls(3));
  h.clock.Advance(absl::Seconds(60));
  h.Stop();
  CHECK(h.sink->calls().size() == 3);
  CHECK(h.recorder->GetStats().failed == 1);
  CHECK(h.recorder->GetStats().created == 1);
}

TEST_CASE("a repeat of an event that was deleted creates a new one") {
  Harness h;
  auto pod = MakePod("web");
  h.recorder->RecordPod(pod, kEventTypeWarning, "R", "m");
  REQUIRE(h.sink->WaitCalls(1));
  h.sink->FailNext(errdefs::NotFound("events \"x\" not found"));
  h.recorder->RecordPod(pod, kEventTypeWarning, "R", "m");
  REQUIRE(h.sink->WaitCalls(3));
  auto calls = h.sink->calls();
  CHECK(calls[1].verb == "patch");
  CHECK(calls[2].verb == "create");
  CHECK(calls[2].event.count() == 2);
  CHECK(calls[2].name != calls[0].name);
}

TEST_CASE("memory recorder") {
  MemoryEventRecorder rec;
  rec.RecordPod(MakePod("a"), kEventTypeNormal, "R1", "m");
  rec.RecordPod(MakePod("b"), kEventTypeWarning, "R2", "n");
  CHECK(rec.Count("R1") == 1);
  CHECK(rec.WithReason("R2", "b").size() == 1);
  CHECK(rec.WithReason("R2", "a").empty());
  CHECK(rec.WaitFor("R2", 1, absl::Milliseconds(1)));
  CHECK_FALSE(rec.WaitFor("R3", 1, absl::Milliseconds(1)));
}

}  // namespace
}  // namespace vkubelet::node
