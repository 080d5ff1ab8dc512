// Copyright 2026 The vkubelet Authors. Licensed under the Apache License 2.0.
//
// absl::Status values that carry the meta/v1 Status the real API server sends
// for each failure (reason, message wording, details), so FakeApiServer's
// answers have the same shape as kube-apiserver's. The Status travels as the
// errdefs payload; errdefs::ToKubernetesStatus gets it back.

#ifndef VKUBELET_TESTING_API_ERRORS_H_
#define VKUBELET_TESTING_API_ERRORS_H_

#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/time/time.h"

namespace vkubelet::testing::internal {

// "pods" or "leases.coordination.k8s.io", as the server names a resource in messages.
std::string QualifiedResource(std::string_view plural, std::string_view group);

absl::Status NotFoundError(std::string_view plural, std::string_view group, std::string_view name);
absl::Status AlreadyExistsError(std::string_view plural, std::string_view group, std::string_view name);
// "Operation cannot be fulfilled on pods \"x\": <detail>".
absl::Status ConflictError(std::string_view plural, std::string_view group, std::string_view name,
                           std::string_view detail);
inline constexpr std::string_view kModifiedDetail =
    "the object has been modified; please apply your changes to the latest version and try again";

struct FieldCause {
  std::string reason;  // FieldValueInvalid, FieldValueRequired, FieldValueForbidden, FieldValueNotSupported
  std::string field;   // metadata.name
  std::string message;  // Invalid value: "x": ...
};
// 422: "<Kind> \"<name>\" is invalid: <field>: <message>" (several: "[a, b]").
absl::Status InvalidError(std::string_view kind, std::string_view group, std::string_view name,
                          const std::vector<FieldCause>& causes);

absl::Status BadRequestError(std::string_view message);
absl::Status ForbiddenError(std::string_view message);
// "<user> cannot <verb> resource \"pods\" in API group \"\" ..." (RBAC wording).
absl::Status ForbiddenForUser(std::string_view user, std::string_view verb, std::string_view plural,
                              std::string_view subresource, std::string_view group, std::string_view ns,
                              std::string_view name, std::string_view reason);
absl::Status UnauthorizedError();
absl::Status MethodNotAllowedError(std::string_view message);
absl::Status NotAcceptableError(std::string_view message);
absl::Status UnsupportedMediaTypeError(std::string_view content_type);
absl::Status ExpiredError(std::string_view message);  // 410, reason Expired
absl::Status GoneError(std::string_view message);     // 410, reason Gone
absl::Status TimeoutError(std::string_view message, int retry_after_seconds);  // 504
absl::Status TooManyRequestsError(std::string_view message, int retry_after_seconds);
absl::Status InternalError(std::string_view message);
// Any code/reason; used by fault injection.
absl::Status GenericError(int code, std::string_view reason, std::string_view message, int retry_after_seconds);

}  // namespace vkubelet::testing::internal

#endif  // VKUBELET_TESTING_API_ERRORS_H_
