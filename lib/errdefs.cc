// Copyright 2026 The vkubelet Authors. Licensed under the Apache License 2.0.

#include "vkubelet/errdefs.h"

#include "absl/strings/cord.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "k8s.io/apimachinery/pkg/apis/meta/v1/generated.pb.h"

namespace vkubelet::errdefs {
namespace {

namespace metav1 = ::k8s::io::apimachinery::pkg::apis::meta::v1;

constexpr char kReasonPayload[] = "type.vkubelet.io/kubernetes.reason";
constexpr char kStatusPayload[] = "type.vkubelet.io/kubernetes.status";
constexpr char kRetryAfterPayload[] = "type.vkubelet.io/retry-after-ms";
constexpr char kExitCodePayload[] = "type.vkubelet.io/exit-code";

absl::string_view Absl(std::string_view s) { return absl::string_view(s.data(), s.size()); }

absl::Status Make(absl::StatusCode code, std::string_view message, std::string_view reason) {
  absl::Status s(code, Absl(message));
  if (!reason.empty()) s.SetPayload(kReasonPayload, absl::Cord(Absl(reason)));
  return s;
}

std::string PayloadReason(const absl::Status& s) {
  metav1::Status st;
  if (GetKubernetesStatus(s, &st) && !st.reason().empty()) return st.reason();
  if (auto r = s.GetPayload(kReasonPayload)) return std::string(*r);
  return "";
}

absl::StatusCode CodeForReason(std::string_view reason, int http_code) {
  if (reason == "NotFound") return absl::StatusCode::kNotFound;
  if (reason == "AlreadyExists") return absl::StatusCode::kAlreadyExists;
  if (reason == "Conflict") return absl::StatusCode::kAborted;
  if (reason == "Invalid" || reason == "BadRequest" || reason == "RequestEntityTooLarge" ||
      reason == "UnsupportedMediaType" || reason == "NotAcceptable") {
    return absl::StatusCode::kInvalidArgument;
  }
  if (reason == "Gone" || reason == "Expired") return absl::StatusCode::kOutOfRange;
  if (reason == "Forbidden") return absl::StatusCode::kPermissionDenied;
  if (reason == "Unauthorized") return absl::StatusCode::kUnauthenticated;
  if (reason == "TooManyRequests") return absl::StatusCode::kResourceExhausted;
  if (reason == "Timeout" || reason == "ServerTimeout" || reason == "ServiceUnavailable") {
    return absl::StatusCode::kUnavailable;
  }
  if (reason == "MethodNotAllowed" || reason == "NotImplemented") return absl::StatusCode::kUnimplemented;
  if (reason == "InternalError") return absl::StatusCode::kInternal;
  switch (http_code) {
    case 400: return absl::StatusCode::kInvalidArgument;
    case 401: return absl::StatusCode::kUnauthenticated;
    case 403: return absl::StatusCode::kPermissionDenied;
    case 404: return absl::StatusCode::kNotFound;
    case 405: return absl::StatusCode::kUnimplemented;
    case 406: return absl::StatusCode::kInvalidArgument;
    case 409: return absl::StatusCode::kAborted;
    case 410: return absl::StatusCode::kOutOfRange;
    case 413: return absl::StatusCode::kInvalidArgument;
    case 415: return absl::StatusCode::kInvalidArgument;
    case 422: return absl::StatusCode::kInvalidArgument;
    case 429: return absl::StatusCode::kResourceExhausted;
    case 499: return absl::StatusCode::kCancelled;
    case 500: return absl::StatusCode::kInternal;
    case 501: return absl::StatusCode::kUnimplemented;
    case 502:
    case 503:
    case 504: return absl::StatusCode::kUnavailable;
    default:
      if (http_code >= 200 && http_code < 300) return absl::StatusCode::kOk;
      if (http_code >= 500) return absl::StatusCode::kInternal;
      return absl::StatusCode::kUnknown;
  }
}

}  // namespace

std::string_view ReasonForHttp(int code) {
  switch (code) {
    case 400: return "BadRequest";
    case 401: return "Unauthorized";
    case 403: return "Forbidden";
    case 404: return "NotFound";
    case 405: return "MethodNotAllowed";
    case 406: return "NotAcceptable";
    case 409: return "Conflict";
    case 410: return "Gone";
    case 413: return "RequestEntityTooLarge";
    case 415: return "UnsupportedMediaType";
    case 422: return "Invalid";
    case 429: return "TooManyRequests";
    case 500: return "InternalError";
    case 503: return "ServiceUnavailable";
    case 504: return "Timeout";
    default: return "";
  }
}

absl::Status NotFound(std::string_view m) { return Make(absl::StatusCode::kNotFound, m, ""); }
absl::Status InvalidInput(std::string_view m) { return Make(absl::StatusCode::kInvalidArgument, m, ""); }
absl::Status Invalid(std::string_view m) { return Make(absl::StatusCode::kInvalidArgument, m, "Invalid"); }
absl::Status AlreadyExists(std::string_view m) { return Make(absl::StatusCode::kAlreadyExists, m, ""); }
absl::Status Conflict(std::string_view m) { return Make(absl::StatusCode::kAborted, m, ""); }
absl::Status Gone(std::string_view m) { return Make(absl::StatusCode::kOutOfRange, m, "Gone"); }
absl::Status Expired(std::string_view m) { return Make(absl::StatusCode::kOutOfRange, m, "Expired"); }
absl::Status Unauthorized(std::string_view m) { return Make(absl::StatusCode::kUnauthenticated, m, ""); }
absl::Status Forbidden(std::string_view m) { return Make(absl::StatusCode::kPermissionDenied, m, ""); }
absl::Status TooManyRequests(std::string_view m, absl::Duration retry_after) {
  absl::Status s = Make(absl::StatusCode::kResourceExhausted, m, "");
  if (retry_after > absl::ZeroDuration()) {
    s.SetPayload(kRetryAfterPayload, absl::Cord(absl::StrCat(absl::ToInt64Milliseconds(retry_after))));
  }
  return s;
}
absl::Status Unavailable(std::string_view m) { return Make(absl::StatusCode::kUnavailable, m, ""); }
absl::Status Internal(std::string_view m) { return Make(absl::StatusCode::kInternal, m, ""); }
absl::Status Unimplemented(std::string_view m) { return Make(absl::StatusCode::kUnimplemented, m, ""); }

absl::Status ExitCode(int exit_code) {
  absl::Status s(absl::StatusCode::kUnknown, absl::StrCat("command terminated with non-zero exit code: exit status ",
                                                          exit_code));
  s.SetPayload(kExitCodePayload, absl::Cord(absl::StrCat(exit_code)));
  return s;
}

std::optional<int> GetExitCode(const absl::Status& s) {
  auto p = s.GetPayload(kExitCodePayload);
  int code = 0;
  if (!p || !absl::SimpleAtoi(std::string(*p), &code)) return std::nullopt;
  return code;
}

bool IsNotFound(const absl::Status& s) { return s.code() == absl::StatusCode::kNotFound; }
bool IsInvalidInput(const absl::Status& s) { return s.code() == absl::StatusCode::kInvalidArgument; }
bool IsAlreadyExists(const absl::Status& s) { return s.code() == absl::StatusCode::kAlreadyExists; }
bool IsConflict(const absl::Status& s) { return s.code() == absl::StatusCode::kAborted; }
bool IsGone(const absl::Status& s) { return s.code() == absl::StatusCode::kOutOfRange; }
bool IsUnauthorized(const absl::Status& s) { return s.code() == absl::StatusCode::kUnauthenticated; }
bool IsForbidden(const absl::Status& s) { return s.code() == absl::StatusCode::kPermissionDenied; }
bool IsTooManyRequests(const absl::Status& s) { return s.code() == absl::StatusCode::kResourceExhausted; }
bool IsUnavailable(const absl::Status& s) { return s.code() == absl::StatusCode::kUnavailable; }
bool IsUnimplemented(const absl::Status& s) { return s.code() == absl::StatusCode::kUnimplemented; }
bool IsCancelled(const absl::Status& s) {
  return s.code() == absl::StatusCode::kCancelled || s.code() == absl::StatusCode::kDeadlineExceeded;
}

int HttpStatusCode(const absl::Status& s) {
  metav1::Status st;
  if (GetKubernetesStatus(s, &st) && st.code() != 0) return st.code();
  std::string reason = PayloadReason(s);
  if (reason == "Invalid") return 422;
  switch (s.code()) {
    case absl::StatusCode::kOk: return 200;
    case absl::StatusCode::kCancelled: return 499;
    case absl::StatusCode::kInvalidArgument: return 400;
    case absl::StatusCode::kDeadlineExceeded: return 504;
    case absl::StatusCode::kNotFound: return 404;
    case absl::StatusCode::kAlreadyExists: return 409;
    case absl::StatusCode::kPermissionDenied: return 403;
    case absl::StatusCode::kResourceExhausted: return 429;
    case absl::StatusCode::kFailedPrecondition: return 400;
    case absl::StatusCode::kAborted: return 409;
    case absl::StatusCode::kOutOfRange: return 410;
    case absl::StatusCode::kUnimplemented: return 501;
    case absl::StatusCode::kUnavailable: return 503;
    case absl::StatusCode::kUnauthenticated: return 401;
    default: return 500;
  }
}

std::string Reason(const absl::Status& s) {
  if (s.ok()) return "";
  std::string reason = PayloadReason(s);
  if (!reason.empty()) return reason;
  switch (s.code()) {
    case absl::StatusCode::kInvalidArgument:
    case absl::StatusCode::kFailedPrecondition: return "BadRequest";
    case absl::StatusCode::kDeadlineExceeded: return "Timeout";
    case absl::StatusCode::kNotFound: return "NotFound";
    case absl::StatusCode::kAlreadyExists: return "AlreadyExists";
    case absl::StatusCode::kPermissionDenied: return "Forbidden";
    case absl::StatusCode::kResourceExhausted: return "TooManyRequests";
    case absl::StatusCode::kAborted: return "Conflict";
    case absl::StatusCode::kOutOfRange: return "Expired";
    case absl::StatusCode::kUnimplemented: return "NotImplemented";
    case absl::StatusCode::kUnavailable: return "ServiceUnavailable";
    case absl::StatusCode::kUnauthenticated: return "Unauthorized";
    case absl::StatusCode::kCancelled: return "";
    default: return "InternalError";
  }
}

bool IsTransient(const absl::Status& s) {
  switch (s.code()) {
    case absl::StatusCode::kUnavailable:
    case absl::StatusCode::kResourceExhausted:
    case absl::StatusCode::kInternal:
    case absl::StatusCode::kUnknown:
      return true;
    default:
      return false;
  }
}

bool IsPermanent(const absl::Status& s) {
  switch (s.code()) {
    case absl::StatusCode::kInvalidArgument:
    case absl::StatusCode::kUnimplemented:
    case absl::StatusCode::kAlreadyExists:
    case absl::StatusCode::kPermissionDenied:
    case absl::StatusCode::kUnauthenticated:
      return true;
    default:
      return false;
  }
}

std::optional<absl::Duration> RetryAfter(const absl::Status& s) {
  if (auto p = s.GetPayload(kRetryAfterPayload)) {
    int64_t ms = 0;
    if (absl::SimpleAtoi(std::string(*p), &ms) && ms >= 0) return absl::Milliseconds(ms);
  }
  metav1::Status st;
  if (GetKubernetesStatus(s, &st) && st.has_details() && st.details().retryafterseconds() > 0) {
    return absl::Seconds(st.details().retryafterseconds());
  }
  return std::nullopt;
}

absl::Status Annotate(const absl::Status& s, std::string_view context) {
  if (s.ok()) return s;
  absl::Status out(s.code(), absl::StrCat(Absl(context), ": ", s.message()));
  s.ForEachPayload([&out](absl::string_view url, const absl::Cord& payload) { out.SetPayload(url, payload); });
  return out;
}

absl::Status FromKubernetesStatus(const metav1::Status& status, int http_code) {
  int code = status.code() != 0 ? status.code() : http_code;
  absl::StatusCode sc = CodeForReason(status.reason(), code);
  if (sc == absl::StatusCode::kOk) {
    if (status.status() == "Success") return absl::OkStatus();
    sc = absl::StatusCode::kUnknown;
  }
  std::string message = status.message();
  if (message.empty()) message = absl::StrCat("the server responded with HTTP ", code, " ", status.reason());
  absl::Status s(sc, message);
  metav1::Status copy = status;
  if (copy.code() == 0) copy.set_code(code);
  s.SetPayload(kStatusPayload, absl::Cord(copy.SerializeAsString()));
  if (status.has_details() && status.details().retryafterseconds() > 0) {
    s.SetPayload(kRetryAfterPayload, absl::Cord(absl::StrCat(status.details().retryafterseconds() * 1000)));
  }
  return s;
}

metav1::Status ToKubernetesStatus(const absl::Status& s) {
  metav1::Status st;
  if (GetKubernetesStatus(s, &st)) {
    st.set_message(std::string(s.message()));
    return st;
  }
  st.mutable_metadata();
  if (s.ok()) {
    st.set_status("Success");
    st.set_code(200);
    return st;
  }
  st.set_status("Failure");
  st.set_message(std::string(s.message()));
  st.set_reason(Reason(s));
  st.set_code(HttpStatusCode(s));
  if (auto ra = RetryAfter(s)) {
    st.mutable_details()->set_retryafterseconds(
        static_cast<int32_t>(absl::ToInt64Seconds(*ra + absl::Milliseconds(999))));
  }
  return st;
}

bool GetKubernetesStatus(const absl::Status& s, metav1::Status* out) {
  auto p = s.GetPayload(kStatusPayload);
  if (!p) return false;
  return out->ParseFromString(std::string(*p));
}

absl::Status FromHttpStatus(int http_code, std::string_view message) {
  absl::StatusCode sc = CodeForReason("", http_code);
  if (sc == absl::StatusCode::kOk) return absl::OkStatus();
  return Make(sc, message, ReasonForHttp(http_code));
}

}  // namespace vkubelet::errdefs
