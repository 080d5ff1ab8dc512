// Copyright 2026 The vkubelet Authors. Licensed under the Apache License 2.0.

#include "vkubelet/errdefs.h"

#include <doctest/doctest.h>

#include "vkubelet/types.h"

namespace vkubelet {
namespace {

TEST_CASE("categories map to codes, HTTP statuses and reasons") {
  struct Row {
    absl::Status s;
    bool (*pred)(const absl::Status&);
    int http;
    const char* reason;
  };
  Row rows[] = {
      {errdefs::NotFound("x"), errdefs::IsNotFound, 404, "NotFound"},
      {errdefs::InvalidInput("x"), errdefs::IsInvalidInput, 400, "BadRequest"},
      {errdefs::Invalid("x"), errdefs::IsInvalidInput, 422, "Invalid"},
      {errdefs::AlreadyExists("x"), errdefs::IsAlreadyExists, 409, "AlreadyExists"},
      {errdefs::Conflict("x"), errdefs::IsConflict, 409, "Conflict"},
      {errdefs::Gone("x"), errdefs::IsGone, 410, "Gone"},
      {errdefs::Expired("x"), errdefs::IsGone, 410, "Expired"},
      {errdefs::Unauthorized("x"), errdefs::IsUnauthorized, 401, "Unauthorized"},
      {errdefs::Forbidden("x"), errdefs::IsForbidden, 403, "Forbidden"},
      {errdefs::TooManyRequests("x"), errdefs::IsTooManyRequests, 429, "TooManyRequests"},
      {errdefs::Unavailable("x"), errdefs::IsUnavailable, 503, "ServiceUnavailable"},
      {errdefs::Unimplemented("x"), errdefs::IsUnimplemented, 501, "NotImplemented"},
  };
  for (const auto& r : rows) {
    CAPTURE(r.s.ToString());
    CHECK(r.pred(r.s));
    CHECK(errdefs::HttpStatusCode(r.s) == r.http);
    CHECK(errdefs::Reason(r.s) == r.reason);
  }
  CHECK_FALSE(errdefs::IsNotFound(errdefs::Conflict("x")));
  CHECK(errdefs::HttpStatusCode(absl::OkStatus()) == 200);
}

TEST_CASE("transient and permanent errors") {
  CHECK(errdefs::IsTransient(errdefs::Unavailable("x")));
  CHECK(errdefs::IsTransient(errdefs::TooManyRequests("x")));
  CHECK_FALSE(errdefs::IsTransient(errdefs::NotFound("x")));
  CHECK(errdefs::IsPermanent(errdefs::InvalidInput("x")));
  CHECK(errdefs::IsPermanent(errdefs::Unimplemented("x")));
  CHECK_FALSE(errdefs::IsPermanent(errdefs::Conflict("x")));
}

TEST_CASE("Annotate keeps category and payloads") {
  absl::Status s = errdefs::Annotate(errdefs::Expired("too old resource version"), "watching pods");
  CHECK(errdefs::IsGone(s));
  CHECK(errdefs::Reason(s) == "Expired");
  CHECK(s.message() == "watching pods: too old resource version");
  auto ra = errdefs::RetryAfter(errdefs::Annotate(errdefs::TooManyRequests("slow down", absl::Seconds(3)), "x"));
  REQUIRE(ra.has_value());
  CHECK(*ra == absl::Seconds(3));
}

TEST_CASE("Kubernetes Status round trip keeps reason, causes and retry-after") {
  metav1::Status st;
  st.set_status("Failure");
  st.set_message("Pod \"Bad_Name\" is invalid");
  st.set_reason("Invalid");
  st.set_code(422);
  auto* cause = st.mutable_details()->add_causes();
  cause->set_reason("FieldValueInvalid");
  cause->set_field("metadata.name");
  st.mutable_details()->set_retryafterseconds(2);

  absl::Status s = errdefs::FromKubernetesStatus(st);
  CHECK(errdefs::IsInvalidInput(s));
  CHECK(errdefs::HttpStatusCode(s) == 422);
  CHECK(errdefs::Reason(s) == "Invalid");
  CHECK(*errdefs::RetryAfter(s) == absl::Seconds(2));
  metav1::Status back = errdefs::ToKubernetesStatus(s);
  CHECK(back.details().causes_size() == 1);
  CHECK(back.details().causes(0).field() == "metadata.name");

  metav1::Status gone;
  gone.set_reason("Expired");
  CHECK(errdefs::IsGone(errdefs::FromKubernetesStatus(gone, 410)));
  metav1::Status timeout;
  timeout.set_reason("Timeout");
  timeout.set_code(504);
  CHECK(errdefs::IsTransient(errdefs::FromKubernetesStatus(timeout)));
}

TEST_CASE("ToKubernetesStatus of a plain status") {
  metav1::Status st = errdefs::ToKubernetesStatus(errdefs::NotFound("pods \"x\" not found"));
  CHECK(st.status() == "Failure");
  CHECK(st.reason() == "NotFound");
  CHECK(st.code() == 404);
  CHECK(st.message() == "pods \"x\" not found");
  CHECK(errdefs::ToKubernetesStatus(absl::OkStatus()).status() == "Success");
  CHECK(errdefs::IsConflict(errdefs::FromHttpStatus(409, "conflict")));
  CHECK(errdefs::IsUnavailable(errdefs::FromHttpStatus(502, "bad gateway")));
}

}  // namespace
}  // namespace vkubelet

namespace vkubelet {
namespace {
TEST_CASE("exit codes survive annotation") {
  absl::Status s = errdefs::Annotate(errdefs::ExitCode(3), "exec");
  REQUIRE(errdefs::GetExitCode(s).has_value());
  CHECK(*errdefs::GetExitCode(s) == 3);
  CHECK_FALSE(errdefs::GetExitCode(errdefs::Internal("x")).has_value());
  CHECK_FALSE(errdefs::GetExitCode(absl::OkStatus()).has_value());
}
}  // namespace
}  // namespace vkubelet
