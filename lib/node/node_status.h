// Copyright 2026 The vkubelet Authors. Licensed under the Apache License 2.0.
//
// The pure part of the node controller: the Node it registers, how provider
// notifications change what it reports, the Ready condition, and the
// strategic-merge patch of nodes/<name>/status that writes it (ADR 0002).
//
// Ownership: every label, annotation, condition type and capacity/allocatable
// key the controller writes is listed in kManagedFieldsAnnotation. A patch
// deletes what that list held before and the new state no longer has, and
// leaves everything else on the Node (what others wrote) alone. A Node last
// managed by the Go virtual-kubelet carries its last-applied annotations
// instead; they are read as the list and then removed.

#ifndef VKUBELET_LIB_NODE_NODE_STATUS_H_
#define VKUBELET_LIB_NODE_NODE_STATUS_H_

#include <optional>
#include <set>
#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "vkubelet/node/node_controller.h"
#include "vkubelet/types.h"

namespace vkubelet::node::internal {

// The Go reference's three-way-patch annotations.
inline constexpr char kLegacyLastAppliedStatus[] = "virtual-kubelet.io/last-applied-node-status";
inline constexpr char kLegacyLastAppliedMeta[] = "virtual-kubelet.io/last-applied-object-meta";

// What the controller wrote to a Node.
struct ManagedFields {
  std::set<std::string> labels;
  std::set<std::string> annotations;  // never kManagedFieldsAnnotation itself
  std::set<std::string> conditions;   // condition types
  std::set<std::string> capacity;
  std::set<std::string> allocatable;
  bool operator==(const ManagedFields&) const = default;
};

// {"labels":[…],"annotations":[…],…}: sorted, empty lists omitted.
std::string EncodeManagedFields(const ManagedFields& fields);
// InvalidInput for anything but an object of string lists (unknown members
// are ignored, so a newer SDK may add some).
absl::StatusOr<ManagedFields> DecodeManagedFields(std::string_view text);
// What `node` records: kManagedFieldsAnnotation, else the Go reference's
// annotations, else nothing. InvalidInput when the annotation is unreadable.
absl::StatusOr<ManagedFields> ManagedFieldsOf(const corev1::Node& node);

// The architecture this SDK was built for, in GOARCH terms.
std::string_view BuildArchitecture();

// The Node to register: the template with the name, default labels, taint,
// InternalIP, kubelet port and nodeInfo filled in where it leaves them empty.
// (The provider's NodeConfigurer runs on the result.)
corev1::Node BuildRegistrationNode(const NodeControllerOptions& options);

// The label keys the SDK always sets (type, role, hostname, os, arch).
const std::set<std::string>& StandardLabelKeys();

// Folds a provider notification into `reported` (the provider's labels,
// annotations and status):
//  * labels: replaced when the notification has any, keeping the standard
//    labels of `registered` that it lacks; annotations: replaced when it has any;
//  * status: replaced, except addresses, daemonEndpoints, nodeInfo, capacity
//    and allocatable, which keep their value when the notification leaves
//    them empty. Conditions are taken as given: one no longer reported is gone.
void ApplyNotification(const corev1::Node& notified, const corev1::Node& registered, corev1::Node* reported);

// What decides the Ready condition.
struct ReadyInputs {
  bool pods_synced = false;
  std::optional<absl::Status> ping;  // nullopt: no ping has finished yet
  bool shutting_down = false;
};
// Type Ready with status, reason and message (no timestamps).
corev1::NodeCondition ReadyCondition(const ReadyInputs& inputs);

// `reported` with the SDK's Ready condition in place of any the provider set.
corev1::Node WithReady(const corev1::Node& reported, const ReadyInputs& inputs);

// Sets lastHeartbeatTime = now on every condition, and lastTransitionTime =
// now unless `current` has the same condition type with the same status (then
// its lastTransitionTime is kept).
void StampConditions(corev1::NodeStatus* status, const corev1::NodeStatus* current, absl::Time now);

struct NodeStatusPatch {
  std::string body;       // application/strategic-merge-patch+json
  ManagedFields managed;  // what the Node records once the patch applied
};

// The PATCH of nodes/<name>/status that makes the Node show `desired`'s
// labels, annotations and status (conditions stamped as StampConditions
// does against `current`, the Node as last seen; may be null), deleting what
// `previous` lists and `desired` no longer has. Addresses are replaced whole
// (their merge key, type, is not unique). Conditions without a type are
// dropped; of two with the same type the later wins.
NodeStatusPatch BuildNodeStatusPatch(const corev1::Node& desired, const corev1::Node* current,
                                     const ManagedFields& previous, absl::Time now);

// The ManagedFields describing `desired` (what a patch or a create of it writes).
ManagedFields ManagedFieldsFor(const corev1::Node& desired);

// metav1 time conversions.
void SetTime(absl::Time t, metav1::Time* out);
void SetMicroTime(absl::Time t, metav1::MicroTime* out);
absl::Time FromMicroTime(const metav1::MicroTime& t);

}  // namespace vkubelet::node::internal

#endif  // VKUBELET_LIB_NODE_NODE_STATUS_H_
