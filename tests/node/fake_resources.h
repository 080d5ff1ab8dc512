// Copyright 2026 The vkubelet Authors. Licensed under the Apache License 2.0.
//
// An in-memory ResourceManager for the node tests, with per-object errors.

#ifndef VKUBELET_TESTS_NODE_FAKE_RESOURCES_H_
#define VKUBELET_TESTS_NODE_FAKE_RESOURCES_H_

#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/synchronization/mutex.h"
#include "vkubelet/errdefs.h"
#include "vkubelet/resource_manager.h"

namespace vkubelet::test {

class FakeResources : public ResourceManager {
 public:
  void AddConfigMap(const std::string& ns, const std::string& name, std::map<std::string, std::string> data) {
    auto cm = std::make_shared<corev1::ConfigMap>();
    cm->mutable_metadata()->set_namespace_(ns);
    cm->mutable_metadata()->set_name(name);
    for (auto& [k, v] : data) (*cm->mutable_data())[k] = v;
    absl::MutexLock lock(&mu_);
    config_maps_[ns + "/" + name] = cm;
  }
  void AddSecret(const std::string& ns, const std::string& name, std::map<std::string, std::string> data) {
    auto s = std::make_shared<corev1::Secret>();
    s->mutable_metadata()->set_namespace_(ns);
    s->mutable_metadata()->set_name(name);
    for (auto& [k, v] : data) (*s->mutable_data())[k] = v;
    absl::MutexLock lock(&mu_);
    secrets_[ns + "/" + name] = s;
  }
  void AddService(const std::string& ns, const std::string& name, const std::string& ip,
                  std::vector<std::pair<std::string, int>> ports) {
    auto s = std::make_shared<corev1::Service>();
    s->mutable_metadata()->set_namespace_(ns);
    s->mutable_metadata()->set_name(name);
    s->mutable_spec()->set_clusterip(ip);
    for (auto& [pname, port] : ports) {
      auto* p = s->mutable_spec()->add_ports();
      if (!pname.empty()) p->set_name(pname);
      p->set_port(port);
      p->set_protocol("TCP");
    }
    absl::MutexLock lock(&mu_);
    services_.push_back(s);
  }
  // Makes every read of ns/name (ConfigMap or Secret) fail with `error`.
  void FailReads(const std::string& ns, const std::string& name, absl::Status error) {
    absl::MutexLock lock(&mu_);
    errors_[ns + "/" + name] = std::move(error);
  }
  int reads() const {
    absl::MutexLock lock(&mu_);
    return reads_;
  }

  absl::StatusOr<std::shared_ptr<const corev1::Secret>> GetSecret(const Context&, std::string_view ns,
                                                                  std::string_view name) override {
    absl::MutexLock lock(&mu_);
    ++reads_;
    std::string key = std::string(ns) + "/" + std::string(name);
    if (auto e = errors_.find(key); e != errors_.end()) return e->second;
    auto it = secrets_.find(key);
    if (it == secrets_.end()) return errdefs::NotFound("secrets \"" + std::string(name) + "\" not found");
    return std::shared_ptr<const corev1::Secret>(it->second);
  }
  absl::StatusOr<std::shared_ptr<const corev1::ConfigMap>> GetConfigMap(const Context&, std::string_view ns,
                                                                        std::string_view name) override {
    absl::MutexLock lock(&mu_);
    ++reads_;
    std::string key = std::string(ns) + "/" + std::string(name);
    if (auto e = errors_.find(key); e != errors_.end()) return e->second;
    auto it = config_maps_.find(key);
    if (it == config_maps_.end()) return errdefs::NotFound("configmaps \"" + std::string(name) + "\" not found");
    return std::shared_ptr<const corev1::ConfigMap>(it->second);
  }
  absl::StatusOr<std::vector<std::shared_ptr<const corev1::Service>>> ListServices(const Context&,
                                                                                  std::string_view ns) override {
    absl::MutexLock lock(&mu_);
    std::vector<std::shared_ptr<const corev1::Service>> out;
    for (const auto& s : services_) {
      if (s->metadata().namespace_() == ns ||
          (s->metadata().namespace_() == "default" && s->metadata().name() == "kubernetes")) {
        out.push_back(s);
      }
    }
    return out;
  }
  std::vector<std::shared_ptr<const corev1::Pod>> GetPods() override { return {}; }

 private:
  mutable absl::Mutex mu_;
  std::map<std::string, std::shared_ptr<corev1::ConfigMap>> config_maps_ ABSL_GUARDED_BY(mu_);
  std::map<std::string, std::shared_ptr<corev1::Secret>> secrets_ ABSL_GUARDED_BY(mu_);
  std::vector<std::shared_ptr<corev1::Service>> services_ ABSL_GUARDED_BY(mu_);
  std::map<std::string, absl::Status> errors_ ABSL_GUARDED_BY(mu_);
  int reads_ ABSL_GUARDED_BY(mu_) = 0;
};

}  // namespace vkubelet::test

#endif  // VKUBELET_TESTS_NODE_FAKE_RESOURCES_H_
