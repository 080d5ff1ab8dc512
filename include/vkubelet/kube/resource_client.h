// Copyright 2026 The vkubelet Authors. Licensed under the Apache License 2.0.
//
// ResourceClient<T>: typed verbs on one kind of API object (any T with a
// Resource<T> trait: Pod, Node, Namespace, ConfigMap, Secret, Service, Event
// (core/v1 and events.k8s.io/v1), ServiceAccount, Endpoints, Lease,
// TokenReview, SubjectAccessReview).
//
//   kube::ResourceClient<corev1::Pod> pods(rest_client);
//   VK_ASSIGN_OR_RETURN(corev1::Pod pod, pods.Get(ctx, "default", "nginx"));
//   VK_ASSIGN_OR_RETURN(corev1::PodList mine,
//                       pods.List(ctx, "", {.field_selector = "spec.nodeName=vk-1"}));
//   VK_RETURN_IF_ERROR(pods.Patch(ctx, "default", "nginx", PatchType::kStrategicMerge, patch,
//                                 {.subresource = "status"}).status());
//
// Wire: protobuf bodies unless the RestClient is configured for JSON; the
// response is decoded in whatever encoding the server chose. A server that
// refuses protobuf for this resource (406/415) makes the client switch this
// resource to JSON for good. PATCH bodies are JSON with the patch media type.
//
// Namespaces: pass "" for cluster-scoped kinds (and for "all namespaces" in
// List/Watch). Create/Update take the namespace from the object's metadata.
//
// Errors: absl::Status from the server's meta/v1 Status (errdefs predicates:
// IsNotFound, IsConflict, IsAlreadyExists, IsGone, ...), transport errors as
// Unavailable, Context errors. Copyable and cheap (shares the RestClient);
// thread-safe.

#ifndef VKUBELET_KUBE_RESOURCE_CLIENT_H_
#define VKUBELET_KUBE_RESOURCE_CLIENT_H_

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "google/protobuf/message.h"
#include "vkubelet/context.h"
#include "vkubelet/kube/resource.h"
#include "vkubelet/kube/rest_client.h"
#include "vkubelet/kube/watch.h"

namespace vkubelet::kube {

struct GetOptions {
  std::string resource_version;  // "" = most recent, "0" = any (cache)
};

struct ListOptions {
  std::string label_selector;  // "app=web,tier!=db", "env in (a,b)"
  std::string field_selector;  // "spec.nodeName=vk-1"
  std::string resource_version;
  std::string resource_version_match;  // "", "NotOlderThan", "Exact"
  // Page size. List() follows `continue` transparently; ListPage() returns
  // one page. 0 asks for everything in one response.
  int64_t limit = 500;
  std::string continue_token;  // ListPage only
};

struct WatchOptions {
  std::string label_selector;
  std::string field_selector;
  // Start after this version ("" = synthetic ADDED for every existing
  // object, then changes; "0" = same, from the cache).
  std::string resource_version;
  bool allow_bookmarks = true;
  // timeoutSeconds: the server ends the watch after this long (whole seconds);
  // zero lets the server choose (30-60 min).
  absl::Duration timeout = absl::ZeroDuration();
};

struct CreateOptions {
  bool dry_run = false;
  std::string field_manager;
  std::string field_validation;  // "", "Ignore", "Warn", "Strict"
};
using UpdateOptions = CreateOptions;

enum class PatchType {
  kJson,            // application/json-patch+json (RFC 6902)
  kMerge,           // application/merge-patch+json (RFC 7386)
  kStrategicMerge,  // application/strategic-merge-patch+json (built-in kinds only)
  kApply,           // application/apply-patch+yaml (server-side apply; needs field_manager)
};
std::string_view PatchMediaType(PatchType type);

struct PatchOptions {
  std::string subresource;  // "" or "status" (or any subresource that accepts PATCH)
  std::string field_manager;
  bool force = false;  // server-side apply only
  bool dry_run = false;
  std::string field_validation;
};

struct DeleteOptions {
  std::optional<int64_t> grace_period_seconds;  // unset: the object's default (pods: terminationGracePeriodSeconds)
  std::string precondition_uid;                 // 409 Conflict if the object's uid differs
  std::string precondition_resource_version;
  std::string propagation_policy;  // "", "Orphan", "Background", "Foreground"
  bool dry_run = false;
};

namespace internal {

// The non-template part of ResourceClient<T>, working on protobuf messages of
// the resource's type. Thread-safe.
class ResourceCore {
 public:
  ResourceCore(std::shared_ptr<RestClient> client, const ResourceInfo& info);

  const ResourceInfo& info() const { return info_; }
  const std::shared_ptr<RestClient>& rest_client() const { return client_; }

  absl::Status Get(const Context& ctx, std::string_view ns, std::string_view name, const GetOptions& options,
                   google::protobuf::Message* out);
  // One page into `out` (the list type).
  absl::Status ListPage(const Context& ctx, std::string_view ns, const ListOptions& options,
                        google::protobuf::Message* out);
  // Every page, concatenated into `out`. A continue token that expired (410)
  // restarts the list without paging, like client-go's pager.
  absl::Status ListAll(const Context& ctx, std::string_view ns, const ListOptions& options,
                       google::protobuf::Message* out);
  // Every page, handing each item to `fn` as it is decoded (memory: one page
  // at a time). `list_meta` receives the last page's metadata. Errors from
  // `fn` stop the list. A 410 on a later page is returned (callers re-list).
  absl::Status ListEach(const Context& ctx, std::string_view ns, const ListOptions& options,
                        const std::function<absl::Status(std::unique_ptr<google::protobuf::Message>)>& fn,
                        metav1::ListMeta* list_meta);
  absl::StatusOr<std::unique_ptr<WatchStream>> Watch(const Context& ctx, std::string_view ns,
                                                     const WatchOptions& options);
  absl::Status Create(const Context& ctx, std::string_view ns, const google::protobuf::Message& obj,
                      const CreateOptions& options, google::protobuf::Message* out);
  absl::Status Update(const Context& ctx, std::string_view ns, std::string_view name, std::string_view subresource,
                      const google::protobuf::Message& obj, const UpdateOptions& options,
                      google::protobuf::Message* out);
  absl::Status Patch(const Context& ctx, std::string_view ns, std::string_view name, PatchType type,
                     std::string_view patch, const PatchOptions& options, google::protobuf::Message* out);
  // True when the server returned the object (into `out`), false when it
  // returned a Status.
  absl::StatusOr<bool> Delete(const Context& ctx, std::string_view ns, std::string_view name,
                              const DeleteOptions& options, google::protobuf::Message* out);

  // True once this resource fell back to JSON (or the client is JSON-only).
  bool json() const;

 private:
  absl::StatusOr<RestResponse> Send(const Context& ctx, RestRequest request,
                                    const google::protobuf::Message* body_obj);
  absl::Status DecodeInto(const RestResponse& resp, std::string_view expected_kind,
                          google::protobuf::Message* out, TypeMeta* type_meta = nullptr);
  absl::Status CheckNamespace(std::string_view ns) const;

  std::shared_ptr<RestClient> client_;
  const ResourceInfo& info_;
  std::atomic<bool> json_only_;
};

}  // namespace internal

template <typename T>
class ResourceClient {
 public:
  using Object = T;
  using ListType = typename Resource<T>::List;

  explicit ResourceClient(std::shared_ptr<RestClient> client)
      : core_(std::make_shared<internal::ResourceCore>(std::move(client), Resource<T>::Info())) {}

  const ResourceInfo& info() const { return core_->info(); }
  const std::shared_ptr<RestClient>& rest_client() const { return core_->rest_client(); }

  absl::StatusOr<T> Get(const Context& ctx, std::string_view ns, std::string_view name,
                        const GetOptions& options = {}) const {
    T out;
    absl::Status s = core_->Get(ctx, ns, name, options, &out);
    if (!s.ok()) return s;
    return out;
  }

  // Every matching object; pages of options.limit are fetched and joined.
  // The result's metadata.resourceVersion is the list's version (watch from it).
  absl::StatusOr<ListType> List(const Context& ctx, std::string_view ns, const ListOptions& options = {}) const {
    ListType out;
    absl::Status s = core_->ListAll(ctx, ns, options, &out);
    if (!s.ok()) return s;
    return out;
  }

  // One page; continue with options.continue_token = page.metadata().continue_().
  absl::StatusOr<ListType> ListPage(const Context& ctx, std::string_view ns, const ListOptions& options) const {
    ListType out;
    absl::Status s = core_->ListPage(ctx, ns, options, &out);
    if (!s.ok()) return s;
    return out;
  }

  absl::StatusOr<std::unique_ptr<kube::Watch<T>>> Watch(const Context& ctx, std::string_view ns,
                                                         const WatchOptions& options = {}) const {
    auto stream = core_->Watch(ctx, ns, options);
    if (!stream.ok()) return stream.status();
    return std::make_unique<kube::Watch<T>>(std::move(*stream));
  }

  // POST to the object's namespace (metadata.namespace; "" for cluster-scoped
  // kinds). Returns the created object (TokenReview/SubjectAccessReview: with
  // their status filled in).
  absl::StatusOr<T> Create(const Context& ctx, const T& obj, const CreateOptions& options = {}) const {
    T out;
    absl::Status s = core_->Create(ctx, obj.metadata().namespace_(), obj, options, &out);
    if (!s.ok()) return s;
    return out;
  }

  // PUT of the whole object (status is ignored by the server for kinds with
  // a status subresource). A non-empty metadata.resourceVersion makes it
  // conditional: 409 Conflict if the object changed meanwhile.
  absl::StatusOr<T> Update(const Context& ctx, const T& obj, const UpdateOptions& options = {}) const {
    T out;
    absl::Status s =
        core_->Update(ctx, obj.metadata().namespace_(), obj.metadata().name(), "", obj, options, &out);
    if (!s.ok()) return s;
    return out;
  }

  // PUT …/status: only the status (and some metadata) changes.
  absl::StatusOr<T> UpdateStatus(const Context& ctx, const T& obj, const UpdateOptions& options = {}) const {
    T out;
    absl::Status s =
        core_->Update(ctx, obj.metadata().namespace_(), obj.metadata().name(), "status", obj, options, &out);
    if (!s.ok()) return s;
    return out;
  }

  // PATCH with a patch document in `type`'s format (build one with the patch
  // engines, or by hand). options.subresource = "status" patches the status.
  absl::StatusOr<T> Patch(const Context& ctx, std::string_view ns, std::string_view name, PatchType type,
                          std::string_view patch, const PatchOptions& options = {}) const {
    T out;
    absl::Status s = core_->Patch(ctx, ns, name, type, patch, options, &out);
    if (!s.ok()) return s;
    return out;
  }

  absl::StatusOr<T> PatchStatus(const Context& ctx, std::string_view ns, std::string_view name, PatchType type,
                                std::string_view patch, PatchOptions options = {}) const {
    options.subresource = "status";
    return Patch(ctx, ns, name, type, patch, options);
  }

  // DELETE. Returns the object when the server sends it back (e.g. a pod
  // deleted gracefully: deletionTimestamp set, still there), nullopt when it
  // answers with a Status. NotFound if it does not exist; Conflict when a
  // precondition fails.
  absl::StatusOr<std::optional<T>> Delete(const Context& ctx, std::string_view ns, std::string_view name,
                                          const DeleteOptions& options = {}) const {
    T out;
    absl::StatusOr<bool> got = core_->Delete(ctx, ns, name, options, &out);
    if (!got.ok()) return got.status();
    if (!*got) return std::optional<T>();
    return std::optional<T>(std::move(out));
  }

  // Create, Patch and Delete decoding only the object's metadata from the
  // answer (as metav1::PartialObjectMetadata; spec and status are skipped):
  // for writers that need just the new resourceVersion or UID. Decoding a
  // whole pod costs more CPU than sending the request. Errors as Create,
  // Patch and Delete.
  absl::StatusOr<metav1::PartialObjectMetadata> CreatePartial(const Context& ctx, const T& obj,
                                                              const CreateOptions& options = {}) const {
    metav1::PartialObjectMetadata out;
    absl::Status s = core_->Create(ctx, obj.metadata().namespace_(), obj, options, &out);
    if (!s.ok()) return s;
    return out;
  }
  absl::StatusOr<metav1::PartialObjectMetadata> PatchPartial(const Context& ctx, std::string_view ns,
                                                             std::string_view name, PatchType type,
                                                             std::string_view patch,
                                                             const PatchOptions& options = {}) const {
    metav1::PartialObjectMetadata out;
    absl::Status s = core_->Patch(ctx, ns, name, type, patch, options, &out);
    if (!s.ok()) return s;
    return out;
  }
  absl::StatusOr<std::optional<metav1::PartialObjectMetadata>> DeletePartial(const Context& ctx, std::string_view ns,
                                                                             std::string_view name,
                                                                             const DeleteOptions& options = {}) const {
    metav1::PartialObjectMetadata out;
    absl::StatusOr<bool> got = core_->Delete(ctx, ns, name, options, &out);
    if (!got.ok()) return got.status();
    if (!*got) return std::optional<metav1::PartialObjectMetadata>();
    return std::optional<metav1::PartialObjectMetadata>(std::move(out));
  }

  // The shared untyped core (Informer<T> uses it).
  const std::shared_ptr<internal::ResourceCore>& core() const { return core_; }

 private:
  std::shared_ptr<internal::ResourceCore> core_;
};

}  // namespace vkubelet::kube

#endif  // VKUBELET_KUBE_RESOURCE_CLIENT_H_
