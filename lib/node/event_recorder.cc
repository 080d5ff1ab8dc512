// Copyright 2026 The vkubelet Authors. Licensed under the Apache License 2.0.

#include "vkubelet/node/event_recorder.h"

#include <algorithm>
#include <deque>
#include <list>
#include <utility>

#include <nlohmann/json.hpp>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "vkubelet/errdefs.h"
#include "vkubelet/internal/status_macros.h"
#include "vkubelet/log.h"

namespace vkubelet::node {

corev1::ObjectReference PodReference(const corev1::Pod& pod) {
  corev1::ObjectReference ref;
  ref.set_kind("Pod");
  ref.set_apiversion("v1");
  ref.set_namespace_(pod.metadata().namespace_());
  ref.set_name(pod.metadata().name());
  ref.set_uid(pod.metadata().uid());
  if (!pod.metadata().resourceversion().empty()) ref.set_resourceversion(pod.metadata().resourceversion());
  return ref;
}

// --- MemoryEventRecorder ------------------------------------------------------------

void MemoryEventRecorder::Record(const corev1::ObjectReference& object, std::string_view type,
                                 std::string_view reason, std::string_view message) {
  absl::MutexLock lock(&mu_);
  events_.push_back({object, std::string(type), std::string(reason), std::string(message)});
}

std::vector<MemoryEventRecorder::Recorded> MemoryEventRecorder::events() const {
  absl::MutexLock lock(&mu_);
  return events_;
}

std::vector<MemoryEventRecorder::Recorded> MemoryEventRecorder::WithReason(std::string_view reason,
                                                                           std::string_view object_name) const {
  absl::MutexLock lock(&mu_);
  std::vector<Recorded> out;
  for (const auto& e : events_) {
    if (e.reason == reason && (object_name.empty() || e.object.name() == object_name)) out.push_back(e);
  }
  return out;
}

size_t MemoryEventRecorder::Count(std::string_view reason) const { return WithReason(reason).size(); }

bool MemoryEventRecorder::WaitFor(std::string_view reason, size_t n, absl::Duration timeout) const {
  absl::MutexLock lock(&mu_);
  auto enough = [&]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    return static_cast<size_t>(std::count_if(events_.begin(), events_.end(),
                                             [&](const Recorded& e) { return e.reason == reason; })) >= n;
  };
  return mu_.AwaitWithTimeout(absl::Condition(&enough), timeout);
}

void MemoryEventRecorder::Clear() {
  absl::MutexLock lock(&mu_);
  events_.clear();
}

// --- API-backed recorder ------------------------------------------------------------

namespace {

std::string FormatKubeTime(absl::Time t) {
  return absl::FormatTime("%Y-%m-%dT%H:%M:%SZ", t, absl::UTCTimeZone());
}

void SetTime(metav1::Time* out, absl::Time t) {
  out->set_seconds(absl::ToUnixSeconds(t));
  out->set_nanos(0);
}

std::string ObjectKey(const corev1::ObjectReference& o) {
  return absl::StrCat(o.kind(), "\x1f", o.apiversion(), "\x1f", o.namespace_(), "\x1f", o.name(), "\x1f", o.uid());
}

class ApiEventRecorderImpl final : public ApiEventRecorder {
 public:
  ApiEventRecorderImpl(std::shared_ptr<EventSink> sink, EventRecorderOptions options)
      : sink_(std::move(sink)),
        options_(std::move(options)),
        clock_(options_.clock ? options_.clock : Clock::Real()) {
    options_.max_queued = std::max<size_t>(1, options_.max_queued);
    options_.max_cached = std::max<size_t>(1, options_.max_cached);
    options_.max_attempts = std::max(1, options_.max_attempts);
  }

  void Record(const corev1::ObjectReference& object, std::string_view type, std::string_view reason,
              std::string_view message) override {
    const absl::Time now = clock_->Now();
    const std::string object_key = ObjectKey(object);
    std::string key = absl::StrCat(object_key, "\x1f", object.fieldpath(), "\x1f", internal::ToAbsl(type), "\x1f",
                                   internal::ToAbsl(reason), "\x1f", internal::ToAbsl(message));
    absl::MutexLock lock(&mu_);
    ++stats_.recorded;
    if (!SpamAllowLocked(object_key, now)) {
      ++stats_.dropped_spam;
      return;
    }
    if (auto it = waiting_.find(key); it != waiting_.end()) {
      it->second->count += 1;
      it->second->last = now;
      ++stats_.folded;
      return;
    }
    if (queue_.size() >= options_.max_queued) {
      auto oldest = queue_.front();
      queue_.pop_front();
      if (auto it = waiting_.find(oldest->key); it != waiting_.end() && it->second == oldest) waiting_.erase(it);
      ++stats_.dropped_full;
    }
    auto p = std::make_shared<Pending>();
    p->key = std::move(key);
    p->object = object;
    p->type = std::string(type);
    p->reason = std::string(reason);
    p->message = std::string(message);
    p->first = p->last = now;
    p->not_before = now;
    waiting_[p->key] = p;
    queue_.push_back(std::move(p));
    cv_.Signal();
  }

  void Run(const Context& ctx, absl::Duration drain_timeout) override {
    CancelRegistration reg = ctx.OnCancel([this] {
      absl::MutexLock lock(&mu_);
      cv_.SignalAll();
    });
    while (!ctx.Done()) {
      std::shared_ptr<Pending> next;
      {
        absl::MutexLock lock(&mu_);
        next = TakeReadyLocked(clock_->Now());
        if (!next) {
          absl::Time deadline = NextReadyLocked();
          if (ctx.Done()) break;
          clock_->WaitWithDeadline(&mu_, &cv_, deadline);
          continue;
        }
      }
      Send(ctx, next, /*final_attempt=*/false);
    }
    // Drain what is left, once, within drain_timeout.
    Context drain = Context::Background().WithTimeout(drain_timeout);
    while (!drain.Done()) {
      std::shared_ptr<Pending> next;
      {
        absl::MutexLock lock(&mu_);
        next = TakeReadyLocked(absl::InfiniteFuture());
      }
      if (!next) break;
      Send(drain, next, /*final_attempt=*/true);
    }
  }

  EventRecorderStats GetStats() const override {
    absl::MutexLock lock(&mu_);
    EventRecorderStats s = stats_;
    s.queued = queue_.size();
    return s;
  }

 private:
  struct Pending {
    std::string key;
    corev1::ObjectReference object;
    std::string type;
    std::string reason;
    std::string message;
    absl::Time first;
    absl::Time last;
    int count = 1;  // occurrences not yet reported
    int attempts = 0;
    absl::Time not_before;
  };
  struct Cached {
    std::string ns;
    std::string name;
    int count = 0;
    absl::Time first;
    std::list<std::string>::iterator lru;
  };
  struct Bucket {
    double tokens = 0;
    absl::Time at;
    std::list<std::string>::iterator lru;
  };

  bool SpamAllowLocked(const std::string& object_key, absl::Time now) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    if (options_.spam_burst <= 0) return true;
    auto it = buckets_.find(object_key);
    if (it == buckets_.end()) {
      if (buckets_.size() >= options_.max_cached) {
        buckets_.erase(bucket_lru_.back());
        bucket_lru_.pop_back();
      }
      bucket_lru_.push_front(object_key);
      it = buckets_.emplace(object_key, Bucket{static_cast<double>(options_.spam_burst), now, bucket_lru_.begin()})
               .first;
    } else {
      bucket_lru_.splice(bucket_lru_.begin(), bucket_lru_, it->second.lru);
    }
    Bucket& b = it->second;
    if (options_.spam_refill > absl::ZeroDuration() && now > b.at) {
      b.tokens = std::min<double>(options_.spam_burst, b.tokens + (now - b.at) / options_.spam_refill);
    }
    b.at = std::max(b.at, now);
    if (b.tokens < 1) return false;
    b.tokens -= 1;
    return true;
  }

  std::shared_ptr<Pending> TakeReadyLocked(absl::Time now) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    for (auto it = queue_.begin(); it != queue_.end(); ++it) {
      if ((*it)->not_before <= now) {
        auto p = *it;
        queue_.erase(it);
        if (auto w = waiting_.find(p->key); w != waiting_.end() && w->second == p) waiting_.erase(w);
        return p;
      }
    }
    return nullptr;
  }

  absl::Time NextReadyLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    absl::Time t = absl::InfiniteFuture();
    for (const auto& p : queue_) t = std::min(t, p->not_before);
    return t;
  }

  std::string NewNameLocked(const std::string& object_name, absl::Time now) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    int64_t nanos = absl::ToUnixNanos(now);
    if (nanos <= last_name_nanos_) nanos = last_name_nanos_ + 1;
    last_name_nanos_ = nanos;
    return absl::StrFormat("%s.%x", object_name, static_cast<uint64_t>(nanos));
  }

  void Send(const Context& ctx, const std::shared_ptr<Pending>& p, bool final_attempt) {
    std::string ns = p->object.namespace_().empty() ? "default" : p->object.namespace_();
    std::optional<Cached> cached;
    std::string new_name;
    {
      absl::MutexLock lock(&mu_);
      if (auto it = cache_.find(p->key); it != cache_.end()) {
        cached = it->second;
      } else {
        new_name = NewNameLocked(p->object.name().empty() ? "event" : p->object.name(), clock_->Now());
      }
    }
    Context rctx = ctx.WithTimeout(options_.request_timeout);
    absl::Status status;
    int total = p->count;
    bool patched = false;
    if (cached) {
      total = cached->count + p->count;
      nlohmann::json patch = {{"count", total}, {"lastTimestamp", FormatKubeTime(p->last)}, {"message", p->message}};
      status = sink_->Patch(rctx, cached->ns, cached->name, patch.dump());
      patched = status.ok();
      if (errdefs::IsNotFound(status)) {
        // Someone deleted it (or it expired): start a new Event with the full count.
        absl::MutexLock lock(&mu_);
        new_name = NewNameLocked(p->object.name().empty() ? "event" : p->object.name(), clock_->Now());
      }
    }
    if (!cached || errdefs::IsNotFound(status)) {
      corev1::Event ev;
      ev.mutable_metadata()->set_name(new_name);
      ev.mutable_metadata()->set_namespace_(ns);
      *ev.mutable_involvedobject() = p->object;
      ev.set_reason(p->reason);
      ev.set_message(p->message);
      ev.set_type(p->type);
      ev.mutable_source()->set_component(options_.component);
      if (!options_.instance.empty()) ev.mutable_source()->set_host(options_.instance);
      SetTime(ev.mutable_firsttimestamp(), cached ? cached->first : p->first);
      SetTime(ev.mutable_lasttimestamp(), p->last);
      ev.set_count(total);
      ev.set_reportingcomponent(options_.component);
      ev.set_reportinginstance(options_.instance);
      status = sink_->Create(rctx, ev);
      if (status.ok()) {
        cached = Cached{ns, new_name, 0, cached ? cached->first : p->first, {}};
      }
    }
    absl::MutexLock lock(&mu_);
    if (status.ok()) {
      if (patched) {
        ++stats_.patched;
      } else {
        ++stats_.created;
      }
      auto it = cache_.find(p->key);
      if (it == cache_.end()) {
        if (cache_.size() >= options_.max_cached) {
          cache_.erase(cache_lru_.back());
          cache_lru_.pop_back();
        }
        cache_lru_.push_front(p->key);
        cached->lru = cache_lru_.begin();
        it = cache_.emplace(p->key, *cached).first;
      } else {
        cache_lru_.splice(cache_lru_.begin(), cache_lru_, it->second.lru);
        it->second.ns = cached->ns;
        it->second.name = cached->name;
      }
      it->second.count = total;
      return;
    }
    ++p->attempts;
    const bool retry = !final_attempt && !ctx.Done() && !errdefs::IsPermanent(status) &&
                       p->attempts < options_.max_attempts;
    if (!retry) {
      ++stats_.failed;
      log::Warning(ctx, "Dropping event after failed write",
                   {{"reason", p->reason}, {"object", p->object.name()}, {"attempts", p->attempts}, {"error", status}});
      return;
    }
    // A repeat recorded meanwhile is folded into this retry.
    if (auto w = waiting_.find(p->key); w != waiting_.end()) {
      w->second->count += p->count;
      w->second->first = std::min(w->second->first, p->first);
      return;
    }
    p->not_before = clock_->Now() + options_.retry_interval;
    waiting_[p->key] = p;
    queue_.push_back(p);
  }

  std::shared_ptr<EventSink> sink_;
  EventRecorderOptions options_;
  const Clock* clock_;

  mutable absl::Mutex mu_;
  absl::CondVar cv_;
  std::deque<std::shared_ptr<Pending>> queue_ ABSL_GUARDED_BY(mu_);
  // Events in queue_ by de-duplication key (repeats fold into them).
  absl::flat_hash_map<std::string, std::shared_ptr<Pending>> waiting_ ABSL_GUARDED_BY(mu_);
  absl::flat_hash_map<std::string, Cached> cache_ ABSL_GUARDED_BY(mu_);
  std::list<std::string> cache_lru_ ABSL_GUARDED_BY(mu_);
  absl::flat_hash_map<std::string, Bucket> buckets_ ABSL_GUARDED_BY(mu_);
  std::list<std::string> bucket_lru_ ABSL_GUARDED_BY(mu_);
  int64_t last_name_nanos_ ABSL_GUARDED_BY(mu_) = 0;
  EventRecorderStats stats_ ABSL_GUARDED_BY(mu_);
};

}  // namespace

std::unique_ptr<ApiEventRecorder> NewApiEventRecorder(std::shared_ptr<EventSink> sink,
                                                      EventRecorderOptions options) {
  return std::make_unique<ApiEventRecorderImpl>(std::move(sink), std::move(options));
}

}  // namespace vkubelet::node
