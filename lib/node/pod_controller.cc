// Copyright 2026 The vkubelet Authors. Licensed under the Apache License 2.0.

#include "vkubelet/node/pod_controller.h"

#include <algorithm>
#include <optional>
#include <thread>
#include <utility>

#include "absl/container/flat_hash_map.h"
#include "absl/cleanup/cleanup.h"
#include "absl/hash/hash.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/synchronization/mutex.h"
#include "google/protobuf/io/coded_stream.h"
#include "google/protobuf/io/zero_copy_stream_impl_lite.h"
#include "node/pod_status.h"
#include "vkubelet/errdefs.h"
#include "vkubelet/internal/status_macros.h"
#include "vkubelet/log.h"
#include "vkubelet/node/event_reasons.h"

namespace vkubelet::node {

using PodPtr = std::shared_ptr<const corev1::Pod>;

namespace {

std::string PodKey(const corev1::Pod& pod) {
  return absl::StrCat(pod.metadata().namespace_(), "/", pod.metadata().name());
}

std::pair<std::string, std::string> SplitKey(const std::string& key) {
  std::vector<std::string> parts = absl::StrSplit(key, absl::MaxSplits('/', 1));
  if (parts.size() < 2) return {"", key};
  return {parts[0], parts[1]};
}

std::string Deterministic(const google::protobuf::Message& m) {
  std::string out;
  google::protobuf::io::StringOutputStream stream(&out);
  google::protobuf::io::CodedOutputStream coded(&stream);
  coded.SetSerializationDeterministic(true);
  m.SerializeToCodedStream(&coded);
  coded.Trim();
  return out;
}

// A 64-bit stand-in for a string the controller only ever compares for
// equality later (a UID, a resourceVersion, serialized fields): 8 bytes per
// pod instead of a heap copy. The empty string maps to 0, so "never set" and
// "set to empty" compare as they did as strings; any other value is non-zero.
// Two different values share a fingerprint with probability 2^-64.
uint64_t Fp(std::string_view s) {
  if (s.empty()) return 0;
  const uint64_t h = absl::Hash<absl::string_view>{}(absl::string_view(s.data(), s.size()));
  return h == 0 ? 1 : h;
}

// The fields whose change reaches UpdatePod (the reference's podsEqual),
// plus the UID, as bytes: equal bytes if and only if those fields are equal.
// Each part is length-prefixed; messages are serialized deterministically
// (maps in key order) in place, without copying the pod.
class FingerprintWriter {
 public:
  explicit FingerprintWriter(std::string* out) : out_(out) {}
  void Bytes(std::string_view b) {
    Size(b.size());
    out_->append(b.data(), b.size());
  }
  void Map(const google::protobuf::Map<std::string, std::string>& m) {
    Size(m.size());
    std::vector<const google::protobuf::MapPair<std::string, std::string>*> entries;
    entries.reserve(m.size());
    for (const auto& e : m) entries.push_back(&e);
    std::sort(entries.begin(), entries.end(),
              [](const auto* a, const auto* b) { return a->first < b->first; });
    for (const auto* e : entries) {
      Bytes(e->first);
      Bytes(e->second);
    }
  }
  template <typename T>
  void List(const google::protobuf::RepeatedPtrField<T>& list) {
    Size(static_cast<size_t>(list.size()));
    for (const auto& m : list) Message(m);
  }
  void Message(const google::protobuf::Message& m) {
    scratch_.clear();
    {
      google::protobuf::io::StringOutputStream stream(&scratch_);
      google::protobuf::io::CodedOutputStream coded(&stream);
      coded.SetSerializationDeterministic(true);
      m.SerializeToCodedStream(&coded);
      coded.Trim();
    }
    Bytes(scratch_);
  }
  void Size(size_t n) { absl::StrAppend(out_, n, ":"); }
  void Int(int64_t n) { absl::StrAppend(out_, n, ";"); }

 private:
  std::string* out_;
  std::string scratch_;
};

std::string Fingerprint(const corev1::Pod& pod) {
  std::string out;
  FingerprintWriter w(&out);
  w.Bytes(pod.metadata().uid());
  w.Map(pod.metadata().labels());
  w.Map(pod.metadata().annotations());
  w.List(pod.spec().containers());
  w.List(pod.spec().initcontainers());
  w.List(pod.spec().ephemeralcontainers());
  w.Size(pod.spec().has_activedeadlineseconds() ? 1 : 0);
  if (pod.spec().has_activedeadlineseconds()) w.Int(pod.spec().activedeadlineseconds());
  w.List(pod.spec().tolerations());
  return out;
}

// Compares the mutable fields of the provider's copy and the pod to send, env
// sorted (a provider may keep env in any order).
bool MutableFieldsEqual(const corev1::Pod& a, const corev1::Pod& b) {
  auto normalized = [](const corev1::Pod& pod) {
    corev1::Pod p = pod;
    p.mutable_metadata()->clear_uid();
    auto sort_env = [](auto* containers) {
      for (auto& c : *containers) {
        auto* env = c.mutable_env();
        std::sort(env->begin(), env->end(), [](const corev1::EnvVar& x, const corev1::EnvVar& y) {
          return std::tie(x.name(), x.value()) < std::tie(y.name(), y.value());
        });
      }
    };
    sort_env(p.mutable_spec()->mutable_containers());
    sort_env(p.mutable_spec()->mutable_initcontainers());
    return Fingerprint(p);
  };
  return normalized(a) == normalized(b);
}

std::string Msg(const absl::Status& s) { return std::string(s.message()); }

// True when `desired` says nothing `api` does not say already: the status
// patch would be empty. Unset and default values count as equal, as they do
// for the API server (Go structs omit empty fields). Lists must match in
// order; a different order is left to the patch builder. This replaces two
// JSON conversions and a strategic-merge diff on the common path: a sync
// that finds the API server already showing the provider's status.
bool StatusAlreadyWritten(const corev1::PodStatus& api, const corev1::PodStatus& desired) {
  return internal::StatusEqual(desired, api);
}

bool HasDeletionTimestamp(const corev1::Pod& pod) { return pod.metadata().has_deletiontimestamp(); }

class CallTimer {
 public:
  CallTimer(const Clock* clock, CallMetrics* metrics, absl::Mutex* mu)
      : clock_(clock), metrics_(metrics), mu_(mu), start_(clock->Now()) {}
  void Done(const absl::Status& status) {
    absl::Duration d = clock_->Now() - start_;
    absl::MutexLock lock(mu_);
    ++metrics_->calls;
    if (!status.ok()) ++metrics_->errors;
    metrics_->total_latency += d;
    metrics_->max_latency = std::max(metrics_->max_latency, d);
  }

 private:
  const Clock* clock_;
  CallMetrics* metrics_;
  absl::Mutex* mu_;
  absl::Time start_;
};

}  // namespace

class PodController::Impl {
 public:
  Impl(PodControllerOptions options, PodLifecycleHandler* provider, PodNotifier* notifier, PodApi* api,
       ResourceManager* resources, EventRecorder* recorder)
      : options_(std::move(options)),
        clock_(options_.clock ? options_.clock : Clock::Real()),
        provider_(provider),
        notifier_(notifier),
        api_(api),
        resources_(resources),
        recorder_(recorder ? recorder : &nop_recorder_),
        sync_queue_(QueueOptions("sync-pods"), [this](const Context& c, const std::string& k) { return Sync(c, k); },
                    [this](const std::string& k, const absl::Status& s, int n) { Dropped("sync", k, s, n); }),
        delete_queue_(QueueOptions("delete-pods"),
                      [this](const Context& c, const std::string& k) { return DeleteFromApi(c, k); },
                      [this](const std::string& k, const absl::Status& s, int n) { Dropped("delete", k, s, n); }),
        status_queue_(QueueOptions("pod-status"),
                      [this](const Context& c, const std::string& k) { return SyncStatus(c, k); },
                      [this](const std::string& k, const absl::Status& s, int n) { Dropped("status", k, s, n); }) {
    if (options_.workers <= 0) options_.workers = 1;
  }

  WorkQueueOptions QueueOptions(const std::string& name) const {
    WorkQueueOptions q = options_.queue;
    q.name = name;
    q.clock = clock_;
    return q;
  }

  bool Accept(const corev1::Pod& pod) const {
    if (!options_.node_name.empty() && pod.spec().nodename() != options_.node_name) return false;
    if (options_.filter && !options_.filter(pod)) return false;
    return true;
  }

  // --- Informer events -------------------------------------------------------------

  void OnAdd(const PodPtr& pod) {
    if (!pod || !Accept(*pod)) return;
    const std::string key = PodKey(*pod);
    bool has_status = false;
    {
      absl::MutexLock lock(&mu_);
      PodState& st = pods_[key];
      if (st.first_seen == absl::InfinitePast()) st.first_seen = clock_->Now();
      NoteObservedLocked(&st, *pod);
      has_status = st.provider_status != nullptr;
    }
    sync_queue_.Enqueue(key);
    if (has_status) status_queue_.Enqueue(key);
  }

  void OnUpdate(const PodPtr& old_pod, const PodPtr& pod) {
    if (!pod) return;
    if (!Accept(*pod)) {
      if (old_pod && Accept(*old_pod)) OnDelete(old_pod);
      return;
    }
    const std::string key = PodKey(*pod);
    bool has_status = false;
    {
      absl::MutexLock lock(&mu_);
      PodState& st = pods_[key];
      if (st.first_seen == absl::InfinitePast()) st.first_seen = clock_->Now();
      NoteObservedLocked(&st, *pod);
      has_status = st.provider_status != nullptr;
    }
    const bool spec_changed =
        !old_pod || Fingerprint(*old_pod) != Fingerprint(*pod) || HasDeletionTimestamp(*pod) ||
        old_pod->metadata().deletiongraceperiodseconds() != pod->metadata().deletiongraceperiodseconds();
    if (spec_changed) sync_queue_.Enqueue(key);
    // Someone else may have changed the status: compare again (cheap when equal).
    if (has_status) status_queue_.Enqueue(key);
  }

  void OnDelete(const PodPtr& pod) {
    if (!pod) return;
    const std::string key = PodKey(*pod);
    delete_queue_.Forget(absl::StrCat(key, "/", pod->metadata().uid()));
    sync_queue_.Enqueue(key);
  }

  // --- Run ---------------------------------------------------------------------------

  // Lets provider threads reach the controller only while Run runs: a
  // provider that still notifies after its Context ended (or while the node is
  // torn down) finds the gate closed instead of a destroyed controller.
  struct NotifyGate {
    absl::Mutex mu;
    Impl* target ABSL_GUARDED_BY(mu) = nullptr;
  };

  absl::Status Run(const Context& ctx) {
    auto gate = std::make_shared<NotifyGate>();
    {
      absl::MutexLock lock(&gate->mu);
      gate->target = this;
    }
    absl::Cleanup close_gate = [gate] {
      absl::MutexLock lock(&gate->mu);
      gate->target = nullptr;
    };
    if (notifier_ != nullptr) {
      notifier_->NotifyPods(ctx, [gate](std::shared_ptr<const corev1::Pod> pod) {
        absl::ReaderMutexLock lock(&gate->mu);
        if (gate->target != nullptr) gate->target->Notified(std::move(pod));
      });
    }
    CleanupDangling(ctx);
    std::vector<std::thread> threads;
    threads.emplace_back([&] { sync_queue_.Run(ctx, options_.workers); });
    threads.emplace_back([&] { delete_queue_.Run(ctx, options_.workers); });
    threads.emplace_back([&] { status_queue_.Run(ctx, options_.workers); });
    if (notifier_ == nullptr) threads.emplace_back([&] { PollLoop(ctx); });
    ready_.store(true);
    ctx.Wait();
    for (auto& t : threads) t.join();
    return absl::OkStatus();
  }

  bool WaitReady(absl::Duration timeout) const {
    absl::Time deadline = absl::Now() + timeout;
    while (!ready_.load()) {
      if (absl::Now() >= deadline) return false;
      absl::SleepFor(absl::Milliseconds(2));
    }
    return true;
  }

  PodControllerMetrics GetMetrics() const {
    PodControllerMetrics m;
    {
      absl::MutexLock lock(&metrics_mu_);
      m = metrics_;
    }
    m.sync_queue = sync_queue_.GetStats();
    m.delete_queue = delete_queue_.GetStats();
    m.status_queue = status_queue_.GetStats();
    absl::MutexLock lock(&mu_);
    m.tracked_pods = pods_.size();
    return m;
  }

  std::atomic<bool> ready_{false};

 private:
  // Per pod, for as long as the pod lives: kept small (one entry per pod of
  // the node). Strings compared only for equality are held as Fp()
  // fingerprints (0 = empty/never set).
  struct PodState {
    absl::Time first_seen = absl::InfinitePast();
    uint64_t uid = 0;                 // UID last handed to the provider
    uint64_t synced_fingerprint = 0;  // Fingerprint() of the pod last handed to the provider
    uint64_t deleted_uid = 0;         // UID whose DeletePod succeeded
    uint64_t delete_scheduled_uid = 0;
    // The provider's latest status, and the UID of the pod it was reported
    // for (0: not known). A notified pod's status is held through the
    // notified pod itself (an aliasing pointer, no copy): a provider that
    // keeps its own snapshot, as the mock does, shares it.
    std::shared_ptr<const corev1::PodStatus> provider_status;
    uint64_t provider_uid = 0;
    // Our last status write, until the cache shows it: its resourceVersion
    // and the fingerprint of the status written.
    uint64_t written_rv = 0;
    uint64_t written_status = 0;
    bool written_observed = true;
    // Condition types the provider reported in our last write, other than the
    // kubelet's (those are always the provider's): dropped from the API when
    // the provider stops reporting them.
    std::vector<std::string> written_condition_types;
  };

  void NoteObservedLocked(PodState* st, const corev1::Pod& pod) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    if (st->written_rv != 0 && Fp(pod.metadata().resourceversion()) == st->written_rv) {
      st->written_observed = true;
    }
  }

  Context ProviderCtx(const Context& ctx, const std::string& key) const {
    return ctx.WithTimeout(options_.provider_timeout).WithField("pod", key);
  }
  Context ApiCtx(const Context& ctx) const { return ctx.WithTimeout(options_.api_timeout); }

  void Dropped(const char* queue, const std::string& key, const absl::Status& s, int attempts) {
    log::Error(Context::Background(), "Giving up on pod",
               {{"queue", queue}, {"pod", key}, {"attempts", attempts}, {"error", s}});
  }

  // --- Provider wrappers with metrics ---------------------------------------------------

  absl::Status ProviderCreate(const Context& ctx, const corev1::Pod& pod) {
    CallTimer t(clock_, &metrics_.create_pod, &metrics_mu_);
    absl::Status s = provider_->CreatePod(ctx, pod);
    t.Done(s);
    return s;
  }
  absl::Status ProviderUpdate(const Context& ctx, const corev1::Pod& pod) {
    CallTimer t(clock_, &metrics_.update_pod, &metrics_mu_);
    absl::Status s = provider_->UpdatePod(ctx, pod);
    t.Done(s);
    return s;
  }
  absl::Status ProviderDelete(const Context& ctx, const corev1::Pod& pod) {
    CallTimer t(clock_, &metrics_.delete_pod, &metrics_mu_);
    absl::Status s = provider_->DeletePod(ctx, pod);
    t.Done(s.ok() || errdefs::IsNotFound(s) ? absl::OkStatus() : s);
    return s;
  }
  absl::StatusOr<PodPtr> ProviderGet(const Context& ctx, const std::string& ns, const std::string& name) {
    CallTimer t(clock_, &metrics_.get_pod, &metrics_mu_);
    auto r = provider_->GetPod(ctx, ns, name);
    t.Done(r.ok() || errdefs::IsNotFound(r.status()) ? absl::OkStatus() : r.status());
    return r;
  }

  // --- Sync: the provider follows the API server ------------------------------------------

  absl::Status Sync(const Context& ctx, const std::string& key) {
    CallTimer timer(clock_, &metrics_.sync, &metrics_mu_);
    absl::Status s = SyncImpl(ctx, key);
    timer.Done(s);
    return s;
  }

  absl::Status SyncImpl(const Context& ctx, const std::string& key) {
    auto [ns, name] = SplitKey(key);
    PodPtr pod = api_->GetCached(ns, name);
    if (!pod || !Accept(*pod)) return RemoveFromProvider(ctx, key, ns, name);
    if (HasDeletionTimestamp(*pod)) return HandleDeletion(ctx, key, *pod);
    if (internal::IsTerminal(pod->status())) {
      log::Debug(ctx, "Skipping sync of pod in a terminal phase", {{"pod", key}, {"phase", pod->status().phase()}});
      return absl::OkStatus();
    }
    return CreateOrUpdate(ctx, key, *pod);
  }

  // The pod is gone from the API server (or no longer ours).
  absl::Status RemoveFromProvider(const Context& ctx, const std::string& key, const std::string& ns,
                                  const std::string& name) {
    uint64_t known_uid = 0;
    {
      absl::MutexLock lock(&mu_);
      if (auto it = pods_.find(key); it != pods_.end()) known_uid = it->second.uid;
    }
    auto ppod = ProviderGet(ProviderCtx(ctx, key), ns, name);
    if (!ppod.ok() || *ppod == nullptr) {
      if (!ppod.ok() && !errdefs::IsNotFound(ppod.status())) return ppod.status();
      Forget(key);
      return absl::OkStatus();
    }
    const std::string& provider_uid = (*ppod)->metadata().uid();
    if (known_uid == 0) {
      // A provider pod this controller never handed over (start-up, or another
      // incarnation): never delete it while the API server still has it.
      auto live = api_->Get(ApiCtx(ctx), ns, name);
      if (live.ok()) {
        if (provider_uid.empty() || provider_uid == (*live)->metadata().uid()) return absl::OkStatus();
      } else if (!errdefs::IsNotFound(live.status())) {
        return live.status();
      }
    }
    absl::Status s = ProviderDelete(ProviderCtx(ctx, key), **ppod);
    if (!s.ok() && !errdefs::IsNotFound(s)) {
      recorder_->RecordPod(**ppod, kEventTypeWarning, kReasonProviderDeleteFailed, Msg(s));
      return s;
    }
    {
      absl::MutexLock lock(&metrics_mu_);
      ++metrics_.dangling_deleted;
    }
    log::Info(ctx, "Deleted pod from the provider: it is gone from the API server", {{"pod", key}});
    Forget(key);
    return absl::OkStatus();
  }

  void Forget(const std::string& key) {
    absl::MutexLock lock(&mu_);
    pods_.erase(key);
  }

  absl::Status HandleDeletion(const Context& ctx, const std::string& key, const corev1::Pod& pod) {
    const std::string& uid = pod.metadata().uid();
    const uint64_t uid_fp = Fp(uid);
    bool deleted = false;
    bool scheduled = false;
    {
      absl::MutexLock lock(&mu_);
      PodState& st = pods_[key];
      deleted = st.deleted_uid == uid_fp;
      scheduled = st.delete_scheduled_uid == uid_fp;
    }
    if (!deleted) {
      absl::Status s = ProviderDelete(ProviderCtx(ctx, key), pod);
      if (!s.ok() && !errdefs::IsNotFound(s)) {
        recorder_->RecordPod(pod, kEventTypeWarning, kReasonProviderDeleteFailed, Msg(s));
        return s;
      }
      if (s.ok()) recorder_->RecordPod(pod, kEventTypeNormal, kReasonProviderDeleteSuccess,
                                       "Delete pod in provider successfully");
      {
        absl::MutexLock lock(&mu_);
        PodState& st = pods_[key];
        st.deleted_uid = uid_fp;
        if (notifier_ == nullptr && !internal::IsTerminal(pod.status())) {
          // Polling providers report nothing after a delete: report it for them.
          st.provider_status =
              std::make_shared<const corev1::PodStatus>(internal::DeletedPodStatus(pod, clock_->Now()));
          st.provider_uid = uid_fp;
        }
      }
      if (notifier_ == nullptr) status_queue_.Enqueue(key);
    }
    const std::string delete_key = absl::StrCat(key, "/", uid);
    if (!internal::IsRunning(pod.status())) {
      delete_queue_.Enqueue(delete_key);
    } else if (!scheduled) {
      int64_t grace = pod.metadata().has_deletiongraceperiodseconds() ? pod.metadata().deletiongraceperiodseconds()
                                                                        : 30;
      delete_queue_.EnqueueAfter(delete_key, absl::Seconds(std::max<int64_t>(grace, 0)));
      absl::MutexLock lock(&mu_);
      pods_[key].delete_scheduled_uid = uid_fp;
    }
    return absl::OkStatus();
  }

  absl::Status CreateOrUpdate(const Context& ctx, const std::string& key, const corev1::Pod& pod) {
    const uint64_t fp = Fp(Fingerprint(pod));
    const uint64_t uid_fp = Fp(pod.metadata().uid());
    {
      absl::MutexLock lock(&mu_);
      PodState& st = pods_[key];
      if (st.uid == uid_fp && st.synced_fingerprint == fp) return absl::OkStatus();
    }
    corev1::Pod resolved = pod;
    if (!options_.skip_env_resolution && resources_ != nullptr) {
      absl::Status s = ResolvePodEnvironment(ctx, &resolved, *resources_, *recorder_, options_.env);
      if (!s.ok()) {
        log::Warning(ctx, "Cannot resolve the environment of pod; will retry", {{"pod", key}, {"error", s}});
        // A missing object may appear later: retry even "permanent" errors.
        return errdefs::IsPermanent(s) ? errdefs::Unavailable(Msg(s)) : s;
      }
    }
    auto existing = ProviderGet(ProviderCtx(ctx, key), pod.metadata().namespace_(), pod.metadata().name());
    PodPtr ppod = existing.ok() ? *existing : nullptr;
    if (ppod && !ppod->metadata().uid().empty() && ppod->metadata().uid() != pod.metadata().uid()) {
      // An older incarnation of this name: replace it.
      absl::Status s = ProviderDelete(ProviderCtx(ctx, key), *ppod);
      if (!s.ok() && !errdefs::IsNotFound(s)) return s;
      ppod = nullptr;
    }
    absl::Status s;
    bool created = false;
    if (ppod) {
      if (!MutableFieldsEqual(*ppod, resolved)) {
        s = ProviderUpdate(ProviderCtx(ctx, key), resolved);
        if (s.ok()) {
          recorder_->RecordPod(pod, kEventTypeNormal, kReasonProviderUpdateSuccess,
                               "Update pod in provider successfully");
        } else {
          recorder_->RecordPod(pod, kEventTypeWarning, kReasonProviderUpdateFailed, Msg(s));
        }
      }
    } else {
      s = ProviderCreate(ProviderCtx(ctx, key), resolved);
      if (errdefs::IsAlreadyExists(s)) s = absl::OkStatus();
      created = true;
      if (s.ok()) {
        recorder_->RecordPod(pod, kEventTypeNormal, kReasonProviderCreateSuccess,
                             "Create pod in provider successfully");
      } else {
        recorder_->RecordPod(pod, kEventTypeWarning, kReasonProviderCreateFailed, Msg(s));
      }
    }
    if (!s.ok()) {
      WriteProviderFailed(ctx, pod, s);
      return errdefs::Annotate(s, created ? "creating pod in provider" : "updating pod in provider");
    }
    absl::MutexLock lock(&mu_);
    PodState& st = pods_[key];
    st.uid = uid_fp;
    st.synced_fingerprint = fp;
    return absl::OkStatus();
  }

  void WriteProviderFailed(const Context& ctx, const corev1::Pod& pod, const absl::Status& error) {
    corev1::PodStatus failed = internal::ProviderFailedStatus(pod, Msg(error));
    corev1::PodStatus desired = internal::DesiredStatus(pod.status(), failed, {});
    auto patch = internal::BuildStatusPatch(pod, desired);
    if (!patch.ok() || !patch->has_value()) return;
    CallTimer t(clock_, &metrics_.status_patch, &metrics_mu_);
    auto r = api_->PatchStatus(ApiCtx(ctx), pod.metadata().namespace_(), pod.metadata().name(), **patch);
    t.Done(r.status());
    if (!r.ok()) log::Warning(ctx, "Cannot write the ProviderFailed status", {{"pod", PodKey(pod)}, {"error", r.status()}});
  }

  // --- Deletion from the API server ----------------------------------------------------------

  absl::Status DeleteFromApi(const Context& ctx, const std::string& delete_key) {
    size_t slash = delete_key.rfind('/');
    if (slash == std::string::npos) return absl::OkStatus();
    const std::string key = delete_key.substr(0, slash);
    const std::string uid = delete_key.substr(slash + 1);
    auto [ns, name] = SplitKey(key);
    PodPtr pod = api_->GetCached(ns, name);
    if (!pod || pod->metadata().uid() != uid) return absl::OkStatus();
    if (internal::IsRunning(pod->status())) {
      log::Warning(ctx, "Force deleting pod in running state: its grace period has passed", {{"pod", key}});
    }
    CallTimer t(clock_, &metrics_.api_delete, &metrics_mu_);
    absl::Status s = api_->Delete(ApiCtx(ctx), ns, name, uid, 0);
    if (errdefs::IsNotFound(s) || errdefs::IsConflict(s)) s = absl::OkStatus();
    t.Done(s);
    return s;
  }

  // --- Status: the API server follows the provider ------------------------------------------

  void Notified(std::shared_ptr<const corev1::Pod> pod) {
    if (!pod) return;
    const std::string key = PodKey(*pod);
    {
      absl::MutexLock lock(&mu_);
      PodState& st = pods_[key];
      if (st.first_seen == absl::InfinitePast()) st.first_seen = clock_->Now();
      st.provider_uid = Fp(pod->metadata().uid());
      const corev1::PodStatus* status = &pod->status();
      st.provider_status = std::shared_ptr<const corev1::PodStatus>(std::move(pod), status);
    }
    {
      absl::MutexLock lock(&metrics_mu_);
      ++metrics_.notifications;
    }
    status_queue_.Enqueue(key);
  }

  void PollLoop(const Context& ctx) {
    while (!ctx.Done()) {
      for (const auto& pod : api_->ListCached()) {
        if (!pod || !Accept(*pod) || internal::IsTerminal(pod->status())) continue;
        status_queue_.Enqueue(PodKey(*pod));
      }
      if (!clock_->SleepFor(ctx, options_.status_poll_interval).ok()) return;
    }
  }

  // Polling mode: ask the provider.
  absl::Status Poll(const Context& ctx, const std::string& key, const corev1::Pod& pod) {
    CallTimer t(clock_, &metrics_.get_pod_status, &metrics_mu_);
    auto status = provider_->GetPodStatus(ProviderCtx(ctx, key), pod.metadata().namespace_(), pod.metadata().name());
    t.Done(status.ok() || errdefs::IsNotFound(status.status()) ? absl::OkStatus() : status.status());
    absl::MutexLock lock(&mu_);
    PodState& st = pods_[key];
    if (status.ok() && *status != nullptr) {
      st.provider_status = *std::move(status);
      st.provider_uid = Fp(pod.metadata().uid());
      return absl::OkStatus();
    }
    if (!status.ok() && !errdefs::IsNotFound(status.status())) {
      log::Warning(ctx, "GetPodStatus failed", {{"pod", key}, {"error", status.status()}});
      return absl::OkStatus();  // the next poll asks again
    }
    if (st.deleted_uid == Fp(pod.metadata().uid())) return absl::OkStatus();  // DeletedPodStatus already set
    absl::Time created = absl::FromUnixSeconds(pod.metadata().creationtimestamp().seconds());
    if (!pod.metadata().has_creationtimestamp() || pod.metadata().creationtimestamp().seconds() == 0) {
      created = st.first_seen;
    }
    if (!internal::IsRunning(pod.status()) && clock_->Now() - created < options_.lost_pod_grace) {
      return absl::OkStatus();  // probably not created yet
    }
    st.provider_status =
        std::make_shared<const corev1::PodStatus>(internal::LostPodStatus(pod, clock_->Now()));
    st.provider_uid = Fp(pod.metadata().uid());
    return absl::OkStatus();
  }

  absl::Status SyncStatus(const Context& ctx, const std::string& key) {
    auto [ns, name] = SplitKey(key);
    PodPtr pod = api_->GetCached(ns, name);
    if (!pod || !Accept(*pod)) {
      absl::MutexLock lock(&mu_);
      auto it = pods_.find(key);
      if (it != pods_.end() && it->second.uid == 0 && it->second.provider_status != nullptr) {
        // A notification for a pod the cache does not have (yet): keep it a while.
        if (clock_->Now() - it->second.first_seen > absl::Minutes(5)) pods_.erase(it);
      }
      return absl::OkStatus();
    }
    if (internal::IsTerminal(pod->status())) return absl::OkStatus();
    if (notifier_ == nullptr) {
      bool deleted;
      {
        absl::MutexLock lock(&mu_);
        deleted = pods_[key].deleted_uid == Fp(pod->metadata().uid());
      }
      if (!deleted) VK_RETURN_IF_ERROR(Poll(ctx, key, *pod));
    }
    std::shared_ptr<const corev1::PodStatus> provider_status;
    uint64_t provider_uid;
    std::vector<std::string> owned;
    uint64_t written_status;
    bool written_observed;
    {
      absl::MutexLock lock(&mu_);
      PodState& st = pods_[key];
      provider_status = st.provider_status;
      provider_uid = st.provider_uid;
      owned = st.written_condition_types;
      written_status = st.written_status;
      written_observed = st.written_observed || Fp(pod->metadata().resourceversion()) == st.written_rv;
    }
    if (!provider_status) return absl::OkStatus();
    if (provider_uid != 0 && provider_uid != Fp(pod->metadata().uid())) {
      return absl::OkStatus();  // about another incarnation of this name
    }
    corev1::PodStatus desired = internal::DesiredStatus(pod->status(), *provider_status, owned);
    // The fingerprint of what we would write: needed to recognise our own
    // write while the cache lags, and kept after a write.
    std::optional<uint64_t> desired_fp;
    if (!written_observed) {
      desired_fp = Fp(Deterministic(desired));
      if (*desired_fp == written_status) {
        CountUnchanged();
        return absl::OkStatus();  // written already; the cache has not caught up
      }
    }
    if (StatusAlreadyWritten(pod->status(), desired)) {
      CountUnchanged();
      return absl::OkStatus();
    }
    VK_ASSIGN_OR_RETURN(std::optional<std::string> patch, internal::BuildStatusPatch(*pod, desired));
    if (!patch) {
      CountUnchanged();
      return absl::OkStatus();
    }
    CallTimer t(clock_, &metrics_.status_patch, &metrics_mu_);
    auto result = api_->PatchStatus(ApiCtx(ctx), ns, name, *patch);
    t.Done(result.status());
    if (!result.ok()) {
      // Gone, or recreated under the same name (uid mismatch → 422): nothing to write.
      if (errdefs::IsNotFound(result.status()) || errdefs::IsInvalidInput(result.status())) return absl::OkStatus();
      return result.status();
    }
    if (!desired_fp) desired_fp = Fp(Deterministic(desired));
    std::vector<std::string> condition_types;
    for (const auto& c : provider_status->conditions()) {
      const std::string& type = c.type();
      if (internal::IsKubeletCondition(type)) continue;
      if (std::find(condition_types.begin(), condition_types.end(), type) == condition_types.end()) {
        condition_types.push_back(type);
      }
    }
    absl::MutexLock lock(&mu_);
    PodState& st = pods_[key];
    // A type written earlier stays owned while it may still be on the
    // server: the patch was built against a cache that had not seen that
    // write (so it could not remove the condition), or the cached pod still
    // carries it. Otherwise a condition the provider dropped while the cache
    // lagged would be taken for someone else's and kept forever.
    for (const auto& type : st.written_condition_types) {
      bool maybe_present = !written_observed;
      for (const auto& c : pod->status().conditions()) maybe_present = maybe_present || c.type() == type;
      if (maybe_present && std::find(condition_types.begin(), condition_types.end(), type) == condition_types.end()) {
        condition_types.push_back(type);
      }
    }
    st.written_rv = Fp((*result)->metadata().resourceversion());
    st.written_observed = false;
    st.written_status = *desired_fp;
    st.written_condition_types = std::move(condition_types);
    return absl::OkStatus();
  }

  void CountUnchanged() {
    absl::MutexLock lock(&metrics_mu_);
    ++metrics_.status_unchanged;
  }

  // --- Start-up -----------------------------------------------------------------------------

  void CleanupDangling(const Context& ctx) {
    CallTimer t(clock_, &metrics_.get_pods, &metrics_mu_);
    auto pods = provider_->GetPods(ctx.WithTimeout(options_.provider_timeout));
    t.Done(pods.status());
    if (!pods.ok()) {
      log::Warning(ctx, "Cannot list the provider's pods for clean-up", {{"error", pods.status()}});
      return;
    }
    for (const auto& ppod : *pods) {
      if (!ppod) continue;
      const std::string key = PodKey(*ppod);
      PodPtr api_pod = api_->GetCached(ppod->metadata().namespace_(), ppod->metadata().name());
      if (api_pod && Accept(*api_pod) &&
          (ppod->metadata().uid().empty() || ppod->metadata().uid() == api_pod->metadata().uid())) {
        continue;
      }
      // The sync handler deletes it (after checking the API server once more),
      // or replaces the old incarnation; with retries.
      sync_queue_.Enqueue(key);
    }
  }

  PodControllerOptions options_;
  const Clock* clock_;
  PodLifecycleHandler* provider_;
  PodNotifier* notifier_;
  PodApi* api_;
  ResourceManager* resources_;
  NopEventRecorder nop_recorder_;
  EventRecorder* recorder_;

  mutable absl::Mutex mu_;
  absl::flat_hash_map<std::string, PodState> pods_ ABSL_GUARDED_BY(mu_);

  mutable absl::Mutex metrics_mu_;
  PodControllerMetrics metrics_ ABSL_GUARDED_BY(metrics_mu_);

  WorkQueue sync_queue_;
  WorkQueue delete_queue_;
  WorkQueue status_queue_;
};

PodController::PodController(PodControllerOptions options, PodLifecycleHandler* provider, PodApi* api,
                             ResourceManager* resources, EventRecorder* recorder)
    : notifier_(dynamic_cast<PodNotifier*>(provider)) {
  impl_ = std::make_unique<Impl>(std::move(options), provider, notifier_, api, resources, recorder);
}

PodController::~PodController() = default;

void PodController::OnAdd(const std::shared_ptr<const corev1::Pod>& pod) { impl_->OnAdd(pod); }
void PodController::OnUpdate(const std::shared_ptr<const corev1::Pod>& old_pod,
                             const std::shared_ptr<const corev1::Pod>& pod) {
  impl_->OnUpdate(old_pod, pod);
}
void PodController::OnDelete(const std::shared_ptr<const corev1::Pod>& pod) { impl_->OnDelete(pod); }
absl::Status PodController::Run(const Context& ctx) { return impl_->Run(ctx); }
bool PodController::Ready() const { return impl_->ready_.load(); }
bool PodController::WaitReady(absl::Duration timeout) const { return impl_->WaitReady(timeout); }
PodControllerMetrics PodController::GetMetrics() const { return impl_->GetMetrics(); }

}  // namespace vkubelet::node
