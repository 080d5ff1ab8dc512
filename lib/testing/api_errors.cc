// Copyright 2026 The vkubelet Authors. Licensed under the Apache License 2.0.

#include "testing/api_errors.h"

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "vkubelet/errdefs.h"
#include "vkubelet/internal/status_macros.h"
#include "vkubelet/types.h"

namespace vkubelet::testing::internal {
namespace {

using vkubelet::internal::ToAbsl;

metav1::Status Failure(int code, std::string_view reason, std::string_view message) {
  metav1::Status st;
  st.mutable_metadata();
  st.set_status("Failure");
  st.set_message(std::string(message));
  st.set_reason(std::string(reason));
  st.set_code(code);
  return st;
}

absl::Status Wrap(const metav1::Status& st) { return errdefs::FromKubernetesStatus(st, st.code()); }

absl::Status WithDetails(int code, std::string_view reason, std::string_view message, std::string_view kind,
                         std::string_view group, std::string_view name) {
  metav1::Status st = Failure(code, reason, message);
  auto* d = st.mutable_details();
  d->set_name(std::string(name));
  if (!group.empty()) d->set_group(std::string(group));
  d->set_kind(std::string(kind));
  return Wrap(st);
}

}  // namespace

std::string QualifiedResource(std::string_view plural, std::string_view group) {
  if (group.empty()) return std::string(plural);
  return absl::StrCat(ToAbsl(plural), ".", ToAbsl(group));
}

absl::Status NotFoundError(std::string_view plural, std::string_view group, std::string_view name) {
  return WithDetails(404, "NotFound",
                     absl::StrCat(QualifiedResource(plural, group), " \"", ToAbsl(name), "\" not found"), plural,
                     group, name);
}

absl::Status AlreadyExistsError(std::string_view plural, std::string_view group, std::string_view name) {
  return WithDetails(409, "AlreadyExists",
                     absl::StrCat(QualifiedResource(plural, group), " \"", ToAbsl(name), "\" already exists"),
                     plural, group, name);
}

absl::Status ConflictError(std::string_view plural, std::string_view group, std::string_view name,
                           std::string_view detail) {
  return WithDetails(409, "Conflict",
                     absl::StrCat("Operation cannot be fulfilled on ", QualifiedResource(plural, group), " \"",
                                  ToAbsl(name), "\": ", ToAbsl(detail)),
                     plural, group, name);
}

absl::Status InvalidError(std::string_view kind, std::string_view group, std::string_view name,
                          const std::vector<FieldCause>& causes) {
  std::vector<std::string> parts;
  for (const FieldCause& c : causes) parts.push_back(absl::StrCat(c.field, ": ", c.message));
  std::string joined = parts.size() == 1 ? parts[0] : absl::StrCat("[", absl::StrJoin(parts, ", "), "]");
  std::string kind_name = group.empty() ? std::string(kind) : absl::StrCat(ToAbsl(kind), ".", ToAbsl(group));
  metav1::Status st =
      Failure(422, "Invalid", absl::StrCat(kind_name, " \"", ToAbsl(name), "\" is invalid: ", joined));
  auto* d = st.mutable_details();
  d->set_name(std::string(name));
  if (!group.empty()) d->set_group(std::string(group));
  d->set_kind(std::string(kind));
  for (const FieldCause& c : causes) {
    auto* cause = d->add_causes();
    cause->set_reason(c.reason);
    cause->set_message(c.message);
    cause->set_field(c.field);
  }
  return Wrap(st);
}

absl::Status BadRequestError(std::string_view message) { return Wrap(Failure(400, "BadRequest", message)); }
absl::Status ForbiddenError(std::string_view message) { return Wrap(Failure(403, "Forbidden", message)); }

absl::Status ForbiddenForUser(std::string_view user, std::string_view verb, std::string_view plural,
                              std::string_view subresource, std::string_view group, std::string_view ns,
                              std::string_view name, std::string_view reason) {
  std::string resource = subresource.empty() ? std::string(plural)
                                             : absl::StrCat(ToAbsl(plural), "/", ToAbsl(subresource));
  std::string where = ns.empty() ? "at the cluster scope" : absl::StrCat("in the namespace \"", ToAbsl(ns), "\"");
  std::string message = absl::StrCat(QualifiedResource(plural, group), name.empty() ? "" : " \"", ToAbsl(name),
                                     name.empty() ? "" : "\"", " is forbidden: User \"", ToAbsl(user),
                                     "\" cannot ", ToAbsl(verb), " resource \"", resource, "\" in API group \"",
                                     ToAbsl(group), "\" ", where);
  if (!reason.empty()) absl::StrAppend(&message, ": ", ToAbsl(reason));
  return WithDetails(403, "Forbidden", message, plural, group, name);
}

absl::Status UnauthorizedError() { return Wrap(Failure(401, "Unauthorized", "Unauthorized")); }
absl::Status MethodNotAllowedError(std::string_view message) {
  return Wrap(Failure(405, "MethodNotAllowed", message));
}
absl::Status NotAcceptableError(std::string_view message) { return Wrap(Failure(406, "NotAcceptable", message)); }
absl::Status UnsupportedMediaTypeError(std::string_view content_type) {
  return Wrap(Failure(415, "UnsupportedMediaType",
                      absl::StrCat("the body of the request was in an unknown format - accepted media types "
                                   "include: application/json, application/yaml, "
                                   "application/vnd.kubernetes.protobuf (got \"",
                                   ToAbsl(content_type), "\")")));
}
absl::Status ExpiredError(std::string_view message) { return Wrap(Failure(410, "Expired", message)); }
absl::Status GoneError(std::string_view message) { return Wrap(Failure(410, "Gone", message)); }

absl::Status TimeoutError(std::string_view message, int retry_after_seconds) {
  metav1::Status st = Failure(504, "Timeout", message);
  st.mutable_details()->set_retryafterseconds(retry_after_seconds);
  return Wrap(st);
}

absl::Status TooManyRequestsError(std::string_view message, int retry_after_seconds) {
  metav1::Status st = Failure(429, "TooManyRequests", message);
  if (retry_after_seconds > 0) st.mutable_details()->set_retryafterseconds(retry_after_seconds);
  return Wrap(st);
}

absl::Status InternalError(std::string_view message) {
  return Wrap(Failure(500, "InternalError", absl::StrCat("Internal error occurred: ", ToAbsl(message))));
}

absl::Status GenericError(int code, std::string_view reason, std::string_view message, int retry_after_seconds) {
  metav1::Status st = Failure(code, reason, message);
  if (retry_after_seconds > 0) st.mutable_details()->set_retryafterseconds(retry_after_seconds);
  return Wrap(st);
}

}  // namespace vkubelet::testing::internal
