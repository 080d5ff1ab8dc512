// Copyright 2026 The vkubelet Authors. Licensed under the Apache License 2.0.

#include "vkubelet/kube/informer.h"

#include <deque>
#include <thread>
#include <vector>

#include "absl/container/flat_hash_set.h"
#include "absl/random/random.h"
#include "absl/strings/str_cat.h"
#include "vkubelet/errdefs.h"
#include "vkubelet/log.h"

namespace vkubelet::kube::internal {
namespace {

using Object = InformerCore::Object;

// Exponential backoff on the informer's clock: initial → max, doubled per
// failure, jittered, back to initial after `reset_after` without failures.
class Backoff {
 public:
  Backoff(const InformerOptions& o) : opts_(o) {}

  absl::Status Sleep(const Context& ctx) {
    absl::Time now = opts_.clock->Now();
    if (last_failure_ != absl::InfinitePast() && now - last_failure_ > opts_.backoff_reset_after) {
      current_ = absl::ZeroDuration();
    }
    current_ = current_ == absl::ZeroDuration() ? opts_.initial_backoff : std::min(current_ * 2, opts_.max_backoff);
    absl::Duration wait = current_ * absl::Uniform(rng_, 1.0, 1.5);
    wait = std::min(wait, opts_.max_backoff);
    last_failure_ = now;
    return opts_.clock->SleepUntil(ctx, now + wait);
  }

 private:
  const InformerOptions& opts_;
  absl::Duration current_ = absl::ZeroDuration();
  absl::Time last_failure_ = absl::InfinitePast();
  absl::BitGen rng_;
};

const std::string& RvOf(const google::protobuf::Message& obj) {
  return StoreCore::MetaOf(obj).resourceversion();
}

// The object's `metadata` (field 1 of every API object, as StoreCore::MetaOf
// finds it), or nullptr.
metav1::ObjectMeta* MutableMetaOf(google::protobuf::Message* obj) {
  const google::protobuf::Descriptor* d = obj->GetDescriptor();
  const google::protobuf::FieldDescriptor* f = d->FindFieldByNumber(1);
  if (f == nullptr || f->message_type() != metav1::ObjectMeta::descriptor()) {
    f = d->FindFieldByName("metadata");
  }
  if (f == nullptr || f->message_type() != metav1::ObjectMeta::descriptor()) return nullptr;
  return static_cast<metav1::ObjectMeta*>(obj->GetReflection()->MutableMessage(obj, f));
}

}  // namespace

class InformerCore::Impl {
 public:
  Impl(std::shared_ptr<ResourceCore> resource, InformerOptions options)
      : resource_(std::move(resource)), opts_(std::move(options)), store_(std::make_shared<StoreCore>()) {
    if (opts_.name.empty()) opts_.name = std::string(resource_->info().plural);
    if (opts_.clock == nullptr) opts_.clock = Clock::Real();
  }

  ~Impl() { Stop(); }

  void AddEventHandler(Handler h) {
    auto handler = std::make_shared<Handler>(std::move(h));
    absl::MutexLock lock(&mu_);
    if (!started_) {
      handlers_.push_back(std::move(handler));
      return;
    }
    // Installed by the dispatcher at this point of the event order, with an
    // on_add for everything cached now (which is what the events before this
    // point built up).
    Notification n;
    n.kind = Notification::kRegister;
    n.handler = std::move(handler);
    n.snapshot = store_->List();
    Enqueue(std::move(n));
  }

  absl::Status Start(const Context& ctx) {
    {
      absl::MutexLock lock(&mu_);
      if (started_) return absl::FailedPreconditionError("informer already started");
      started_ = true;
    }
    auto [run_ctx, cancel] = ctx.WithFields({{"informer", opts_.name}}).WithCancel();
    ctx_ = run_ctx;
    cancel_ = cancel;
    // Wakes the dispatcher when the caller's context ends.
    stop_registration_ = ctx_.OnCancel([this] {
      absl::MutexLock lock(&mu_);
      stopping_ = true;
      cv_.SignalAll();
    });
    reflector_ = std::thread([this] { RunReflector(); });
    dispatcher_ = std::thread([this] { RunDispatcher(); });
    return absl::OkStatus();
  }

  void Stop() {
    {
      absl::MutexLock lock(&mu_);
      if (!started_ || joined_) return;
      joined_ = true;
      stopping_ = true;
      cv_.SignalAll();
    }
    if (cancel_) cancel_();
    if (reflector_.joinable()) reflector_.join();
    if (dispatcher_.joinable()) dispatcher_.join();
    stop_registration_.Reset();
  }

  bool HasSynced() const {
    absl::MutexLock lock(&mu_);
    return synced_;
  }

  bool WaitForSync(const Context& ctx) const {
    absl::MutexLock lock(&mu_);
    while (!synced_) {
      if (ctx.Done()) return false;
      // Short real-time slices so that a cancelled context is noticed.
      mu_.AwaitWithTimeout(absl::Condition(&synced_), std::min(ctx.Remaining(), absl::Milliseconds(20)));
    }
    return true;
  }

  std::string LastSyncResourceVersion() const {
    absl::MutexLock lock(&mu_);
    return last_rv_;
  }

  InformerStats stats() const {
    absl::MutexLock lock(&mu_);
    return stats_;
  }

  const std::shared_ptr<StoreCore>& store() const { return store_; }

 private:
  struct Notification {
    enum Kind { kAdd, kUpdate, kDelete, kSynced, kRegister };
    Kind kind = kAdd;
    Object old_obj;
    Object obj;
    std::shared_ptr<Handler> handler;  // kRegister
    std::vector<Object> snapshot;      // kRegister
  };

  enum class WatchOutcome { kEnded, kExpired, kRetryWatch, kRelist, kStopped };

  void Enqueue(Notification n) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    if (n.kind != Notification::kSynced && n.kind != Notification::kRegister) ++stats_.notifications;
    queue_.push_back(std::move(n));
    cv_.SignalAll();
  }

  // --- list/watch (the reflector thread) --------------------------------------

  void RunReflector() {
    Backoff backoff(opts_);
    bool need_list = true;
    bool consistent = false;
    while (!ctx_.Done()) {
      if (need_list) {
        absl::Status s = ListAndReplace(consistent);
        if (!s.ok()) {
          if (ctx_.Done()) break;
          absl::MutexLock lock(&mu_);
          ++stats_.failures;
          if (errdefs::IsGone(s)) {
            ++stats_.expired;
            consistent = true;
          }
        }
        if (!s.ok()) {
          log::Warning(ctx_, "Listing failed; will retry", {{"error", s}});
          (void)backoff.Sleep(ctx_);
          continue;
        }
        need_list = false;
        consistent = false;
      }
      switch (WatchOnce()) {
        case WatchOutcome::kStopped:
          return;
        case WatchOutcome::kEnded:
          break;  // watch again from the last resourceVersion
        case WatchOutcome::kExpired:
          need_list = true;
          consistent = true;
          break;
        case WatchOutcome::kRetryWatch:
          (void)backoff.Sleep(ctx_);
          break;
        case WatchOutcome::kRelist:
          need_list = true;
          (void)backoff.Sleep(ctx_);
          break;
      }
    }
  }

  absl::Status ListAndReplace(bool consistent) {
    ListOptions lo;
    lo.label_selector = opts_.label_selector;
    lo.field_selector = opts_.field_selector;
    lo.limit = opts_.page_size;
    {
      absl::MutexLock lock(&mu_);
      // Like the reflector: "0" (any, from the watch cache) at first; the
      // last seen version (not older than) afterwards; "" (a consistent read)
      // after 410.
      lo.resource_version = consistent ? "" : (last_rv_.empty() ? "0" : last_rv_);
    }
    if (!lo.resource_version.empty() && lo.resource_version != "0") lo.resource_version_match = "NotOlderThan";
    std::vector<Object> items;
    metav1::ListMeta meta;
    absl::Status s = resource_->ListEach(
        ctx_, opts_.ns, lo,
        [this, &items](std::unique_ptr<google::protobuf::Message> m) {
          Transform(m.get());
          items.emplace_back(std::move(m));
          return absl::OkStatus();
        },
        &meta);
    if (!s.ok()) return s;
    Replace(std::move(items), meta.resourceversion());
    return absl::OkStatus();
  }

  // Makes the store equal to `items`, notifying only real changes.
  void Replace(std::vector<Object> items, const std::string& rv) {
    absl::MutexLock lock(&mu_);
    absl::flat_hash_set<std::pair<std::string_view, std::string_view>> keep;
    keep.reserve(items.size());
    for (const Object& o : items) {
      const metav1::ObjectMeta& m = StoreCore::MetaOf(*o);
      keep.emplace(m.namespace_(), m.name());
    }
    for (const Object& old : store_->List()) {
      const metav1::ObjectMeta& m = StoreCore::MetaOf(*old);
      if (keep.contains(std::make_pair(std::string_view(m.namespace_()), std::string_view(m.name())))) continue;
      store_->Remove(m.namespace_(), m.name());
      Notification n;
      n.kind = Notification::kDelete;
      n.obj = old;
      Enqueue(std::move(n));
    }
    for (Object& o : items) {
      const metav1::ObjectMeta& m = StoreCore::MetaOf(*o);
      Object old = store_->Get(m.namespace_(), m.name());
      if (old && RvOf(*old) == m.resourceversion()) continue;  // unchanged
      store_->Upsert(o);
      Notification n;
      n.kind = old ? Notification::kUpdate : Notification::kAdd;
      n.old_obj = std::move(old);
      n.obj = std::move(o);
      Enqueue(std::move(n));
    }
    last_rv_ = rv;
    ++stats_.lists;
    if (!list_synced_) {
      list_synced_ = true;
      Notification n;
      n.kind = Notification::kSynced;
      Enqueue(std::move(n));
      if (opts_.resync_period > absl::ZeroDuration()) next_resync_ = opts_.clock->Now() + opts_.resync_period;
    }
  }

  WatchOutcome WatchOnce() {
    WatchOptions wo;
    wo.label_selector = opts_.label_selector;
    wo.field_selector = opts_.field_selector;
    wo.allow_bookmarks = true;
    {
      absl::MutexLock lock(&mu_);
      wo.resource_version = last_rv_;
    }
    double factor = absl::Uniform(rng_, 1.0, 2.0);
    wo.timeout = absl::Seconds(std::max<int64_t>(1, absl::ToInt64Seconds(opts_.min_watch_timeout * factor)));
    // The server ends the watch at `timeout`; the margin only guards against
    // a connection that silently died.
    Context watch_ctx = ctx_.WithTimeout(wo.timeout + absl::Minutes(1));
    absl::StatusOr<std::unique_ptr<WatchStream>> stream = resource_->Watch(watch_ctx, opts_.ns, wo);
    if (!stream.ok()) {
      if (ctx_.Done()) return WatchOutcome::kStopped;
      absl::MutexLock lock(&mu_);
      if (errdefs::IsGone(stream.status())) {
        ++stats_.expired;
        return WatchOutcome::kExpired;
      }
      ++stats_.failures;
      log::Warning(ctx_, "Watch failed; will retry", {{"error", stream.status()}});
      // Connection problems and throttling: the resourceVersion is still
      // good, so only the watch is retried. Anything else re-lists.
      if (errdefs::IsUnavailable(stream.status()) || errdefs::IsTooManyRequests(stream.status()) ||
          errdefs::IsCancelled(stream.status())) {
        return WatchOutcome::kRetryWatch;
      }
      return WatchOutcome::kRelist;
    }
    {
      absl::MutexLock lock(&mu_);
      ++stats_.watches;
    }
    absl::Time start = opts_.clock->Now();
    uint64_t events = 0;
    while (true) {
      absl::StatusOr<std::optional<WatchStream::Event>> ev = (*stream)->Next(watch_ctx);
      if (!ev.ok()) {
        if (ctx_.Done()) return WatchOutcome::kStopped;
        if (errdefs::IsGone(ev.status())) {
          absl::MutexLock lock(&mu_);
          ++stats_.expired;
          log::Info(ctx_, "Watch expired; re-listing", {{"error", ev.status()}});
          return WatchOutcome::kExpired;
        }
        if (watch_ctx.Done()) return WatchOutcome::kEnded;  // our own safety timeout
        absl::MutexLock lock(&mu_);
        ++stats_.failures;
        log::Info(ctx_, "Watch stream broke; resuming", {{"error", ev.status()}, {"events", events}});
        return events > 0 ? WatchOutcome::kEnded : WatchOutcome::kRetryWatch;
      }
      if (!ev->has_value()) {
        // The server closed the watch. One that closes at once, empty,
        // counts as a failure so that a misbehaving server is not hammered.
        if (events == 0 && opts_.clock->Now() - start < absl::Seconds(1)) return WatchOutcome::kRetryWatch;
        return WatchOutcome::kEnded;
      }
      ++events;
      Apply((*ev)->type, std::move((*ev)->object));
    }
  }

  // Applies the options' transform to an object nobody else holds yet.
  void Transform(google::protobuf::Message* obj) {
    if (!opts_.transform) return;
    try {
      opts_.transform(obj);
    } catch (const std::exception& e) {
      log::Error(ctx_, "Informer transform threw; caching the object as received", {{"what", e.what()}});
    } catch (...) {
      log::Error(ctx_, "Informer transform threw; caching the object as received");
    }
  }

  void Apply(WatchEventType type, std::unique_ptr<google::protobuf::Message> msg) {
    if (type != WatchEventType::kBookmark) Transform(msg.get());
    Object obj(std::move(msg));
    const metav1::ObjectMeta& m = StoreCore::MetaOf(*obj);
    absl::MutexLock lock(&mu_);
    if (!m.resourceversion().empty()) last_rv_ = m.resourceversion();
    if (type == WatchEventType::kBookmark) {
      ++stats_.bookmarks;
      return;
    }
    ++stats_.events;
    Notification n;
    if (type == WatchEventType::kDeleted) {
      Object old = store_->Remove(m.namespace_(), m.name());
      if (!old) return;  // never seen (or already removed by a re-list)
      n.kind = Notification::kDelete;
      n.obj = std::move(obj);
    } else {
      Object old = store_->Get(m.namespace_(), m.name());
      if (old && RvOf(*old) == m.resourceversion()) return;  // seen already
      store_->Upsert(obj);
      n.kind = old ? Notification::kUpdate : Notification::kAdd;
      n.old_obj = std::move(old);
      n.obj = std::move(obj);
    }
    Enqueue(std::move(n));
  }

  // --- notifications (the dispatch thread) ------------------------------------

  void RunDispatcher() {
    while (true) {
      Notification n;
      std::vector<std::shared_ptr<Handler>> targets;
      {
        absl::MutexLock lock(&mu_);
        while (true) {
          if (stopping_) return;
          if (opts_.resync_period > absl::ZeroDuration() && list_synced_ &&
              opts_.clock->Now() >= next_resync_) {
            for (const Object& o : store_->List()) {
              Notification r;
              r.kind = Notification::kUpdate;
              r.old_obj = o;
              r.obj = o;
              Enqueue(std::move(r));
            }
            next_resync_ = opts_.clock->Now() + opts_.resync_period;
          }
          if (!queue_.empty()) break;
          absl::Time deadline = opts_.resync_period > absl::ZeroDuration() && list_synced_ ? next_resync_
                                                                                            : absl::InfiniteFuture();
          opts_.clock->WaitWithDeadline(&mu_, &cv_, deadline);
        }
        n = std::move(queue_.front());
        queue_.pop_front();
        if (n.kind == Notification::kSynced) {
          synced_ = true;
          continue;
        }
        if (n.kind == Notification::kRegister) {
          handlers_.push_back(n.handler);
          targets = {n.handler};
        } else {
          targets = handlers_;
        }
      }
      Deliver(n, targets);
    }
  }

  void Deliver(const Notification& n, const std::vector<std::shared_ptr<Handler>>& targets) {
    for (const auto& h : targets) {
      try {
        switch (n.kind) {
          case Notification::kAdd:
            if (h->on_add) h->on_add(n.obj);
            break;
          case Notification::kUpdate:
            if (h->on_update) h->on_update(n.old_obj, n.obj);
            break;
          case Notification::kDelete:
            if (h->on_delete) h->on_delete(n.obj);
            break;
          case Notification::kRegister:
            if (h->on_add) {
              for (const Object& o : n.snapshot) h->on_add(o);
            }
            break;
          case Notification::kSynced:
            break;
        }
      } catch (const std::exception& e) {
        log::Error(ctx_, "Informer event handler threw", {{"what", e.what()}});
      } catch (...) {
        log::Error(ctx_, "Informer event handler threw");
      }
    }
  }

  std::shared_ptr<ResourceCore> resource_;
  InformerOptions opts_;
  std::shared_ptr<StoreCore> store_;
  Context ctx_ = Context::Background();
  CancelFn cancel_;
  CancelRegistration stop_registration_;
  std::thread reflector_;
  std::thread dispatcher_;
  absl::BitGen rng_;  // reflector thread only

  mutable absl::Mutex mu_;
  absl::CondVar cv_;
  std::deque<Notification> queue_ ABSL_GUARDED_BY(mu_);
  std::vector<std::shared_ptr<Handler>> handlers_ ABSL_GUARDED_BY(mu_);
  bool started_ ABSL_GUARDED_BY(mu_) = false;
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  bool joined_ ABSL_GUARDED_BY(mu_) = false;
  bool list_synced_ ABSL_GUARDED_BY(mu_) = false;
  bool synced_ ABSL_GUARDED_BY(mu_) = false;
  std::string last_rv_ ABSL_GUARDED_BY(mu_);
  absl::Time next_resync_ ABSL_GUARDED_BY(mu_) = absl::InfiniteFuture();
  InformerStats stats_ ABSL_GUARDED_BY(mu_);
};

InformerCore::InformerCore(std::shared_ptr<ResourceCore> resource, InformerOptions options)
    : impl_(std::make_unique<Impl>(std::move(resource), std::move(options))) {}
InformerCore::~InformerCore() = default;
void InformerCore::AddEventHandler(Handler handler) { impl_->AddEventHandler(std::move(handler)); }
absl::Status InformerCore::Start(const Context& ctx) { return impl_->Start(ctx); }
void InformerCore::Stop() { impl_->Stop(); }
bool InformerCore::HasSynced() const { return impl_->HasSynced(); }
bool InformerCore::WaitForSync(const Context& ctx) const { return impl_->WaitForSync(ctx); }
std::string InformerCore::LastSyncResourceVersion() const { return impl_->LastSyncResourceVersion(); }
InformerStats InformerCore::stats() const { return impl_->stats(); }
const std::shared_ptr<StoreCore>& InformerCore::store() const { return impl_->store(); }

}  // namespace vkubelet::kube::internal

namespace vkubelet::kube {

std::function<void(google::protobuf::Message*)> StripManagedFields() {
  return [](google::protobuf::Message* obj) {
    if (metav1::ObjectMeta* meta = internal::MutableMetaOf(obj)) meta->clear_managedfields();
  };
}

}  // namespace vkubelet::kube
