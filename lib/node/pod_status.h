// Copyright 2026 The vkubelet Authors. Licensed under the Apache License 2.0.
//
// How the pod controller turns a provider's view of a pod into the status it
// writes to the API server: a strategic-merge patch of pods/status that
//  * carries metadata.uid (the API server refuses it with 422 when the pod was
//    deleted and recreated under the same name — the kubelet's guard),
//  * changes only what differs from the API server's current status,
//  * leaves fields the provider does not report untouched, and keeps
//    conditions that others own (a condition type the provider neither reports
//    nor wrote before, and that is not a kubelet condition),
//  * optionally carries the labels/annotations the provider owns.

#ifndef VKUBELET_LIB_NODE_POD_STATUS_H_
#define VKUBELET_LIB_NODE_POD_STATUS_H_

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "vkubelet/types.h"

namespace vkubelet::node::internal {

// Ready, ContainersReady, Initialized, PodReadyToStartContainers: the
// conditions a kubelet (and so the provider) owns.
bool IsKubeletCondition(std::string_view type);

// The status to write: `api`'s status with every field the provider sets
// replaced by the provider's, and conditions merged by type (the provider's
// win; `api`'s foreign ones are kept; kubelet conditions and ones of
// `owned_condition_types` that the provider dropped are removed).
corev1::PodStatus DesiredStatus(const corev1::PodStatus& api, const corev1::PodStatus& provider,
                                const std::vector<std::string>& owned_condition_types);

// Label/annotation changes to send with the status: keys the provider owns
// (set to a value, or nullopt to delete).
struct MetadataChanges {
  std::map<std::string, std::optional<std::string>> labels;
  std::map<std::string, std::optional<std::string>> annotations;
  bool empty() const { return labels.empty() && annotations.empty(); }
};

// True when the two statuses say the same to the API server: unset and
// default values are equal (as for Go structs), lists compare in order.
// MessageDifferencer's EQUIVALENT/AS_LIST answer, computed mostly without it.
bool StatusEqual(const corev1::PodStatus& a, const corev1::PodStatus& b);

// The PATCH body for pods/status, or nullopt when `desired` equals the API
// server's status and there are no metadata changes. Only the top-level
// fields that differ (StatusEqual's comparison, field by field) go through
// JSON and the strategic-merge diff.
absl::StatusOr<std::optional<std::string>> BuildStatusPatch(const corev1::Pod& api_pod,
                                                            const corev1::PodStatus& desired,
                                                            const MetadataChanges& metadata = {});

// True while any container is neither terminated nor waiting (the reference's
// definition; a pod without container statuses is not running).
bool IsRunning(const corev1::PodStatus& status);

// Phase Succeeded or Failed.
bool IsTerminal(const corev1::PodStatus& status);

// The status written when CreatePod/UpdatePod failed: Failed (restartPolicy
// Never) or Pending, reason ProviderFailed, the error as message.
corev1::PodStatus ProviderFailedStatus(const corev1::Pod& pod, std::string_view message);

// Polling mode: the status of a pod the provider lost (Failed/NotFound, running
// containers terminated with exit code 137 … as the reference).
corev1::PodStatus LostPodStatus(const corev1::Pod& pod, absl::Time now);

// Polling mode: the status after DeletePod succeeded (Succeeded/Terminated).
corev1::PodStatus DeletedPodStatus(const corev1::Pod& pod, absl::Time now);

// Drops members with empty values ("", false, 0, null, {}, []) from a JSON
// status, recursively (the API server stores Go structs, where those and an
// absent member are the same), except exitCode: a terminated state with exit
// code 0 and nothing else is still a state.
void PruneZeroValues(nlohmann::json* j);

}  // namespace vkubelet::node::internal

#endif  // VKUBELET_LIB_NODE_POD_STATUS_H_
