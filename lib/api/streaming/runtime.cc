// Copyright 2026 The vkubelet Authors. Licensed under the Apache License 2.0.

#include "api/streaming/runtime.h"

#include <utility>
#include <vector>

#include "absl/time/clock.h"

namespace vkubelet::api::internal {

// ---- TimerQueue ----------------------------------------------------------------

struct TimerQueue::State {
  explicit State(const Clock* c) : clock(c) {}
  const Clock* clock;
  absl::Mutex mu;
  absl::CondVar cv;
  bool stop ABSL_GUARDED_BY(mu) = false;
  uint64_t next_id ABSL_GUARDED_BY(mu) = 1;
  std::multimap<absl::Time, uint64_t> by_time ABSL_GUARDED_BY(mu);
  absl::flat_hash_map<uint64_t, std::pair<absl::Time, absl::AnyInvocable<void()>>> entries
      ABSL_GUARDED_BY(mu);
};

TimerQueue::TimerQueue(const Clock* clock)
    : state_(std::make_shared<State>(clock != nullptr ? clock : Clock::Real())) {
  thread_ = std::thread(&TimerQueue::Run, state_);
}

TimerQueue::~TimerQueue() {
  {
    absl::MutexLock lock(&state_->mu);
    state_->stop = true;
    state_->cv.SignalAll();
  }
  if (thread_.get_id() == std::this_thread::get_id()) {
    thread_.detach();
  } else {
    thread_.join();
  }
}

const Clock* TimerQueue::clock() const { return state_->clock; }

uint64_t TimerQueue::Schedule(absl::Time when, absl::AnyInvocable<void()> fn) {
  absl::MutexLock lock(&state_->mu);
  const uint64_t id = state_->next_id++;
  state_->by_time.emplace(when, id);
  state_->entries.emplace(id, std::make_pair(when, std::move(fn)));
  state_->cv.SignalAll();
  return id;
}

void TimerQueue::Cancel(uint64_t id) {
  absl::MutexLock lock(&state_->mu);
  auto it = state_->entries.find(id);
  if (it == state_->entries.end()) return;
  auto range = state_->by_time.equal_range(it->second.first);
  for (auto t = range.first; t != range.second; ++t) {
    if (t->second == id) {
      state_->by_time.erase(t);
      break;
    }
  }
  state_->entries.erase(it);
}

void TimerQueue::Run(std::shared_ptr<State> s) {
  absl::MutexLock lock(&s->mu);
  while (!s->stop) {
    if (s->by_time.empty()) {
      s->cv.Wait(&s->mu);
      continue;
    }
    auto first = s->by_time.begin();
    if (s->clock->Now() < first->first) {
      s->clock->WaitWithDeadline(&s->mu, &s->cv, first->first);
      continue;
    }
    const uint64_t id = first->second;
    s->by_time.erase(first);
    auto it = s->entries.find(id);
    absl::AnyInvocable<void()> fn = std::move(it->second.second);
    s->entries.erase(it);
    s->mu.Unlock();
    fn();
    fn = nullptr;  // captured state is released without the lock held
    s->mu.Lock();
  }
}

// ---- ThreadGroup ---------------------------------------------------------------

struct ThreadGroup::State {
  absl::Mutex mu;
  uint64_t next_id ABSL_GUARDED_BY(mu) = 1;
  absl::flat_hash_map<uint64_t, std::thread> threads ABSL_GUARDED_BY(mu);
  std::vector<uint64_t> finished ABSL_GUARDED_BY(mu);
  size_t running ABSL_GUARDED_BY(mu) = 0;
};

namespace {
bool NoneRunning(ThreadGroup::State* s) ABSL_NO_THREAD_SAFETY_ANALYSIS { return s->running == 0; }
}  // namespace

ThreadGroup::ThreadGroup() : state_(std::make_shared<State>()) {}

ThreadGroup::~ThreadGroup() {
  Reap();
  absl::MutexLock lock(&state_->mu);
  for (auto& [id, t] : state_->threads) {
    if (t.joinable()) t.detach();
  }
  state_->threads.clear();
}

void ThreadGroup::Spawn(absl::AnyInvocable<void()> fn) {
  Reap();
  absl::MutexLock lock(&state_->mu);
  const uint64_t id = state_->next_id++;
  ++state_->running;
  state_->threads.emplace(id, std::thread([s = state_, id, fn = std::move(fn)]() mutable {
                            fn();
                            fn = nullptr;
                            absl::MutexLock lock(&s->mu);
                            s->finished.push_back(id);
                            --s->running;
                          }));
}

void ThreadGroup::Reap() {
  std::vector<std::thread> done;
  {
    absl::MutexLock lock(&state_->mu);
    for (uint64_t id : state_->finished) {
      auto it = state_->threads.find(id);
      if (it == state_->threads.end()) continue;
      done.push_back(std::move(it->second));
      state_->threads.erase(it);
    }
    state_->finished.clear();
  }
  for (std::thread& t : done) {
    if (t.get_id() == std::this_thread::get_id()) {
      t.detach();
    } else if (t.joinable()) {
      t.join();
    }
  }
}

bool ThreadGroup::WaitAll(absl::Duration timeout) {
  bool all = false;
  {
    absl::MutexLock lock(&state_->mu);
    all = state_->mu.AwaitWithTimeout(absl::Condition(&NoneRunning, state_.get()), timeout);
  }
  Reap();
  return all;
}

size_t ThreadGroup::running() const {
  absl::MutexLock lock(&state_->mu);
  return state_->running;
}

}  // namespace vkubelet::api::internal
