// Copyright 2026 The vkubelet Authors. Licensed under the Apache License 2.0.

#include "vkubelet/testing/recording_notifier.h"

#include <set>
#include <thread>
#include <utility>

#include "absl/base/thread_annotations.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "vkubelet/internal/status_macros.h"

namespace vkubelet::testing {

struct RecordingNotifier::State {
  mutable absl::Mutex mu;
  std::vector<std::shared_ptr<const corev1::Pod>> pods ABSL_GUARDED_BY(mu);
  size_t nulls ABSL_GUARDED_BY(mu) = 0;
  std::set<std::thread::id> threads ABSL_GUARDED_BY(mu);
  std::shared_ptr<const std::function<void(const std::shared_ptr<const corev1::Pod>&)>> hook ABSL_GUARDED_BY(mu);
};

namespace {
bool Is(const corev1::Pod& p, std::string_view ns, std::string_view name) {
  return p.metadata().namespace_() == ns && p.metadata().name() == name;
}
}  // namespace

RecordingNotifier::RecordingNotifier() : state_(std::make_shared<State>()) {}
RecordingNotifier::~RecordingNotifier() = default;

PodCallback RecordingNotifier::Callback() {
  return [state = state_](std::shared_ptr<const corev1::Pod> pod) {
    std::shared_ptr<const std::function<void(const std::shared_ptr<const corev1::Pod>&)>> hook;
    {
      absl::MutexLock lock(&state->mu);
      state->threads.insert(std::this_thread::get_id());
      if (pod) {
        state->pods.push_back(pod);
      } else {
        ++state->nulls;
      }
      hook = state->hook;
    }
    if (hook && *hook) (*hook)(pod);
  };
}

std::vector<std::shared_ptr<const corev1::Pod>> RecordingNotifier::Pods() const {
  absl::MutexLock lock(&state_->mu);
  return state_->pods;
}

std::vector<std::shared_ptr<const corev1::Pod>> RecordingNotifier::PodsFor(std::string_view ns,
                                                                           std::string_view name) const {
  absl::MutexLock lock(&state_->mu);
  std::vector<std::shared_ptr<const corev1::Pod>> out;
  for (const auto& p : state_->pods) {
    if (Is(*p, ns, name)) out.push_back(p);
  }
  return out;
}

std::shared_ptr<const corev1::Pod> RecordingNotifier::Last(std::string_view ns, std::string_view name) const {
  absl::MutexLock lock(&state_->mu);
  for (auto it = state_->pods.rbegin(); it != state_->pods.rend(); ++it) {
    if (Is(**it, ns, name)) return *it;
  }
  return nullptr;
}

size_t RecordingNotifier::Count() const {
  absl::MutexLock lock(&state_->mu);
  return state_->pods.size();
}

size_t RecordingNotifier::CountFor(std::string_view ns, std::string_view name) const {
  return PodsFor(ns, name).size();
}

size_t RecordingNotifier::NullCount() const {
  absl::MutexLock lock(&state_->mu);
  return state_->nulls;
}

size_t RecordingNotifier::ThreadCount() const {
  absl::MutexLock lock(&state_->mu);
  return state_->threads.size();
}

absl::StatusOr<std::shared_ptr<const corev1::Pod>> RecordingNotifier::WaitFor(
    std::string_view ns, std::string_view name, const std::function<bool(const corev1::Pod&)>& pred,
    absl::Duration timeout) const {
  absl::MutexLock lock(&state_->mu);
  size_t checked = 0;
  std::shared_ptr<const corev1::Pod> found;
  auto done = [&]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(state_->mu) {
    for (; checked < state_->pods.size() && !found; ++checked) {
      const auto& p = state_->pods[checked];
      if (Is(*p, ns, name) && pred(*p)) found = p;
    }
    return found != nullptr;
  };
  if (!state_->mu.AwaitWithTimeout(absl::Condition(&done), timeout)) {
    return absl::DeadlineExceededError(absl::StrCat("no matching notification for pod ", ::vkubelet::internal::ToAbsl(ns), "/",
                                                    ::vkubelet::internal::ToAbsl(name), " within ",
                                                    absl::FormatDuration(timeout)));
  }
  return found;
}

absl::Status RecordingNotifier::WaitForCount(size_t n, absl::Duration timeout) const {
  absl::MutexLock lock(&state_->mu);
  auto done = [&]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(state_->mu) { return state_->pods.size() >= n; };
  if (!state_->mu.AwaitWithTimeout(absl::Condition(&done), timeout)) {
    return absl::DeadlineExceededError(absl::StrCat("only ", state_->pods.size(), " of ", n,
                                                    " notifications within ", absl::FormatDuration(timeout)));
  }
  return absl::OkStatus();
}

void RecordingNotifier::SetHook(std::function<void(const std::shared_ptr<const corev1::Pod>&)> hook) {
  auto h = hook ? std::make_shared<const std::function<void(const std::shared_ptr<const corev1::Pod>&)>>(
                      std::move(hook))
                : nullptr;
  absl::MutexLock lock(&state_->mu);
  state_->hook = std::move(h);
}

void RecordingNotifier::Clear() {
  absl::MutexLock lock(&state_->mu);
  state_->pods.clear();
  state_->nulls = 0;
  state_->threads.clear();
}

}  // namespace vkubelet::testing
