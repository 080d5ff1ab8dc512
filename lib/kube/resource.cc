// Copyright 2026 The vkubelet Authors. Licensed under the Apache License 2.0.

#include "vkubelet/kube/resource.h"

#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "vkubelet/internal/status_macros.h"
#include "vkubelet/types.h"

namespace vkubelet::kube {

using ::vkubelet::internal::ToAbsl;

std::string ResourceInfo::ApiVersion() const {
  if (group.empty()) return std::string(version);
  return absl::StrCat(ToAbsl(group), "/", ToAbsl(version));
}

std::string ResourceInfo::GroupVersionPath() const {
  if (group.empty()) return absl::StrCat("/api/", ToAbsl(version));
  return absl::StrCat("/apis/", ToAbsl(group), "/", ToAbsl(version));
}

std::string ResourceInfo::CollectionPath(std::string_view ns) const {
  if (namespaced && !ns.empty()) {
    return absl::StrCat(GroupVersionPath(), "/namespaces/", ToAbsl(ns), "/", ToAbsl(plural));
  }
  return absl::StrCat(GroupVersionPath(), "/", ToAbsl(plural));
}

std::string ResourceInfo::ObjectPath(std::string_view ns, std::string_view name, std::string_view subresource) const {
  std::string path = absl::StrCat(CollectionPath(ns), "/", ToAbsl(name));
  if (!subresource.empty()) absl::StrAppend(&path, "/", ToAbsl(subresource));
  return path;
}

#define VKUBELET_DEFINE_RESOURCE(Type, ListType, Group, Kind, ListKind, Plural, Namespaced)                  \
  const ResourceInfo& Resource<Type>::Info() {                                                               \
    static const ResourceInfo info{Group,    "v1",      Kind, ListKind, Plural, Namespaced,                 \
                                   &Type::default_instance(),                                                \
                                   std::string_view(ListKind).empty() ? nullptr                              \
                                                                      : &ListType::default_instance()};     \
    return info;                                                                                             \
  }

VKUBELET_DEFINE_RESOURCE(corev1::Pod, corev1::PodList, "", "Pod", "PodList", "pods", true)
VKUBELET_DEFINE_RESOURCE(corev1::Node, corev1::NodeList, "", "Node", "NodeList", "nodes", false)
VKUBELET_DEFINE_RESOURCE(corev1::Namespace, corev1::NamespaceList, "", "Namespace", "NamespaceList", "namespaces",
                         false)
VKUBELET_DEFINE_RESOURCE(corev1::ConfigMap, corev1::ConfigMapList, "", "ConfigMap", "ConfigMapList", "configmaps",
                         true)
VKUBELET_DEFINE_RESOURCE(corev1::Secret, corev1::SecretList, "", "Secret", "SecretList", "secrets", true)
VKUBELET_DEFINE_RESOURCE(corev1::Service, corev1::ServiceList, "", "Service", "ServiceList", "services", true)
VKUBELET_DEFINE_RESOURCE(corev1::Event, corev1::EventList, "", "Event", "EventList", "events", true)
VKUBELET_DEFINE_RESOURCE(corev1::ServiceAccount, corev1::ServiceAccountList, "", "ServiceAccount",
                         "ServiceAccountList", "serviceaccounts", true)
VKUBELET_DEFINE_RESOURCE(corev1::Endpoints, corev1::EndpointsList, "", "Endpoints", "EndpointsList", "endpoints",
                         true)
VKUBELET_DEFINE_RESOURCE(coordinationv1::Lease, coordinationv1::LeaseList, "coordination.k8s.io", "Lease",
                         "LeaseList", "leases", true)
VKUBELET_DEFINE_RESOURCE(eventsv1::Event, eventsv1::EventList, "events.k8s.io", "Event", "EventList", "events", true)
VKUBELET_DEFINE_RESOURCE(authenticationv1::TokenReview, authenticationv1::TokenReview, "authentication.k8s.io",
                         "TokenReview", "", "tokenreviews", false)
VKUBELET_DEFINE_RESOURCE(authorizationv1::SubjectAccessReview, authorizationv1::SubjectAccessReview,
                         "authorization.k8s.io", "SubjectAccessReview", "", "subjectaccessreviews", false)

#undef VKUBELET_DEFINE_RESOURCE

const std::vector<const ResourceInfo*>& AllResources() {
  static const std::vector<const ResourceInfo*> all = {
      &Resource<corev1::Pod>::Info(),
      &Resource<corev1::Node>::Info(),
      &Resource<corev1::Namespace>::Info(),
      &Resource<corev1::ConfigMap>::Info(),
      &Resource<corev1::Secret>::Info(),
      &Resource<corev1::Service>::Info(),
      &Resource<corev1::Event>::Info(),
      &Resource<corev1::ServiceAccount>::Info(),
      &Resource<corev1::Endpoints>::Info(),
      &Resource<coordinationv1::Lease>::Info(),
      &Resource<eventsv1::Event>::Info(),
      &Resource<authenticationv1::TokenReview>::Info(),
      &Resource<authorizationv1::SubjectAccessReview>::Info(),
  };
  return all;
}

const ResourceInfo* FindResourceByPlural(std::string_view group, std::string_view version, std::string_view plural) {
  for (const ResourceInfo* r : AllResources()) {
    if (r->group == group && r->version == version && r->plural == plural) return r;
  }
  return nullptr;
}

namespace {

// Splits "group/version" (or "v1") into its parts.
std::pair<std::string_view, std::string_view> SplitApiVersion(std::string_view api_version) {
  size_t slash = api_version.find('/');
  if (slash == std::string_view::npos) return {"", api_version};
  return {api_version.substr(0, slash), api_version.substr(slash + 1)};
}

}  // namespace

const ResourceInfo* FindResourceByKind(std::string_view api_version, std::string_view kind) {
  auto [group, version] = SplitApiVersion(api_version);
  for (const ResourceInfo* r : AllResources()) {
    if (r->group == group && r->version == version && r->kind == kind) return r;
  }
  return nullptr;
}

const google::protobuf::Message* FindPrototype(std::string_view api_version, std::string_view kind) {
  if (const ResourceInfo* r = FindResourceByKind(api_version, kind)) return r->prototype;
  auto [group, version] = SplitApiVersion(api_version);
  for (const ResourceInfo* r : AllResources()) {
    if (r->group == group && r->version == version && !r->list_kind.empty() && r->list_kind == kind) {
      return r->list_prototype;
    }
  }
  // meta/v1 kinds travel with the apiVersion of whatever group they answer
  // for ("v1" from the core group, "meta.k8s.io/v1", any group's version).
  struct Entry {
    std::string_view kind;
    const google::protobuf::Message* prototype;
  };
  static const Entry kMetaKinds[] = {
      {"Status", &metav1::Status::default_instance()},
      {"DeleteOptions", &metav1::DeleteOptions::default_instance()},
      {"WatchEvent", &metav1::WatchEvent::default_instance()},
      {"List", &metav1::List::default_instance()},
      {"ListOptions", &metav1::ListOptions::default_instance()},
      {"GetOptions", &metav1::GetOptions::default_instance()},
      {"CreateOptions", &metav1::CreateOptions::default_instance()},
      {"UpdateOptions", &metav1::UpdateOptions::default_instance()},
      {"PatchOptions", &metav1::PatchOptions::default_instance()},
      {"APIResourceList", &metav1::APIResourceList::default_instance()},
      {"APIGroupList", &metav1::APIGroupList::default_instance()},
      {"APIGroup", &metav1::APIGroup::default_instance()},
      {"APIVersions", &metav1::APIVersions::default_instance()},
  };
  if (version == "v1") {
    for (const Entry& e : kMetaKinds) {
      if (e.kind == kind) return e.prototype;
    }
  }
  struct GroupEntry {
    std::string_view api_version;
    std::string_view kind;
    const google::protobuf::Message* prototype;
  };
  static const GroupEntry kOther[] = {
      {"v1", "Binding", &corev1::Binding::default_instance()},
      {"v1", "PodLogOptions", &corev1::PodLogOptions::default_instance()},
      {"v1", "PodExecOptions", &corev1::PodExecOptions::default_instance()},
      {"v1", "PodAttachOptions", &corev1::PodAttachOptions::default_instance()},
      {"v1", "PodPortForwardOptions", &corev1::PodPortForwardOptions::default_instance()},
      {"v1", "PodProxyOptions", &corev1::PodProxyOptions::default_instance()},
      {"v1", "NodeProxyOptions", &corev1::NodeProxyOptions::default_instance()},
      {"v1", "ObjectReference", &corev1::ObjectReference::default_instance()},
      {"policy/v1", "Eviction", &policyv1::Eviction::default_instance()},
      {"authentication.k8s.io/v1", "TokenRequest", &authenticationv1::TokenRequest::default_instance()},
  };
  for (const GroupEntry& e : kOther) {
    if (e.api_version == api_version && e.kind == kind) return e.prototype;
  }
  return nullptr;
}

}  // namespace vkubelet::kube
