// Copyright 2026 The vkubelet Authors. Licensed under the Apache License 2.0.

#include "vkubelet/context.h"

#include <algorithm>
#include <condition_variable>
#include <functional>
#include <map>
#include <mutex>
#include <queue>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "vkubelet/log.h"

namespace vkubelet {
namespace internal {

// Shared cancellation state of a Context and its copies.
class ContextState : public std::enable_shared_from_this<ContextState> {
 public:
  bool done() const {
    absl::MutexLock lock(&mu_);
    return done_;
  }
  absl::Status err() const {
    absl::MutexLock lock(&mu_);
    return err_;
  }

  // Returns 0 when already done (the caller runs the callback itself).
  uint64_t Add(std::function<void()> cb) {
    absl::MutexLock lock(&mu_);
    if (done_) return 0;
    uint64_t id = next_id_++;
    callbacks_.emplace(id, std::move(cb));
    return id;
  }

  void Remove(uint64_t id) {
    absl::MutexLock lock(&mu_);
    callbacks_.erase(id);
    // Wait for a callback that is running right now on another thread.
    if (firing_id_ == id && firing_thread_ != std::this_thread::get_id()) {
      mu_.Await(absl::Condition(
          +[](ContextState* s) ABSL_EXCLUSIVE_LOCKS_REQUIRED(s->mu_) { return s->firing_id_ == 0; },
          this));
    }
  }

  void Cancel(absl::Status why) {
    {
      absl::MutexLock lock(&mu_);
      if (done_) return;
      done_ = true;
      err_ = std::move(why);
    }
    // Take the callbacks one at a time, marking each as firing under the same
    // lock, so that a Remove() either finds it still pending (and it never
    // runs) or waits for it to finish.
    while (true) {
      std::function<void()> cb;
      {
        absl::MutexLock lock(&mu_);
        if (callbacks_.empty()) break;
        auto it = callbacks_.begin();
        firing_id_ = it->first;
        firing_thread_ = std::this_thread::get_id();
        cb = std::move(it->second);
        callbacks_.erase(it);
      }
      cb();
      absl::MutexLock lock(&mu_);
      firing_id_ = 0;
    }
  }

  // Blocks until done or the deadline; returns done.
  bool WaitUntil(absl::Time deadline) const {
    absl::MutexLock lock(&mu_);
    return mu_.AwaitWithDeadline(absl::Condition(&done_), deadline);
  }

  // Keeps the parent link alive for as long as this state lives.
  void SetParentRegistration(CancelRegistration reg) { parent_reg_ = std::move(reg); }

 private:
  mutable absl::Mutex mu_;
  bool done_ ABSL_GUARDED_BY(mu_) = false;
  absl::Status err_ ABSL_GUARDED_BY(mu_);
  uint64_t next_id_ ABSL_GUARDED_BY(mu_) = 1;
  std::map<uint64_t, std::function<void()>> callbacks_ ABSL_GUARDED_BY(mu_);
  uint64_t firing_id_ ABSL_GUARDED_BY(mu_) = 0;
  std::thread::id firing_thread_ ABSL_GUARDED_BY(mu_);
  CancelRegistration parent_reg_;
};

namespace {

// One background thread that cancels contexts whose deadline passed, so that
// OnCancel callbacks fire for deadlines too. Started on first use.
class DeadlineTimer {
 public:
  static DeadlineTimer& Get() {
    static DeadlineTimer* timer = new DeadlineTimer();  // never destroyed
    return *timer;
  }

  void Schedule(absl::Time when, std::weak_ptr<ContextState> state) {
    absl::MutexLock lock(&mu_);
    // Most contexts end long before their deadline (a request timeout): drop
    // the entries of destroyed ones now and then, or the heap (and every
    // state block a weak_ptr keeps allocated) grows with the request rate.
    if (heap_.size() >= compact_at_) {
      std::vector<Entry> live;
      live.reserve(heap_.size());
      while (!heap_.empty()) {
        if (!heap_.top().state.expired()) live.push_back(heap_.top());
        heap_.pop();
      }
      heap_ = decltype(heap_)(std::greater<Entry>(), std::move(live));
      compact_at_ = std::max<size_t>(1024, 2 * heap_.size());
    }
    // Wake the timer thread only when its next wake-up moves earlier.
    const bool earliest = heap_.empty() || when < heap_.top().when;
    heap_.push(Entry{when, std::move(state)});
    if (earliest) cv_.Signal();
    if (!started_) {
      started_ = true;
      std::thread([this] { Loop(); }).detach();
    }
  }

 private:
  struct Entry {
    absl::Time when;
    std::weak_ptr<ContextState> state;
    bool operator>(const Entry& o) const { return when > o.when; }
  };

  void Loop() {
    absl::MutexLock lock(&mu_);
    for (;;) {
      absl::Time next = heap_.empty() ? absl::InfiniteFuture() : heap_.top().when;
      cv_.WaitWithDeadline(&mu_, next);
      std::vector<std::shared_ptr<ContextState>> due;
      absl::Time now = absl::Now();
      while (!heap_.empty() && heap_.top().when <= now) {
        if (auto s = heap_.top().state.lock()) due.push_back(std::move(s));
        heap_.pop();
      }
      if (due.empty()) continue;
      mu_.Unlock();
      for (auto& s : due) s->Cancel(absl::DeadlineExceededError("context deadline exceeded"));
      due.clear();
      mu_.Lock();
    }
  }

  absl::Mutex mu_;
  std::priority_queue<Entry, std::vector<Entry>, std::greater<Entry>> heap_ ABSL_GUARDED_BY(mu_);
  absl::CondVar cv_;
  bool started_ ABSL_GUARDED_BY(mu_) = false;
  size_t compact_at_ ABSL_GUARDED_BY(mu_) = 1024;
};

}  // namespace
}  // namespace internal

// --- CancelRegistration ------------------------------------------------------

CancelRegistration::~CancelRegistration() { Reset(); }

CancelRegistration::CancelRegistration(CancelRegistration&& other) noexcept
    : state_(std::move(other.state_)), id_(other.id_) {
  other.id_ = 0;
}

CancelRegistration& CancelRegistration::operator=(CancelRegistration&& other) noexcept {
  if (this != &other) {
    Reset();
    state_ = std::move(other.state_);
    id_ = other.id_;
    other.id_ = 0;
  }
  return *this;
}

void CancelRegistration::Reset() {
  if (state_ && id_ != 0) state_->Remove(id_);
  state_.reset();
  id_ = 0;
}

// --- Context -------------------------------------------------------------------

namespace {
const std::vector<LogField>& EmptyFields() {
  static const auto* empty = new std::vector<LogField>();
  return *empty;
}
}  // namespace

Context::Context(std::shared_ptr<internal::ContextState> state, absl::Time deadline,
                 std::shared_ptr<const std::vector<LogField>> fields,
                 std::shared_ptr<log::Logger> logger)
    : state_(std::move(state)),
      deadline_(deadline),
      fields_(std::move(fields)),
      logger_(std::move(logger)) {}

Context Context::Background() { return Context(nullptr, absl::InfiniteFuture(), nullptr, nullptr); }

std::pair<Context, CancelFn> Context::WithCancel() const {
  auto child = std::make_shared<internal::ContextState>();
  if (state_) {
    std::weak_ptr<internal::ContextState> weak = child;
    std::weak_ptr<internal::ContextState> parent = state_;
    auto reg = OnCancel([weak, parent] {
      auto c = weak.lock();
      auto p = parent.lock();
      if (c) c->Cancel(p ? p->err() : absl::CancelledError("context cancelled"));
    });
    child->SetParentRegistration(std::move(reg));
  }
  std::weak_ptr<internal::ContextState> weak = child;
  CancelFn cancel = [weak] {
    if (auto c = weak.lock()) c->Cancel(absl::CancelledError("context cancelled"));
  };
  return {Context(child, deadline_, fields_, logger_), std::move(cancel)};
}

Context Context::WithDeadline(absl::Time deadline) const {
  if (deadline >= deadline_) return *this;
  auto [child, cancel] = WithCancel();
  (void)cancel;
  child.deadline_ = deadline;
  internal::DeadlineTimer::Get().Schedule(deadline, child.state_);
  return child;
}

Context Context::WithTimeout(absl::Duration timeout) const {
  return WithDeadline(absl::Now() + timeout);
}

Context Context::WithFields(std::vector<LogField> fields) const {
  auto merged = std::make_shared<std::vector<LogField>>(this->fields());
  for (auto& f : fields) merged->push_back(std::move(f));
  return Context(state_, deadline_, std::move(merged), logger_);
}

Context Context::WithField(std::string key, std::string value) const {
  return WithFields({LogField{std::move(key), std::move(value)}});
}

Context Context::WithLogger(std::shared_ptr<log::Logger> logger) const {
  return Context(state_, deadline_, fields_, std::move(logger));
}

bool Context::Done() const {
  if (state_ && state_->done()) return true;
  return deadline_ != absl::InfiniteFuture() && absl::Now() >= deadline_;
}

absl::Status Context::Err() const {
  if (state_) {
    absl::Status s = state_->err();
    if (!s.ok()) return s;
  }
  if (deadline_ != absl::InfiniteFuture() && absl::Now() >= deadline_) {
    return absl::DeadlineExceededError("context deadline exceeded");
  }
  return absl::OkStatus();
}

absl::Duration Context::Remaining() const {
  if (deadline_ == absl::InfiniteFuture()) return absl::InfiniteDuration();
  absl::Duration left = deadline_ - absl::Now();
  return left < absl::ZeroDuration() ? absl::ZeroDuration() : left;
}

bool Context::WaitFor(absl::Duration timeout) const {
  absl::Time until = std::min(absl::Now() + timeout, deadline_);
  if (state_) {
    if (state_->WaitUntil(until)) return true;
  } else if (until != absl::InfiniteFuture()) {
    absl::SleepFor(until - absl::Now());
  } else {
    // Background with no timeout: never done.
    for (;;) absl::SleepFor(absl::Hours(24));
  }
  return Done();
}

void Context::Wait() const { WaitFor(absl::InfiniteDuration()); }

CancelRegistration Context::OnCancel(std::function<void()> callback) const {
  if (!state_) {
    if (Done()) callback();  // only possible for a deadline without state
    return CancelRegistration();
  }
  uint64_t id = state_->Add(callback);
  if (id == 0) {
    callback();
    return CancelRegistration();
  }
  return CancelRegistration(state_, id);
}

const std::vector<LogField>& Context::fields() const { return fields_ ? *fields_ : EmptyFields(); }

const std::shared_ptr<log::Logger>& Context::logger() const {
  return logger_ ? logger_ : log::DefaultLogger();
}

}  // namespace vkubelet
