// Copyright 2026 The vkubelet Authors. Licensed under the Apache License 2.0.
//
// Error categories shared by providers, the SDK and the API server: each is an
// absl::StatusCode plus, where the category is finer than the code, the
// Kubernetes StatusReason kept in a payload. Constructors, predicates, and the
// mappings to HTTP codes, Kubernetes reasons and retry decisions live here so
// every layer agrees.
//
//   category          absl code            HTTP  Kubernetes reason   retry?
//   NotFound          NOT_FOUND            404   NotFound            no
//   InvalidInput      INVALID_ARGUMENT     400   BadRequest          no
//   Invalid           INVALID_ARGUMENT     422   Invalid             no
//   AlreadyExists     ALREADY_EXISTS       409   AlreadyExists       no
//   Conflict          ABORTED              409   Conflict            yes, after re-reading
//   Gone / Expired    OUT_OF_RANGE         410   Gone / Expired      re-list
//   Unauthorized      UNAUTHENTICATED      401   Unauthorized        no
//   Forbidden         PERMISSION_DENIED    403   Forbidden           no
//   TooManyRequests   RESOURCE_EXHAUSTED   429   TooManyRequests     yes, after Retry-After
//   Unavailable       UNAVAILABLE          503   ServiceUnavailable  yes (also 504 Timeout, conn. errors)
//   Internal          INTERNAL             500   InternalError       yes
//   Unimplemented     UNIMPLEMENTED        501   NotImplemented      no
//   Cancelled         CANCELLED            499   -                   no
//   DeadlineExceeded  DEADLINE_EXCEEDED    504   Timeout             caller decides
//
// A provider returns these from its handlers; anything else is treated as
// Unknown/Internal. Nothing here throws.

#ifndef VKUBELET_ERRDEFS_H_
#define VKUBELET_ERRDEFS_H_

#include <optional>
#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "absl/time/time.h"

namespace k8s::io::apimachinery::pkg::apis::meta::v1 {
class Status;
}  // namespace k8s::io::apimachinery::pkg::apis::meta::v1

namespace vkubelet::errdefs {

// --- Constructors ---------------------------------------------------------------
absl::Status NotFound(std::string_view message);
absl::Status InvalidInput(std::string_view message);
// 422 Invalid (validation failed). Add causes with ToKubernetesStatus/FromKubernetesStatus.
absl::Status Invalid(std::string_view message);
absl::Status AlreadyExists(std::string_view message);
absl::Status Conflict(std::string_view message);
absl::Status Gone(std::string_view message);
absl::Status Expired(std::string_view message);
absl::Status Unauthorized(std::string_view message);
absl::Status Forbidden(std::string_view message);
absl::Status TooManyRequests(std::string_view message, absl::Duration retry_after = absl::ZeroDuration());
absl::Status Unavailable(std::string_view message);
absl::Status Internal(std::string_view message);
absl::Status Unimplemented(std::string_view message);

// A command run in a container (exec) ended with a non-zero exit code. Code
// UNKNOWN with the exit code kept as a payload; read it with GetExitCode.
absl::Status ExitCode(int exit_code);
std::optional<int> GetExitCode(const absl::Status& s);

// --- Predicates -----------------------------------------------------------------
bool IsNotFound(const absl::Status& s);
bool IsInvalidInput(const absl::Status& s);  // BadRequest or Invalid
bool IsAlreadyExists(const absl::Status& s);
bool IsConflict(const absl::Status& s);
bool IsGone(const absl::Status& s);  // Gone or Expired: the caller must re-list
bool IsUnauthorized(const absl::Status& s);
bool IsForbidden(const absl::Status& s);
bool IsTooManyRequests(const absl::Status& s);
bool IsUnavailable(const absl::Status& s);
bool IsUnimplemented(const absl::Status& s);
bool IsCancelled(const absl::Status& s);  // Cancelled or DeadlineExceeded

// --- Mappings -------------------------------------------------------------------
// HTTP status code for `s` (200 for OK).
int HttpStatusCode(const absl::Status& s);
// The Kubernetes StatusReason ("NotFound", "Conflict", …); empty for OK or when
// Kubernetes has no reason for the category.
std::string Reason(const absl::Status& s);
// The StatusReason the API server sends with an HTTP status code ("" when it
// has none for the code).
std::string_view ReasonForHttp(int code);
// True when the same request may succeed if sent again later unchanged:
// Unavailable, TooManyRequests, Internal, server-side timeouts.
bool IsTransient(const absl::Status& s);
// True when retrying the operation cannot help (bad input, forbidden, not
// implemented, already exists). Work queues drop these at once.
bool IsPermanent(const absl::Status& s);
// The server's Retry-After hint, if any.
std::optional<absl::Duration> RetryAfter(const absl::Status& s);

// Prefixes the message with `context` ("creating pod default/x: <message>"),
// keeping the code and every payload (so predicates still hold).
absl::Status Annotate(const absl::Status& s, std::string_view context);

// --- Kubernetes meta/v1 Status ------------------------------------------------------
// Builds an absl::Status from a Status returned by the API server. The
// Status itself is kept as a payload (reason, details, causes, retry-after).
// `http_code` is used when the Status has no code.
absl::Status FromKubernetesStatus(const k8s::io::apimachinery::pkg::apis::meta::v1::Status& status,
                                  int http_code = 0);
// The Status to send for `s` (status "Failure"/"Success", message, reason, code,
// details from the payload when present).
k8s::io::apimachinery::pkg::apis::meta::v1::Status ToKubernetesStatus(const absl::Status& s);
// The Status payload attached by FromKubernetesStatus, if any.
bool GetKubernetesStatus(const absl::Status& s, k8s::io::apimachinery::pkg::apis::meta::v1::Status* out);

// An error for an HTTP response that carried no Status body.
absl::Status FromHttpStatus(int http_code, std::string_view message);

}  // namespace vkubelet::errdefs

#endif  // VKUBELET_ERRDEFS_H_
