// Copyright 2026 The vkubelet Authors. Licensed under the Apache License 2.0.

#include "examples/minimal/minimal_provider.h"

#include "absl/strings/str_cat.h"
#include "vkubelet/errdefs.h"

namespace vkubelet::examples {
namespace {

void SetTime(absl::Time t, metav1::Time* out) { out->set_seconds(absl::ToUnixSeconds(t)); }

// A copy of `pod` whose containers all run since `now`: what GetPod returns
// and what the SDK writes to the API server's pod status.
std::shared_ptr<const corev1::Pod> Running(const corev1::Pod& pod, const std::string& ip, absl::Time now) {
  auto out = std::make_shared<corev1::Pod>(pod);
  corev1::PodStatus* st = out->mutable_status();
  st->set_phase("Running");
  st->set_hostip(ip);
  st->set_podip(ip);
  st->add_podips()->set_ip(ip);
  SetTime(now, st->mutable_starttime());
  st->clear_conditions();
  for (const char* type : {"PodScheduled", "Initialized", "ContainersReady", "Ready"}) {
    corev1::PodCondition* c = st->add_conditions();
    c->set_type(type);
    c->set_status("True");
    SetTime(now, c->mutable_lasttransitiontime());
  }
  st->clear_containerstatuses();
  for (const corev1::Container& c : pod.spec().containers()) {
    corev1::ContainerStatus* cs = st->add_containerstatuses();
    cs->set_name(c.name());
    cs->set_image(c.image());
    cs->set_ready(true);
    cs->set_started(true);
    SetTime(now, cs->mutable_state()->mutable_running()->mutable_startedat());
  }
  return out;
}

// The same pod after its containers stopped: DeletePod reports this, so the
// SDK knows the pod is gone and removes it from the API server at once.
std::shared_ptr<const corev1::Pod> Stopped(const corev1::Pod& running, absl::Time now) {
  auto out = std::make_shared<corev1::Pod>(running);
  corev1::PodStatus* st = out->mutable_status();
  st->set_phase("Succeeded");
  for (corev1::PodCondition& c : *st->mutable_conditions()) {
    if (c.type() == "Ready" || c.type() == "ContainersReady") c.set_status("False");
  }
  for (corev1::ContainerStatus& cs : *st->mutable_containerstatuses()) {
    metav1::Time started = cs.state().running().startedat();
    cs.set_ready(false);
    cs.set_started(false);
    corev1::ContainerStateTerminated* t = cs.mutable_state()->mutable_terminated();
    cs.mutable_state()->clear_running();
    t->set_exitcode(0);
    t->set_reason("Completed");
    *t->mutable_startedat() = started;
    SetTime(now, t->mutable_finishedat());
  }
  return out;
}

}  // namespace

std::unique_ptr<MinimalProvider> MinimalProvider::Create(const MinimalProviderConfig& config) {
  return std::unique_ptr<MinimalProvider>(new MinimalProvider(config));
}

MinimalProvider::MinimalProvider(const MinimalProviderConfig& config)
    : ip_(config.internal_ip), clock_(config.clock != nullptr ? config.clock : Clock::Real()) {}

absl::Status MinimalProvider::CreatePod(const Context&, const corev1::Pod& pod) {
  auto running = Running(pod, ip_, clock_->Now());
  Callback notify;
  {
    absl::MutexLock lock(&mu_);
    auto [it, inserted] = pods_.try_emplace({pod.metadata().namespace_(), pod.metadata().name()}, running);
    if (!inserted) return errdefs::AlreadyExists(absl::StrCat("pod ", pod.metadata().name(), " exists"));
    notify = notify_;
  }
  // Never call back into the SDK with a lock held: the callback may call us.
  if (notify) notify(running);
  return absl::OkStatus();
}

absl::Status MinimalProvider::UpdatePod(const Context&, const corev1::Pod& pod) {
  std::shared_ptr<const corev1::Pod> current;
  Callback notify;
  {
    absl::MutexLock lock(&mu_);
    auto it = pods_.find({pod.metadata().namespace_(), pod.metadata().name()});
    if (it == pods_.end()) return errdefs::NotFound(absl::StrCat("pod ", pod.metadata().name(), " is unknown"));
    // Keep the status we report; take the new labels, annotations, images, ...
    auto updated = std::make_shared<corev1::Pod>(pod);
    *updated->mutable_status() = it->second->status();
    it->second = std::move(updated);
    current = it->second;
    notify = notify_;
  }
  // The contract asks for a notification after every accepted change, so the
  // SDK compares the pod again; never with the lock held.
  if (notify) notify(current);
  return absl::OkStatus();
}

absl::Status MinimalProvider::DeletePod(const Context&, const corev1::Pod& pod) {
  std::shared_ptr<const corev1::Pod> stopped;
  Callback notify;
  {
    absl::MutexLock lock(&mu_);
    auto it = pods_.find({pod.metadata().namespace_(), pod.metadata().name()});
    // NotFound tells the SDK the pod is already gone (DeletePod may be repeated).
    if (it == pods_.end())
      return errdefs::NotFound(absl::StrCat("pod ", pod.metadata().name(), " is unknown"));
    stopped = Stopped(*it->second, clock_->Now());
    pods_.erase(it);
    notify = notify_;
  }
  if (notify) notify(stopped);
  return absl::OkStatus();
}

absl::StatusOr<std::shared_ptr<const corev1::Pod>> MinimalProvider::GetPod(const Context&,
                                                                           std::string_view ns,
                                                                           std::string_view name) {
  absl::MutexLock lock(&mu_);
  auto it = pods_.find({std::string(ns), std::string(name)});
  if (it == pods_.end()) return errdefs::NotFound(absl::StrCat("pod ", std::string(name), " is unknown"));
  return it->second;
}

absl::StatusOr<std::shared_ptr<const corev1::PodStatus>> MinimalProvider::GetPodStatus(
    const Context& ctx, std::string_view ns, std::string_view name) {
  auto pod = GetPod(ctx, ns, name);
  if (!pod.ok()) return pod.status();
  const corev1::PodStatus* status = &(*pod)->status();
  return std::shared_ptr<const corev1::PodStatus>(*std::move(pod), status);  // shares the pod's lifetime
}

absl::StatusOr<std::vector<std::shared_ptr<const corev1::Pod>>> MinimalProvider::GetPods(const Context&) {
  absl::MutexLock lock(&mu_);
  std::vector<std::shared_ptr<const corev1::Pod>> out;
  for (const auto& [key, pod] : pods_) out.push_back(pod);
  return out;
}

void MinimalProvider::NotifyPods(const Context&, Callback callback) {
  absl::MutexLock lock(&mu_);
  notify_ = std::move(callback);
}

}  // namespace vkubelet::examples
