// Copyright 2026 The vkubelet Authors. Licensed under the Apache License 2.0.

#include "api/container_logs.h"

#include <charconv>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "vkubelet/errdefs.h"
#include "vkubelet/internal/status_macros.h"

namespace vkubelet::api::internal {
namespace {

using vkubelet::internal::ToAbsl;

// First value of each parameter, as Go reads url.Values for a single field.
using FirstValues = std::map<std::string, std::string, std::less<>>;

bool GoBool(std::string_view v) {
  if (v == "0") return false;
  std::string lower = absl::AsciiStrToLower(ToAbsl(v));
  return lower != "false";
}

absl::Status ParseInt64(const FirstValues& q, std::string_view name, std::optional<int64_t>* out) {
  auto it = q.find(name);
  if (it == q.end()) return absl::OkStatus();
  const std::string& s = it->second;
  int64_t v = 0;
  const char* begin = s.data();
  const char* end = s.data() + s.size();
  if (!s.empty() && *begin == '+') ++begin;  // strconv.ParseInt accepts a sign
  auto r = std::from_chars(begin, end, v);
  if (s.empty() || r.ec != std::errc() || r.ptr != end || (begin != s.data() && begin == end)) {
    return errdefs::InvalidInput(absl::StrCat("invalid ", ToAbsl(name), " \"", s, "\": not an integer"));
  }
  *out = v;
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<ContainerLogOptions> ParseContainerLogOptions(const http::QueryParams& query) {
  FirstValues q;
  for (const auto& [k, v] : query) q.emplace(k, v);  // emplace keeps the first value
  if (auto tail = q.find("tail"); tail != q.end() && !tail->second.empty()) {
    std::string value = tail->second;
    q.erase("tailLines");
    if (value != "all") q.emplace("tailLines", value);
  }

  ContainerLogOptions o;
  if (auto it = q.find("follow"); it != q.end()) o.follow = GoBool(it->second);
  if (auto it = q.find("previous"); it != q.end()) o.previous = GoBool(it->second);
  if (auto it = q.find("timestamps"); it != q.end()) o.timestamps = GoBool(it->second);
  VK_RETURN_IF_ERROR(ParseInt64(q, "tailLines", &o.tail_lines));
  VK_RETURN_IF_ERROR(ParseInt64(q, "limitBytes", &o.limit_bytes));
  VK_RETURN_IF_ERROR(ParseInt64(q, "sinceSeconds", &o.since_seconds));
  if (auto it = q.find("sinceTime"); it != q.end() && !it->second.empty()) {
    absl::Time t;
    std::string err;
    if (!absl::ParseTime(absl::RFC3339_full, it->second, &t, &err)) {
      return errdefs::InvalidInput(absl::StrCat("invalid sinceTime \"", it->second, "\": ", err));
    }
    o.since_time = t;
  }
  bool stream_given = false;
  if (auto it = q.find("stream"); it != q.end()) {
    o.stream = it->second;
    stream_given = true;
  }

  // ValidatePodLogOptions.
  if (o.tail_lines && *o.tail_lines < 0) {
    return errdefs::Invalid(
        absl::StrCat("tailLines: Invalid value: ", *o.tail_lines, ": must be greater than or equal to 0"));
  }
  if (o.limit_bytes && *o.limit_bytes < 1) {
    return errdefs::Invalid(
        absl::StrCat("limitBytes: Invalid value: ", *o.limit_bytes, ": must be greater than 0"));
  }
  if (o.since_seconds && o.since_time) {
    return errdefs::Invalid("at most one of `sinceTime` or `sinceSeconds` may be specified");
  }
  if (o.since_seconds && *o.since_seconds < 1) {
    return errdefs::Invalid(
        absl::StrCat("sinceSeconds: Invalid value: ", *o.since_seconds, ": must be greater than 0"));
  }
  if (stream_given) {
    if (o.stream != "All" && o.stream != "Stdout" && o.stream != "Stderr") {
      return errdefs::Invalid(absl::StrCat("stream: Unsupported value: \"", o.stream,
                                           "\": supported values: \"All\", \"Stderr\", \"Stdout\""));
    }
    if (o.stream != "All" && o.tail_lines) {
      return errdefs::Invalid("`tailLines` and specific `stream` are mutually exclusive for now");
    }
  }
  return o;
}

ChunkedLogWriter::ChunkedLogWriter(std::shared_ptr<http::Response> response, Context ctx, CancelFn cancel,
                                   std::optional<int64_t> limit_bytes, size_t buffer_bytes)
    : response_(std::move(response)),
      ctx_(std::move(ctx)),
      cancel_(std::move(cancel)),
      limit_(limit_bytes),
      buffer_bytes_(buffer_bytes < 1 ? 1 : buffer_bytes) {}

absl::Status ChunkedLogWriter::Write(std::string_view data) {
  absl::MutexLock lock(&mu_);
  if (done_) return absl::CancelledError("log stream ended");
  if (ctx_.Done()) {
    done_ = true;
    return absl::CancelledError("log stream ended: client gone or server stopping");
  }
  if (data.empty()) return absl::OkStatus();
  bool last = false;
  if (limit_.has_value()) {
    int64_t left = *limit_ - written_;
    if (static_cast<int64_t>(data.size()) >= left) {
      data = data.substr(0, static_cast<size_t>(left));
      last = true;
    }
  }
  if (!started_) {
    http::Headers h{{"Content-Type", "text/plain; charset=utf-8"}, {"X-Content-Type-Options", "nosniff"}};
    if (!response_->StartStream(200, h)) {
      done_ = true;
      return absl::CancelledError("log stream ended: client gone");
    }
    started_ = true;
  }
  if (!data.empty() && !response_->Write(std::string(data))) {
    done_ = true;
    return absl::CancelledError("log stream ended: client gone");
  }
  written_ += static_cast<int64_t>(data.size());
  if (last) {
    done_ = true;
    limit_reached_ = true;
    if (cancel_) cancel_();
    return absl::OkStatus();
  }
  // Backpressure: the provider waits here while the client reads slowly.
  absl::Status s = response_->WaitWritable(ctx_, buffer_bytes_);
  if (!s.ok()) {
    done_ = true;
    return absl::CancelledError(absl::StrCat("log stream ended: ", s.message()));
  }
  return absl::OkStatus();
}

bool ChunkedLogWriter::started() const {
  absl::MutexLock lock(&mu_);
  return started_;
}

int64_t ChunkedLogWriter::bytes_written() const {
  absl::MutexLock lock(&mu_);
  return written_;
}

bool ChunkedLogWriter::limit_reached() const {
  absl::MutexLock lock(&mu_);
  return limit_reached_;
}

}  // namespace vkubelet::api::internal
