// Copyright 2026 The vkubelet Authors. Licensed under the Apache License 2.0.
//
// The conformance checks. Each check gets a fresh provider, drives it through
// the public interfaces only and collects failures instead of aborting, so a
// report says everything that is wrong at once.

#include "vkubelet/testing/conformance.h"

#include <algorithm>
#include <atomic>
#include <exception>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <thread>
#include <utility>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/synchronization/mutex.h"
#include "absl/synchronization/notification.h"
#include "google/protobuf/util/message_differencer.h"
#include "vkubelet/errdefs.h"
#include "vkubelet/internal/status_macros.h"
#include "vkubelet/testing/recording_notifier.h"
#include "vkubelet/testing/wait.h"

namespace vkubelet::testing {

namespace {

using ::vkubelet::internal::ToAbsl;
using PodPtr = std::shared_ptr<const corev1::Pod>;

// --- The clauses --------------------------------------------------------------------

constexpr char kNotifier[] = "PodNotifier";
constexpr char kMetrics[] = "PodMetricsProvider";
constexpr char kLogs[] = "ContainerLogsProvider";
constexpr char kExec[] = "ContainerExecProvider";

const std::vector<ConformanceClause>& Clauses() {
  static const auto* clauses = new std::vector<ConformanceClause>{
      {"lifecycle.get-unknown", "", "GetPod of a pod the provider does not know answers NotFound"},
      {"lifecycle.status-unknown", "", "GetPodStatus of a pod the provider does not know answers NotFound"},
      {"lifecycle.delete-unknown", "",
       "DeletePod of a pod the provider does not know answers NotFound (the SDK treats it as done)"},
      {"lifecycle.update-unknown", "", "UpdatePod of a pod the provider does not know answers NotFound"},
      {"lifecycle.create-get", "",
       "after CreatePod, GetPod returns the pod (same namespace, name, uid and spec) and GetPodStatus its status"},
      {"lifecycle.create-list", "", "after CreatePod, GetPods lists the pod exactly once, with the same spec"},
      {"lifecycle.create-existing", "", "CreatePod of a pod the provider already runs answers AlreadyExists"},
      {"lifecycle.namespace-keys", "",
       "pods are keyed by namespace and name: a-b/c and a/b-c, or x/p and y/p, are different pods"},
      {"lifecycle.snapshots", "",
       "results are immutable snapshots: a later update, status change or deletion never changes an object "
       "returned before"},
      {"lifecycle.update", "",
       "UpdatePod applies the pod's mutable fields (labels, annotations, container images): GetPod and GetPods "
       "reflect them"},
      {"lifecycle.delete", "",
       "DeletePod stops the pod: GetPod/GetPodStatus answer NotFound and GetPods omits it once deletion finished"},
      {"lifecycle.delete-idempotent", "",
       "DeletePod may be called again for the same pod: OK while deletion is in progress, NotFound once the "
       "provider no longer knows it, never another error"},
      {"notify.create", kNotifier, "after CreatePod the provider calls the NotifyPods callback with the pod"},
      {"notify.update", kNotifier,
       "after UpdatePod the provider calls the NotifyPods callback with the updated pod"},
      {"notify.delete", kNotifier,
       "after DeletePod the provider reports a terminal status (phase Succeeded or Failed, no container "
       "running) through the NotifyPods callback"},
      {"notify.unlocked", kNotifier,
       "the NotifyPods callback may be called from any thread but never with a provider lock held: the SDK "
       "may call into the provider while a callback runs; the callback never gets a null pod"},
      {"context.cancelled", "",
       "every call returns promptly once its Context is cancelled, and fails (if it fails) with Cancelled or "
       "DeadlineExceeded, never with a category the SDK treats as permanent"},
      {"context.deadline", "",
       "every call returns promptly once its Context's deadline passed, and fails (if it fails) with Cancelled or "
       "DeadlineExceeded"},
      {"concurrency.create-delete", "",
       "the provider is called from many threads at once: concurrent create/delete of distinct pods leaves "
       "exactly the pods that were not deleted, and notifications stay well-formed"},
      {"stats.running-pods", kMetrics, "GetStatsSummary covers every running pod (podRef namespace, name, uid)"},
      {"logs.unknown-container", kLogs, "GetContainerLogs answers NotFound for an unknown pod or container"},
      {"exec.unknown-container", kExec, "RunInContainer answers NotFound for an unknown pod or container"},
  };
  return *clauses;
}

const ConformanceClause* FindClause(std::string_view id) {
  for (const auto& c : Clauses()) {
    if (c.id == id) return &c;
  }
  return nullptr;
}

// --- Helpers ------------------------------------------------------------------------------

std::string Describe(const absl::Status& s) { return s.ok() ? "OK" : s.ToString(); }

std::string Key(std::string_view ns, std::string_view name) { return absl::StrCat(ToAbsl(ns), "/", ToAbsl(name)); }
std::string Key(const corev1::Pod& p) { return Key(p.metadata().namespace_(), p.metadata().name()); }

std::string SpecDiff(const corev1::PodSpec& want, const corev1::PodSpec& got) {
  google::protobuf::util::MessageDifferencer d;
  std::string report;
  d.ReportDifferencesToString(&report);
  if (d.Compare(want, got)) return "";
  if (report.size() > 600) report = report.substr(0, 600) + "...";
  return report;
}

bool Terminal(const corev1::PodStatus& s) { return s.phase() == "Succeeded" || s.phase() == "Failed"; }

bool AnyContainerRunning(const corev1::PodStatus& s) {
  for (const auto& c : s.containerstatuses()) {
    if (c.state().has_running() || c.state().has_waiting()) return true;
  }
  return false;
}

// A ByteWriter that keeps what it gets.
class StringWriter : public ByteWriter {
 public:
  absl::Status Write(std::string_view data) override {
    absl::MutexLock lock(&mu_);
    data_.append(data);
    return absl::OkStatus();
  }

 private:
  absl::Mutex mu_;
  std::string data_ ABSL_GUARDED_BY(mu_);
};

// Streams of an exec session that asks for output only.
class OutputOnlyIO : public AttachIO {
 public:
  ByteReader* Stdin() override { return nullptr; }
  ByteWriter* Stdout() override { return &out_; }
  ByteWriter* Stderr() override { return &err_; }
  bool Tty() const override { return false; }
  std::optional<TermSize> NextResize(const Context&) override { return std::nullopt; }

 private:
  StringWriter out_, err_;
};

// One check's state: the provider, the options and the failures found.
class Checker {
 public:
  Checker(const ConformanceClause& clause, std::shared_ptr<PodLifecycleHandler> provider,
          const ConformanceOptions& options)
      : clause_(clause), provider_(std::move(provider)), p_(*provider_), options_(options) {}

  void Fail(std::string_view what) {
    absl::MutexLock lock(&mu_);
    failures_.push_back(absl::StrCat("[", ToAbsl(clause_.id), "] ", ToAbsl(what),
                                     " — the contract: ", ToAbsl(clause_.contract)));
  }
  bool failed() const {
    absl::MutexLock lock(&mu_);
    return !failures_.empty();
  }
  std::vector<std::string> TakeFailures() {
    absl::MutexLock lock(&mu_);
    return std::move(failures_);
  }

  Context Ctx() const { return Context::Background().WithTimeout(options_.timeout); }

  std::string Ns(std::string_view suffix) const {
    return absl::StrCat(options_.namespace_prefix, "-", ToAbsl(suffix));
  }

  corev1::Pod MakePod(std::string_view ns, std::string_view name) const {
    corev1::Pod pod = options_.pod_template;
    auto* m = pod.mutable_metadata();
    m->set_namespace_(std::string(ns));
    m->set_name(std::string(name));
    m->set_uid(absl::StrCat("uid-", ToAbsl(ns), "-", ToAbsl(name)));
    pod.mutable_spec()->set_nodename(options_.node_name);
    return pod;
  }

  // CreatePod that must succeed; false (with a failure) otherwise.
  bool MustCreate(const corev1::Pod& pod) {
    absl::Status s = p_.CreatePod(Ctx(), pod);
    if (!s.ok()) {
      Fail(absl::StrCat("cannot run the check: CreatePod(", Key(pod), ") failed: ", s.ToString()));
      return false;
    }
    return true;
  }

  // Waits until the provider no longer knows the pod.
  absl::Status WaitGone(const corev1::Pod& pod) {
    const std::string ns = pod.metadata().namespace_(), name = pod.metadata().name();
    return WaitFor(
        [&] { return errdefs::IsNotFound(p_.GetPod(Ctx(), ns, name).status()); }, options_.timeout,
        absl::StrCat("GetPod(", Key(pod), ") to answer NotFound"));
  }

  // Deletes and waits for the deletion to finish (cleanup; no failure).
  void Remove(const corev1::Pod& pod) {
    (void)p_.DeletePod(Ctx(), pod);
    (void)WaitGone(pod);
  }

  const ConformanceClause& clause_;
  std::shared_ptr<PodLifecycleHandler> provider_;
  PodLifecycleHandler& p_;
  const ConformanceOptions& options_;

 private:
  mutable absl::Mutex mu_;
  std::vector<std::string> failures_ ABSL_GUARDED_BY(mu_);
};

// --- lifecycle.* -------------------------------------------------------------------------

void CheckGetUnknown(Checker& c) {
  corev1::Pod known = c.MakePod(c.Ns("a"), "known");
  if (!c.MustCreate(known)) return;
  for (const auto& [ns, name] : std::vector<std::pair<std::string, std::string>>{
           {c.Ns("a"), "missing"}, {c.Ns("b"), "known"}}) {
    auto got = c.p_.GetPod(c.Ctx(), ns, name);
    if (!errdefs::IsNotFound(got.status())) {
      c.Fail(absl::StrCat("GetPod(", Key(ns, name), ") of an unknown pod answered ", Describe(got.status()),
                          got.ok() && *got ? absl::StrCat(" with pod ", Key(**got)) : ""));
    }
  }
  c.Remove(known);
}

void CheckStatusUnknown(Checker& c) {
  corev1::Pod known = c.MakePod(c.Ns("a"), "known");
  if (!c.MustCreate(known)) return;
  for (const auto& [ns, name] : std::vector<std::pair<std::string, std::string>>{
           {c.Ns("a"), "missing"}, {c.Ns("b"), "known"}}) {
    auto got = c.p_.GetPodStatus(c.Ctx(), ns, name);
    if (!errdefs::IsNotFound(got.status())) {
      c.Fail(absl::StrCat("GetPodStatus(", Key(ns, name), ") of an unknown pod answered ", Describe(got.status())));
    }
  }
  c.Remove(known);
}

void CheckDeleteUnknown(Checker& c) {
  corev1::Pod pod = c.MakePod(c.Ns("a"), "never-created");
  absl::Status s = c.p_.DeletePod(c.Ctx(), pod);
  if (!errdefs::IsNotFound(s)) {
    c.Fail(absl::StrCat("DeletePod(", Key(pod), ") of a pod never created answered ", Describe(s)));
  }
}

void CheckUpdateUnknown(Checker& c) {
  corev1::Pod pod = c.MakePod(c.Ns("a"), "never-created");
  absl::Status s = c.p_.UpdatePod(c.Ctx(), pod);
  if (!errdefs::IsNotFound(s)) {
    c.Fail(absl::StrCat("UpdatePod(", Key(pod), ") of a pod never created answered ", Describe(s)));
  }
  // An update of an unknown pod must not create it.
  if (c.p_.GetPod(c.Ctx(), pod.metadata().namespace_(), pod.metadata().name()).ok()) {
    c.Fail(absl::StrCat("UpdatePod(", Key(pod), ") of an unknown pod created it"));
    c.Remove(pod);
  }
}

void CheckCreateGet(Checker& c) {
  corev1::Pod pod = c.MakePod(c.Ns("a"), "web");
  if (!c.MustCreate(pod)) return;
  auto got = c.p_.GetPod(c.Ctx(), pod.metadata().namespace_(), pod.metadata().name());
  if (!got.ok() || !*got) {
    c.Fail(absl::StrCat("GetPod(", Key(pod), ") after CreatePod answered ",
                        got.ok() ? "a null pod" : got.status().ToString()));
  } else {
    const corev1::Pod& g = **got;
    if (Key(g) != Key(pod)) c.Fail(absl::StrCat("GetPod(", Key(pod), ") returned pod ", Key(g)));
    if (g.metadata().uid() != pod.metadata().uid()) {
      c.Fail(absl::StrCat("GetPod(", Key(pod), ") returned uid \"", g.metadata().uid(), "\", created with \"",
                          pod.metadata().uid(), "\""));
    }
    std::string diff = SpecDiff(pod.spec(), g.spec());
    if (!diff.empty()) c.Fail(absl::StrCat("GetPod(", Key(pod), ") returned a different spec: ", diff));
  }
  auto status = c.p_.GetPodStatus(c.Ctx(), pod.metadata().namespace_(), pod.metadata().name());
  if (!status.ok() || !*status) {
    c.Fail(absl::StrCat("GetPodStatus(", Key(pod), ") after CreatePod answered ",
                        status.ok() ? "a null status" : status.status().ToString()));
  }
  c.Remove(pod);
}

void CheckCreateList(Checker& c) {
  corev1::Pod pod = c.MakePod(c.Ns("a"), "web");
  corev1::Pod other = c.MakePod(c.Ns("b"), "other");
  if (!c.MustCreate(pod) || !c.MustCreate(other)) return;
  auto list = c.p_.GetPods(c.Ctx());
  if (!list.ok()) {
    c.Fail(absl::StrCat("GetPods after CreatePod failed: ", list.status().ToString()));
  } else {
    int found = 0, others = 0;
    for (const PodPtr& p : *list) {
      if (!p) {
        c.Fail("GetPods returned a null pod");
        continue;
      }
      if (Key(*p) == Key(pod)) {
        ++found;
        std::string diff = SpecDiff(pod.spec(), p->spec());
        if (!diff.empty()) c.Fail(absl::StrCat("GetPods returned ", Key(pod), " with a different spec: ", diff));
      }
      if (Key(*p) == Key(other)) ++others;
    }
    if (found != 1 || others != 1) {
      c.Fail(absl::StrCat("GetPods listed ", Key(pod), " ", found, " time(s) and ", Key(other), " ", others,
                          " time(s) (", list->size(), " pods in all)"));
    }
  }
  c.Remove(pod);
  c.Remove(other);
}

void CheckCreateExisting(Checker& c) {
  corev1::Pod pod = c.MakePod(c.Ns("a"), "web");
  if (!c.MustCreate(pod)) return;
  absl::Status s = c.p_.CreatePod(c.Ctx(), pod);
  if (!errdefs::IsAlreadyExists(s)) {
    c.Fail(absl::StrCat("a second CreatePod(", Key(pod), ") answered ", Describe(s)));
  }
  c.Remove(pod);
}

void CheckNamespaceKeys(Checker& c) {
  // The reference provider's "<ns>-<name>" key made these collide.
  std::vector<corev1::Pod> pods = {c.MakePod(c.Ns("a-b"), "c"), c.MakePod(c.Ns("a"), "b-c"),
                                   c.MakePod(c.Ns("x"), "p"), c.MakePod(c.Ns("y"), "p")};
  for (const auto& p : pods) {
    absl::Status s = c.p_.CreatePod(c.Ctx(), p);
    if (!s.ok()) c.Fail(absl::StrCat("CreatePod(", Key(p), ") failed: ", s.ToString()));
  }
  if (c.failed()) {
    for (const auto& p : pods) c.Remove(p);
    return;
  }
  auto check = [&](const std::vector<size_t>& which, std::string_view when) {
    for (size_t i : which) {
      const auto& p = pods[i];
      auto got = c.p_.GetPod(c.Ctx(), p.metadata().namespace_(), p.metadata().name());
      if (!got.ok() || !*got) {
        c.Fail(absl::StrCat(ToAbsl(when), "GetPod(", Key(p), ") answered ", Describe(got.status())));
      } else if ((*got)->metadata().uid() != p.metadata().uid() || Key(**got) != Key(p)) {
        c.Fail(absl::StrCat(ToAbsl(when), "GetPod(", Key(p), ") returned ", Key(**got), " uid ",
                            (*got)->metadata().uid(), " instead of uid ", p.metadata().uid()));
      }
    }
  };
  check({0, 1, 2, 3}, "");
  auto list = c.p_.GetPods(c.Ctx());
  if (list.ok()) {
    std::set<std::string> keys;
    for (const PodPtr& p : *list) {
      if (p) keys.insert(Key(*p));
    }
    for (const auto& p : pods) {
      if (!keys.count(Key(p))) c.Fail(absl::StrCat("GetPods does not list ", Key(p)));
    }
  } else {
    c.Fail(absl::StrCat("GetPods failed: ", list.status().ToString()));
  }
  // Deleting one of each pair leaves the other.
  c.Remove(pods[0]);
  c.Remove(pods[2]);
  check({1, 3}, absl::StrCat("after deleting ", Key(pods[0]), " and ", Key(pods[2]), ", "));
  c.Remove(pods[1]);
  c.Remove(pods[3]);
}

void CheckSnapshots(Checker& c) {
  corev1::Pod pod = c.MakePod(c.Ns("a"), "web");
  (*pod.mutable_metadata()->mutable_labels())["snapshot"] = "before";
  if (!c.MustCreate(pod)) return;
  const std::string ns = pod.metadata().namespace_(), name = pod.metadata().name();
  auto got = c.p_.GetPod(c.Ctx(), ns, name);
  auto status = c.p_.GetPodStatus(c.Ctx(), ns, name);
  auto list = c.p_.GetPods(c.Ctx());
  if (!got.ok() || !*got || !status.ok() || !*status || !list.ok()) {
    c.Fail(absl::StrCat("cannot run the check: GetPod/GetPodStatus/GetPods after CreatePod answered ",
                        Describe(got.status()), ", ", Describe(status.status()), ", ", Describe(list.status())));
    c.Remove(pod);
    return;
  }
  const corev1::Pod got_copy = **got;
  const corev1::PodStatus status_copy = **status;
  std::vector<std::pair<PodPtr, corev1::Pod>> list_copy;
  for (const PodPtr& p : *list) {
    if (p) list_copy.emplace_back(p, *p);
  }

  corev1::Pod updated = pod;
  (*updated.mutable_metadata()->mutable_labels())["snapshot"] = "after";
  (*updated.mutable_metadata()->mutable_annotations())["conformance/updated"] = "true";
  updated.mutable_spec()->mutable_containers(0)->set_image(pod.spec().containers(0).image() + "-updated");
  absl::Status s = c.p_.UpdatePod(c.Ctx(), updated);
  if (!s.ok()) c.Fail(absl::StrCat("UpdatePod(", Key(pod), ") failed: ", s.ToString()));
  // Let background status changes happen too (a pod starting, then stopping).
  (void)c.p_.GetPod(c.Ctx(), ns, name);
  c.Remove(updated);

  google::protobuf::util::MessageDifferencer d;
  std::string report;
  d.ReportDifferencesToString(&report);
  if (!d.Compare(got_copy, **got)) {
    c.Fail(absl::StrCat("a pod returned by GetPod changed after it was returned: ", report.substr(0, 600)));
  }
  report.clear();
  if (!d.Compare(status_copy, **status)) {
    c.Fail(absl::StrCat("a status returned by GetPodStatus changed after it was returned: ", report.substr(0, 600)));
  }
  for (const auto& [ptr, copy] : list_copy) {
    report.clear();
    if (!d.Compare(copy, *ptr)) {
      c.Fail(absl::StrCat("a pod returned by GetPods changed after it was returned: ", report.substr(0, 600)));
      break;
    }
  }
}

void CheckUpdate(Checker& c) {
  corev1::Pod pod = c.MakePod(c.Ns("a"), "web");
  if (!c.MustCreate(pod)) return;
  const std::string ns = pod.metadata().namespace_(), name = pod.metadata().name();
  corev1::Pod updated = pod;
  (*updated.mutable_metadata()->mutable_labels())["conformance/label"] = "updated";
  (*updated.mutable_metadata()->mutable_annotations())["conformance/annotation"] = "updated";
  const std::string image = pod.spec().containers(0).image() + "-v2";
  updated.mutable_spec()->mutable_containers(0)->set_image(image);
  absl::Status s = c.p_.UpdatePod(c.Ctx(), updated);
  if (!s.ok()) {
    c.Fail(absl::StrCat("UpdatePod(", Key(pod), ") of a running pod failed: ", s.ToString()));
    c.Remove(pod);
    return;
  }
  auto verify = [&](const corev1::Pod& p, std::string_view via) {
    auto label = p.metadata().labels().find("conformance/label");
    if (label == p.metadata().labels().end() || label->second != "updated") {
      c.Fail(absl::StrCat(ToAbsl(via), " does not show the label UpdatePod set"));
    }
    auto ann = p.metadata().annotations().find("conformance/annotation");
    if (ann == p.metadata().annotations().end() || ann->second != "updated") {
      c.Fail(absl::StrCat(ToAbsl(via), " does not show the annotation UpdatePod set"));
    }
    if (p.spec().containers_size() == 0 || p.spec().containers(0).image() != image) {
      c.Fail(absl::StrCat(ToAbsl(via), " does not show the container image UpdatePod set (", image, ")"));
    }
  };
  auto got = c.p_.GetPod(c.Ctx(), ns, name);
  if (!got.ok() || !*got) {
    c.Fail(absl::StrCat("GetPod(", Key(pod), ") after UpdatePod answered ", Describe(got.status())));
  } else {
    verify(**got, "GetPod");
  }
  auto list = c.p_.GetPods(c.Ctx());
  if (list.ok()) {
    for (const PodPtr& p : *list) {
      if (p && Key(*p) == Key(pod)) verify(*p, "GetPods");
    }
  }
  c.Remove(updated);
}

void CheckDelete(Checker& c) {
  corev1::Pod pod = c.MakePod(c.Ns("a"), "web");
  corev1::Pod keep = c.MakePod(c.Ns("a"), "keep");
  if (!c.MustCreate(pod) || !c.MustCreate(keep)) return;
  const std::string ns = pod.metadata().namespace_(), name = pod.metadata().name();
  absl::Status s = c.p_.DeletePod(c.Ctx(), pod);
  if (!s.ok()) c.Fail(absl::StrCat("DeletePod(", Key(pod), ") of a running pod failed: ", s.ToString()));
  absl::Status gone = WaitFor(
      [&] {
        if (!errdefs::IsNotFound(c.p_.GetPod(c.Ctx(), ns, name).status())) return false;
        if (!errdefs::IsNotFound(c.p_.GetPodStatus(c.Ctx(), ns, name).status())) return false;
        auto list = c.p_.GetPods(c.Ctx());
        if (!list.ok()) return false;
        for (const PodPtr& p : *list) {
          if (p && Key(*p) == Key(pod)) return false;
        }
        return true;
      },
      c.options_.timeout, "the deletion to finish");
  if (!gone.ok()) {
    c.Fail(absl::StrCat("after DeletePod(", Key(pod), "), GetPod answers ",
                        Describe(c.p_.GetPod(c.Ctx(), ns, name).status()), ", GetPodStatus ",
                        Describe(c.p_.GetPodStatus(c.Ctx(), ns, name).status()), " (", gone.message(), ")"));
  }
  if (!c.p_.GetPod(c.Ctx(), keep.metadata().namespace_(), keep.metadata().name()).ok()) {
    c.Fail(absl::StrCat("DeletePod(", Key(pod), ") also removed ", Key(keep)));
  }
  c.Remove(keep);
}

void CheckDeleteIdempotent(Checker& c) {
  corev1::Pod pod = c.MakePod(c.Ns("a"), "web");
  if (!c.MustCreate(pod)) return;
  absl::Status first = c.p_.DeletePod(c.Ctx(), pod);
  if (!first.ok()) c.Fail(absl::StrCat("the first DeletePod(", Key(pod), ") failed: ", first.ToString()));
  absl::Status second = c.p_.DeletePod(c.Ctx(), pod);
  if (!second.ok() && !errdefs::IsNotFound(second)) {
    c.Fail(absl::StrCat("a second DeletePod(", Key(pod), ") right after the first answered ", second.ToString()));
  }
  absl::Status gone = c.WaitGone(pod);
  if (!gone.ok()) {
    c.Fail(absl::StrCat("the pod is still known after DeletePod: ", gone.message()));
    return;
  }
  absl::Status again = c.p_.DeletePod(c.Ctx(), pod);
  if (!errdefs::IsNotFound(again)) {
    c.Fail(absl::StrCat("DeletePod(", Key(pod), ") once the provider no longer knows it answered ", Describe(again)));
  }
}

// --- notify.* ----------------------------------------------------------------------------

void CheckNotifyCreate(Checker& c, PodNotifier& n) {
  RecordingNotifier rec;
  n.NotifyPods(Context::Background(), rec.Callback());
  corev1::Pod pod = c.MakePod(c.Ns("a"), "web");
  if (!c.MustCreate(pod)) return;
  auto got = rec.WaitFor(
      pod.metadata().namespace_(), pod.metadata().name(), [](const corev1::Pod&) { return true; },
      c.options_.timeout);
  if (!got.ok()) {
    c.Fail(absl::StrCat("no notification for ", Key(pod), " after CreatePod (", got.status().message(), ")"));
  } else if ((*got)->metadata().uid() != pod.metadata().uid()) {
    c.Fail(absl::StrCat("the notification for ", Key(pod), " carries uid \"", (*got)->metadata().uid(),
                        "\" instead of \"", pod.metadata().uid(), "\""));
  }
  if (rec.NullCount() > 0) c.Fail("the NotifyPods callback was called with a null pod");
  c.Remove(pod);
}

void CheckNotifyUpdate(Checker& c, PodNotifier& n) {
  RecordingNotifier rec;
  n.NotifyPods(Context::Background(), rec.Callback());
  corev1::Pod pod = c.MakePod(c.Ns("a"), "web");
  if (!c.MustCreate(pod)) return;
  corev1::Pod updated = pod;
  (*updated.mutable_metadata()->mutable_labels())["conformance/label"] = "updated";
  absl::Status s = c.p_.UpdatePod(c.Ctx(), updated);
  if (!s.ok()) {
    c.Fail(absl::StrCat("cannot run the check: UpdatePod(", Key(pod), ") failed: ", s.ToString()));
  } else {
    auto got = rec.WaitFor(
        pod.metadata().namespace_(), pod.metadata().name(),
        [](const corev1::Pod& p) {
          auto it = p.metadata().labels().find("conformance/label");
          return it != p.metadata().labels().end() && it->second == "updated";
        },
        c.options_.timeout);
    if (!got.ok()) {
      c.Fail(absl::StrCat("no notification carrying the update of ", Key(pod), " after UpdatePod (",
                          rec.CountFor(pod.metadata().namespace_(), pod.metadata().name()),
                          " notification(s) for the pod in all)"));
    }
  }
  c.Remove(updated);
}

void CheckNotifyDelete(Checker& c, PodNotifier& n) {
  RecordingNotifier rec;
  n.NotifyPods(Context::Background(), rec.Callback());
  corev1::Pod pod = c.MakePod(c.Ns("a"), "web");
  if (!c.MustCreate(pod)) return;
  absl::Status s = c.p_.DeletePod(c.Ctx(), pod);
  if (!s.ok()) c.Fail(absl::StrCat("DeletePod(", Key(pod), ") failed: ", s.ToString()));
  auto got = rec.WaitFor(
      pod.metadata().namespace_(), pod.metadata().name(),
      [](const corev1::Pod& p) { return Terminal(p.status()) && !AnyContainerRunning(p.status()); },
      c.options_.timeout);
  if (!got.ok()) {
    PodPtr last = rec.Last(pod.metadata().namespace_(), pod.metadata().name());
    c.Fail(absl::StrCat("no terminal status notified for ", Key(pod), " after DeletePod (last notified phase: \"",
                        last ? last->status().phase() : "none", "\"",
                        last && AnyContainerRunning(last->status()) ? ", a container still running" : "", ")"));
  }
  (void)c.WaitGone(pod);
}

void CheckNotifyUnlocked(Checker& c, PodNotifier& n) {
  // Shared with the hook, which may still run on a provider thread after
  // this function returned.
  struct Probe {
    absl::Mutex mu;
    bool started ABSL_GUARDED_BY(mu) = false;
    std::thread thread ABSL_GUARDED_BY(mu);
    absl::Notification done;  // the hook finished probing
    std::atomic<bool> blocked{false};
  };
  auto probe = std::make_shared<Probe>();
  const absl::Duration grace = c.options_.context_grace;
  PodLifecycleHandler* provider = &c.p_;
  RecordingNotifier rec;
  rec.SetHook([probe, provider, grace](const PodPtr& pod) {
    if (!pod) return;
    {
      absl::MutexLock lock(&probe->mu);
      if (probe->started) return;
      probe->started = true;
    }
    // Call into the provider from another thread, as the SDK's workers may,
    // while this callback is still running.
    auto returned = std::make_shared<absl::Notification>();
    std::string ns = pod->metadata().namespace_(), name = pod->metadata().name();
    std::thread t([provider, returned, ns, name, grace] {
      (void)provider->GetPodStatus(Context::Background().WithTimeout(grace * 4), ns, name);
      (void)provider->GetPods(Context::Background().WithTimeout(grace * 4));
      returned->Notify();
    });
    if (!returned->WaitForNotificationWithTimeout(grace)) probe->blocked = true;
    {
      absl::MutexLock lock(&probe->mu);
      probe->thread = std::move(t);
    }
    probe->done.Notify();
  });
  n.NotifyPods(Context::Background(), rec.Callback());
  corev1::Pod pod = c.MakePod(c.Ns("a"), "web");
  if (!c.MustCreate(pod)) return;
  // The first notification, of the creation or else of the deletion, is probed.
  if (!probe->done.WaitForNotificationWithTimeout(c.options_.timeout / 2)) {
    c.Remove(pod);
    if (!probe->done.WaitForNotificationWithTimeout(c.options_.timeout + grace)) {
      c.Fail("cannot run the check: no notification after CreatePod and DeletePod");
    }
  } else {
    c.Remove(pod);
  }
  rec.SetHook(nullptr);
  std::thread t;
  {
    absl::MutexLock lock(&probe->mu);
    t = std::move(probe->thread);
  }
  if (t.joinable()) t.join();
  if (probe->blocked) {
    c.Fail(absl::StrCat("while the NotifyPods callback ran, GetPodStatus/GetPods from another thread did not "
                        "return within ",
                        absl::FormatDuration(grace), ": the callback is called with a provider lock held"));
  }
  if (rec.NullCount() > 0) c.Fail("the NotifyPods callback was called with a null pod");
}

// --- context.* ---------------------------------------------------------------------------

// Runs every PodLifecycleHandler method with a Context made by `make_ctx`
// and checks that each returns within the grace and with an allowed error.
void CheckContext(Checker& c, const std::function<Context()>& make_ctx, std::string_view how) {
  corev1::Pod pod = c.MakePod(c.Ns("a"), "known");
  if (!c.MustCreate(pod)) return;
  corev1::Pod fresh = c.MakePod(c.Ns("a"), "fresh");
  corev1::Pod updated = pod;
  (*updated.mutable_metadata()->mutable_labels())["conformance/label"] = "updated";
  const std::string ns = pod.metadata().namespace_(), name = pod.metadata().name();

  struct Call {
    std::string what;
    std::function<absl::Status(const Context&)> fn;
  };
  PodLifecycleHandler& p = c.p_;
  std::vector<Call> calls = {
      {"CreatePod", [&](const Context& ctx) { return p.CreatePod(ctx, fresh); }},
      {"UpdatePod", [&](const Context& ctx) { return p.UpdatePod(ctx, updated); }},
      {"GetPod", [&](const Context& ctx) { return p.GetPod(ctx, ns, name).status(); }},
      {"GetPodStatus", [&](const Context& ctx) { return p.GetPodStatus(ctx, ns, name).status(); }},
      {"GetPods", [&](const Context& ctx) { return p.GetPods(ctx).status(); }},
      {"DeletePod", [&](const Context& ctx) { return p.DeletePod(ctx, pod); }},
  };
  for (const Call& call : calls) {
    Context ctx = make_ctx();
    auto done = std::make_shared<absl::Notification>();
    auto result = std::make_shared<absl::Status>();
    std::thread t([&call, ctx, done, result] {
      *result = call.fn(ctx);
      done->Notify();
    });
    if (!done->WaitForNotificationWithTimeout(c.options_.context_grace)) {
      c.Fail(absl::StrCat(call.what, " did not return within ", absl::FormatDuration(c.options_.context_grace),
                          " of its Context being ", ToAbsl(how)));
    }
    t.join();  // the provider must outlive the call, however long it takes
    if (!result->ok() && !errdefs::IsCancelled(*result)) {
      c.Fail(absl::StrCat(call.what, " with a Context ", ToAbsl(how), " failed with ", result->ToString(),
                          " instead of Cancelled/DeadlineExceeded (or success)"));
    }
  }
  c.Remove(fresh);
  c.Remove(pod);
}

void CheckContextCancelled(Checker& c) {
  CheckContext(
      c,
      [] {
        auto [ctx, cancel] = Context::Background().WithCancel();
        cancel();
        return ctx;
      },
      "cancelled");
}

void CheckContextDeadline(Checker& c) {
  CheckContext(
      c, [] { return Context::Background().WithDeadline(absl::Now() - absl::Seconds(1)); }, "past its deadline");
}

// --- concurrency.* -----------------------------------------------------------------------

void CheckConcurrency(Checker& c) {
  RecordingNotifier rec;
  if (auto* n = dynamic_cast<PodNotifier*>(&c.p_)) n->NotifyPods(Context::Background(), rec.Callback());
  const int pods = std::max(1, c.options_.concurrency_pods);
  const int threads = std::max(1, c.options_.concurrency_threads);
  std::vector<corev1::Pod> all;
  all.reserve(pods);
  for (int i = 0; i < pods; ++i) all.push_back(c.MakePod(c.Ns(absl::StrCat("c", i % 7)), absl::StrCat("p-", i)));
  std::atomic<int> errors{0};
  std::vector<std::thread> workers;
  for (int t = 0; t < threads; ++t) {
    workers.emplace_back([&, t] {
      for (int i = t; i < pods; i += threads) {
        const corev1::Pod& pod = all[i];
        absl::Status s = c.p_.CreatePod(c.Ctx(), pod);
        if (!s.ok()) {
          if (errors++ < 5) c.Fail(absl::StrCat("concurrent CreatePod(", Key(pod), ") failed: ", s.ToString()));
          continue;
        }
        auto got = c.p_.GetPod(c.Ctx(), pod.metadata().namespace_(), pod.metadata().name());
        if (!got.ok() || !*got || (*got)->metadata().uid() != pod.metadata().uid()) {
          if (errors++ < 5) {
            c.Fail(absl::StrCat("concurrent GetPod(", Key(pod), ") right after CreatePod answered ",
                                got.ok() && *got ? absl::StrCat("uid ", (*got)->metadata().uid())
                                                 : Describe(got.status())));
          }
        }
        if (i % 3 == 0) (void)c.p_.GetPods(c.Ctx());
        if (i % 2 == 0) {
          s = c.p_.DeletePod(c.Ctx(), pod);
          if (!s.ok() && errors++ < 5) {
            c.Fail(absl::StrCat("concurrent DeletePod(", Key(pod), ") failed: ", s.ToString()));
          }
        }
      }
    });
  }
  for (auto& w : workers) w.join();
  if (errors > 5) c.Fail(absl::StrCat(errors.load() - 5, " more concurrent call(s) failed"));

  std::set<std::string> want;
  for (int i = 1; i < pods; i += 2) want.insert(Key(all[i]));
  std::set<std::string> have;
  absl::Status settled = WaitFor(
      [&] {
        auto list = c.p_.GetPods(c.Ctx());
        if (!list.ok()) return false;
        have.clear();
        for (const PodPtr& p : *list) {
          if (p) have.insert(Key(*p));
        }
        return have == want;
      },
      c.options_.timeout, "GetPods to list exactly the pods not deleted");
  if (!settled.ok()) {
    std::vector<std::string> missing, extra;
    for (const auto& k : want) {
      if (!have.count(k)) missing.push_back(k);
    }
    for (const auto& k : have) {
      if (!want.count(k)) extra.push_back(k);
    }
    auto sample = [](std::vector<std::string> v) {
      if (v.size() > 5) v.resize(5);
      return absl::StrJoin(v, ", ");
    };
    c.Fail(absl::StrCat("after concurrent create/delete of ", pods, " pods from ", threads, " threads, GetPods lists ",
                        have.size(), " pods instead of ", want.size(), ": ", missing.size(), " missing (", sample(missing),
                        "), ", extra.size(), " unexpected (", sample(extra), ")"));
  } else {
    // Point reads agree with the list.
    int bad = 0;
    for (int i = 0; i < pods && bad < 5; ++i) {
      auto got = c.p_.GetPod(c.Ctx(), all[i].metadata().namespace_(), all[i].metadata().name());
      bool expect = i % 2 == 1;
      if (expect != got.ok()) {
        ++bad;
        c.Fail(absl::StrCat("GetPod(", Key(all[i]), ") answered ", Describe(got.status()), " but GetPods ",
                            expect ? "lists" : "does not list", " it"));
      }
    }
  }
  if (rec.NullCount() > 0) c.Fail("the NotifyPods callback was called with a null pod under concurrency");
  for (const PodPtr& p : rec.Pods()) {
    if (p->metadata().name().empty() || p->metadata().namespace_().empty()) {
      c.Fail("a notification under concurrency carries a pod without namespace or name");
      break;
    }
  }
  for (int i = 1; i < pods; i += 2) (void)c.p_.DeletePod(c.Ctx(), all[i]);
}

// --- optional abilities ------------------------------------------------------------------

void CheckStats(Checker& c, PodMetricsProvider& m) {
  std::vector<corev1::Pod> pods;
  for (int i = 0; i < 3; ++i) pods.push_back(c.MakePod(c.Ns(absl::StrCat("s", i)), absl::StrCat("web-", i)));
  for (const auto& p : pods) {
    if (!c.MustCreate(p)) return;
  }
  // Only running pods need to be covered: wait for them to start.
  std::vector<const corev1::Pod*> running;
  (void)WaitFor(
      [&] {
        running.clear();
        for (const auto& p : pods) {
          auto s = c.p_.GetPodStatus(c.Ctx(), p.metadata().namespace_(), p.metadata().name());
          if (s.ok() && *s && (*s)->phase() == "Running") running.push_back(&p);
        }
        return running.size() == pods.size();
      },
      c.options_.timeout, "the pods to run");
  if (running.empty()) {
    c.Fail("cannot run the check: no pod reached phase Running");
  } else {
    auto summary = m.GetStatsSummary(c.Ctx());
    if (!summary.ok()) {
      c.Fail(absl::StrCat("GetStatsSummary failed: ", summary.status().ToString()));
    } else {
      for (const corev1::Pod* p : running) {
        const stats::PodStats* found = nullptr;
        for (const auto& ps : summary->pods) {
          if (ps.pod_ref.namespace_ == p->metadata().namespace_() && ps.pod_ref.name == p->metadata().name()) {
            found = &ps;
          }
        }
        if (!found) {
          c.Fail(absl::StrCat("GetStatsSummary has no entry for the running pod ", Key(*p), " (",
                              summary->pods.size(), " pods in the summary)"));
        } else if (!found->pod_ref.uid.empty() && found->pod_ref.uid != p->metadata().uid()) {
          c.Fail(absl::StrCat("GetStatsSummary reports ", Key(*p), " with uid ", found->pod_ref.uid, " instead of ",
                              p->metadata().uid()));
        }
      }
    }
  }
  for (const auto& p : pods) c.Remove(p);
}

void CheckLogs(Checker& c, ContainerLogsProvider& l) {
  corev1::Pod pod = c.MakePod(c.Ns("a"), "web");
  if (!c.MustCreate(pod)) return;
  const std::string ns = pod.metadata().namespace_();
  for (const auto& [p, container] : std::vector<std::pair<std::string, std::string>>{
           {"missing", pod.spec().containers(0).name()}, {pod.metadata().name(), "no-such-container"}}) {
    ContainerLogsRequest req;
    req.namespace_ = ns;
    req.pod = p;
    req.container = container;
    StringWriter out;
    absl::Status s = l.GetContainerLogs(c.Ctx(), req, out);
    if (!errdefs::IsNotFound(s)) {
      c.Fail(absl::StrCat("GetContainerLogs(", ns, "/", p, "/", container, ") answered ", Describe(s)));
    }
  }
  c.Remove(pod);
}

void CheckExec(Checker& c, ContainerExecProvider& e) {
  corev1::Pod pod = c.MakePod(c.Ns("a"), "web");
  if (!c.MustCreate(pod)) return;
  const std::string ns = pod.metadata().namespace_();
  for (const auto& [p, container] : std::vector<std::pair<std::string, std::string>>{
           {"missing", pod.spec().containers(0).name()}, {pod.metadata().name(), "no-such-container"}}) {
    ExecRequest req;
    req.namespace_ = ns;
    req.pod = p;
    req.container = container;
    req.command = {"true"};
    OutputOnlyIO io;
    absl::Status s = e.RunInContainer(c.Ctx(), req, io);
    if (!errdefs::IsNotFound(s)) {
      c.Fail(absl::StrCat("RunInContainer(", ns, "/", p, "/", container, ") answered ", Describe(s)));
    }
  }
  c.Remove(pod);
}

// Dispatches one clause; returns a skip reason when the provider lacks the
// ability the clause is about.
std::optional<std::string> RunClause(Checker& c) {
  const std::string_view id = c.clause_.id;
  PodLifecycleHandler* p = &c.p_;
  if (c.clause_.ability == kNotifier) {
    auto* n = dynamic_cast<PodNotifier*>(p);
    if (!n) return "the provider does not implement PodNotifier";
    if (id == "notify.create") CheckNotifyCreate(c, *n);
    if (id == "notify.update") CheckNotifyUpdate(c, *n);
    if (id == "notify.delete") CheckNotifyDelete(c, *n);
    if (id == "notify.unlocked") CheckNotifyUnlocked(c, *n);
    return std::nullopt;
  }
  if (c.clause_.ability == kMetrics) {
    auto* m = dynamic_cast<PodMetricsProvider*>(p);
    if (!m) return "the provider does not implement PodMetricsProvider";
    CheckStats(c, *m);
    return std::nullopt;
  }
  if (c.clause_.ability == kLogs) {
    auto* l = dynamic_cast<ContainerLogsProvider*>(p);
    if (!l) return "the provider does not implement ContainerLogsProvider";
    CheckLogs(c, *l);
    return std::nullopt;
  }
  if (c.clause_.ability == kExec) {
    auto* e = dynamic_cast<ContainerExecProvider*>(p);
    if (!e) return "the provider does not implement ContainerExecProvider";
    CheckExec(c, *e);
    return std::nullopt;
  }
  static const auto* checks = new std::map<std::string_view, void (*)(Checker&)>{
      {"lifecycle.get-unknown", CheckGetUnknown},
      {"lifecycle.status-unknown", CheckStatusUnknown},
      {"lifecycle.delete-unknown", CheckDeleteUnknown},
      {"lifecycle.update-unknown", CheckUpdateUnknown},
      {"lifecycle.create-get", CheckCreateGet},
      {"lifecycle.create-list", CheckCreateList},
      {"lifecycle.create-existing", CheckCreateExisting},
      {"lifecycle.namespace-keys", CheckNamespaceKeys},
      {"lifecycle.snapshots", CheckSnapshots},
      {"lifecycle.update", CheckUpdate},
      {"lifecycle.delete", CheckDelete},
      {"lifecycle.delete-idempotent", CheckDeleteIdempotent},
      {"context.cancelled", CheckContextCancelled},
      {"context.deadline", CheckContextDeadline},
      {"concurrency.create-delete", CheckConcurrency},
  };
  auto it = checks->find(id);
  if (it == checks->end()) {
    c.Fail("no check is implemented for this clause");
  } else {
    it->second(c);
  }
  return std::nullopt;
}

bool Skipped(const ConformanceOptions& options, std::string_view id) {
  for (const auto& s : options.skip) {
    if (s == id) return true;
    if (!s.empty() && s.back() == '.' && absl::StartsWith(ToAbsl(id), s)) return true;
  }
  return false;
}

}  // namespace

const std::vector<ConformanceClause>& ConformanceClauses() { return Clauses(); }

bool ConformanceReport::ok() const {
  for (const auto& r : results) {
    if (r.failed()) return false;
  }
  return true;
}

const CheckResult* ConformanceReport::Find(std::string_view clause) const {
  for (const auto& r : results) {
    if (r.clause == clause) return &r;
  }
  return nullptr;
}

std::string ConformanceReport::ToString() const {
  std::string out;
  for (const auto& r : results) {
    absl::StrAppend(&out, r.passed() ? "PASS " : r.failed() ? "FAIL " : "SKIP ", r.clause,
                    r.skipped() ? absl::StrCat(" (", r.skip_reason, ")") : "", "\n");
    for (const auto& f : r.failures) absl::StrAppend(&out, "    ", f, "\n");
  }
  return out;
}

ProviderConformance::ProviderConformance(ConformanceFactory factory, ConformanceOptions options)
    : factory_(std::move(factory)), options_(std::move(options)) {}

CheckResult ProviderConformance::Run(std::string_view clause_id) const {
  CheckResult result;
  result.clause = std::string(clause_id);
  const ConformanceClause* clause = FindClause(clause_id);
  if (!clause) {
    result.outcome = CheckOutcome::kFailed;
    result.failures.push_back(absl::StrCat("[", ToAbsl(clause_id), "] no such conformance clause"));
    return result;
  }
  if (Skipped(options_, clause_id)) {
    result.outcome = CheckOutcome::kSkipped;
    result.skip_reason = "skipped by ConformanceOptions::skip";
    return result;
  }
  if (!factory_) {
    result.outcome = CheckOutcome::kFailed;
    result.failures.push_back(absl::StrCat("[", ToAbsl(clause_id), "] no provider factory given"));
    return result;
  }
  absl::StatusOr<std::shared_ptr<PodLifecycleHandler>> provider;
  try {
    provider = factory_();
  } catch (const std::exception& e) {
    provider = absl::InternalError(absl::StrCat("the factory threw: ", e.what()));
  }
  if (provider.ok() && !*provider) provider = absl::InvalidArgumentError("the factory returned a null provider");
  if (!provider.ok()) {
    result.outcome = CheckOutcome::kFailed;
    result.failures.push_back(
        absl::StrCat("[", ToAbsl(clause_id), "] cannot build the provider: ", provider.status().ToString()));
    return result;
  }
  std::vector<std::string> failures;
  std::optional<std::string> skip;
  {
    Checker checker(*clause, *std::move(provider), options_);
    try {
      skip = RunClause(checker);
    } catch (const std::exception& e) {
      checker.Fail(absl::StrCat("the provider threw an exception (none may cross its interface): ", e.what()));
    } catch (...) {
      checker.Fail("the provider threw an exception (none may cross its interface)");
    }
    failures = checker.TakeFailures();
    // The checker (and with it this check's provider) goes away here.
  }
  if (skip) {
    result.outcome = CheckOutcome::kSkipped;
    result.skip_reason = *skip;
  } else if (!failures.empty()) {
    result.outcome = CheckOutcome::kFailed;
    result.failures = std::move(failures);
  }
  return result;
}

ConformanceReport ProviderConformance::RunAll() const {
  ConformanceReport report;
  for (const auto& clause : Clauses()) report.results.push_back(Run(clause.id));
  return report;
}

}  // namespace vkubelet::testing
