// Copyright 2026 The vkubelet Authors. Licensed under the Apache License 2.0.
//
// What FakeApiServer serves: the resource table (group, version, kind, plural,
// scope, subresources, discovery data) and the per-resource behaviour the real
// API server applies on create/update/delete ("strategies"): defaulting,
// validation, status-subresource rules, graceful deletion, selectable fields.

#ifndef VKUBELET_TESTING_FAKE_RESOURCES_H_
#define VKUBELET_TESTING_FAKE_RESOURCES_H_

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "google/protobuf/message.h"
#include "vkubelet/types.h"

namespace vkubelet::testing::internal {

// Where objects live. Several served resources may share one storage
// (core/v1 Events and events.k8s.io/v1 Events).
enum class Storage : int {
  kNamespace = 0,
  kPod,
  kNode,
  kConfigMap,
  kSecret,
  kService,
  kEvent,
  kLease,
  kServiceAccount,
  kEndpoints,
  kCount,
  kNone = -1,  // create-only virtual resources (tokenreviews, subjectaccessreviews)
};
inline constexpr int kStorageCount = static_cast<int>(Storage::kCount);

struct ResourceType {
  std::string group;  // "" for core
  std::string version;
  std::string kind;
  std::string list_kind;
  std::string plural;
  std::string singular;
  std::vector<std::string> short_names;
  std::vector<std::string> categories;
  bool namespaced = true;
  const google::protobuf::Message* prototype = nullptr;
  const google::protobuf::Message* list_prototype = nullptr;
  std::vector<std::string> subresources;  // "status", "binding", "log", ...
  std::vector<std::string> verbs;
  Storage storage = Storage::kNone;
  // True when this resource is a different representation of its storage's
  // objects (events.k8s.io/v1 Event over core/v1 Event storage).
  bool is_view = false;

  std::string ApiVersion() const { return group.empty() ? version : group + "/" + version; }
};

const std::vector<ResourceType>& Resources();
const ResourceType* FindResource(std::string_view group, std::string_view version, std::string_view plural);
const ResourceType* FindResourceByKind(std::string_view api_version, std::string_view kind);
// The canonical (non-view) resource whose objects are stored as `full_name`
// messages ("k8s.io.api.core.v1.Pod").
const ResourceType* FindResourceByMessage(std::string_view full_name);
// The canonical resource of a storage.
const ResourceType& StorageResource(Storage storage);

// metadata (field 1) of any stored object.
const metav1::ObjectMeta& Meta(const google::protobuf::Message& obj);
metav1::ObjectMeta* MutableMeta(google::protobuf::Message* obj);

// Converts a stored object to the representation of `type` (a view) and back.
// For non-view types these copy.
std::unique_ptr<google::protobuf::Message> ToView(const ResourceType& type, const google::protobuf::Message& stored);
std::unique_ptr<google::protobuf::Message> FromView(const ResourceType& type, const google::protobuf::Message& view);

// --- Strategies -------------------------------------------------------------

struct CreateContext {
  absl::Time now;
  // Allocates a cluster IP for Services ("10.96.x.y").
  std::string (*allocate_cluster_ip)(void* arg) = nullptr;
  void* arg = nullptr;
};

// Defaults and system fields the real server sets on create (pod phase
// Pending, qosClass, terminationGracePeriodSeconds 30, ...). Status is reset
// where the real server resets it.
void PrepareForCreate(Storage storage, google::protobuf::Message* obj, const CreateContext& ctx);
// Main update (`status_update` false): status comes from `old`. Status
// update: everything but status (and labels/annotations) comes from `old`.
// System metadata (uid, creationTimestamp, deletion fields) always comes
// from `old`.
void PrepareForUpdate(Storage storage, google::protobuf::Message* obj, const google::protobuf::Message& old,
                      bool status_update);
// 422 Invalid with causes, like the real validation (a useful subset).
absl::Status ValidateCreate(const ResourceType& type, const google::protobuf::Message& obj);
absl::Status ValidateUpdate(const ResourceType& type, const google::protobuf::Message& obj,
                            const google::protobuf::Message& old);

bool HasStatus(Storage storage);

// Grace period for a DELETE (pods only; others 0). `requested` is the
// DeleteOptions/query value if given.
int64_t DeletionGracePeriod(Storage storage, const google::protobuf::Message& obj, std::optional<int64_t> requested);

// Value of a selectable field for field selectors; nullopt when the field is
// not selectable for this resource.
std::optional<std::string> FieldValue(Storage storage, const google::protobuf::Message& obj, std::string_view field);
// Whether `field` is selectable for the resource at all (validated up front).
bool IsSelectableField(Storage storage, std::string_view field);

// Pod QoS class from its containers' requests/limits.
std::string PodQosClass(const corev1::Pod& pod);

// Kubernetes metav1::Time for `t` (seconds precision).
metav1::Time ToMetaTime(absl::Time t);
absl::Time FromMetaTime(const metav1::Time& t);

// A random RFC 4122 version 4 UUID.
std::string NewUid();
// 5 random characters as the API server appends to generateName.
std::string RandomNameSuffix();

}  // namespace vkubelet::testing::internal

#endif  // VKUBELET_TESTING_FAKE_RESOURCES_H_
