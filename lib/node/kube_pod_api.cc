// Copyright 2026 The vkubelet Authors. Licensed under the Apache License 2.0.
//
// A deliberately small list+watch for the node's pods. It will give way to
// kube::Informer<corev1::Pod> once that exists; the PodApi seam keeps the
// controller independent of either.

#include "vkubelet/node/kube_pod_api.h"

#include <algorithm>
#include <utility>

#include <nlohmann/json.hpp>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "vkubelet/errdefs.h"
#include "vkubelet/internal/status_macros.h"
#include "vkubelet/kube/codec.h"
#include "vkubelet/kube/rest_client.h"
#include "vkubelet/log.h"

namespace vkubelet::node {

using PodPtr = std::shared_ptr<const corev1::Pod>;

PodEventHandlers KubePodApi::HandlersFor(PodController* controller) {
  return {
      [controller](const PodPtr& p) { controller->OnAdd(p); },
      [controller](const PodPtr& o, const PodPtr& n) { controller->OnUpdate(o, n); },
      [controller](const PodPtr& p) { controller->OnDelete(p); },
  };
}

namespace {

std::string Key(std::string_view ns, std::string_view name) {
  return absl::StrCat(vkubelet::internal::ToAbsl(ns), "/", vkubelet::internal::ToAbsl(name));
}

std::string PodPath(std::string_view ns, std::string_view name, std::string_view sub = "") {
  std::string p = absl::StrCat("/api/v1/namespaces/", vkubelet::internal::ToAbsl(ns), "/pods/",
                               vkubelet::internal::ToAbsl(name));
  if (!sub.empty()) absl::StrAppend(&p, "/", vkubelet::internal::ToAbsl(sub));
  return p;
}

absl::StatusOr<PodPtr> DecodePod(const kube::RestResponse& resp) {
  auto type = kube::ParseContentType(resp.content_type).value_or(kube::ContentType::kJson);
  auto pod = std::make_shared<corev1::Pod>();
  VK_RETURN_IF_ERROR(kube::Decode(type, resp.body, pod.get(), "Pod"));
  return PodPtr(std::move(pod));
}

class KubePodApiImpl final : public KubePodApi {
 public:
  KubePodApiImpl(std::shared_ptr<kube::RestClient> client, KubePodApiOptions options)
      : client_(std::move(client)),
        options_(std::move(options)),
        clock_(options_.clock ? options_.clock : Clock::Real()) {}

  // --- PodApi ---------------------------------------------------------------------------

  PodPtr GetCached(std::string_view ns, std::string_view name) override {
    absl::MutexLock lock(&mu_);
    auto it = store_.find(Key(ns, name));
    return it == store_.end() ? nullptr : it->second;
  }

  std::vector<PodPtr> ListCached() override {
    absl::MutexLock lock(&mu_);
    std::vector<PodPtr> out;
    out.reserve(store_.size());
    for (const auto& [_, p] : store_) out.push_back(p);
    return out;
  }

  absl::StatusOr<PodPtr> Get(const Context& ctx, std::string_view ns, std::string_view name) override {
    kube::RestRequest req;
    req.path = PodPath(ns, name);
    VK_ASSIGN_OR_RETURN(kube::RestResponse resp, client_->Do(ctx.WithTimeout(options_.request_timeout), req));
    return DecodePod(resp);
  }

  absl::StatusOr<PodPtr> PatchStatus(const Context& ctx, std::string_view ns, std::string_view name,
                                     std::string_view patch) override {
    kube::RestRequest req;
    req.method = "PATCH";
    req.path = PodPath(ns, name, "status");
    req.body = std::string(patch);
    req.content_type = std::string(kube::kStrategicMergePatchMediaType);
    VK_ASSIGN_OR_RETURN(kube::RestResponse resp, client_->Do(ctx.WithTimeout(options_.request_timeout), req));
    return DecodePod(resp);
  }

  absl::Status Delete(const Context& ctx, std::string_view ns, std::string_view name, std::string_view uid,
                      int64_t grace_period_seconds) override {
    nlohmann::json body = {{"kind", "DeleteOptions"},
                           {"apiVersion", "v1"},
                           {"gracePeriodSeconds", grace_period_seconds}};
    if (!uid.empty()) body["preconditions"] = {{"uid", std::string(uid)}};
    kube::RestRequest req;
    req.method = "DELETE";
    req.path = PodPath(ns, name);
    req.body = body.dump();
    req.content_type = std::string(kube::kJsonMediaType);
    return client_->Do(ctx.WithTimeout(options_.request_timeout), req).status();
  }

  // --- list + watch ------------------------------------------------------------------------

  void SetHandlers(PodEventHandlers handlers) override { handlers_ = std::move(handlers); }

  void Run(const Context& ctx) override {
    absl::Duration backoff = options_.backoff_initial;
    std::string rv;
    while (!ctx.Done()) {
      if (rv.empty()) {
        auto listed = List(ctx);
        if (!listed.ok()) {
          if (ctx.Done()) return;
          log::Warning(ctx, "Listing pods failed; retrying", {{"error", listed.status()}, {"backoff", backoff}});
          if (!clock_->SleepFor(ctx, backoff).ok()) return;
          backoff = std::min(backoff * 2, options_.backoff_max);
          continue;
        }
        rv = *listed;
      }
      absl::Status s = Watch(ctx, &rv);
      if (ctx.Done()) return;
      if (errdefs::IsGone(s)) {
        rv.clear();  // re-list
        continue;
      }
      if (!s.ok()) {
        log::Warning(ctx, "Watching pods failed; retrying", {{"error", s}, {"backoff", backoff}});
        if (!clock_->SleepFor(ctx, backoff).ok()) return;
        backoff = std::min(backoff * 2, options_.backoff_max);
        // After a failure start over with a list: the server may have lost
        // history (a restart) and events may have been missed.
        rv.clear();
        continue;
      }
      backoff = options_.backoff_initial;
    }
  }

  bool WaitSynced(absl::Duration timeout) const override {
    absl::MutexLock lock(&mu_);
    return mu_.AwaitWithTimeout(absl::Condition(&synced_), timeout);
  }

  int lists() const override {
    absl::MutexLock lock(&mu_);
    return lists_;
  }

 private:
  std::vector<std::pair<std::string, std::string>> Selector() const {
    return {{"fieldSelector", absl::StrCat("spec.nodeName=", options_.node_name)}};
  }

  // Returns the list's resourceVersion.
  absl::StatusOr<std::string> List(const Context& ctx) {
    kube::RestRequest req;
    req.path = "/api/v1/pods";
    req.query = Selector();
    VK_ASSIGN_OR_RETURN(kube::RestResponse resp, client_->Do(ctx.WithTimeout(options_.request_timeout), req));
    auto type = kube::ParseContentType(resp.content_type).value_or(kube::ContentType::kJson);
    corev1::PodList list;
    VK_RETURN_IF_ERROR(kube::Decode(type, resp.body, &list, "PodList"));
    absl::flat_hash_map<std::string, PodPtr> fresh;
    for (auto& item : *list.mutable_items()) {
      auto pod = std::make_shared<corev1::Pod>(std::move(item));
      std::string key = Key(pod->metadata().namespace_(), pod->metadata().name());
      fresh[key] = std::move(pod);
    }
    std::vector<PodPtr> added, deleted;
    std::vector<std::pair<PodPtr, PodPtr>> updated;
    {
      absl::MutexLock lock(&mu_);
      for (const auto& [key, pod] : fresh) {
        auto it = store_.find(key);
        if (it == store_.end()) {
          added.push_back(pod);
        } else if (it->second->metadata().uid() != pod->metadata().uid()) {
          deleted.push_back(it->second);
          added.push_back(pod);
        } else if (it->second->metadata().resourceversion() != pod->metadata().resourceversion()) {
          updated.emplace_back(it->second, pod);
        }
      }
      for (const auto& [key, pod] : store_) {
        if (!fresh.contains(key)) deleted.push_back(pod);
      }
      store_ = std::move(fresh);
      ++lists_;
    }
    for (const auto& p : deleted) {
      if (handlers_.on_delete) handlers_.on_delete(p);
    }
    for (const auto& p : added) {
      if (handlers_.on_add) handlers_.on_add(p);
    }
    for (const auto& [o, n] : updated) {
      if (handlers_.on_update) handlers_.on_update(o, n);
    }
    {
      absl::MutexLock lock(&mu_);
      synced_ = true;
    }
    return list.metadata().resourceversion();
  }

  absl::Status Watch(const Context& ctx, std::string* rv) {
    kube::RestRequest req;
    req.path = "/api/v1/pods";
    req.query = Selector();
    req.query.emplace_back("watch", "true");
    req.query.emplace_back("resourceVersion", *rv);
    req.query.emplace_back("allowWatchBookmarks", "true");
    req.query.emplace_back("timeoutSeconds", absl::StrCat(absl::ToInt64Seconds(options_.watch_timeout)));
    VK_ASSIGN_OR_RETURN(std::unique_ptr<kube::ResponseStream> stream, client_->Stream(ctx, req));
    auto type = kube::ParseContentType(stream->content_type()).value_or(kube::ContentType::kJson);
    auto decoder = kube::WatchDecoder::Create(type, &corev1::Pod::default_instance());
    std::string buf;
    while (true) {
      buf.clear();
      VK_ASSIGN_OR_RETURN(bool more, stream->Read(&buf));
      if (!buf.empty()) decoder->Feed(buf);
      while (true) {
        VK_ASSIGN_OR_RETURN(std::optional<kube::DecodedWatchEvent> ev, decoder->Next());
        if (!ev) break;
        VK_RETURN_IF_ERROR(Apply(*ev, rv));
      }
      if (!more) return absl::OkStatus();
    }
  }

  absl::Status Apply(kube::DecodedWatchEvent& ev, std::string* rv) {
    if (ev.type == kube::kWatchError) {
      auto* status = dynamic_cast<metav1::Status*>(ev.object.get());
      if (status != nullptr) return errdefs::FromKubernetesStatus(*status, status->code());
      return errdefs::Gone("watch error");
    }
    auto* raw = dynamic_cast<corev1::Pod*>(ev.object.get());
    if (raw == nullptr) return errdefs::Internal("watch event without a pod");
    if (!raw->metadata().resourceversion().empty()) *rv = raw->metadata().resourceversion();
    if (ev.type == kube::kWatchBookmark) return absl::OkStatus();
    auto pod = std::make_shared<corev1::Pod>(std::move(*raw));
    const std::string key = Key(pod->metadata().namespace_(), pod->metadata().name());
    PodPtr old;
    {
      absl::MutexLock lock(&mu_);
      auto it = store_.find(key);
      if (it != store_.end()) old = it->second;
      if (ev.type == kube::kWatchDeleted) {
        store_.erase(key);
      } else {
        store_[key] = pod;
      }
    }
    if (ev.type == kube::kWatchDeleted) {
      if (handlers_.on_delete) handlers_.on_delete(pod);
    } else if (old == nullptr) {
      if (handlers_.on_add) handlers_.on_add(pod);
    } else {
      if (handlers_.on_update) handlers_.on_update(old, pod);
    }
    return absl::OkStatus();
  }

  std::shared_ptr<kube::RestClient> client_;
  KubePodApiOptions options_;
  const Clock* clock_;
  PodEventHandlers handlers_;

  mutable absl::Mutex mu_;
  absl::flat_hash_map<std::string, PodPtr> store_ ABSL_GUARDED_BY(mu_);
  bool synced_ ABSL_GUARDED_BY(mu_) = false;
  int lists_ ABSL_GUARDED_BY(mu_) = 0;
};

}  // namespace

std::unique_ptr<KubePodApi> NewKubePodApi(std::shared_ptr<kube::RestClient> client, KubePodApiOptions options) {
  return std::make_unique<KubePodApiImpl>(std::move(client), std::move(options));
}

}  // namespace vkubelet::node
