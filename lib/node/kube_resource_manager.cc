// Copyright 2026 The vkubelet Authors. Licensed under the Apache License 2.0.

#include "vkubelet/node/kube_resource_manager.h"

#include <utility>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "vkubelet/errdefs.h"
#include "vkubelet/internal/status_macros.h"
#include "vkubelet/kube/codec.h"
#include "vkubelet/kube/rest_client.h"

namespace vkubelet::node {

namespace {

using vkubelet::internal::ToAbsl;

std::string Key(std::string_view kind, std::string_view ns, std::string_view name) {
  return absl::StrCat(ToAbsl(kind), "/", ToAbsl(ns), "/", ToAbsl(name));
}

// Every Secret/ConfigMap a pod references (env, envFrom, volumes, projections).
void References(const corev1::Pod& pod, absl::flat_hash_set<std::string>* out) {
  const std::string& ns = pod.metadata().namespace_();
  auto add = [&](std::string_view kind, const std::string& name) {
    if (!name.empty()) out->insert(Key(kind, ns, name));
  };
  auto containers = [&](const auto& list) {
    for (const auto& c : list) {
      for (const auto& f : c.envfrom()) {
        if (f.has_configmapref()) add("configmaps", f.configmapref().localobjectreference().name());
        if (f.has_secretref()) add("secrets", f.secretref().localobjectreference().name());
      }
      for (const auto& e : c.env()) {
        if (e.valuefrom().has_configmapkeyref()) add("configmaps", e.valuefrom().configmapkeyref().localobjectreference().name());
        if (e.valuefrom().has_secretkeyref()) add("secrets", e.valuefrom().secretkeyref().localobjectreference().name());
      }
    }
  };
  containers(pod.spec().containers());
  containers(pod.spec().initcontainers());
  for (const auto& e : pod.spec().ephemeralcontainers()) {
    google::protobuf::RepeatedPtrField<corev1::EphemeralContainerCommon> one;
    *one.Add() = e.ephemeralcontainercommon();
    containers(one);
  }
  for (const auto& v : pod.spec().volumes()) {
    const auto& src = v.volumesource();
    if (src.has_configmap()) add("configmaps", src.configmap().localobjectreference().name());
    if (src.has_secret()) add("secrets", src.secret().secretname());
    if (src.has_projected()) {
      for (const auto& p : src.projected().sources()) {
        if (p.has_configmap()) add("configmaps", p.configmap().localobjectreference().name());
        if (p.has_secret()) add("secrets", p.secret().localobjectreference().name());
      }
    }
  }
  for (const auto& s : pod.spec().imagepullsecrets()) add("secrets", s.name());
}

class KubeResourceManagerImpl final : public KubeResourceManager {
 public:
  KubeResourceManagerImpl(std::shared_ptr<kube::RestClient> client, PodApi* pods, KubeResourceManagerOptions o)
      : client_(std::move(client)), pods_(pods), options_(std::move(o)),
        clock_(options_.clock ? options_.clock : Clock::Real()) {}

  absl::StatusOr<std::shared_ptr<const corev1::Secret>> GetSecret(const Context& ctx, std::string_view ns,
                                                                  std::string_view name) override {
    VK_ASSIGN_OR_RETURN(auto m, GetObject<corev1::Secret>(ctx, "secrets", "Secret", ns, name));
    return std::static_pointer_cast<const corev1::Secret>(m);
  }

  absl::StatusOr<std::shared_ptr<const corev1::ConfigMap>> GetConfigMap(const Context& ctx, std::string_view ns,
                                                                        std::string_view name) override {
    VK_ASSIGN_OR_RETURN(auto m, GetObject<corev1::ConfigMap>(ctx, "configmaps", "ConfigMap", ns, name));
    return std::static_pointer_cast<const corev1::ConfigMap>(m);
  }

  absl::StatusOr<std::vector<std::shared_ptr<const corev1::Service>>> ListServices(const Context& ctx,
                                                                                  std::string_view ns) override {
    std::vector<std::shared_ptr<const corev1::Service>> out;
    VK_ASSIGN_OR_RETURN(auto own, ServicesOf(ctx, ns));
    out = own;
    if (ns != options_.master_service_namespace) {
      VK_ASSIGN_OR_RETURN(auto master, ServicesOf(ctx, options_.master_service_namespace));
      for (const auto& s : master) {
        if (s->metadata().name() == "kubernetes") out.push_back(s);
      }
    }
    return out;
  }

  std::vector<std::shared_ptr<const corev1::Pod>> GetPods() override { return pods_->ListCached(); }

  void Release() override {
    absl::flat_hash_set<std::string> referenced;
    for (const auto& p : pods_->ListCached()) {
      if (p) References(*p, &referenced);
    }
    absl::MutexLock lock(&mu_);
    for (auto it = objects_.begin(); it != objects_.end();) {
      if (!referenced.contains(it->first)) {
        objects_.erase(it++);
        ++stats_.released;
      } else {
        ++it;
      }
    }
    last_release_ = clock_->Now();
  }

  ResourceManagerStats GetStats() const override {
    absl::MutexLock lock(&mu_);
    ResourceManagerStats s = stats_;
    s.cached = objects_.size();
    return s;
  }

 private:
  struct Entry {
    std::shared_ptr<const google::protobuf::Message> object;
    absl::Time fetched;
  };

  template <typename T>
  absl::StatusOr<std::shared_ptr<const google::protobuf::Message>> GetObject(const Context& ctx,
                                                                             std::string_view resource,
                                                                             std::string_view kind,
                                                                             std::string_view ns,
                                                                             std::string_view name) {
    const std::string key = Key(resource, ns, name);
    bool release = false;
    {
      absl::MutexLock lock(&mu_);
      const absl::Time now = clock_->Now();
      release = now - last_release_ >= options_.ttl;
      auto it = objects_.find(key);
      if (it != objects_.end() && now - it->second.fetched < options_.ttl) {
        ++stats_.hits;
        return it->second.object;
      }
    }
    if (release) Release();
    kube::RestRequest req;
    req.path = absl::StrCat("/api/v1/namespaces/", ToAbsl(ns), "/", ToAbsl(resource), "/", ToAbsl(name));
    auto resp = client_->Do(ctx.WithTimeout(options_.request_timeout), req);
    {
      absl::MutexLock lock(&mu_);
      ++stats_.gets;
    }
    if (!resp.ok()) {
      if (errdefs::IsNotFound(resp.status())) {
        absl::MutexLock lock(&mu_);
        objects_.erase(key);
      }
      return resp.status();
    }
    auto type = kube::ParseContentType(resp->content_type).value_or(kube::ContentType::kJson);
    auto obj = std::make_shared<T>();
    VK_RETURN_IF_ERROR(kube::Decode(type, resp->body, obj.get(), kind));
    absl::MutexLock lock(&mu_);
    objects_[key] = Entry{obj, clock_->Now()};
    return std::shared_ptr<const google::protobuf::Message>(obj);
  }

  absl::StatusOr<std::vector<std::shared_ptr<const corev1::Service>>> ServicesOf(const Context& ctx,
                                                                                std::string_view ns) {
    const std::string key(ns);
    {
      absl::MutexLock lock(&mu_);
      auto it = services_.find(key);
      if (it != services_.end() && clock_->Now() - it->second.fetched < options_.ttl) return it->second.items;
    }
    kube::RestRequest req;
    req.path = absl::StrCat("/api/v1/namespaces/", ToAbsl(ns), "/services");
    VK_ASSIGN_OR_RETURN(kube::RestResponse resp, client_->Do(ctx.WithTimeout(options_.request_timeout), req));
    auto type = kube::ParseContentType(resp.content_type).value_or(kube::ContentType::kJson);
    corev1::ServiceList list;
    VK_RETURN_IF_ERROR(kube::Decode(type, resp.body, &list, "ServiceList"));
    std::vector<std::shared_ptr<const corev1::Service>> items;
    for (auto& s : *list.mutable_items()) items.push_back(std::make_shared<corev1::Service>(std::move(s)));
    absl::MutexLock lock(&mu_);
    ++stats_.lists;
    services_[key] = {items, clock_->Now()};
    return items;
  }

  struct ServiceEntry {
    std::vector<std::shared_ptr<const corev1::Service>> items;
    absl::Time fetched;
  };

  std::shared_ptr<kube::RestClient> client_;
  PodApi* pods_;
  KubeResourceManagerOptions options_;
  const Clock* clock_;
  mutable absl::Mutex mu_;
  absl::flat_hash_map<std::string, Entry> objects_ ABSL_GUARDED_BY(mu_);
  absl::flat_hash_map<std::string, ServiceEntry> services_ ABSL_GUARDED_BY(mu_);
  absl::Time last_release_ ABSL_GUARDED_BY(mu_) = absl::InfinitePast();
  ResourceManagerStats stats_ ABSL_GUARDED_BY(mu_);
};

}  // namespace

std::unique_ptr<KubeResourceManager> NewKubeResourceManager(std::shared_ptr<kube::RestClient> client, PodApi* pods,
                                                            KubeResourceManagerOptions options) {
  return std::make_unique<KubeResourceManagerImpl>(std::move(client), pods, std::move(options));
}

}  // namespace vkubelet::node
