// Copyright 2026 The vkubelet Authors. Licensed under the Apache License 2.0.
//
// The reasons of the Events the pod controller and the environment resolution
// record on pods. The strings are those of the Go virtual-kubelet (and, for the
// environment ones, of the kubelet), so dashboards and alerts written for it
// keep working.

#ifndef VKUBELET_NODE_EVENT_REASONS_H_
#define VKUBELET_NODE_EVENT_REASONS_H_

#include <string_view>

namespace vkubelet::node {

// Event types (core/v1 Event.type).
inline constexpr std::string_view kEventTypeNormal = "Normal";
inline constexpr std::string_view kEventTypeWarning = "Warning";

// --- Provider calls (pod controller) ----------------------------------------------
inline constexpr std::string_view kReasonProviderCreateSuccess = "ProviderCreateSuccess";
inline constexpr std::string_view kReasonProviderCreateFailed = "ProviderCreateFailed";
inline constexpr std::string_view kReasonProviderUpdateSuccess = "ProviderUpdateSuccess";
inline constexpr std::string_view kReasonProviderUpdateFailed = "ProviderUpdateFailed";
inline constexpr std::string_view kReasonProviderDeleteSuccess = "ProviderDeleteSuccess";
inline constexpr std::string_view kReasonProviderDeleteFailed = "ProviderDeleteFailed";
// Status reason written to a pod whose creation/update the provider refused.
inline constexpr std::string_view kReasonProviderFailed = "ProviderFailed";
// Status/container reason for a pod the provider no longer knows (polling mode).
inline constexpr std::string_view kReasonNotFound = "NotFound";
// Status/container reason for a pod the provider deleted (polling mode).
inline constexpr std::string_view kReasonTerminated = "Terminated";

// --- Environment resolution ---------------------------------------------------------
inline constexpr std::string_view kReasonOptionalConfigMapNotFound = "OptionalConfigMapNotFound";
inline constexpr std::string_view kReasonOptionalConfigMapKeyNotFound = "OptionalConfigMapKeyNotFound";
inline constexpr std::string_view kReasonFailedToReadOptionalConfigMap = "FailedToReadOptionalConfigMap";
inline constexpr std::string_view kReasonOptionalSecretNotFound = "OptionalSecretNotFound";
inline constexpr std::string_view kReasonOptionalSecretKeyNotFound = "OptionalSecretKeyNotFound";
inline constexpr std::string_view kReasonFailedToReadOptionalSecret = "FailedToReadOptionalSecret";
inline constexpr std::string_view kReasonMandatoryConfigMapNotFound = "MandatoryConfigMapNotFound";
inline constexpr std::string_view kReasonMandatoryConfigMapKeyNotFound = "MandatoryConfigMapKeyNotFound";
inline constexpr std::string_view kReasonFailedToReadMandatoryConfigMap = "FailedToReadMandatoryConfigMap";
inline constexpr std::string_view kReasonMandatorySecretNotFound = "MandatorySecretNotFound";
inline constexpr std::string_view kReasonMandatorySecretKeyNotFound = "MandatorySecretKeyNotFound";
inline constexpr std::string_view kReasonFailedToReadMandatorySecret = "FailedToReadMandatorySecret";
inline constexpr std::string_view kReasonInvalidEnvironmentVariableNames = "InvalidEnvironmentVariableNames";
// A fieldRef or resourceFieldRef that cannot be resolved (not in the Go reference,
// which only logs; the kubelet fails the container the same way).
inline constexpr std::string_view kReasonFailedToResolveEnv = "FailedToResolveEnvironment";

}  // namespace vkubelet::node

#endif  // VKUBELET_NODE_EVENT_REASONS_H_
