// Copyright 2026 The vkubelet Authors. Licensed under the Apache License 2.0.
//
// A small streaming JSON writer producing what Go's encoding/json produces for
// the same values: strings escaped with Go's rules (HTML characters as \u003c
// etc., invalid UTF-8 as \ufffd), floats in Go's shortest form, meta/v1 Time
// as RFC 3339 seconds in UTC or null. Private to the library.

#ifndef VKUBELET_LIB_STATS_JSON_FORMAT_H_
#define VKUBELET_LIB_STATS_JSON_FORMAT_H_

#include <cstdint>
#include <string>
#include <string_view>

#include "absl/time/time.h"

namespace vkubelet::stats::internal {

// Appends to a string; the caller keeps the structure well-formed. Not
// thread-safe.
class JsonOut {
 public:
  explicit JsonOut(std::string* out) : out_(out) {}

  void BeginObject() {
    Comma();
    out_->push_back('{');
    need_comma_ = false;
  }
  void EndObject() {
    out_->push_back('}');
    need_comma_ = true;
  }
  void BeginArray() {
    Comma();
    out_->push_back('[');
    need_comma_ = false;
  }
  void EndArray() {
    out_->push_back(']');
    need_comma_ = true;
  }
  void Key(std::string_view key) {
    Comma();
    AppendString(key);
    out_->push_back(':');
    need_comma_ = false;
  }
  void String(std::string_view s) {
    Comma();
    AppendString(s);
    need_comma_ = true;
  }
  void Uint(uint64_t v);
  void Int(int64_t v);
  // Non-finite values (which Go refuses to encode) are written as null.
  void Double(double v);
  void Bool(bool v) {
    Comma();
    out_->append(v ? "true" : "false");
    need_comma_ = true;
  }
  void Null() {
    Comma();
    out_->append("null");
    need_comma_ = true;
  }
  // meta/v1 Time: null for the zero value (absl::Time(), the Unix epoch, or
  // InfinitePast), else "2006-01-02T15:04:05Z".
  void Time(absl::Time t);

 private:
  void Comma() {
    if (need_comma_) out_->push_back(',');
  }
  void AppendString(std::string_view s);

  std::string* out_;
  bool need_comma_ = false;
};

// True for the values JsonOut::Time writes as null.
bool IsZeroTime(absl::Time t);
// "2006-01-02T15:04:05Z" (UTC, whole seconds, rounded down).
void AppendRfc3339Seconds(std::string* out, absl::Time t);
// Go's encoding/json float64 format.
void AppendGoJsonFloat(std::string* out, double v);

}  // namespace vkubelet::stats::internal

#endif  // VKUBELET_LIB_STATS_JSON_FORMAT_H_
