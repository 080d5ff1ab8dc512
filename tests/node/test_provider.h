// Copyright 2026 The vkubelet Authors. Licensed under the Apache License 2.0.
//
// A thread-safe in-memory provider for the pod controller tests, with call
// counts and failure injection. NotifyingTestProvider adds PodNotifier.

#ifndef VKUBELET_TESTS_NODE_TEST_PROVIDER_H_
#define VKUBELET_TESTS_NODE_TEST_PROVIDER_H_

#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "vkubelet/errdefs.h"
#include "vkubelet/provider.h"

namespace vkubelet::test {

class TestProvider : public PodLifecycleHandler {
 public:
  using PodPtr = std::shared_ptr<const corev1::Pod>;

  absl::Status CreatePod(const Context&, const corev1::Pod& pod) override {
    PodPtr notify;
    {
      absl::MutexLock lock(&mu_);
      const std::string key = Key(pod);
      ++creates_[key];
      if (!create_error_.ok()) return create_error_;
      if (pods_.count(key)) return errdefs::AlreadyExists(key);
      auto p = std::make_shared<corev1::Pod>(pod);
      auto* st = p->mutable_status();
      st->Clear();
      st->set_phase("Running");
      st->set_hostip("1.2.3.4");
      st->set_podip("5.6.7.8");
      st->mutable_starttime()->set_seconds(1700000000);
      for (const char* type : {"Initialized", "Ready", "PodScheduled"}) {
        auto* c = st->add_conditions();
        c->set_type(type);
        c->set_status("True");
      }
      for (const auto& c : pod.spec().containers()) {
        auto* cs = st->add_containerstatuses();
        cs->set_name(c.name());
        cs->set_image(c.image());
        cs->set_ready(true);
        cs->mutable_state()->mutable_running()->mutable_startedat()->set_seconds(1700000000);
      }
      pods_[key] = p;
      notify = p;
    }
    Notify(notify);
    return absl::OkStatus();
  }

  absl::Status UpdatePod(const Context&, const corev1::Pod& pod) override {
    PodPtr notify;
    {
      absl::MutexLock lock(&mu_);
      const std::string key = Key(pod);
      ++updates_[key];
      auto it = pods_.find(key);
      if (it == pods_.end()) return errdefs::NotFound(key);
      auto p = std::make_shared<corev1::Pod>(pod);
      *p->mutable_status() = it->second->status();
      it->second = p;
      notify = p;
    }
    Notify(notify);
    return absl::OkStatus();
  }

  absl::Status DeletePod(const Context&, const corev1::Pod& pod) override {
    PodPtr notify;
    {
      absl::MutexLock lock(&mu_);
      const std::string key = Key(pod);
      ++deletes_[key];
      if (!delete_error_.ok()) return delete_error_;
      auto it = pods_.find(key);
      if (it == pods_.end()) return errdefs::NotFound(absl::StrCat("pod ", key, " is not known to the provider"));
      auto p = std::make_shared<corev1::Pod>(*it->second);
      pods_.erase(it);
      auto* st = p->mutable_status();
      st->set_phase("Succeeded");
      st->set_reason("ProviderPodDeleted");
      for (auto& cs : *st->mutable_containerstatuses()) {
        auto started = cs.state().running().startedat();
        cs.mutable_state()->Clear();
        cs.mutable_state()->mutable_terminated()->set_reason("ProviderPodContainerDeleted");
        *cs.mutable_state()->mutable_terminated()->mutable_startedat() = started;
        cs.set_ready(false);
      }
      notify = p;
    }
    Notify(notify);
    return absl::OkStatus();
  }

  absl::StatusOr<PodPtr> GetPod(const Context&, std::string_view ns, std::string_view name) override {
    absl::MutexLock lock(&mu_);
    auto it = pods_.find(absl::StrCat(std::string(ns), "/", std::string(name)));
    if (it == pods_.end()) return errdefs::NotFound("not known to the provider");
    return it->second;
  }

  absl::StatusOr<std::shared_ptr<const corev1::PodStatus>> GetPodStatus(const Context&, std::string_view ns,
                                                                        std::string_view name) override {
    absl::MutexLock lock(&mu_);
    auto it = pods_.find(absl::StrCat(std::string(ns), "/", std::string(name)));
    if (it == pods_.end()) return errdefs::NotFound("not known to the provider");
    return std::make_shared<const corev1::PodStatus>(it->second->status());
  }

  absl::StatusOr<std::vector<PodPtr>> GetPods(const Context&) override {
    absl::MutexLock lock(&mu_);
    std::vector<PodPtr> out;
    for (const auto& [_, p] : pods_) out.push_back(p);
    return out;
  }

  // --- Test controls ---------------------------------------------------------------------
  void Put(const corev1::Pod& pod) {
    absl::MutexLock lock(&mu_);
    pods_[Key(pod)] = std::make_shared<corev1::Pod>(pod);
  }
  // Changes the provider's copy (status) and notifies, like a backend event.
  void Mutate(const std::string& key, const std::function<void(corev1::Pod*)>& fn) {
    PodPtr notify;
    {
      absl::MutexLock lock(&mu_);
      auto it = pods_.find(key);
      if (it == pods_.end()) return;
      auto p = std::make_shared<corev1::Pod>(*it->second);
      fn(p.get());
      it->second = p;
      notify = p;
    }
    Notify(notify);
  }
  void SetCreateError(absl::Status s) {
    absl::MutexLock lock(&mu_);
    create_error_ = std::move(s);
  }
  void SetDeleteError(absl::Status s) {
    absl::MutexLock lock(&mu_);
    delete_error_ = std::move(s);
  }
  void Forget(const std::string& key) {
    absl::MutexLock lock(&mu_);
    pods_.erase(key);
  }
  bool Has(const std::string& key) {
    absl::MutexLock lock(&mu_);
    return pods_.count(key) > 0;
  }
  size_t size() {
    absl::MutexLock lock(&mu_);
    return pods_.size();
  }
  PodPtr Pod(const std::string& key) {
    absl::MutexLock lock(&mu_);
    auto it = pods_.find(key);
    return it == pods_.end() ? nullptr : it->second;
  }
  int creates(const std::string& key) {
    absl::MutexLock lock(&mu_);
    return creates_[key];
  }
  int updates(const std::string& key) {
    absl::MutexLock lock(&mu_);
    return updates_[key];
  }
  int deletes(const std::string& key) {
    absl::MutexLock lock(&mu_);
    return deletes_[key];
  }
  std::map<std::string, int> all_creates() {
    absl::MutexLock lock(&mu_);
    return creates_;
  }

 protected:
  virtual void Notify(const PodPtr&) {}
  static std::string Key(const corev1::Pod& pod) {
    return absl::StrCat(pod.metadata().namespace_(), "/", pod.metadata().name());
  }

  absl::Mutex mu_;
  std::map<std::string, PodPtr> pods_ ABSL_GUARDED_BY(mu_);
  std::map<std::string, int> creates_ ABSL_GUARDED_BY(mu_);
  std::map<std::string, int> updates_ ABSL_GUARDED_BY(mu_);
  std::map<std::string, int> deletes_ ABSL_GUARDED_BY(mu_);
  absl::Status create_error_ ABSL_GUARDED_BY(mu_);
  absl::Status delete_error_ ABSL_GUARDED_BY(mu_);
};

class NotifyingTestProvider : public TestProvider, public PodNotifier {
 public:
  void NotifyPods(const Context&, std::function<void(std::shared_ptr<const corev1::Pod>)> callback) override {
    absl::MutexLock lock(&cb_mu_);
    callback_ = std::move(callback);
  }

 protected:
  void Notify(const PodPtr& pod) override {
    std::function<void(std::shared_ptr<const corev1::Pod>)> cb;
    {
      absl::MutexLock lock(&cb_mu_);
      cb = callback_;
    }
    if (cb && pod) cb(pod);
  }

 private:
  absl::Mutex cb_mu_;
  std::function<void(std::shared_ptr<const corev1::Pod>)> callback_ ABSL_GUARDED_BY(cb_mu_);
};

}  // namespace vkubelet::test

#endif  // VKUBELET_TESTS_NODE_TEST_PROVIDER_H_
