// Copyright 2026 The vkubelet Authors. Licensed under the Apache License 2.0.

#include "vkubelet/kube/resource.h"

#include <doctest/doctest.h>

#include <set>
#include <string>

#include "vkubelet/types.h"

namespace vkubelet::kube {
namespace {

TEST_CASE("paths of core and group resources") {
  const ResourceInfo& pods = Resource<corev1::Pod>::Info();
  CHECK(pods.ApiVersion() == "v1");
  CHECK(pods.GroupVersionPath() == "/api/v1");
  CHECK(pods.CollectionPath("default") == "/api/v1/namespaces/default/pods");
  CHECK(pods.CollectionPath("") == "/api/v1/pods");
  CHECK(pods.ObjectPath("default", "nginx") == "/api/v1/namespaces/default/pods/nginx");
  CHECK(pods.ObjectPath("default", "nginx", "status") == "/api/v1/namespaces/default/pods/nginx/status");
  CHECK(pods.ObjectPath("default", "nginx", "log") == "/api/v1/namespaces/default/pods/nginx/log");

  const ResourceInfo& nodes = Resource<corev1::Node>::Info();
  CHECK(!nodes.namespaced);
  CHECK(nodes.CollectionPath("ignored") == "/api/v1/nodes");
  CHECK(nodes.ObjectPath("", "vk", "status") == "/api/v1/nodes/vk/status");

  const ResourceInfo& leases = Resource<coordinationv1::Lease>::Info();
  CHECK(leases.ApiVersion() == "coordination.k8s.io/v1");
  CHECK(leases.ObjectPath("kube-node-lease", "vk") ==
        "/apis/coordination.k8s.io/v1/namespaces/kube-node-lease/leases/vk");

  const ResourceInfo& reviews = Resource<authenticationv1::TokenReview>::Info();
  CHECK(reviews.CollectionPath("") == "/apis/authentication.k8s.io/v1/tokenreviews");
  CHECK(reviews.list_kind.empty());
  CHECK(reviews.list_prototype == nullptr);
  CHECK(Resource<authorizationv1::SubjectAccessReview>::Info().CollectionPath("") ==
        "/apis/authorization.k8s.io/v1/subjectaccessreviews");
  CHECK(Resource<corev1::Namespace>::Info().ObjectPath("", "kube-system") == "/api/v1/namespaces/kube-system");
}

TEST_CASE("the table: prototypes match the traits, names are unique") {
  CHECK(AllResources().size() == 13);
  std::set<std::string> keys;
  for (const ResourceInfo* r : AllResources()) {
    CAPTURE(r->kind);
    REQUIRE(r->prototype != nullptr);
    // The message is named after its kind, and the list after the list kind.
    CHECK(r->prototype->GetDescriptor()->name() == r->kind);
    if (!r->list_kind.empty()) {
      REQUIRE(r->list_prototype != nullptr);
      CHECK(r->list_prototype->GetDescriptor()->name() == r->list_kind);
    }
    CHECK(keys.insert(std::string(r->group) + "/" + std::string(r->plural)).second);
    CHECK(FindResourceByPlural(r->group, r->version, r->plural) == r);
    CHECK(FindResourceByKind(r->ApiVersion(), r->kind) == r);
  }
  CHECK(&Resource<corev1::Pod>::Info() == FindResourceByKind("v1", "Pod"));
  CHECK(Resource<corev1::Pod>::Info().prototype == &corev1::Pod::default_instance());
  CHECK(Resource<corev1::Pod>::Info().list_prototype == &corev1::PodList::default_instance());
  CHECK(FindResourceByKind("events.k8s.io/v1", "Event") == &Resource<eventsv1::Event>::Info());
  CHECK(FindResourceByKind("v1", "Event") == &Resource<corev1::Event>::Info());
}

TEST_CASE("lookups of unknown things answer nullptr") {
  CHECK(FindResourceByPlural("", "v1", "deployments") == nullptr);
  CHECK(FindResourceByPlural("apps", "v1", "pods") == nullptr);
  CHECK(FindResourceByPlural("", "v2", "pods") == nullptr);
  CHECK(FindResourceByKind("apps/v1", "Pod") == nullptr);
  CHECK(FindResourceByKind("v1", "Deployment") == nullptr);
  CHECK(FindPrototype("v1", "Deployment") == nullptr);
  CHECK(FindPrototype("", "") == nullptr);
}

TEST_CASE("prototypes of body kinds") {
  CHECK(FindPrototype("v1", "Pod") == &corev1::Pod::default_instance());
  CHECK(FindPrototype("v1", "PodList") == &corev1::PodList::default_instance());
  CHECK(FindPrototype("coordination.k8s.io/v1", "LeaseList") == &coordinationv1::LeaseList::default_instance());
  CHECK(FindPrototype("v1", "Status") == &metav1::Status::default_instance());
  CHECK(FindPrototype("meta.k8s.io/v1", "Status") == &metav1::Status::default_instance());
  CHECK(FindPrototype("coordination.k8s.io/v1", "Status") == &metav1::Status::default_instance());
  CHECK(FindPrototype("v1", "DeleteOptions") == &metav1::DeleteOptions::default_instance());
  CHECK(FindPrototype("v1", "WatchEvent") == &metav1::WatchEvent::default_instance());
  CHECK(FindPrototype("v1", "Binding") == &corev1::Binding::default_instance());
  CHECK(FindPrototype("policy/v1", "Eviction") == &policyv1::Eviction::default_instance());
  CHECK(FindPrototype("authentication.k8s.io/v1", "TokenRequest") ==
        &authenticationv1::TokenRequest::default_instance());
  CHECK(FindPrototype("v2", "Status") == nullptr);
}

}  // namespace
}  // namespace vkubelet::kube
