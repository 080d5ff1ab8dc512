// Copyright 2026 The vkubelet Authors. Licensed under the Apache License 2.0.
//
// What the API server calls each type: group, version, kind, plural resource
// name and scope, as a compile-time trait (Resource<T>) and as a runtime table
// (FindResource*) for code that works on any registered type.

#ifndef VKUBELET_KUBE_RESOURCE_H_
#define VKUBELET_KUBE_RESOURCE_H_

#include <string>
#include <string_view>
#include <vector>

#include "google/protobuf/message.h"
#include "vkubelet/types.h"

namespace vkubelet::kube {

struct ResourceInfo {
  std::string_view group;    // "" for the core group
  std::string_view version;  // "v1"
  std::string_view kind;     // "Pod"
  std::string_view list_kind;  // "PodList" (empty for create-only types)
  std::string_view plural;   // "pods"
  bool namespaced;
  // The default instance of the generated message (and of its list type).
  const google::protobuf::Message* prototype;
  const google::protobuf::Message* list_prototype;

  // "v1" or "coordination.k8s.io/v1".
  std::string ApiVersion() const;
  // "/api/v1" or "/apis/coordination.k8s.io/v1".
  std::string GroupVersionPath() const;
  // Collection path: ".../namespaces/{ns}/pods" (namespace may be empty for
  // all namespaces or cluster-scoped types).
  std::string CollectionPath(std::string_view ns) const;
  // Object path, with an optional subresource ("status", "binding", "log").
  std::string ObjectPath(std::string_view ns, std::string_view name, std::string_view subresource = "") const;
};

// Compile-time traits: Resource<corev1::Pod>::Info(), Resource<corev1::Pod>::List.
template <typename T>
struct Resource;

#define VKUBELET_DECLARE_RESOURCE(Type, ListType)  \
  template <>                                      \
  struct Resource<Type> {                          \
    using Object = Type;                           \
    using List = ListType;                         \
    static const ResourceInfo& Info();             \
  }

VKUBELET_DECLARE_RESOURCE(corev1::Pod, corev1::PodList);
VKUBELET_DECLARE_RESOURCE(corev1::Node, corev1::NodeList);
VKUBELET_DECLARE_RESOURCE(corev1::Namespace, corev1::NamespaceList);
VKUBELET_DECLARE_RESOURCE(corev1::ConfigMap, corev1::ConfigMapList);
VKUBELET_DECLARE_RESOURCE(corev1::Secret, corev1::SecretList);
VKUBELET_DECLARE_RESOURCE(corev1::Service, corev1::ServiceList);
VKUBELET_DECLARE_RESOURCE(corev1::Event, corev1::EventList);
VKUBELET_DECLARE_RESOURCE(corev1::ServiceAccount, corev1::ServiceAccountList);
VKUBELET_DECLARE_RESOURCE(corev1::Endpoints, corev1::EndpointsList);
VKUBELET_DECLARE_RESOURCE(coordinationv1::Lease, coordinationv1::LeaseList);
VKUBELET_DECLARE_RESOURCE(eventsv1::Event, eventsv1::EventList);
VKUBELET_DECLARE_RESOURCE(authenticationv1::TokenReview, authenticationv1::TokenReview);
VKUBELET_DECLARE_RESOURCE(authorizationv1::SubjectAccessReview, authorizationv1::SubjectAccessReview);

#undef VKUBELET_DECLARE_RESOURCE

// Every registered resource (the types above).
const std::vector<const ResourceInfo*>& AllResources();
// Lookups; nullptr when unknown. `group` is "" for the core group.
const ResourceInfo* FindResourceByPlural(std::string_view group, std::string_view version, std::string_view plural);
const ResourceInfo* FindResourceByKind(std::string_view api_version, std::string_view kind);

// Message prototypes for kinds that travel in bodies but are not resources of
// their own: "Status", "Binding", "Eviction", "DeleteOptions", "WatchEvent", the
// list kinds, … keyed by (apiVersion, kind). nullptr when unknown.
const google::protobuf::Message* FindPrototype(std::string_view api_version, std::string_view kind);

}  // namespace vkubelet::kube

#endif  // VKUBELET_KUBE_RESOURCE_H_
